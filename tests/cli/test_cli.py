"""The command line as a user drives it: generate, ingest, summary, quarantine, catalog, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from immigrationos.cli.main import app

runner = CliRunner(env={"COLUMNS": "220"})


@pytest.fixture
def home(tmp_path: Path) -> list[str]:
    return ["--home", str(tmp_path / "home")]


def test_generate_ingest_summary_round_trip(tmp_path: Path, home: list[str]) -> None:
    out = tmp_path / "w"
    gen = runner.invoke(app, [*home, "generate", "--persons", "1500", "--seed", "3", "--out", str(out)])
    assert gen.exit_code == 0, gen.output
    assert "Wrote" in gen.output
    assert (out / "ground_truth" / "records.parquet").exists()
    ing = runner.invoke(app, [*home, "ingest", str(out)])
    assert ing.exit_code == 0, ing.output
    assert "0 file(s) rejected" in ing.output
    summary = runner.invoke(app, [*home, "summary", "--json"])
    records = json.loads(summary.stdout)["records"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert records == manifest["records"] | {"redress_corrections": 0}  # written by the system, not generated


def test_ingest_exits_nonzero_and_names_a_rejected_file(tmp_path: Path, home: list[str]) -> None:
    bad = tmp_path / "feed"
    bad.mkdir()
    (bad / "cbp_i94.parquet").write_bytes(b"not parquet")
    result = runner.invoke(app, [*home, "ingest", str(bad)])
    assert result.exit_code == 1
    assert "rejected" in result.output
    assert "1 file(s) rejected" in result.output


def test_quarantine_lists_file_row_field_and_reason(tmp_path: Path, home: list[str]) -> None:
    csv = tmp_path / "hud_assistance.csv"
    csv.write_text(
        "record_id,program,eligibility,effective_date,given_name,family_name\n"
        "H1,PUBLIC_HOUSING,CITIZEN,2024-01-05,Ana,Lopez\n"
        "H2,PUBLIC_HOUSING,CITIZEN,someday,Ben,Ortiz\n"
    )
    assert runner.invoke(app, [*home, "ingest", str(csv)]).exit_code == 0
    result = runner.invoke(app, [*home, "quarantine"])
    assert "hud_assistance.csv" in result.output
    assert "effective_date" in result.output
    assert "2" in result.output


def test_unknown_purpose_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--home", str(tmp_path), "--purpose", "curiosity", "ingest", str(tmp_path)])
    assert result.exit_code == 1
    assert "unknown purpose" in result.output


def test_catalog_shows_sources_and_fields() -> None:
    listing = runner.invoke(app, ["catalog"])
    assert listing.exit_code == 0
    assert "irs_filings" in listing.output
    one = runner.invoke(app, ["catalog", "irs_filings"])
    assert "fti" in one.output
    assert "6103" in one.output
    missing = runner.invoke(app, ["catalog", "tiktok"])
    assert missing.exit_code == 1
    assert "unknown source" in missing.output


def test_generate_refuses_bad_parameters(tmp_path: Path) -> None:
    params = tmp_path / "p.yaml"
    params.write_text("noise:\n  name_typo_dhs: 2.5\n")
    result = runner.invoke(
        app, ["generate", "--persons", "500", "--out", str(tmp_path / "w"), "--params", str(params)]
    )
    assert result.exit_code == 1
    assert "must be a probability" in result.output


def test_demo_runs_the_main_job_end_to_end(tmp_path: Path, home: list[str]) -> None:
    result = runner.invoke(app, [*home, "demo", "--persons", "1500", "--out", str(tmp_path / "w")])
    assert result.exit_code == 0, result.output
    assert "Resolved" in result.output
    assert "pairwise" in result.output
