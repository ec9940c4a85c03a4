"""The programme's money: an append-only, double-entry ledger of travel costs and stipends.

Every transaction is two entries that balance (an expense debited, the programme's funds credited), is
keyed by an idempotency key (a stipend's is its case: paid at most once, whoever asks how often), and
names the evidence it rests on. Reconciliation ties every stipend to a confirmation that still stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from immigrationos.context import RequestContext
from immigrationos.departures.models import DeparturePolicy
from immigrationos.departures.storage import CASES, EFFECTIVE_PERSON_SQL, ENTRIES, TXNS
from immigrationos.store.engine import Store

FUNDS = "assets:programme_funds"
EXPENSE = {"stipend": "expense:stipends", "travel": "expense:travel"}


@dataclass(frozen=True)
class Posted:
    txn_id: int
    created: bool  # False: the idempotency key was already posted, nothing new was written


def post(
    ctx: RequestContext,
    store: Store,
    policy: DeparturePolicy,
    *,
    key: str,
    case_id: int,
    kind: str,
    amount: Decimal,
    evidence_rec: str | None = None,
    evidence_grade: str | None = None,
    memo: str | None = None,
) -> Posted:
    """Post a balanced transaction once; a second call with the same key returns the first."""
    existing = store.rows(f"SELECT txn_id FROM {TXNS} WHERE idempotency_key = ?", [key])
    if existing:
        return Posted(int(existing[0][0]), created=False)
    txn = int(store.scalar("SELECT nextval('dep_txn_ids')"))
    store.execute(
        f"""INSERT INTO {TXNS} (txn_id, idempotency_key, case_id, kind, amount, currency, evidence_rec,
            evidence_grade, policy_version, actor, purpose, memo) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            txn,
            key,
            case_id,
            kind,
            amount,
            policy.currency,
            evidence_rec,
            evidence_grade,
            policy.version,
            ctx.actor.user,
            ctx.purpose.value,
            memo,
        ],
    )
    store.execute(
        f"INSERT INTO {ENTRIES} VALUES (?, ?, ?, 0), (?, ?, 0, ?)",
        [txn, EXPENSE[kind], amount, txn, FUNDS, amount],
    )
    return Posted(txn, created=True)


def balances(store: Store) -> dict[str, Decimal]:
    return {
        str(account): Decimal(debit) - Decimal(credit)
        for account, debit, credit in store.rows(
            f"SELECT account, sum(debit), sum(credit) FROM {ENTRIES} GROUP BY 1 ORDER BY 1"
        )
    }


def reconcile(store: Store, policy: DeparturePolicy) -> dict[str, Any]:
    """Every stipend tied to its case and to a confirmation that still stands; the books balance."""
    unbalanced = store.rows(
        f"""SELECT txn_id FROM {ENTRIES} GROUP BY txn_id HAVING sum(debit) <> sum(credit)"""
    )
    totals = store.rows(f"SELECT coalesce(sum(debit), 0), coalesce(sum(credit), 0) FROM {ENTRIES}")[0]
    twice = store.rows(
        f"SELECT case_id, count(*) FROM {TXNS} WHERE kind = 'stipend' GROUP BY 1 HAVING count(*) > 1"
    )
    persons_twice = store.rows(
        f"""WITH person AS ({EFFECTIVE_PERSON_SQL})
            SELECT p.person FROM {TXNS} t JOIN person p USING (case_id) WHERE t.kind = 'stipend'
            GROUP BY p.person HAVING count(DISTINCT t.case_id) > 1 ORDER BY 1"""
    )
    confirms = ", ".join(f"'{g.value}'" for g in policy.releases_stipend)
    payments = store.rows(f"""
        SELECT t.txn_id, t.case_id, t.amount, t.evidence_rec, t.evidence_grade, c.person_id,
               m.person_id AS evidence_person, t.evidence_grade IN ({confirms}) AS grade_releases,
               matched.person_id AS matched_person
        FROM {TXNS} t JOIN {CASES} c USING (case_id) LEFT JOIN res_membership m ON m.rec = t.evidence_rec
        LEFT JOIN res_membership matched ON matched.rec = c.matched_rec
        WHERE t.kind = 'stipend' ORDER BY t.txn_id""")
    issues = []
    for txn, case, amount, rec, grade, person, evidence_person, releases, matched_person in payments:
        problem = None
        if rec is None:
            problem = "no confirmation record"
        elif evidence_person is None:
            problem = f"confirmation {rec} is no longer in the store"
        elif evidence_person not in (person, matched_person):
            matched = f" or its matched {matched_person}" if matched_person is not None else ""
            problem = f"confirmation {rec} now belongs to person {evidence_person}, not the case's {person}{matched}"
        elif not releases:
            problem = f"evidence grade {grade} does not release a stipend under policy {policy.version}"
        if problem:
            issues.append({"txn_id": txn, "case_id": case, "amount": str(amount), "problem": problem})
    return {
        "balanced": not unbalanced and totals[0] == totals[1],
        "debits": str(totals[0]),
        "credits": str(totals[1]),
        "stipends": len(payments),
        "cases_paid_twice": [int(c) for c, _n in twice],
        "persons_paid_twice": [int(p) for (p,) in persons_twice],
        "payments_with_issues": issues,
        "reentered_after_payment": [
            int(c)
            for (c,) in store.rows(
                f"SELECT DISTINCT t.case_id FROM {TXNS} t JOIN {CASES} c USING (case_id) WHERE t.kind = 'stipend' AND c.state = 'reentered'"
            )
        ],
    }
