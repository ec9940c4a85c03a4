"""Benchmark: what the audit log costs a read-heavy workload (person views), on a resolved world.

    python benchmarks/audit.py [--work DIR] [--views 300]

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
    args = parser.parse_args()
    settings = prepare(args.work, args.persons)
    as_of = world_as_of(args.work / "world")
    catalog, events, rules = default_catalog(), default_events(), default_rules()
    ctx = make_context("benchmark-analyst", "enforcement", roles=frozenset({"analyst"}))
    with store_session(settings) as store:
        persons = [int(p) for (p,) in store.rows("SELECT person_id FROM life_status")]
        sample = random.Random(7).sample(persons, args.views)
        for person in sample[:20]:  # warm the caches for both runs alike
            person_lifecycle(store, person, catalog=catalog, events=events, rules=rules, as_of=as_of)
        start = time.perf_counter()
        for person in sample:
            person_lifecycle(store, person, catalog=catalog, events=events, rules=rules, as_of=as_of)
        bare = time.perf_counter() - start
        start = time.perf_counter()
        for person in sample:
            full = person_lifecycle(store, person, catalog=catalog, events=events, rules=rules, as_of=as_of)
            mask_view(access_policy(), ctx, full)
            statements(store, person)
        masked = time.perf_counter() - start
        start = time.perf_counter()
        for person in sample:
            with contextlib.suppress(AccessDeniedError):  # nothing this reader may see: denied, and logged
                view_person(ctx, store, person, catalog=catalog, events=events, rules=rules, as_of=as_of)
        audited = time.perf_counter() - start
        print(
            f"machine: {os.cpu_count()} cores; {args.views} person views: bare {bare:.2f} s "
            f"({args.views / bare:.0f}/s), masked {masked:.2f} s ({args.views / masked:.0f}/s), "
            f"masked and audited {audited:.2f} s ({args.views / audited:.0f}/s); "
            f"logging costs {100 * (audited - masked) / masked:.1f}% of the throughput"
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
