"""Benchmark: what the audit log costs a read-heavy workload (person views), on a resolved world.

    python benchmarks/audit.py [--work DIR] [--views 300] [--rounds 3]

Times the same sample of person views three ways: the bare read; the read masked for the reader
(access control); and the full service (masked, then the audit entry written before the view is
returned). Logging's cost is the last against the second. Then signs and verifies the log.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import time
from pathlib import Path

from immigrationos.access.masking import mask_view
from immigrationos.access.policy import default_policy as access_policy
from immigrationos.audit.log import checkpoint, signing_key, verify
from immigrationos.context import make_context
from immigrationos.errors import AccessDeniedError
from immigrationos.lifecycle.pipeline import run_lifecycle
from immigrationos.lifecycle.rules import default_events, default_rules
from immigrationos.lifecycle.timeline import person_lifecycle, view_person
from immigrationos.redress.service import statements
from immigrationos.sources.catalog import default_catalog
from immigrationos.store.engine import store_session
from immigrationos.synth.world import world_as_of
from lifecycle import prepare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/immos-bench-1m"))
    parser.add_argument("--views", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    settings = prepare(args.work, args.persons)
    as_of = world_as_of(args.work / "world")
    catalog, events, rules = default_catalog(), default_events(), default_rules()
    ctx = make_context("benchmark-analyst", "enforcement", roles=frozenset({"analyst"}))
    with store_session(settings) as store:
        if not store.scalar("SELECT count(*) FROM life_status"):
            run_lifecycle(make_context("benchmark", "data_management"), store, catalog=catalog, as_of=as_of)
        persons = [int(p) for (p,) in store.rows("SELECT person_id FROM life_status")]
        sample = random.Random(7).sample(persons, args.views)
        for person in sample[:20]:  # warm the caches for every variant alike
            person_lifecycle(store, person, catalog=catalog, events=events, rules=rules, as_of=as_of)

        def bare(person: int) -> None:
            person_lifecycle(store, person, catalog=catalog, events=events, rules=rules, as_of=as_of)

        def masked(person: int) -> None:
            full = person_lifecycle(store, person, catalog=catalog, events=events, rules=rules, as_of=as_of)
            mask_view(access_policy(), ctx, full)
            statements(store, person)

        def audited(person: int) -> None:
            with contextlib.suppress(AccessDeniedError):  # nothing this reader may see: denied, and logged
                view_person(ctx, store, person, catalog=catalog, events=events, rules=rules, as_of=as_of)

        variants = {"bare": bare, "masked": masked, "masked and audited": audited}
        totals = dict.fromkeys(variants, 0.0)
        # Each person is read every way in turn, the order turned each time, so caches and drift favour
        # no variant: the difference is what the variant itself costs.
        for round_ in range(args.rounds):
            for i, person in enumerate(sample):
                for name in sorted(variants, reverse=bool((round_ + i) % 2)):
                    start = time.perf_counter()
                    variants[name](person)
                    totals[name] += time.perf_counter() - start
        views = args.views * args.rounds
        print(
            f"machine: {os.cpu_count()} cores; {args.views} persons x {args.rounds} rounds, each read three ways: "
            + ", ".join(f"{name} {views / t:.1f} views/s" for name, t in totals.items())
        )
        cost = totals["masked and audited"] - totals["masked"]
        print(
            f"logging costs {100 * cost / totals['masked']:.1f}% of the throughput "
            f"({1000 * cost / views:.2f} ms per entry)"
        )
        key = signing_key(settings.home)
        start = time.perf_counter()
        size, _root = checkpoint(store, key)
        result = verify(store, key.public_key())
        print(
            f"checkpoint and verify of {size:,} entries: {time.perf_counter() - start:.2f} s, ok={result.ok}"
        )


if __name__ == "__main__":
    main()
