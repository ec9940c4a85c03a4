"""A process killed mid-ingest loses nothing committed and leaves no half-loaded batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from immigrationos.config import Settings
from immigrationos.context import make_context
from immigrationos.sources.catalog import default_catalog
from immigrationos.sources.ingest import ingest_file
from immigrationos.store.engine import store_session

WORKER = Path(__file__).with_name("crash_worker.py")
BATCH = 2_000


def _kill_after_batches(home: Path, path: Path, batches: int) -> list[int]:
    """Start an ingest, SIGKILL it once ``batches`` batches are committed; return rows done per batch."""
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), str(home), str(path), str(BATCH)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    done: list[int] = []
    for line in proc.stdout:
        if line.startswith("COMMITTED"):
            done.append(int(line.split()[2]))
            if len(done) == batches:
                proc.send_signal(signal.SIGKILL)
                break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the worker finished before it could be killed"
    return done


@pytest.mark.slow
def test_kill_mid_ingest_loses_nothing_committed(tmp_path: Path, world: Path) -> None:
    path = world / "cbp_i94.parquet"
    done = _kill_after_batches(tmp_path / "home", path, batches=2)
    settings = Settings(home=tmp_path / "home")
    with store_session(settings) as store:
        stored = store.scalar("SELECT count(*) FROM src_cbp_i94")
        committed = store.scalar("SELECT coalesce(sum(loaded), 0) FROM ingest_batches")
        max_row = store.scalar("SELECT max(_row_number) FROM src_cbp_i94")
        status = store.scalar("SELECT status FROM ingest_files")
        assert stored >= done[-1]  # every batch announced as committed survived the kill
        assert stored == committed  # and no rows of an uncommitted batch are present
        assert max_row is not None
        assert max_row % BATCH == 0
        assert status == "in_progress"
        report = ingest_file(
            make_context("crash-test", "data_management"),
            store,
            path,
            catalog=default_catalog(),
            batch_rows=BATCH,
        )
        total = store.scalar("SELECT count(*) FROM src_cbp_i94")
        assert report.rows_total == total
        assert report.duplicates == stored  # the resumed run recognises what survived
        assert store.scalar("SELECT count(DISTINCT record_id) FROM src_cbp_i94") == total
        assert store.scalar("SELECT status FROM ingest_files") == "complete"
