"""The worklist on a generated, resolved world: quality against the ground truth, and the commands."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from immigrationos.cli.main import app
from immigrationos.config import Settings
from immigrationos.context import make_context
from immigrationos.lifecycle.pipeline import run_lifecycle
from immigrationos.priority.evaluate import worklist_quality
from immigrationos.priority.models import default_policy
from immigrationos.priority.worklist import build_worklist
from immigrationos.sources.catalog import default_catalog
from immigrationos.store.engine import store_session
from immigrationos.synth.world import world_as_of

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def home(resolved: Path, world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("worklist") / "home"
    shutil.copytree(resolved, copy)
    ctx = make_context("test-operator", "enforcement", roles=frozenset({"analyst"}))
    with store_session(Settings(home=copy)) as store:
        run_lifecycle(ctx, store, catalog=default_catalog(), as_of=world_as_of(world))
        build_worklist(ctx, store, default_policy(), world_as_of(world))
    return copy


@pytest.fixture(scope="module")
def quality(home: Path, world: Path) -> dict[str, Any]:
    with store_session(Settings(home=home)) as store:
        return worklist_quality(store, world / "ground_truth", default_policy())


def test_no_protected_person_among_candidates_outside_the_identity_queue(quality: dict[str, Any]) -> None:
    assert quality["open_entries"] > 100
    assert quality["wrongly_included"] == 0
    assert quality["wrongly_included_at_candidate_step"] <= 0.005 * quality["open_entries"]


def test_category_precision_and_recall(quality: dict[str, Any]) -> None:
    for name in ("final_order", "overstay", "violent_conviction"):
        assert quality["categories"][name]["precision"] >= 0.95, name
    for name in ("final_order", "overstay"):
        assert quality["categories"][name]["recall"] >= 0.95, name


def test_worklist_commands(home: Path, tmp_path: Path) -> None:
    base = ["--home", str(home)]
    secret = tmp_path / "pw"
    secret.write_text("analyst seven's password")
    stranger = runner.invoke(app, [*base, "--user", "analyst-7", "worklist"])
    assert stranger.exit_code != 0  # not a user of this installation yet
    added = runner.invoke(
        app, [*base, "users", "add", "analyst-7", "--role", "analyst", "--password-file", str(secret)]
    )
    assert added.exit_code == 0, added.output
    refused = runner.invoke(
        app,
        [
            *base,
            "--user",
            "analyst-7",
            "users",
            "add",
            "x",
            "--role",
            "analyst",
            "--password-file",
            str(secret),
        ],
    )
    assert "needs the admin role" in refused.output
    listed = runner.invoke(app, [*base, "worklist", "--tier", "4", "--limit", "5"])
    assert listed.exit_code == 0, listed.output
    assert "final_order" in listed.output
    with store_session(Settings(home=home), read_only=True) as store:
        entry = int(store.scalar("SELECT min(entry_id) FROM pri_entries WHERE state = 'candidate'"))
    shown = runner.invoke(app, [*base, "worklist", "show", str(entry), "--json"])
    data = json.loads(shown.stdout)
    assert data["reasons"]
    assert data["links"] or data["evidence"]
    verified = runner.invoke(
        app,
        [
            *base,
            "--user",
            "analyst-7",
            "--purpose",
            "enforcement",
            "worklist",
            "verify",
            str(entry),
            "--reason",
            "prints",
        ],
    )
    assert verified.exit_code == 0, verified.output
    early = runner.invoke(
        app, [*base, "--purpose", "enforcement", "worklist", "approve", str(entry), "--reason", "skip"]
    )
    assert early.exit_code == 1
    assert "identity_verified: it cannot become actionable" in early.output
    rebuilt = runner.invoke(app, [*base, "worklist", "build"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "0 new entries" in rebuilt.output
