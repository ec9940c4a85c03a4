"""All SQL of the lifecycle's durable tables: events per person, derived statuses, safeguard flags."""

from __future__ import annotations

from immigrationos.store.engine import Store, migration

EVENTS = "life_events"
STATUS = "life_status"
FLAGS = "life_flags"
IDENTITY = "life_identity"


@migration("lifecycle_001_tables")
def _tables(store: Store) -> None:
    store.execute(f"""CREATE TABLE {EVENTS} (person_id BIGINT, event_date DATE, kind VARCHAR, code VARCHAR,
        until DATE, detail VARCHAR, source VARCHAR, record_id VARCHAR, rec VARCHAR)""")
    store.execute(f"""CREATE TABLE {STATUS} (person_id BIGINT PRIMARY KEY, as_of DATE NOT NULL,
        status VARCHAR NOT NULL, rule VARCHAR, rules_version VARCHAR NOT NULL, evidence VARCHAR[],
        status_without_citizenship VARCHAR, derived_at TIMESTAMPTZ DEFAULT now())""")
    store.execute(f"""CREATE TABLE {FLAGS} (person_id BIGINT NOT NULL, flag VARCHAR NOT NULL,
        detail VARCHAR NOT NULL, as_of DATE NOT NULL)""")
    store.execute("""CREATE TABLE life_runs (run_id BIGINT PRIMARY KEY, as_of DATE, rules_version VARCHAR,
        persons BIGINT, events BIGINT, actor VARCHAR, purpose VARCHAR, finished_at TIMESTAMPTZ DEFAULT now())""")


def has_resolution(store: Store) -> bool:
    return bool(store.scalar("SELECT count(*) > 0 FROM res_membership"))


def next_run_id(store: Store) -> int:
    return int(store.scalar("SELECT coalesce(max(run_id), 0) + 1 FROM life_runs"))


@migration("lifecycle_002_identity")
def _identity(store: Store) -> None:
    """What each record says of the person's identity, stored by person so one person reads fast."""
    store.execute(
        f"CREATE TABLE {IDENTITY} (person_id BIGINT, rec VARCHAR, dob DATE, sex VARCHAR, country VARCHAR)"
    )
