"""Benchmark: what the audit log costs a read-heavy workload (person views), on a resolved world.

    python benchmarks/audit.py [--work DIR] [--views 300] [--rounds 5]

Times the same sample of person views three ways: the bare read; the read masked for the reader
(access control); and the full service (masked, then the audit entry written before the view is
returned). Logging's cost is the last against the second. Then signs and verifies the log.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
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
    parser.add_argument("--rounds", type=int, default=5)
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

        def bare() -> None:
            for person in sample:
                person_lifecycle(store, person, catalog=catalog, events=events, rules=rules, as_of=as_of)

        def masked() -> None:
            for person in sample:
                full = person_lifecycle(
                    store, person, catalog=catalog, events=events, rules=rules, as_of=as_of
                )
                mask_view(access_policy(), ctx, full)
                statements(store, person)

        def audited() -> None:
            for person in sample:
                with contextlib.suppress(
                    AccessDeniedError
                ):  # nothing this reader may see: denied, and logged
                    view_person(ctx, store, person, catalog=catalog, events=events, rules=rules, as_of=as_of)

        variants = {"bare": bare, "masked": masked, "masked and audited": audited}
        times: dict[str, list[float]] = {name: [] for name in variants}
        for round_ in range(args.rounds):  # interleaved, the order turned each round: drift hits all alike
            for name in sorted(variants, reverse=bool(round_ % 2)):
                start = time.perf_counter()
                variants[name]()
                times[name].append(time.perf_counter() - start)
        median = {name: statistics.median(t) for name, t in times.items()}
        print(
            f"machine: {os.cpu_count()} cores; {args.views} person views x {args.rounds} rounds (median): "
            + ", ".join(f"{name} {t:.2f} s ({args.views / t:.0f}/s)" for name, t in median.items())
        )
        cost = median["masked and audited"] - median["masked"]
        print(
            f"logging costs {100 * cost / median['masked']:.1f}% of the throughput "
            f"({1000 * cost / args.views:.2f} ms per entry)"
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
