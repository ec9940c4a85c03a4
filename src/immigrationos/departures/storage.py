"""All SQL of the departures domain's durable tables: cases, their transitions, and the ledger.

The ledger is append-only: this module offers inserts and reads, nothing that updates or deletes an
entry; a correction is a new, reversing transaction.
"""

from __future__ import annotations

from immigrationos.store.engine import Store, migration

CASES = "dep_cases"
TRANSITIONS = "dep_transitions"
TXNS = "dep_ledger_txns"
ENTRIES = "dep_ledger_entries"


@migration("departures_001_tables")
def _tables(store: Store) -> None:
    store.execute("CREATE SEQUENCE IF NOT EXISTS dep_case_ids START 1")
    store.execute("CREATE SEQUENCE IF NOT EXISTS dep_txn_ids START 1")
    store.execute(f"""CREATE TABLE {CASES} (
        case_id BIGINT PRIMARY KEY, person_id BIGINT NOT NULL, state VARCHAR NOT NULL,
        registration_ids VARCHAR[] NOT NULL, first_registered DATE, planned_departure DATE,
        match_confidence DOUBLE, match_basis VARCHAR, evidence_grade VARCHAR, evidence_rec VARCHAR,
        evidence_date DATE, confirmed_on DATE, reentered_on DATE, flag_reason VARCHAR, travel_arranged BOOLEAN DEFAULT false,
        withdrawn BOOLEAN DEFAULT false, officer_withdrawn BOOLEAN DEFAULT false, closed_reason VARCHAR, policy_version VARCHAR NOT NULL,
        updated_at TIMESTAMPTZ DEFAULT now())""")
    store.execute(f"""CREATE TABLE {TRANSITIONS} (
        case_id BIGINT NOT NULL, moved_at TIMESTAMPTZ DEFAULT now(), from_state VARCHAR, to_state VARCHAR NOT NULL,
        actor VARCHAR NOT NULL, purpose VARCHAR NOT NULL, reason VARCHAR NOT NULL, evidence_rec VARCHAR)""")
    store.execute(f"""CREATE TABLE {TXNS} (
        txn_id BIGINT PRIMARY KEY, idempotency_key VARCHAR NOT NULL UNIQUE, case_id BIGINT NOT NULL,
        kind VARCHAR NOT NULL CHECK (kind IN ('stipend', 'travel', 'reversal')), amount DECIMAL(12, 2) NOT NULL,
        currency VARCHAR NOT NULL, evidence_rec VARCHAR, evidence_grade VARCHAR, policy_version VARCHAR NOT NULL,
        actor VARCHAR NOT NULL, purpose VARCHAR NOT NULL, memo VARCHAR, posted_at TIMESTAMPTZ DEFAULT now())""")
    store.execute(f"""CREATE TABLE {ENTRIES} (
        txn_id BIGINT NOT NULL, account VARCHAR NOT NULL, debit DECIMAL(12, 2) NOT NULL DEFAULT 0,
        credit DECIMAL(12, 2) NOT NULL DEFAULT 0, CHECK (debit >= 0 AND credit >= 0))""")


@migration("departures_002_matched_record")
def _matched_record(store: Store) -> None:
    """A registration resolution could not tie to one person (its description is shared) may be matched
    to a record of the person it is: by an officer, or by the policy's departure corroboration."""
    for column, kind in (
        ("matched_rec", "VARCHAR"),
        ("matched_by", "VARCHAR"),
        ("matched_note", "VARCHAR"),
        ("matched_confidence", "DOUBLE"),
    ):
        store.execute(f"ALTER TABLE {CASES} ADD COLUMN {column} {kind}")


def case_state(store: Store, case_id: int) -> str | None:
    rows = store.rows(f"SELECT state FROM {CASES} WHERE case_id = ?", [case_id])
    return str(rows[0][0]) if rows else None


def record_transition(
    store: Store,
    case_id: int,
    from_state: str | None,
    to_state: str,
    *,
    actor: str,
    purpose: str,
    reason: str,
    evidence_rec: str | None = None,
) -> None:
    store.execute(
        f"INSERT INTO {TRANSITIONS} (case_id, from_state, to_state, actor, purpose, reason, evidence_rec) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [case_id, from_state, to_state, actor, purpose, reason, evidence_rec],
    )
    store.execute(f"UPDATE {CASES} SET state = ?, updated_at = now() WHERE case_id = ?", [to_state, case_id])


# (case_id, person): whom each case stands for, the person its registration was matched to if any.
EFFECTIVE_PERSON_SQL = f"""SELECT c.case_id, coalesce(m.person_id, c.person_id) AS person FROM {CASES} c
                            LEFT JOIN res_membership m ON m.rec = c.matched_rec"""
