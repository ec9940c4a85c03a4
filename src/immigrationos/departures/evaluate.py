"""The ``departures`` section of ``immos evaluate``: cases, confirmations and payments against the truth.

A case is judged by the true person who made its registrations (the generator's record-to-person
truth), so a wrong match shows up as a confirmation or payment for somebody who did not leave.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from immigrationos.departures.ledger import reconcile
from immigrationos.departures.models import DeparturePolicy
from immigrationos.departures.storage import CASES, TXNS
from immigrationos.store.engine import Store

JUDGED = "eval_dep_cases"


def _judge(store: Store, ground_truth: Path) -> None:
    store.execute(f"""
        CREATE OR REPLACE TEMP TABLE {JUDGED} AS
        WITH regs AS (SELECT c.case_id, unnest(c.registration_ids) AS registration_id FROM {CASES} c),
             owners AS (SELECT regs.case_id, t.person_id AS truth, count(*) AS n
                        FROM regs JOIN src_self_departure_app a ON a.registration_id = regs.registration_id
                        JOIN read_parquet('{ground_truth / "records.parquet"}') t
                          ON t.source = 'self_departure_app' AND t.record_id = a.record_id
                        GROUP BY ALL)
        SELECT c.*, o.truth FROM {CASES} c
        LEFT JOIN (SELECT case_id, arg_max(truth, n) AS truth FROM owners GROUP BY case_id) o USING (case_id)""")


def departures_quality(store: Store, ground_truth: Path, policy: DeparturePolicy) -> dict[str, Any]:
    _judge(store, ground_truth)
    persons = f"read_parquet('{ground_truth / 'persons.parquet'}')"
    confirms = ", ".join(f"'{g.value}'" for g in policy.confirms_departure)
    row = store.rows(f"""
        WITH truth AS (SELECT * FROM {persons} WHERE sd_registered IS NOT NULL),
             cases AS (SELECT j.*, j.evidence_grade IN ({confirms}) AS confirmed FROM {JUDGED} j WHERE state <> 'closed' OR closed_reason NOT LIKE 'merged%')
        SELECT (SELECT count(*) FROM truth),
               (SELECT count(*) FROM cases),
               (SELECT count(*) FROM truth WHERE person_id NOT IN (SELECT truth FROM cases WHERE truth IS NOT NULL)),
               (SELECT count(*) FROM (SELECT truth FROM cases GROUP BY truth HAVING count(*) > 1)),
               (SELECT count(*) FROM truth WHERE sd_departed),
               (SELECT count(*) FROM truth t WHERE sd_departed AND t.person_id IN (SELECT truth FROM cases WHERE confirmed)),
               (SELECT count(*) FROM cases c JOIN truth t ON t.person_id = c.truth WHERE c.confirmed AND NOT t.sd_departed),
               (SELECT count(*) FROM {TXNS} x JOIN cases c USING (case_id) LEFT JOIN truth t ON t.person_id = c.truth
                WHERE x.kind = 'stipend' AND NOT coalesce(t.sd_departed, false)),
               (SELECT count(*) FROM {TXNS} WHERE kind = 'stipend'),
               (SELECT count(*) FROM truth WHERE sd_lawful),
               (SELECT count(*) FROM cases WHERE flag_reason IS NOT NULL),
               (SELECT count(*) FROM cases c JOIN truth t ON t.person_id = c.truth WHERE c.flag_reason IS NOT NULL AND t.sd_lawful),
               (SELECT count(*) FROM truth WHERE sd_reentry_date IS NOT NULL),
               (SELECT count(*) FROM cases c JOIN truth t ON t.person_id = c.truth WHERE c.state = 'reentered' AND t.sd_reentry_date IS NOT NULL),
               (SELECT count(*) FROM cases WHERE state = 'reentered'),
               (SELECT count(*) FROM truth WHERE sd_withdrawn_date IS NOT NULL),
               (SELECT count(*) FROM cases c JOIN truth t ON t.person_id = c.truth WHERE c.withdrawn AND t.sd_withdrawn_date IS NOT NULL),
               (SELECT count(*) FROM cases WHERE withdrawn),
               (SELECT count(*) FROM truth WHERE NOT sd_departed AND sd_withdrawn_date IS NULL AND NOT sd_lawful),
               (SELECT count(*) FROM cases WHERE state = 'overdue'),
               (SELECT count(*) FROM cases WHERE matched_by LIKE 'departure corroboration%'),
               (SELECT count(*) FROM cases c
                JOIN read_parquet('{ground_truth / "records.parquet"}') t ON t.source || ':' || t.record_id = c.matched_rec
                WHERE c.matched_by LIKE 'departure corroboration%' AND t.person_id = c.truth)""")[0]
    (
        registrants,
        cases,
        without_case,
        split,
        departed,
        confirmed,
        false_conf,
        unearned,
        stipends,
        lawful,
        flagged,
        flagged_right,
        reentered,
        reentered_right,
        reentered_cases,
        withdrawn,
        withdrawn_right,
        withdrawn_cases,
        stayed,
        overdue,
        corroborated,
        corroborated_right,
    ) = (int(x or 0) for x in row)
    books = reconcile(store, policy)
    return {
        "policy_version": policy.version,
        "true_registrants": registrants,
        "cases": cases,
        "registrants_without_case": without_case,
        "registrants_split_over_cases": split,
        "truly_departed": departed,
        "truly_departed_confirmed": confirmed,
        "truly_departed_unconfirmed": departed - confirmed,
        "false_confirmations": false_conf,
        "stipends_paid": stipends,
        "unearned_payments": unearned,
        "ledger_balanced": books["balanced"],
        "payments_with_issues": len(books["payments_with_issues"]),
        "persons_paid_twice": len(books["persons_paid_twice"]),
        "lawful_registrants": lawful,
        "flagged": flagged,
        "flagged_correctly": flagged_right,
        "reentered": {"true": reentered, "cases": reentered_cases, "correct": reentered_right},
        "withdrawn": {"true": withdrawn, "cases": withdrawn_cases, "correct": withdrawn_right},
        "stayed_without_withdrawing": stayed,
        "overdue_cases": overdue,
        "matched_by_departure": {"cases": corroborated, "correct": corroborated_right},
    }
