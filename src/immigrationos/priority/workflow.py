"""The Computer Matching and Privacy Protection Act's steps, one function each.

candidate (or identity queue) -> identity independently verified by an analyst -> notice recorded ->
contest period -> actionable with a supervisor's approval; or dismissed with a reason. Every step
re-assesses the person against the policy first: if a safeguard now applies, the entry is withdrawn and
the step refused. Each transition records who, when and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from immigrationos.access.bulk import BULK_ROWS, approved_selection, write_parquet
from immigrationos.access.policy import require_purpose, require_role
from immigrationos.audit import log as audit
from immigrationos.context import Purpose, RequestContext, require_context
from immigrationos.errors import NotFoundError, TransitionError
from immigrationos.priority.assess import assessment_sql
from immigrationos.priority.models import ALLOWED, EntryState, PriorityPolicy
from immigrationos.priority.storage import ENTRIES, TRANSITIONS
from immigrationos.store.engine import Store
from immigrationos.transitions import require_transition

E = EntryState
SUPERVISOR_ROLES = frozenset({"supervisor"})
ANALYST_ROLES = frozenset({"analyst", "supervisor"})


@dataclass(frozen=True)
class Step:
    entry_id: int
    from_state: str
    to_state: str


def _entry(store: Store, entry_id: int) -> dict[str, Any]:
    entry = store.record(f"SELECT * FROM {ENTRIES} WHERE entry_id = ?", [entry_id])
    if entry is None:
        raise NotFoundError(f"no worklist entry {entry_id}")
    return entry


def _record(
    store: Store, ctx: RequestContext, entry: dict[str, Any], to: EntryState, reason: str, on: date
) -> Step:
    store.execute(
        f"""INSERT INTO {TRANSITIONS} (entry_id, on_date, from_state, to_state, actor, purpose, reason)
            VALUES (?, ?, ?, ?, ?, ?, ?)""",
        [entry["entry_id"], on, entry["state"], to.value, ctx.actor.user, ctx.purpose.value, reason],
    )
    store.execute(
        f"UPDATE {ENTRIES} SET state = ?, updated_at = now() WHERE entry_id = ?",
        [to.value, entry["entry_id"]],
    )
    return Step(int(entry["entry_id"]), str(entry["state"]), to.value)


def _require(entry: dict[str, Any], to: EntryState) -> None:
    require_transition("entry", entry["entry_id"], EntryState(entry["state"]), to, ALLOWED)


def _require_role(ctx: RequestContext, store: Store, roles: frozenset[str], what: str) -> None:
    require_role(ctx, store, roles, what, error=TransitionError)


def _reason(reason: str, entry_id: int) -> str:
    if not reason or not reason.strip():
        raise TransitionError(f"entry {entry_id}: a reason is required")
    return reason.strip()


def _safeguard_now(store: Store, policy: PriorityPolicy, entry: dict[str, Any], on: date) -> str | None:
    """Re-assess the person now: the reason a step must not happen, if there is one."""
    rows = store.rows(
        f"SELECT safeguard, safeguard_reason FROM ({assessment_sql(policy, on, int(entry['person_id']))})"
    )
    if not rows:
        return f"policy {policy.version} no longer names this person"
    safeguard, reason = rows[0]
    return f"safeguard {safeguard} now applies: {reason}" if safeguard else None


STEP_PURPOSES = frozenset({Purpose.ENFORCEMENT, Purpose.REDRESS})  # redress may dismiss an entry


def _step(
    ctx: RequestContext,
    store: Store,
    policy: PriorityPolicy,
    entry_id: int,
    to: EntryState,
    reason: str,
    on: date,
    extra: str = "",
    params: list[object] | None = None,
) -> Step:
    require_context(ctx)
    require_purpose(ctx, STEP_PURPOSES, "a worklist step", store)
    why = _reason(reason, entry_id)
    with store.transaction():
        entry = _entry(store, entry_id)
        _require(entry, to)
        blocked = _safeguard_now(store, policy, entry, on) if to not in (E.DISMISSED, E.WITHDRAWN) else None
        if blocked:
            _record(store, ctx, entry, E.WITHDRAWN, blocked, on)
            audit.record(
                ctx,
                store,
                f"worklist.{to.value}",
                outcome="refused",
                subject_person=int(entry["person_id"]),
                justification=blocked,
            )
        else:
            if extra:
                store.execute(f"UPDATE {ENTRIES} SET {extra} WHERE entry_id = ?", [*(params or []), entry_id])
            step = _record(store, ctx, entry, to, why, on)
            audit.record(
                ctx, store, f"worklist.{to.value}", subject_person=int(entry["person_id"]), justification=why
            )
    if blocked:
        raise TransitionError(f"entry {entry_id} withdrawn instead: {blocked}")
    return step


def verify_identity(
    ctx: RequestContext, store: Store, policy: PriorityPolicy, entry_id: int, *, reason: str, on: date
) -> Step:
    """An analyst confirms, from the records themselves, that they are this one person."""
    _require_role(ctx, store, ANALYST_ROLES, "verify identity")
    return _step(
        ctx, store, policy, entry_id, E.IDENTITY_VERIFIED, reason, on, "verified_by = ?", [ctx.actor.user]
    )


def record_notice(
    ctx: RequestContext, store: Store, policy: PriorityPolicy, entry_id: int, *, reason: str, on: date
) -> Step:
    """Notice given to the person: the contest period starts that day."""
    _require_role(ctx, store, ANALYST_ROLES, "record a notice")
    until = on + timedelta(days=policy.contest_days)
    return _step(
        ctx,
        store,
        policy,
        entry_id,
        E.NOTICE_RECORDED,
        reason,
        on,
        "notice_on = ?, contest_until = ?",
        [on, until],
    )


def contest(
    ctx: RequestContext, store: Store, policy: PriorityPolicy, entry_id: int, *, reason: str, on: date
) -> Step:
    """The person contests the findings; nothing moves until an analyst answers."""
    return _step(ctx, store, policy, entry_id, E.CONTESTED, reason, on)


def answer_contest(
    ctx: RequestContext,
    store: Store,
    policy: PriorityPolicy,
    entry_id: int,
    *,
    upheld: bool,
    reason: str,
    on: date,
) -> Step:
    """Upheld: the entry is dismissed. Rejected: a new notice, and a new contest period from today."""
    _require_role(ctx, store, ANALYST_ROLES, "answer a contest")
    if upheld:
        return _step(ctx, store, policy, entry_id, E.DISMISSED, f"contest upheld: {reason}", on)
    until = on + timedelta(days=policy.contest_days)
    return _step(
        ctx,
        store,
        policy,
        entry_id,
        E.NOTICE_RECORDED,
        f"contest rejected, notice renewed: {reason}",
        on,
        "notice_on = ?, contest_until = ?",
        [on, until],
    )


def approve(
    ctx: RequestContext, store: Store, policy: PriorityPolicy, entry_id: int, *, reason: str, on: date
) -> Step:
    """A supervisor makes the entry actionable: after the contest period, not on their own verification."""
    _require_role(ctx, store, SUPERVISOR_ROLES, "approve an entry")
    entry = _entry(store, entry_id)
    if entry["state"] == E.NOTICE_RECORDED.value and on <= entry["contest_until"]:
        raise TransitionError(
            f"entry {entry_id}: the contest period runs until {entry['contest_until']}; approval is possible after it"
        )
    if entry["verified_by"] == ctx.actor.user:
        raise TransitionError(
            f"entry {entry_id}: {ctx.actor.user} verified the identity; another person must approve"
        )
    return _step(ctx, store, policy, entry_id, E.ACTIONABLE, reason, on)


def dismiss(
    ctx: RequestContext, store: Store, policy: PriorityPolicy, entry_id: int, *, reason: str, on: date
) -> Step:
    _require_role(ctx, store, ANALYST_ROLES, "dismiss an entry")
    return _step(ctx, store, policy, entry_id, E.DISMISSED, reason, on)


READ_PURPOSES = frozenset({Purpose.ENFORCEMENT, Purpose.OVERSIGHT, Purpose.REDRESS, Purpose.DATA_MANAGEMENT})


def entry_view(ctx: RequestContext, store: Store, entry_id: int) -> dict[str, Any]:
    """The entry with every step taken (a purpose-checked, audited read)."""
    require_context(ctx)
    require_purpose(ctx, READ_PURPOSES, "a worklist entry", store)
    entry = _entry(store, entry_id)
    audit.record(ctx, store, "worklist.show", subject_person=int(entry["person_id"]))
    entry["transitions"] = [
        {"on": str(d), "from": f, "to": t, "actor": a, "reason": r}
        for d, f, t, a, r in store.rows(
            f"""SELECT on_date, from_state, to_state, actor, reason FROM {TRANSITIONS} WHERE entry_id = ?
                ORDER BY moved_at, rowid""",
            [entry_id],
        )
    ]
    return entry


ENTRY_COLUMNS = ("entry_id", "person_id", "tier", "score", "state", "categories", "deprioritised")


def list_entries(
    ctx: RequestContext,
    store: Store,
    *,
    tier: int | None = None,
    category: str | None = None,
    state: str | None = None,
    limit: int = 30,
    bulk_rows: int = BULK_ROWS,
    approval: int | None = None,
) -> tuple[list[tuple[Any, ...]], int]:
    """Entries by tier and score with the total that matches (an audited read). More than ``bulk_rows``
    at once is a bulk selection: it needs a supervisor's approval of this very listing."""
    require_context(ctx)
    require_purpose(ctx, READ_PURPOSES, "the worklist", store)
    clause, params = _entry_filter(tier, category, state)
    total = int(store.scalar(f"SELECT count(*) FROM {ENTRIES} WHERE {clause}", params))

    def query() -> list[tuple[Any, ...]]:
        return store.rows(
            f"{_ENTRY_SELECT} WHERE {clause} ORDER BY tier, score DESC, entry_id LIMIT {int(limit)}", params
        )

    if limit > bulk_rows:
        filters = {"tier": tier, "category": category, "state": state, "limit": limit}
        rows = approved_selection(
            ctx,
            store,
            selection="worklist",
            filters=filters,
            approval=approval,
            query=query,
            fields=ENTRY_COLUMNS,
        )
        return rows, total
    rows = query()
    audit.record(
        ctx,
        store,
        "worklist.list",
        justification=f"tier {tier}, category {category}, state {state}: {len(rows)} of {total} entries",
    )
    return rows, total


