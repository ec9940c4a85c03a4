"""Explanations: why two records are (or are not) one person, and what a person is made of.

Returned as plain data for the API; ``immos explain`` renders it. The probabilistic part is Splink's
own waterfall: each comparison's level and match weight (log2 Bayes factor), added to the prior.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, cast

from splink import DuckDBAPI, Linker

from immigrationos.access.labels import data_labels
from immigrationos.audit import log as audit
from immigrationos.context import RequestContext, require_context
from immigrationos.errors import ImmosError
from immigrationos.resolution.clustering import CONFLICT_KINDS
from immigrationos.resolution.records import RECORDS, ROLE_COLUMNS
from immigrationos.resolution.storage import drop_splink_tables
from immigrationos.sources.catalog import default_catalog
from immigrationos.store.engine import Store

IDENTIFIERS = (*CONFLICT_KINDS, "itin", "local_key")


class ExplainError(ImmosError):
    """An explanation was asked for records or persons the store does not hold."""


def _record(store: Store, rec: str) -> dict[str, Any]:
    cur = store.execute(f"SELECT * FROM {RECORDS} WHERE rec = ?", [rec])
    cols = [d[0] for d in cur.description or []]
    rows = cur.fetchall()
    if not rows:
        raise ExplainError(
            f"no record {rec!r} (records are named source:record_id, e.g. cbp_i94:I94-0000-0000001)"
        )
    return dict(zip(cols, rows[0], strict=True))


def _level_label(comparison: dict[str, Any], gamma: int | None) -> str:
    """Splink numbers the non-null levels from the top down to 0 (else); -1 is null."""
    if gamma is None or gamma < 0:
        return "missing on one side"
    levels = [lvl for lvl in comparison["comparison_levels"] if not lvl.get("is_null_level")]
    position = len(levels) - 1 - int(gamma)
    return (
        str(levels[position].get("label_for_charts", levels[position]["sql_condition"]))
        if 0 <= position < len(levels)
        else str(gamma)
    )


def _waterfall(store: Store, model_path: Path, left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    spec = json.loads(model_path.read_text(encoding="utf-8"))
    spec["unique_id_column_name"] = "node"
    spec["retain_intermediate_calculation_columns"] = True
    spec["retain_matching_columns"] = True
    spec["blocking_rules_to_generate_predictions"] = []  # one given pair is scored: nothing to block
    linker = Linker(DuckDBAPI(connection=store.conn).register(cast(Any, store.conn.table(RECORDS))), spec)
    row = linker.inference.score_pair(_splinkable(left), _splinkable(right)).as_record_list()[0]
    drop_splink_tables(store)
    prior = spec["probability_two_random_records_match"]
    steps = [
        {
            "comparison": "prior",
            "level": "two random records",
            "match_weight": round(math.log2(prior / (1 - prior)), 2),
        }
    ]
    for comparison in spec["comparisons"]:
        name = comparison["output_column_name"]
        weight = float(row.get(f"mw_{name}") or 0.0) + float(row.get(f"mw_tf_adj_{name}") or 0.0)
        steps.append(
            {
                "comparison": name,
                "level": _level_label(comparison, row.get(f"gamma_{name}")),
                "match_weight": round(weight, 2),
            }
        )
    return {
        "steps": steps,
        "match_weight": round(float(row["match_weight"]), 2),
        "match_probability": round(float(row["match_probability"]), 6),
    }


def _splinkable(record: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in record.items()
        if k in {"node", *ROLE_COLUMNS, "given_joined", "family_joined", "given1", "family1", "birth_year"}
    }


def explain_pair(
    ctx: RequestContext, store: Store, rec_a: str, rec_b: str, *, model_path: Path
) -> dict[str, Any]:
    """Identifiers shared, each comparison's weight, the probability, and what the store decided."""
    require_context(ctx)
    left, right = _record(store, rec_a), _record(store, rec_b)
    shared = [k for k in IDENTIFIERS if left.get(k) and left.get(k) == right.get(k)]
    differing = [k for k in IDENTIFIERS if left.get(k) and right.get(k) and left.get(k) != right.get(k)]
    persons = dict(
        store.rows("SELECT rec, person_id FROM res_membership WHERE rec IN (?, ?)", [rec_a, rec_b])
    )
    decision = store.rows(
        "SELECT decision, actor, reason FROM res_steward WHERE active AND "
        "((rec_a = ? AND rec_b = ?) OR (rec_a = ? AND rec_b = ?))",
        [rec_a, rec_b, rec_b, rec_a],
    )
    held = store.rows(
        """SELECT v.rec_l, v.rec_r, v.reason, v.match_probability FROM res_review v
           JOIN res_membership a ON a.rec = v.rec_l JOIN res_membership b ON b.rec = v.rec_r
           WHERE v.status = 'open' AND a.person_id <> b.person_id
             AND least(a.person_id, b.person_id) = least(?, ?) AND greatest(a.person_id, b.person_id) = greatest(?, ?)
           ORDER BY v.match_probability DESC NULLS LAST""",
        [persons.get(rec_a), persons.get(rec_b)] * 2,
    )
    audit.record(
        ctx,
        store,
        "resolution.explain",
        subject_person=persons.get(rec_a, persons.get(rec_b)),
        sources=tuple(sorted({rec_a.split(":", 1)[0], rec_b.split(":", 1)[0]})),
        justification=f"{rec_a} and {rec_b}",
    )
    return {
        "records": [rec_a, rec_b],
        "labels": data_labels(default_catalog(), [rec_a, rec_b]),
        "same_person": persons.get(rec_a) is not None and persons.get(rec_a) == persons.get(rec_b),
        "persons": [persons.get(rec_a), persons.get(rec_b)],
        "identifiers_shared": shared,
        "identifiers_differing": differing,
        "probabilistic": _waterfall(store, model_path, left, right) if model_path.exists() else None,
        "steward_decision": [dict(zip(("decision", "actor", "reason"), d, strict=True)) for d in decision],
        "held_for_review": [  # why the two persons were not made one, while a reviewer has not decided
            dict(zip(("left", "right", "reason", "probability"), h, strict=True)) for h in held
        ],
    }


