"""All SQL of the redress domain: contests filed by or for a person, and what was decided."""

from __future__ import annotations

from immigrationos.store.engine import Store, migration

CONTESTS = "red_contests"


@migration("redress_001_contests")
def _tables(store: Store) -> None:
    store.execute("CREATE SEQUENCE IF NOT EXISTS red_contest_ids START 1")
    store.execute(f"""CREATE TABLE {CONTESTS} (contest_id BIGINT PRIMARY KEY, person_id BIGINT NOT NULL,
        subject VARCHAR NOT NULL, reference VARCHAR NOT NULL, statement VARCHAR NOT NULL, filed_by VARCHAR NOT NULL,
        filed_at TIMESTAMPTZ DEFAULT now(), state VARCHAR NOT NULL DEFAULT 'open', decided_by VARCHAR,
        decided_at TIMESTAMPTZ, decision_reason VARCHAR, correction VARCHAR, notified VARCHAR[])""")
