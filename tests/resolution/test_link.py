"""`immos link` on bring-your-own files: the mapping format, its errors, and quality on known truth."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from immigrationos.cli.main import app
from immigrationos.resolution.link import MappingError, link_files

MAPPING = """record_id: id
fields:
  given_name: first
  family_name: surname
  dob: {column: birth, format: "%d/%m/%Y"}
  sex: gender
identifiers:
  ssn: soc_sec
"""


@pytest.fixture(scope="module")
def people(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Records of two agencies under foreign column names and date format, as an outsider's file."""
    folder = tmp_path_factory.mktemp("byo")
    duckdb.execute(f"""COPY (
        SELECT record_id AS id, given_name AS first, family_name AS surname, strftime(dob, '%d/%m/%Y') AS birth,
               sex AS gender, ssn AS soc_sec FROM '{world}/uscis_benefits.parquet'
        UNION ALL SELECT record_id, given_name, family_name, strftime(dob, '%d/%m/%Y'), sex, ssn
        FROM '{world}/ssa_numident.parquet') TO '{folder}/people.csv' (HEADER)""")
    (folder / "map.yaml").write_text(MAPPING)
    return folder


def test_dedupe_a_file_with_a_mapping(people: Path, world: Path, tmp_path: Path) -> None:
    result = link_files([people / "people.csv"], people / "map.yaml", tmp_path / "out")
    assert (tmp_path / "out" / "pairs.parquet").exists()
    quality = duckdb.sql(f"""
        WITH t AS (SELECT record_id, person_id FROM '{world}/ground_truth/records.parquet'
                   WHERE source IN ('uscis_benefits', 'ssa_numident')),
             g AS (SELECT cluster_id, person_id, count(*) AS k FROM '{tmp_path}/out/clusters.parquet' JOIN t USING (record_id) GROUP BY ALL)
        SELECT sum(k * (k - 1) / 2) / (SELECT sum(k * (k - 1) / 2) FROM (SELECT sum(k) AS k FROM g GROUP BY cluster_id)),
               sum(k * (k - 1) / 2) / (SELECT sum(k * (k - 1) / 2) FROM (SELECT sum(k) AS k FROM g GROUP BY person_id))
        FROM g""").fetchall()[0]
    precision, recall = quality
    assert result.records == duckdb.sql(f"SELECT count(*) FROM '{people}/people.csv'").fetchall()[0][0]
    assert precision >= 0.99
    assert recall >= 0.85


def test_a_mapping_naming_a_missing_column_is_refused_clearly(people: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MAPPING.replace("surname", "last_name"))
    with pytest.raises(
        MappingError, match=r"people\.csv: the mapping names columns the file lacks: last_name"
    ):
        link_files([people / "people.csv"], bad, tmp_path / "out")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fields: {shoe_size: s}\n", "unknown person fields"),
        ("fields: {dob: d}\n", "given_name or family_name"),
        ("fields: {given_name: g}\nidentifiers: {tax: t}\n", "unknown identifiers"),
        ("- nonsense", "invalid mapping"),
    ],
)
def test_invalid_mappings_are_refused(tmp_path: Path, people: Path, text: str, message: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(text)
    with pytest.raises(MappingError, match=message):
        link_files([people / "people.csv"], path, tmp_path / "out")


def test_link_command_reports_and_fails_cleanly(people: Path, tmp_path: Path) -> None:
    runner = CliRunner(env={"COLUMNS": "200"})
    ok = runner.invoke(
        app,
        [
            "link",
            str(people / "people.csv"),
            "--mapping",
            str(people / "map.yaml"),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert "clusters" in ok.output
    missing = runner.invoke(
        app, ["link", str(people / "people.csv"), "--mapping", str(tmp_path / "none.yaml")]
    )
    assert missing.exit_code == 1
    assert "invalid mapping" in missing.output
