"""Bulk selection and export: a selection of many persons (a listing past the bulk limit, an export of
the worklist or of the departure cases) runs only on a supervisor's approval of that very selection,
given to the requester for one use. Requests, decisions, uses and refused attempts are all audited, so
the oversight report can list bulk attempts."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from immigrationos.access.policy import audit_denial
from immigrationos.audit import log as audit
from immigrationos.context import RequestContext, require_context
from immigrationos.errors import AccessDeniedError, NotFoundError, TransitionError
from immigrationos.store.engine import Store, migration

REQUESTS = "acc_bulk_requests"
APPROVERS = frozenset({"supervisor"})
SELECTIONS = ("worklist", "departure_cases")
BULK_ROWS = 100  # a listing of more rows than this is a bulk selection (Settings.bulk_rows)


@migration("access_003_bulk")
def _tables(store: Store) -> None:
    store.execute(f"""CREATE TABLE {REQUESTS} (request_id BIGINT PRIMARY KEY, requested_by VARCHAR NOT NULL,
        purpose VARCHAR NOT NULL, selection VARCHAR NOT NULL, filters JSON NOT NULL, reason VARCHAR NOT NULL,
        state VARCHAR NOT NULL DEFAULT 'requested', decided_by VARCHAR, decision_reason VARCHAR,
        rows BIGINT, requested_at TIMESTAMPTZ DEFAULT now(), decided_at TIMESTAMPTZ, used_at TIMESTAMPTZ)""")


@dataclass(frozen=True)
class BulkRequest:
    request_id: int
    requested_by: str
    purpose: str
    selection: str
    filters: dict[str, Any]
    reason: str
    state: str
    decided_by: str | None
    decision_reason: str | None
    rows: int | None


def _canonical(filters: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in filters.items() if v is not None}, sort_keys=True, default=str)


def request_bulk(
    ctx: RequestContext, store: Store, *, selection: str, filters: dict[str, Any], reason: str
) -> int:
    """Ask for one bulk selection (what, with which filters, and why)."""
    require_context(ctx)
    if selection not in SELECTIONS:
        raise TransitionError(f"a bulk selection is one of {', '.join(SELECTIONS)}, not {selection!r}")
    if len(reason.strip()) < 10:
        raise TransitionError("a bulk request states its reason (10 characters at least)")
    with store.transaction():
        request_id = int(store.scalar(f"SELECT coalesce(max(request_id), 0) + 1 FROM {REQUESTS}"))
        store.execute(
            f"""INSERT INTO {REQUESTS} (request_id, requested_by, purpose, selection, filters, reason)
                VALUES (?, ?, ?, ?, ?, ?)""",
            [request_id, ctx.actor.user, ctx.purpose.value, selection, _canonical(filters), reason.strip()],
        )
        audit.record(
            ctx,
            store,
            "bulk.request",
            justification=f"request {request_id}: {selection} {_canonical(filters)}: {reason}",
        )
    return request_id


def bulk_request(store: Store, request_id: int) -> BulkRequest:
    row = store.record(f"SELECT * FROM {REQUESTS} WHERE request_id = ?", [request_id])
    if row is None:
        raise NotFoundError(f"no bulk request {request_id}")
    return BulkRequest(
        int(row["request_id"]),
        row["requested_by"],
        row["purpose"],
        row["selection"],
        json.loads(row["filters"]),
        row["reason"],
        row["state"],
        row["decided_by"],
        row["decision_reason"],
        row["rows"],
    )


def decide_bulk(
    ctx: RequestContext, store: Store, request_id: int, *, approve: bool, reason: str
) -> BulkRequest:
    """A supervisor, not the requester, approves or refuses a bulk request, with a reason."""
    require_context(ctx)
    request = bulk_request(store, request_id)
    refusal = None
    if not ctx.actor.roles & APPROVERS:
        refusal = f"{ctx.actor.user} may not approve bulk selections: it needs a supervisor"
    elif ctx.actor.user == request.requested_by:
        refusal = f"bulk request {request_id}: the requester may not approve their own request"
    if refusal:
        audit_denial(ctx, store, f"bulk request {request_id}", refusal)
        raise AccessDeniedError(refusal)
    if request.state != "requested":
        raise TransitionError(f"bulk request {request_id} was already {request.state}")
    if not reason.strip():
        raise TransitionError(f"bulk request {request_id}: a decision carries its reason")
    state = "approved" if approve else "refused"
    with store.transaction():
        store.execute(
            f"""UPDATE {REQUESTS} SET state = ?, decided_by = ?, decision_reason = ?, decided_at = now()
                WHERE request_id = ?""",
            [state, ctx.actor.user, reason.strip(), request_id],
        )
        audit.record(
            ctx,
            store,
            f"bulk.{'approve' if approve else 'refuse'}",
            justification=f"request {request_id}: {reason}",
        )
    return bulk_request(store, request_id)


def use_approval(
    ctx: RequestContext, store: Store, request_id: int | None, *, selection: str, filters: dict[str, Any]
) -> int:
    """Consume the approval for exactly this selection, or refuse (and audit the attempt). Call inside
    the transaction that records the selection's rows with ``mark_used``."""
    require_context(ctx)
    problem = _approval_problem(ctx, store, request_id, selection, filters)
    if problem:
        audit.record(
            ctx,
            store,
            f"bulk.{selection}",
            outcome="denied",
            justification=f"{_canonical(filters)}: {problem}",
        )
        raise AccessDeniedError(problem)
    assert request_id is not None
    return request_id