_ENTRY_SELECT = f"""SELECT entry_id, person_id, tier, round(score, 1), state, array_to_string(categories, ', '),
    coalesce(deprioritised, '') FROM {ENTRIES}"""


def _entry_filter(tier: int | None, category: str | None, state: str | None) -> tuple[str, list[Any]]:
    where, params = ["1 = 1"], []
    for column, value in (("tier", tier), ("state", state)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if category:
        where.append("list_contains(categories, ?)")
        params.append(category)
    return " AND ".join(where), params


def export_entries(
    ctx: RequestContext,
    store: Store,
    out: Path,
    *,
    approval: int | None,
    tier: int | None = None,
    category: str | None = None,
    state: str | None = None,
) -> int:
    """Every matching entry to a Parquet file: always a bulk selection, so only on an approval."""
    require_context(ctx)
    require_purpose(ctx, READ_PURPOSES, "the worklist", store)
    clause, params = _entry_filter(tier, category, state)
    rows = approved_selection(
        ctx,
        store,
        selection="worklist",
        filters={"tier": tier, "category": category, "state": state, "export": True},
        approval=approval,
        query=lambda: store.rows(
            f"{_ENTRY_SELECT} WHERE {clause} ORDER BY tier, score DESC, entry_id", params
        ),
        fields=ENTRY_COLUMNS,
    )
    write_parquet(rows, ENTRY_COLUMNS, out)
    return len(rows)
