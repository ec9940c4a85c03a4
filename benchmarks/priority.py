"""Benchmark: build the priority worklist for a resolved world and measure it against the ground truth.

    python benchmarks/priority.py --persons 1000000 [--work DIR]

Reuses (or makes) the world of ``benchmarks/lifecycle.py``; derives the lifecycle first (so events and
statuses are current), then times the worklist build (everyone assessed: categories, safeguards,
identity queue, links relied on) and a second, idle build; prints the quality section.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from _measure import measure
from immigrationos.context import make_context
from immigrationos.lifecycle.pipeline import run_lifecycle
from immigrationos.priority.evaluate import worklist_quality
from immigrationos.priority.models import default_policy
from immigrationos.priority.worklist import build_worklist
from immigrationos.sources.catalog import default_catalog
from immigrationos.store.engine import store_session
from immigrationos.synth.world import world_as_of
from lifecycle import prepare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/immos-bench-1m"))
    args = parser.parse_args()
    settings = prepare(args.work, args.persons)
    as_of = world_as_of(args.work / "world")
    policy = default_policy()
    ctx = make_context("benchmark", "enforcement", roles=frozenset({"analyst"}))
    print(f"machine: {os.cpu_count()} cores; persons: {args.persons:,}; as of {as_of}")
    with store_session(settings) as store:
        with measure() as m:
            run_lifecycle(ctx, store, catalog=default_catalog(), as_of=as_of)
        print(f"lifecycle first: {m.seconds:.1f} s")
        with measure() as m:
            report = build_worklist(ctx, store, policy, as_of)
        print(
            f"worklist build: {m.seconds:.1f} s, peak RSS {m.peak_rss_mb:,.0f} MB; {report.assessed:,} persons in a "
            f"category; {report.created:,} entries; excluded {report.excluded}; states {report.states}"
        )
        with measure() as m:  # DuckDB writes the WAL into the database once it passes 16 MB: time it apart
            store.execute("CHECKPOINT")
        print(f"checkpoint after the build: {m.seconds:.1f} s")
        with measure() as m:
            again = build_worklist(ctx, store, policy, as_of)
        print(
            f"rebuild (nothing new): {m.seconds:.1f} s; created {again.created}, withdrawn {again.withdrawn}"
        )
        print("quality:", json.dumps(worklist_quality(store, args.work / "world" / "ground_truth", policy)))


if __name__ == "__main__":
    main()
