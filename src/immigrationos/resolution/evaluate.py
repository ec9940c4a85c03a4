"""Resolution quality against the generator's ground truth: pairwise precision, recall and F1, B-cubed,
per source pair and on the ambiguous slice (persons sharing full name and birth date with another).

Pairs are counted, never listed: each (predicted person, true person) group of k records holds
k(k-1)/2 true-positive pairs, so a world of millions of records is evaluated in a few SQL statements.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from immigrationos.store.engine import Store

TRUTH = "eval_truth"


def load_truth(store: Store, ground_truth: Path, assignment: str) -> None:
    """Join the ground truth to an assignment table (rec, person) as eval_truth (rec, source, pred, truth)."""
    records = ground_truth / "records.parquet"
    store.execute(f"""
        CREATE OR REPLACE TEMP TABLE {TRUTH} AS
        SELECT a.rec, t.source, a.person AS pred, t.person_id AS truth
        FROM {assignment} a JOIN read_parquet('{records}') t ON a.rec = t.source || ':' || t.record_id""")


def _pairs(store: Store, where: str = "") -> dict[str, float]:
    row = store.rows(f"""
        WITH base AS (SELECT * FROM {TRUTH} {where}),
             g AS (SELECT pred, truth, count(*) AS k FROM base GROUP BY ALL),
             p AS (SELECT pred, sum(k) AS k FROM g GROUP BY 1),
             t AS (SELECT truth, sum(k) AS k FROM g GROUP BY 1)
        SELECT (SELECT sum(k * (k - 1) / 2) FROM g), (SELECT sum(k * (k - 1) / 2) FROM p),
               (SELECT sum(k * (k - 1) / 2) FROM t)""")[0]
    tp, predicted, true = (float(x or 0) for x in row)
    precision = tp / predicted if predicted else 1.0
    recall = tp / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 5),
        "recall": round(recall, 5),
        "f1": round(f1, 5),
        "true_pairs": int(true),
        "predicted_pairs": int(predicted),
        "true_positive_pairs": int(tp),
    }


def _bcubed(store: Store) -> dict[str, float]:
    row = store.rows(f"""
        WITH g AS (SELECT pred, truth, count(*) AS k FROM {TRUTH} GROUP BY ALL),
             p AS (SELECT pred, sum(k) AS n FROM g GROUP BY 1), t AS (SELECT truth, sum(k) AS n FROM g GROUP BY 1)
        SELECT sum(g.k * g.k / p.n) / sum(g.k), sum(g.k * g.k / t.n) / sum(g.k)
        FROM g JOIN p USING (pred) JOIN t USING (truth)""")[0]
    precision, recall = float(row[0]), float(row[1])
    return {
        "precision": round(precision, 5),
        "recall": round(recall, 5),
        "f1": round(2 * precision * recall / (precision + recall), 5),
    }


def _per_source_pair(store: Store) -> dict[str, dict[str, float]]:
    rows = store.rows(f"""
        WITH g AS (SELECT pred, truth, source, count(*) AS k FROM {TRUTH} GROUP BY ALL),
             pairs AS (
                SELECT a.source AS s1, b.source AS s2,
                       sum(CASE WHEN a.truth = b.truth THEN (CASE WHEN a.source = b.source THEN a.k * (a.k - 1) / 2 ELSE a.k * b.k END) END) AS tp,
                       sum(CASE WHEN a.source = b.source AND a.truth = b.truth THEN a.k * (a.k - 1) / 2
                                WHEN a.source = b.source THEN a.k * b.k / 2 ELSE a.k * b.k END) AS predicted
                FROM g a JOIN g b ON a.pred = b.pred AND a.source <= b.source GROUP BY ALL),
             t AS (SELECT truth, source, count(*) AS k FROM {TRUTH} GROUP BY ALL),
             truepairs AS (
                SELECT a.source AS s1, b.source AS s2,
                       sum(CASE WHEN a.source = b.source THEN a.k * (a.k - 1) / 2 ELSE a.k * b.k END) AS tru
                FROM t a JOIN t b ON a.truth = b.truth AND a.source <= b.source GROUP BY ALL)
        SELECT coalesce(p.s1, t.s1), coalesce(p.s2, t.s2), coalesce(p.tp, 0), coalesce(p.predicted, 0), coalesce(t.tru, 0)
        FROM pairs p FULL JOIN truepairs t ON p.s1 = t.s1 AND p.s2 = t.s2 ORDER BY 1, 2""")
    out = {}
    for s1, s2, tp, predicted, true in rows:
        tp, predicted, true = float(tp), float(predicted), float(true)
        if predicted == 0 and true == 0:
            continue
        out[f"{s1}~{s2}"] = {
            "precision": round(tp / predicted, 5) if predicted else 1.0,
            "recall": round(tp / true, 5) if true else 1.0,
            "true_pairs": int(true),
            "predicted_pairs": int(predicted),
        }
    return out


def _conflicting_clusters(store: Store) -> int:
    """Predicted persons that hold two true persons whose A-numbers, FINs or SSNs differ (target: 0)."""
    checks = " UNION ALL ".join(
        f"SELECT t.pred FROM {TRUTH} t JOIN res_records r USING (rec) WHERE r.{kind} IS NOT NULL "
        f"GROUP BY t.pred HAVING count(DISTINCT t.truth) > 1 AND count(DISTINCT r.{kind}) > 1"
        for kind in ("a_number", "fin", "ssn")
    )
    return int(store.scalar(f"SELECT count(DISTINCT pred) FROM ({checks})"))


def resolution_quality(store: Store, ground_truth: Path, assignment: str) -> dict[str, Any]:
    """The `resolution` section of `immos evaluate`."""
    load_truth(store, ground_truth, assignment)
    persons = ground_truth / "persons.parquet"
    ambiguous = (
        f"WHERE truth IN (SELECT person_id FROM (SELECT person_id, count(*) OVER "
        f"(PARTITION BY given, family, doc_dob) AS n FROM read_parquet('{persons}')) WHERE n > 1)"
    )
    merged_ids = store.scalar(f"""
        SELECT count(*) FROM (SELECT pred FROM {TRUTH} GROUP BY pred HAVING count(DISTINCT truth) > 1)""")
    return {
        "clusters_joining_different_strong_identifiers": _conflicting_clusters(store),
        "records": int(store.scalar(f"SELECT count(*) FROM {TRUTH}")),
        "predicted_persons": int(store.scalar(f"SELECT count(DISTINCT pred) FROM {TRUTH}")),
        "true_persons": int(store.scalar(f"SELECT count(DISTINCT truth) FROM {TRUTH}")),
        "pairwise": _pairs(store),
        "bcubed": _bcubed(store),
        "ambiguous_slice": _pairs(store, ambiguous),
        "clusters_with_several_true_persons": int(merged_ids),
        "per_source_pair": _per_source_pair(store),
    }


def stored_resolution_quality(store: Store, ground_truth: Path) -> dict[str, Any]:
    """The ``resolution`` section for the persons stored by the last resolution run."""
    store.execute(
        "CREATE OR REPLACE TEMP TABLE _assignment AS SELECT rec, person_id AS person FROM res_membership"
    )
    return resolution_quality(store, ground_truth, "_assignment")
