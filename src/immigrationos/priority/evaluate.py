"""The ``worklist`` section of ``immos evaluate``: entries and categories against the ground truth.

Each entry is judged by the true person owning most of its person's records. ``wrongly_included``
counts entries of true citizens, protected LPRs (no conviction) and persons with a pending protective
case; it is reported for entries past the candidate step (target 0) and at the candidate step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from immigrationos.priority.models import PriorityPolicy
from immigrationos.priority.storage import ENTRIES
from immigrationos.store.engine import Store

JUDGED = "eval_pri"
TRUTH_FLAGS = {
    "criminal_organization": "criminal_org",
    "violent_conviction": "violent_conviction",
    "final_order": "final_order",
    "overstay": "overstay",
}
WRONG = "(t.citizen OR (t.lpr AND coalesce(t.crim_kind, '') <> 'convicted') OR t.pending_protection)"


def _owners(store: Store, ground_truth: Path) -> None:
    store.execute(f"""
        CREATE OR REPLACE TEMP TABLE eval_pri_owner AS
        SELECT person_id, arg_max(truth, n) AS truth FROM (
            SELECT m.person_id, t.person_id AS truth, count(*) AS n FROM res_membership m
            JOIN read_parquet('{ground_truth / "records.parquet"}') t ON m.rec = t.source || ':' || t.record_id
            GROUP BY ALL)
        GROUP BY person_id""")


def worklist_quality(store: Store, ground_truth: Path, policy: PriorityPolicy) -> dict[str, Any]:
    _owners(store, ground_truth)
    persons = f"read_parquet('{ground_truth / 'persons.parquet'}')"
    store.execute(f"""
        CREATE OR REPLACE TEMP TABLE {JUDGED} AS
        SELECT e.entry_id, e.state, e.categories, t.* FROM {ENTRIES} e JOIN eval_pri_owner o ON o.person_id = e.person_id
        JOIN {persons} t ON t.person_id = o.truth""")
    past = "state IN ('identity_verified', 'notice_recorded', 'contested', 'actionable')"
    open_ = "state IN ('identity_queue', 'candidate', 'identity_verified', 'notice_recorded', 'contested', 'actionable')"
    wrong_past, wrong_candidates, wrong_queued, entries = store.rows(f"""
        SELECT count(*) FILTER (WHERE {past} AND {WRONG}), count(*) FILTER (WHERE state = 'candidate' AND {WRONG}),
               count(*) FILTER (WHERE state = 'identity_queue' AND {WRONG}), count(*) FILTER (WHERE {open_})
        FROM {JUDGED} t""")[0]
    breakdown = {
        name: int(store.scalar(f"SELECT count(*) FROM {JUDGED} t WHERE {open_} AND ({cond})"))
        for name, cond in (
            ("true_citizens", "t.citizen"),
            ("protected_lprs", "t.lpr AND coalesce(t.crim_kind, '') <> 'convicted'"),
            ("pending_protection", "t.pending_protection"),
        )
    }
    categories = {}
    for category, flag in TRUTH_FLAGS.items():
        tp, predicted = store.rows(
            f"SELECT count(*) FILTER (WHERE {flag}), count(*) FROM {JUDGED} t WHERE {open_} AND list_contains(categories, '{category}')"
        )[0]
        true = int(
            store.scalar(f"""SELECT count(*) FROM {persons} t WHERE {flag} AND NOT {WRONG}
                                   AND NOT t.minor AND t.status NOT IN ('departed', 'removed', 'in_removal_proceedings')""")
        )
        categories[category] = {
            "precision": round(tp / predicted, 5) if predicted else 1.0,
            "recall": round(tp / true, 5) if true else 1.0,
            "entries": int(predicted),
            "true_eligible": true,
        }
    return {
        "policy_version": policy.version,
        "open_entries": int(entries),
        "wrongly_included": int(wrong_past),
        "wrongly_included_at_candidate_step": int(wrong_candidates),
        "wrongly_included_in_identity_queue": int(wrong_queued),
        "wrongly_included_breakdown": breakdown,
        "categories": categories,
        "states": {
            str(s): int(n)
            for s, n in store.rows(f"SELECT state, count(*) FROM {ENTRIES} GROUP BY 1 ORDER BY 1")
        },
    }
