"""Benchmark: generate a synthetic world, then ingest it into a fresh embedded store.

    python benchmarks/generate.py --persons 1000000 [--out /tmp/bench-world] [--no-ingest]

Prints persons/s, records/s, wall time and peak RSS for each step, and records per source.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from _measure import measure
from immigrationos.config import Settings
from immigrationos.context import make_context
from immigrationos.sources import storage
from immigrationos.sources.catalog import default_catalog
from immigrationos.sources.ingest import ingest_directory
from immigrationos.store.engine import store_session
from immigrationos.synth.params import WorldParams
from immigrationos.synth.world import generate_world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--no-ingest", action="store_true")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="immos-bench-"))
    shutil.rmtree(out, ignore_errors=True)
    print(f"machine: {os.cpu_count()} cores; persons: {args.persons:,}; out: {out}")
    with measure() as gen:
        summary = generate_world(WorldParams(persons=args.persons, seed=args.seed), out)
    print(
        f"generate: {gen.seconds:.1f} s, {args.persons / gen.seconds:,.0f} persons/s, "
        f"{summary.total_records / gen.seconds:,.0f} records/s, peak RSS {gen.peak_rss_mb:,.0f} MB, "
        f"{summary.total_records:,} records"
    )
    for name, rows in summary.records.items():
        print(f"  {name:<22} {rows:>12,}")
    if args.no_ingest:
        return
    settings = Settings(home=out / ".immos-bench")
    with measure() as ing, store_session(settings) as store:
        report = ingest_directory(
            make_context("benchmark", "data_management"),
            store,
            out,
            catalog=default_catalog(),
            batch_rows=settings.ingest_batch_rows,
        )
        loaded = sum(storage.record_counts(store, default_catalog()).values())
    print(
        f"ingest:   {ing.seconds:.1f} s, {loaded / ing.seconds:,.0f} records/s, peak RSS {ing.peak_rss_mb:,.0f} MB, "
        f"{loaded:,} loaded, {report.total('quarantined'):,} quarantined, {len(report.rejected)} files rejected"
    )


if __name__ == "__main__":
    main()
