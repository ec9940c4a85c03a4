"""All SQL of the priority domain's durable tables: entries, their transitions, and who was excluded why."""

from __future__ import annotations

from immigrationos.store.engine import Store, migration

ENTRIES = "pri_entries"
TRANSITIONS = "pri_transitions"
EXCLUSIONS = "pri_exclusions"


@migration("priority_001_tables")
def _tables(store: Store) -> None:
    store.execute("CREATE SEQUENCE IF NOT EXISTS pri_entry_ids START 1")
    store.execute(f"""CREATE TABLE {ENTRIES} (
        entry_id BIGINT PRIMARY KEY, person_id BIGINT NOT NULL, state VARCHAR NOT NULL, tier INTEGER NOT NULL,
        score DOUBLE NOT NULL, categories VARCHAR[] NOT NULL, reasons VARCHAR[] NOT NULL, evidence VARCHAR[] NOT NULL,
        links VARCHAR[] NOT NULL, deprioritised VARCHAR, policy_version VARCHAR NOT NULL, as_of DATE NOT NULL,
        verified_by VARCHAR, notice_on DATE, contest_until DATE, created_at TIMESTAMPTZ DEFAULT now(),
        updated_at TIMESTAMPTZ DEFAULT now())""")
    store.execute(f"""CREATE TABLE {TRANSITIONS} (
        entry_id BIGINT NOT NULL, moved_at TIMESTAMPTZ DEFAULT now(), on_date DATE NOT NULL, from_state VARCHAR,
        to_state VARCHAR NOT NULL, actor VARCHAR NOT NULL, purpose VARCHAR NOT NULL, reason VARCHAR NOT NULL)""")
    store.execute(f"""CREATE TABLE {EXCLUSIONS} (person_id BIGINT NOT NULL, safeguard VARCHAR NOT NULL,
        reason VARCHAR NOT NULL, categories VARCHAR[] NOT NULL, policy_version VARCHAR NOT NULL, as_of DATE NOT NULL)""")
