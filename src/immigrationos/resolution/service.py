"""Stewardship and review services: a reviewer's decisions, kept and applied on every later run."""

from __future__ import annotations

from typing import Any

from immigrationos.access.policy import require_purpose
from immigrationos.audit import log as audit
from immigrationos.context import Purpose, RequestContext, require_context
from immigrationos.errors import ImmosError
from immigrationos.resolution import storage
from immigrationos.store.engine import Store

STEWARD_PURPOSES = frozenset({Purpose.DATA_MANAGEMENT, Purpose.REDRESS})


class StewardError(ImmosError):
    """A steward decision names unknown records or repeats itself."""


def decide(ctx: RequestContext, store: Store, *, rec_a: str, rec_b: str, decision: str, reason: str) -> int:
    """Record that two records are (link) or are not (separate) the same person; applied at the next resolve."""
    require_context(ctx)
    require_purpose(ctx, STEWARD_PURPOSES, "a steward decision", store)
    if decision not in ("link", "separate"):
        raise StewardError(f"decision must be 'link' or 'separate', not {decision!r}")
    if not reason.strip():
        raise StewardError("a steward decision needs a reason")
    if rec_a == rec_b:
        raise StewardError("a decision needs two different records")
    known = {str(r[0]) for r in store.rows("SELECT rec FROM res_records WHERE rec IN (?, ?)", [rec_a, rec_b])}
    missing = {rec_a, rec_b} - known
    if missing:
        raise StewardError(
            f"unknown record(s): {', '.join(sorted(missing))} (run 'immos resolve' after ingesting)"
        )
    with store.transaction():
        store.execute(
            "UPDATE res_steward SET active = false WHERE active AND ((rec_a = ? AND rec_b = ?) OR (rec_a = ? AND rec_b = ?))",
            [rec_a, rec_b, rec_b, rec_a],
        )
        decision_id = storage.add_steward_decision(
            store, rec_a=rec_a, rec_b=rec_b, decision=decision, actor=ctx.actor.user, reason=reason
        )
        audit.record(
            ctx,
            store,
            f"resolution.steward.{decision}",
            sources=tuple(sorted({rec_a.split(":", 1)[0], rec_b.split(":", 1)[0]})),
            justification=f"{rec_a} and {rec_b}: {reason}",
        )
    return decision_id


def review_queue(
    ctx: RequestContext, store: Store, *, limit: int = 50, reason: str | None = None
) -> list[dict[str, Any]]:
    """Open review items: pairs the pipeline would not merge on its own, with why."""
    require_context(ctx)
    require_purpose(ctx, STEWARD_PURPOSES | {Purpose.OVERSIGHT}, "the review queue", store)
    where, params = ("AND reason LIKE ?", [f"%{reason}%"]) if reason else ("", [])
    rows = store.rows(
        f"""SELECT rec_l, rec_r, tier, reason, match_probability FROM res_review
                          WHERE status = 'open' {where} ORDER BY match_probability DESC, rec_l, rec_r LIMIT {int(limit)}""",
        params,
    )
    audit.record(
        ctx, store, "resolution.review", justification=f"reason {reason or 'any'}: {len(rows)} items"
    )
    return [dict(zip(("left", "right", "tier", "reason", "probability"), r, strict=True)) for r in rows]


def review_summary(store: Store) -> dict[str, int]:
    return {
        str(r): int(n)
        for r, n in store.rows(
            "SELECT regexp_replace(reason, ':.*', ''), count(*) FROM res_review WHERE status = 'open' GROUP BY 1 ORDER BY 2 DESC"
        )
    }
