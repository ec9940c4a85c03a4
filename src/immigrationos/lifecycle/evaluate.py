"""The ``status`` section of ``immos evaluate``: derived status against the generator's ground truth.

Each true person is judged by the resolved person holding most of their records. Accuracy is reported
over the true persons whose records were resolved exactly (one resolved person, holding nobody else),
because a status can only be as right as the records it reads; the confusion matrix covers everyone.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from immigrationos.lifecycle.events import build_events
from immigrationos.lifecycle.models import EventCatalog, RuleSet
from immigrationos.lifecycle.pipeline import derive_all
from immigrationos.lifecycle.storage import EVENTS
from immigrationos.sources.models import Catalog
from immigrationos.store.engine import Store

DERIVED = "eval_life_derived"
JUDGED = "eval_status"
CITIZENSHIP_EVENTS = "(kind IN ('NATURALIZED', 'US_BIRTH_RECORD') OR (kind = 'SSN_ISSUED' AND code = 'A'))"


def _judge(store: Store, ground_truth: Path) -> None:
    records, persons = ground_truth / "records.parquet", ground_truth / "persons.parquet"
    store.execute(f"""
        CREATE OR REPLACE TEMP TABLE {JUDGED} AS
        WITH pt AS (SELECT t.person_id AS truth, m.person_id AS pred, count(*) AS k
                    FROM read_parquet('{records}') t JOIN res_membership m ON m.rec = t.source || ':' || t.record_id
                    GROUP BY ALL),
             purity AS (SELECT pred, count(DISTINCT truth) AS n_truth FROM pt GROUP BY pred),
             per_truth AS (SELECT truth, count(*) AS n_pred, arg_max(pred, k * 1e12 - pred) AS pred FROM pt GROUP BY truth)
        SELECT p.person_id AS truth, p.status AS true_status, coalesce(d.status, 'no_records') AS derived,
               coalesce(per_truth.n_pred = 1 AND purity.n_truth = 1, false) AS resolved_exactly, per_truth.pred
        FROM read_parquet('{persons}') p LEFT JOIN per_truth ON per_truth.truth = p.person_id
        LEFT JOIN purity ON purity.pred = per_truth.pred
        LEFT JOIN {DERIVED} d ON d.person_id = per_truth.pred""")


def _accuracy(store: Store, where: str) -> tuple[int, int]:
    total, right = store.rows(
        f"SELECT count(*), count(*) FILTER (WHERE derived = true_status) FROM {JUDGED} {where}"
    )[0]
    return int(total), int(right or 0)


def _confusion(store: Store) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for true_status, derived, n in store.rows(
        f"SELECT true_status, derived, count(*) FROM {JUDGED} GROUP BY ALL ORDER BY ALL"
    ):
        out.setdefault(str(true_status), {})[str(derived)] = int(n)
    return out


def _per_status(store: Store) -> dict[str, dict[str, float]]:
    out = {}
    for status, tp, derived, true in store.rows(f"""
        WITH s AS (SELECT DISTINCT true_status AS status FROM {JUDGED} UNION SELECT DISTINCT derived FROM {JUDGED})
        SELECT s.status,
               (SELECT count(*) FROM {JUDGED} WHERE derived = s.status AND true_status = s.status),
               (SELECT count(*) FROM {JUDGED} WHERE derived = s.status),
               (SELECT count(*) FROM {JUDGED} WHERE true_status = s.status)
        FROM s ORDER BY 1"""):
        out[str(status)] = {
            "precision": round(tp / derived, 5) if derived else 1.0,
            "recall": round(tp / true, 5) if true else 1.0,
            "true": int(true),
            "derived": int(derived),
        }
    return out


def _citizens_missed(store: Store, ground_truth: Path) -> int:
    """True citizens with a citizenship record whose resolved person (holding that record) is not a citizen."""
    return int(
        store.scalar(f"""
        SELECT count(DISTINCT t.person_id)
        FROM read_parquet('{ground_truth / "records.parquet"}') t
        JOIN read_parquet('{ground_truth / "persons.parquet"}') p ON p.person_id = t.person_id AND p.status = 'us_citizen'
        JOIN {EVENTS} e ON e.rec = t.source || ':' || t.record_id AND {CITIZENSHIP_EVENTS}
        JOIN {DERIVED} d ON d.person_id = e.person_id
        WHERE d.status <> 'us_citizen'""")
    )


def status_quality(
    store: Store, ground_truth: Path, *, catalog: Catalog, events: EventCatalog, rules: RuleSet, as_of: date
) -> dict[str, Any]:
    """The ``status`` section: accuracy, the confusion matrix, per-status precision and recall."""
    build_events(store, catalog, events)
    derive_all(store, rules, as_of, table=DERIVED)
    _judge(store, ground_truth)
    exact_total, exact_right = _accuracy(store, "WHERE resolved_exactly")
    all_total, all_right = _accuracy(store, "")
    citizens, citizens_other = store.rows(
        f"SELECT count(*), count(*) FILTER (WHERE derived <> 'us_citizen') FROM {JUDGED} WHERE true_status = 'us_citizen'"
    )[0]
    return {
        "as_of": as_of.isoformat(),
        "rules_version": rules.version,
        "accuracy_resolved_exactly": round(exact_right / exact_total, 5) if exact_total else 1.0,
        "persons_resolved_exactly": exact_total,
        "accuracy_all_persons": round(all_right / all_total, 5) if all_total else 1.0,
        "persons": all_total,
        "citizens_with_citizenship_record_not_derived_citizen": _citizens_missed(store, ground_truth),
        "citizens_derived_other_than_citizen": int(citizens_other or 0),
        "true_citizens": int(citizens),
        "per_status": _per_status(store),
        "confusion": _confusion(store),
    }
