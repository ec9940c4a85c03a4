"""The lifecycle on a generated, resolved world: accuracy against the ground truth, the two engines
agreeing on every person, the bulk safeguard flags matching the per-person ones, and the commands."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from immigrationos.cli.main import app
from immigrationos.config import Settings
from immigrationos.context import make_context
from immigrationos.lifecycle.evaluate import status_quality
from immigrationos.lifecycle.interpret import CompiledRules, Event
from immigrationos.lifecycle.pipeline import DERIVED, LifecycleReport, run_lifecycle
from immigrationos.lifecycle.rules import default_events, default_rules
from immigrationos.lifecycle.timeline import person_lifecycle
from immigrationos.sources.catalog import default_catalog
from immigrationos.store.engine import store_session
from immigrationos.synth.world import world_as_of

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def home(resolved: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the resolved test world (so this module's writes touch no other test's store)."""
    copy = tmp_path_factory.mktemp("lifecycle") / "home"
    shutil.copytree(resolved, copy)
    return copy


@pytest.fixture(scope="module")
def report(home: Path, world: Path) -> LifecycleReport:
    with store_session(Settings(home=home)) as store:
        return run_lifecycle(
            make_context("test-analyst", "data_management"),
            store,
            catalog=default_catalog(),
            as_of=world_as_of(world),
        )


@pytest.fixture(scope="module")
def quality(home: Path, world: Path, report: LifecycleReport) -> dict[str, Any]:
    with store_session(Settings(home=home)) as store:
        return status_quality(
            store,
            world / "ground_truth",
            catalog=default_catalog(),
            events=default_events(),
            rules=default_rules(),
            as_of=world_as_of(world),
        )


def test_every_resolved_person_has_a_status(home: Path, report: LifecycleReport) -> None:
    with store_session(Settings(home=home), read_only=True) as store:
        persons = store.scalar("SELECT count(DISTINCT person_id) FROM res_membership")
    assert report.persons == persons
    assert sum(report.statuses.values()) == persons
    assert report.events > persons


def test_status_accuracy_against_the_ground_truth(quality: dict[str, Any]) -> None:
    assert quality["accuracy_resolved_exactly"] >= 0.995
    assert quality["persons_resolved_exactly"] >= 0.95 * quality["persons"]
    assert quality["citizens_with_citizenship_record_not_derived_citizen"] == 0
    confusion = quality["confusion"]
    assert sum(n for row in confusion.values() for n in row.values()) == quality["persons"]
    for status in ("final_order", "overstay", "lpr", "us_citizen", "removed", "in_removal_proceedings"):
        assert quality["per_status"][status]["precision"] >= 0.98, status
        assert quality["per_status"][status]["recall"] >= 0.98, status


def test_sql_and_python_engines_agree_on_every_person(home: Path, report: LifecycleReport) -> None:
    rules = default_rules()
    engine = CompiledRules(rules)
    with store_session(Settings(home=home), read_only=True) as store:
        events: dict[int, list[Event]] = defaultdict(list)
        for person, *row in store.rows(
            "SELECT person_id, event_date, kind, code, until, rec FROM life_events"
        ):
            events[person].append(Event(*row))
        facts = ", ".join(f"{n}, {n}__rec" for n in rules.facts)
        cursor = store.conn.execute(
            f"SELECT person_id, status, rule, status_without_citizenship, {facts} FROM {DERIVED}"
        )
        names = [c[0] for c in cursor.description]
        rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    assert len(rows) == report.persons
    for sql in rows:
        py = engine.derive(sql["person_id"], events[sql["person_id"]], report.as_of)
        assert (py.status.value, py.rule, py.status_without_citizenship.value) == (
            sql["status"],
            sql["rule"],
            sql["status_without_citizenship"],
        ), sql["person_id"]
        assert {k: v for k, v in py.facts.items() if k != "as_of"} == {
            k: v for k, v in sql.items() if k in py.facts
        }, sql["person_id"]


def test_bulk_flags_equal_the_per_person_safeguards(home: Path, report: LifecycleReport) -> None:
    with store_session(Settings(home=home), read_only=True) as store:
        bulk: dict[int, set[tuple[str, str]]] = defaultdict(set)
        for person, flag, detail in store.rows("SELECT person_id, flag, detail FROM life_flags"):
            bulk[person].add((flag, detail))
        sample = sorted(bulk)[:: max(1, len(bulk) // 150)] + [
            int(p) for (p,) in store.rows("SELECT person_id FROM life_status ORDER BY person_id LIMIT 50")
        ]
        for person in sample:
            view = person_lifecycle(
                store,
                person,
                catalog=default_catalog(),
                events=default_events(),
                rules=default_rules(),
                as_of=report.as_of,
            )
            assert {(s.flag, s.detail) for s in view.safeguards} == bulk.get(person, set()), person
            assert view.status.status.value == store.scalar(
                "SELECT status FROM life_status WHERE person_id = ?", [person]
            )
    assert {"citizenship_evidence", "low_identity_confidence"} <= set(report.flags)


def test_person_command_prints_and_serves_json(home: Path, report: LifecycleReport) -> None:
    with store_session(Settings(home=home), read_only=True) as store:
        person = int(store.scalar("SELECT person_id FROM life_status WHERE status = 'final_order' LIMIT 1"))
    shown = runner.invoke(app, ["--home", str(home), "person", str(person)])
    assert shown.exit_code == 0, shown.output
    assert "final_order" in shown.output
    assert "REMOVAL_ORDERED" in shown.output
    data = json.loads(runner.invoke(app, ["--home", str(home), "person", str(person), "--json"]).stdout)
    assert data["status"]["status"] == "final_order"
    assert data["as_of"] == report.as_of.isoformat()  # the last published run's date by default
    assert all(p["legal_authority"] for e in data["timeline"] for p in e["provenance"])
    missing = runner.invoke(app, ["--home", str(home), "person", "987654321"])
    assert missing.exit_code == 1
    assert "no person 987654321" in missing.output
    with store_session(Settings(home=home), read_only=True) as store:
        logged = store.rows(
            "SELECT subject_person, outcome, sources FROM audit_log WHERE event = 'person.view' ORDER BY seq"
        )
    assert [(p, o) for p, o, _ in logged] == [
        (person, "granted"),
        (person, "granted"),
        (987654321, "not_found"),
    ]
    assert "eoir_court" in logged[0][2]  # the sources the view disclosed are logged


def test_lifecycle_command_at_an_earlier_date(home: Path, report: LifecycleReport) -> None:
    earlier = date(report.as_of.year - 3, 1, 1)
    result = runner.invoke(app, ["--home", str(home), "lifecycle", "--as-of", earlier.isoformat()])
    assert result.exit_code == 0, result.output
    assert f"Statuses at {earlier}" in result.output
    with store_session(Settings(home=home), read_only=True) as store:
        assert store.scalar("SELECT DISTINCT as_of FROM life_status") == earlier
        removed_then = store.scalar("SELECT count(*) FROM life_status WHERE status = 'removed'")
    assert removed_then < report.statuses["removed"]  # removals accumulate over time
