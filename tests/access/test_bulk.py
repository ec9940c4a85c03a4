"""Bulk selection and export: only on a supervisor's approval of that very selection, given to the
requester for one use; every request, decision, use and refused attempt audited."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from immigrationos.access.bulk import decide_bulk, request_bulk
from immigrationos.audit.report import oversight_report
from immigrationos.cli.main import app
from immigrationos.config import Settings
from immigrationos.context import make_context
from immigrationos.errors import AccessDeniedError, TransitionError
from immigrationos.lifecycle.pipeline import run_lifecycle
from immigrationos.priority.models import default_policy
from immigrationos.priority.workflow import export_entries, list_entries
from immigrationos.priority.worklist import build_worklist
from immigrationos.sources.catalog import default_catalog
from immigrationos.store.engine import store_session
from immigrationos.synth.world import world_as_of

ANALYST = make_context("ana", "enforcement", roles=frozenset({"analyst"}))
SUPERVISOR = make_context("sam", "enforcement", roles=frozenset({"supervisor"}))
OFFICER = make_context("dana", "departure_assistance", roles=frozenset({"departure_officer"}))
LISTING = {"tier": None, "category": None, "state": None, "limit": 500}


@pytest.fixture(scope="module")
def home(resolved: Path, world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("bulk") / "home"
    shutil.copytree(resolved, copy)
    ops = make_context("op", "data_management")
    with store_session(Settings(home=copy)) as store:
        run_lifecycle(ops, store, catalog=default_catalog(), as_of=world_as_of(world))
        build_worklist(ANALYST, store, default_policy(), world_as_of(world))
    return copy


def test_a_bulk_listing_needs_a_supervisors_approval_used_once(home: Path, tmp_path: Path) -> None:
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    with store_session(Settings(home=copy)) as store:
        rows, total = list_entries(ANALYST, store, limit=30)
        assert len(rows) == min(30, total)
        assert total > 100
        with pytest.raises(AccessDeniedError, match="needs a supervisor's approval"):
            list_entries(ANALYST, store, limit=500)
        request = request_bulk(
            ANALYST, store, selection="worklist", filters=LISTING, reason="quarterly tier review"
        )
        with pytest.raises(AccessDeniedError, match="not approved"):
            list_entries(ANALYST, store, limit=500, approval=request)
        with pytest.raises(AccessDeniedError, match="may not approve their own"):
            decide_bulk(
                make_context("ana", "enforcement", roles=frozenset({"supervisor"})),
                store,
                request,
                approve=True,
                reason="ok",
            )
        with pytest.raises(AccessDeniedError, match="needs a supervisor"):
            decide_bulk(OFFICER, store, request, approve=True, reason="ok")
        decide_bulk(SUPERVISOR, store, request, approve=True, reason="review agreed in the weekly meeting")
        with pytest.raises(TransitionError, match="already approved"):
            decide_bulk(SUPERVISOR, store, request, approve=False, reason="changed my mind")
        with pytest.raises(AccessDeniedError, match="not this selection"):
            list_entries(ANALYST, store, limit=500, tier=1, approval=request)
        with pytest.raises(AccessDeniedError, match="approved for ana"):
            list_entries(
                make_context("bob", "enforcement", roles=frozenset({"analyst"})),
                store,
                limit=500,
                approval=request,
            )
        rows, _ = list_entries(ANALYST, store, limit=500, approval=request)
        assert len(rows) == min(500, total)
        with pytest.raises(AccessDeniedError, match="is used"):
            list_entries(ANALYST, store, limit=500, approval=request)
        log = store.rows("SELECT event, outcome FROM audit_log WHERE event LIKE 'bulk.%' ORDER BY seq")
        report = oversight_report(make_context("aud", "oversight", roles=frozenset({"auditor"})), store)
    assert log == [
        ("bulk.worklist", "denied"),
        ("bulk.request", "granted"),
        ("bulk.worklist", "denied"),
        ("bulk.approve", "granted"),
        ("bulk.worklist", "denied"),
        ("bulk.worklist", "denied"),
        ("bulk.worklist", "granted"),
        ("bulk.worklist", "denied"),
    ]
    assert len(report["anomalies"]["bulk_attempts"]) == len(log)


def test_an_export_writes_every_matching_entry_once_approved(home: Path, tmp_path: Path) -> None:
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    out = tmp_path / "worklist.parquet"
    with store_session(Settings(home=copy)) as store:
        with pytest.raises(AccessDeniedError):
            export_entries(ANALYST, store, out, approval=None)
        assert not out.exists()
        filters = {"tier": None, "category": None, "state": "candidate", "export": True}
        request = request_bulk(
            ANALYST, store, selection="worklist", filters=filters, reason="hand-over to field office"
        )
        decide_bulk(SUPERVISOR, store, request, approve=True, reason="hand-over approved")
        written = export_entries(ANALYST, store, out, approval=request, state="candidate")
        candidates = int(store.scalar("SELECT count(*) FROM pri_entries WHERE state = 'candidate'"))
        used = store.record("SELECT state, rows FROM acc_bulk_requests WHERE request_id = ?", [request])
    table = pq.read_table(out)
    assert written == candidates == table.num_rows > 0
    assert set(table.column("state").to_pylist()) == {"candidate"}
    assert used == {"state": "used", "rows": candidates}


def test_the_cli_refuses_a_bulk_listing_without_approval(home: Path, tmp_path: Path) -> None:
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    result = CliRunner().invoke(
        app, ["--home", str(copy), "--purpose", "enforcement", "worklist", "--limit", "101"]
    )
    assert result.exit_code == 1
    assert "needs a supervisor's approval" in result.output
