"""Benchmark: derive every person's status, and read one person's lifecycle, on a resolved world.

    python benchmarks/lifecycle.py --persons 1000000 [--work DIR]

Reuses DIR/world and DIR/home when they exist (generate, ingest and resolve otherwise, and keep them
for the next benchmark). Prints the time and peak RSS of building events and deriving all statuses,
the status accuracy against the ground truth, and the latency of one person's full view (timeline,
status with reasons, history, conflicts, safeguards) over a sample of persons.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from datetime import date
from pathlib import Path

from _measure import measure
from immigrationos.access.agreements import ensure_standard_agreements
from immigrationos.config import Settings
from immigrationos.context import make_context
from immigrationos.lifecycle.evaluate import status_quality
from immigrationos.lifecycle.events import person_events
from immigrationos.lifecycle.pipeline import run_lifecycle
from immigrationos.lifecycle.rules import default_events, default_rules
from immigrationos.lifecycle.timeline import person_lifecycle
from immigrationos.resolution.pipeline import resolve
from immigrationos.sources.catalog import default_catalog
from immigrationos.sources.ingest import ingest_directory
from immigrationos.store.engine import store_session
from immigrationos.synth.params import WorldParams
from immigrationos.synth.world import generate_world, world_as_of


def prepare(work: Path, persons: int) -> Settings:
    """A generated, ingested and resolved world under ``work`` (made once, then reused)."""
    world, settings = work / "world", Settings(home=work / "home")
    ctx = make_context("benchmark", "data_management", roles=frozenset({"data_steward"}))
    if not (world / "manifest.json").exists():
        with measure() as m:
            generate_world(WorldParams(persons=persons), world)
        print(f"generate: {m.seconds:.1f} s")
    with store_session(settings) as store:
        if not store.scalar("SELECT count(*) FROM res_membership"):
            with measure() as m:
                ingest_directory(
                    ctx, store, world, catalog=default_catalog(), batch_rows=settings.ingest_batch_rows
                )
                ensure_standard_agreements(ctx, store, default_catalog(), date.today())
                resolve(ctx, store, catalog=default_catalog(), home=settings.home)
            print(f"ingest and resolve: {m.seconds:.1f} s")
    return settings


def percentile(values: list[float], p: float) -> float:
    return sorted(values)[min(len(values) - 1, int(p * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/immos-bench-1m"))
    parser.add_argument("--sample", type=int, default=300, help="persons whose view is timed")
    args = parser.parse_args()
    settings = prepare(args.work, args.persons)
    as_of = world_as_of(args.work / "world")
    print(f"machine: {os.cpu_count()} cores; persons: {args.persons:,}; as of {as_of}")
    catalog, events, rules = default_catalog(), default_events(), default_rules()
    with store_session(settings) as store:
        with measure() as m:
            report = run_lifecycle(
                make_context("benchmark", "data_management"), store, catalog=catalog, as_of=as_of
            )
        print(
            f"lifecycle (events + all statuses + safeguards): {m.seconds:.1f} s, peak RSS {m.peak_rss_mb:,.0f} MB; "
            f"{report.events:,} events, {report.persons:,} persons; steps {report.steps}"
        )
        print("statuses:", report.statuses)
        print("flags:", report.flags)
        with measure() as m:
            quality = status_quality(
                store,
                args.work / "world" / "ground_truth",
                catalog=catalog,
                events=events,
                rules=rules,
                as_of=as_of,
            )
        confusion = quality.pop("confusion")
        per_status = quality.pop("per_status")
        print(f"evaluate: {m.seconds:.1f} s;", json.dumps(quality))
        print("per status:", json.dumps(per_status))
        print(
            "confusion (true -> derived, off-diagonal):",
            json.dumps({t: {d: n for d, n in row.items() if d != t} for t, row in confusion.items()}),
        )
        persons = [int(p) for (p,) in store.rows("SELECT person_id FROM life_status")]
        sample = random.Random(1).sample(persons, min(args.sample, len(persons)))
        timeline_ms, view_ms = [], []
        for person in sample:
            start = time.perf_counter()
            person_events(store, person)
            timeline_ms.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            person_lifecycle(store, person, catalog=catalog, events=events, rules=rules, as_of=as_of)
            view_ms.append((time.perf_counter() - start) * 1000)
        for name, values in (("timeline (events)", timeline_ms), ("full person view", view_ms)):
            print(
                f"{name}: median {statistics.median(values):.1f} ms, p95 {percentile(values, 0.95):.1f} ms, "
                f"max {max(values):.1f} ms over {len(values)} persons"
            )


if __name__ == "__main__":
    main()