def explain_person(ctx: RequestContext, store: Store, person_id: int) -> dict[str, Any]:
    """A person's records, the links that hold them together (tier, rule, probability), flags, reviews."""
    require_context(ctx)
    recs = [
        str(r[0])
        for r in store.rows("SELECT rec FROM res_membership WHERE person_id = ? ORDER BY rec", [person_id])
    ]
    if not recs:
        raise ExplainError(f"no person {person_id}")
    links = store.rows(
        """SELECT rec_l, rec_r, tier, rule, match_probability FROM res_links
                          WHERE rec_l IN (SELECT unnest(?)) AND rec_r IN (SELECT unnest(?)) ORDER BY tier, rec_l, rec_r""",
        [recs, recs],
    )
    flags = store.rows("SELECT flag, detail FROM res_person_flags WHERE person_id = ?", [person_id])
    reviews = store.rows(
        """SELECT rec_l, rec_r, reason, match_probability FROM res_review WHERE status = 'open'
                            AND (rec_l IN (SELECT unnest(?)) OR rec_r IN (SELECT unnest(?)))""",
        [recs, recs],
    )
    events = store.rows(
        "SELECT kind, other_person_id, records, run_id FROM res_person_events WHERE person_id = ? ORDER BY event_id",
        [person_id],
    )
    audit.record(
        ctx,
        store,
        "resolution.explain",
        subject_person=person_id,
        sources=tuple(sorted({r.split(":", 1)[0] for r in recs})),
    )
    return {
        "person_id": person_id,
        "records": recs,
        "labels": data_labels(default_catalog(), recs),
        "links": [
            dict(zip(("left", "right", "tier", "rule", "probability"), row, strict=True)) for row in links
        ],
        "flags": [dict(zip(("flag", "detail"), f, strict=True)) for f in flags],
        "open_reviews": [
            dict(zip(("left", "right", "reason", "probability"), r, strict=True)) for r in reviews
        ],
        "events": [
            dict(zip(("kind", "other_person_id", "records", "run_id"), e, strict=True)) for e in events
        ],
    }
