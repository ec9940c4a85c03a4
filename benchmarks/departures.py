"""Benchmark: self-departure cases on a resolved world, and a day's feed through the whole flow.

    python benchmarks/departures.py --persons 1000000 [--work DIR] [--feed 10000]

Reuses (or makes) the generated, ingested and resolved world of ``benchmarks/lifecycle.py``. Prints:
the first sync of every registrant's case, payments, the quality against the ground truth (truly
departed confirmed, false confirmations, unearned payments, ledger balance), then the time to process a
day's feed of registrations and exit records (ingest, incremental resolution, lifecycle, cases).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from _measure import measure
from immigrationos.config import Settings
from immigrationos.context import make_context
from immigrationos.departures.cases import sync_cases
from immigrationos.departures.evaluate import departures_quality
from immigrationos.departures.intake import process_feed
from immigrationos.departures.models import default_policy
from immigrationos.departures.report import metrics
from immigrationos.departures.workflow import pay_all_due
from immigrationos.lifecycle.pipeline import run_lifecycle
from immigrationos.sources.catalog import default_catalog
from immigrationos.store.engine import Store, store_session
from immigrationos.synth.world import world_as_of
from lifecycle import prepare

OFFICER = make_context("benchmark-officer", "departure_assistance")


def day_feed(store: Store, folder: Path, size: int, as_of: object, day_no: int) -> list[Path]:
    """Registrations (60%) by overstayers not yet registered, and exit records (40%) for some of them,
    with the identity their arrival record gives (as a real registrant types it)."""
    registrations = int(size * 0.6)
    arrivals = store.conn.execute(
        """SELECT DISTINCT ON (m.person_id) a.given_name, a.family_name, a.dob, a.sex, a.passport_number,
                  a.passport_country, a.citizenship_country
           FROM src_cbp_i94 a JOIN res_membership m ON m.rec = 'cbp_i94:' || a.record_id
           JOIN life_status s USING (person_id)
           WHERE s.status IN ('overstay', 'in_removal_proceedings', 'final_order') AND a.passport_number IS NOT NULL
           ORDER BY hash(m.person_id + ?) LIMIT ?""",
        [day_no, registrations],
    ).to_arrow_table()
    n = arrivals.num_rows
    day = as_of
    app = {
        "record_id": [f"FEED{day_no}-R-{i:07d}" for i in range(n)],
        "registration_id": [f"SD-FEED{day_no}-{i:07d}" for i in range(n)],
        "event_type": ["REGISTERED"] * n,
        "event_date": [day - timedelta(days=1)] * n,  # type: ignore[operator]
        "planned_departure_date": [day] * n,
        "destination_country": arrivals["passport_country"].to_pylist(),
    }
    for col in ("given_name", "family_name", "dob", "sex", "passport_number", "passport_country"):
        app[col] = arrivals[col].to_pylist()
    exits = size - n
    cbp = {
        "record_id": [f"FEED{day_no}-X-{i:07d}" for i in range(exits)],
        "event_type": ["DEPARTURE"] * exits,
        "event_date": [day] * exits,
        "travel_mode": ["AIR"] * exits,
    }
    for col in (
        "given_name",
        "family_name",
        "dob",
        "sex",
        "passport_number",
        "passport_country",
        "citizenship_country",
    ):
        cbp[col] = arrivals[col].to_pylist()[:exits]
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"self_departure_app-feed{day_no}.parquet", folder / f"cbp_i94-feed{day_no}.parquet"]
    pq.write_table(pa.table(app), paths[0])
    pq.write_table(pa.table(cbp), paths[1])
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/immos-bench-1m"))
    parser.add_argument("--feed", type=int, default=10_000)
    args = parser.parse_args()
    settings = prepare(args.work, args.persons)
    as_of = world_as_of(args.work / "world")
    policy = default_policy()
    print(f"machine: {os.cpu_count()} cores; persons: {args.persons:,}; as of {as_of}")
    with store_session(settings) as store:
        if not store.scalar("SELECT count(*) FROM life_status"):
            run_lifecycle(
                make_context("benchmark", "data_management"), store, catalog=default_catalog(), as_of=as_of
            )
        with measure() as m:
            report = sync_cases(OFFICER, store, policy, as_of)
        print(
            f"first sync: {m.seconds:.1f} s, {report.cases:,} cases, {report.transitions:,} transitions; {report.states}"
        )
        with measure() as m:
            payments = pay_all_due(OFFICER, store, policy)
        print(f"payments: {len([p for p in payments if not p.already_paid]):,} stipends in {m.seconds:.1f} s")
        quality = departures_quality(store, args.work / "world" / "ground_truth", policy)
        print("quality:", json.dumps(quality))
        print("metrics:", json.dumps(metrics(store), default=str))
    # The day's feed runs on a copy: it adds registrations and exits the ground truth does not know, and
    # the other benchmarks measure the shared world against that truth.
    with tempfile.TemporaryDirectory() as tmp:
        copy = Settings(home=Path(tmp) / "home")
        shutil.copytree(settings.home, copy.home)
        with store_session(copy) as store:
            day_no = int(store.scalar("SELECT count(*) FROM ingest_files WHERE path LIKE '%-feed%'")) + 1
            files = day_feed(store, Path(tmp), args.feed, as_of, day_no)
            with measure() as m:
                feed = process_feed(
                    OFFICER, store, files, catalog=default_catalog(), policy=policy, as_of=as_of
                )
            attach = feed.attach
            assert attach is not None
            print(
                f"day's feed of {args.feed:,} records: {m.seconds:.1f} s, peak RSS {m.peak_rss_mb:,.0f} MB; "
                f"steps {feed.seconds}; {attach.attached:,} joined known persons, {attach.new_persons:,} new persons, "
                f"{attach.review_items:,} to review; cases now {feed.cases.states if feed.cases else {}}"
            )
            with measure() as m:
                again = sync_cases(OFFICER, store, policy, as_of)
            print(f"idle sync: {m.seconds:.2f} s, {again.transitions} transitions")


if __name__ == "__main__":
    main()
