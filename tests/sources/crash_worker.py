"""Run by test_crash in a subprocess: ingest slowly, announcing each committed batch, until killed."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from immigrationos.config import Settings
from immigrationos.context import make_context
from immigrationos.sources.catalog import default_catalog
from immigrationos.sources.ingest import Progress, ingest_file
from immigrationos.store.engine import store_session


def announce(p: Progress) -> None:
    if p.batch_committed is not None:
        print(f"COMMITTED {p.batch_committed} {p.rows_done}", flush=True)
        time.sleep(0.3)


def main(home: str, path: str, batch_rows: str) -> None:
    settings = Settings(home=Path(home))
    with store_session(settings) as store:
        ingest_file(
            make_context("crash-test", "data_management"),
            store,
            Path(path),
            catalog=default_catalog(),
            batch_rows=int(batch_rows),
            on_progress=announce,
        )
    print("DONE", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