def _approval_problem(
    ctx: RequestContext, store: Store, request_id: int | None, selection: str, filters: dict[str, Any]
) -> str | None:
    if request_id is None:
        return f"a bulk selection of {selection} needs a supervisor's approval: 'immos bulk request' first"
    try:
        request = bulk_request(store, request_id)
    except NotFoundError as exc:
        return str(exc)
    if request.state != "approved":
        return f"bulk request {request_id} is {request.state}, not approved"
    if request.requested_by != ctx.actor.user or request.purpose != ctx.purpose.value:
        return f"bulk request {request_id} was approved for {request.requested_by} ({request.purpose}) only"
    if request.selection != selection or _canonical(request.filters) != _canonical(filters):
        return f"bulk request {request_id} approved {request.selection} {_canonical(request.filters)}, not this selection"
    return None


def mark_used(
    ctx: RequestContext, store: Store, request_id: int, selection: str, rows: int, fields: tuple[str, ...]
) -> None:
    store.execute(
        f"UPDATE {REQUESTS} SET state = 'used', rows = ?, used_at = now() WHERE request_id = ?",
        [rows, request_id],
    )
    audit.record(
        ctx,
        store,
        f"bulk.{selection}",
        fields=fields,
        justification=f"request {request_id}: {rows} rows selected",
    )


def list_requests(ctx: RequestContext, store: Store) -> list[BulkRequest]:
    """Every bulk request, newest first (requests carry no personal data)."""
    require_context(ctx)
    return [
        bulk_request(store, int(r))
        for (r,) in store.rows(f"SELECT request_id FROM {REQUESTS} ORDER BY 1 DESC")
    ]


def approved_selection(
    ctx: RequestContext,
    store: Store,
    *,
    selection: str,
    filters: dict[str, Any],
    approval: int | None,
    query: Callable[[], list[tuple[Any, ...]]],
    fields: tuple[str, ...],
) -> list[tuple[Any, ...]]:
    """Run a bulk query under its approval: the approval is used up in the transaction that reads."""
    request_id = use_approval(ctx, store, approval, selection=selection, filters=filters)
    with store.transaction():
        rows = query()
        mark_used(ctx, store, request_id, selection, len(rows), fields)
    return rows


def write_parquet(rows: list[tuple[Any, ...]], columns: tuple[str, ...], out: Path) -> Path:
    """The exported rows as one Parquet file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist([dict(zip(columns, r, strict=True)) for r in rows])
    pq.write_table(table, out)
    return out
