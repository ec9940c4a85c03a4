"""``immos bulk ...``: ask for a bulk selection or export, and a supervisor's decision on it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from immigrationos.access.bulk import SELECTIONS, decide_bulk, list_requests, request_bulk
from immigrationos.cli.state import console, fail, state
from immigrationos.errors import ImmosError
from immigrationos.store.engine import store_session

app = typer.Typer(
    help="Bulk selections and exports: requested with a reason, approved by a supervisor, used once.",
    no_args_is_help=True,
)
Reason = Annotated[str, typer.Option(help="Why: recorded with the request or the decision.")]


@app.command("request")
def request_command(
    ctx: typer.Context,
    selection: Annotated[str, typer.Argument(help=f"One of {', '.join(SELECTIONS)}.")],
    reason: Reason,
    export: Annotated[bool, typer.Option(help="An export of every matching row (else a listing).")] = False,
    limit: Annotated[int | None, typer.Option(help="The listing's row count (not for an export).")] = None,
    tier: Annotated[int | None, typer.Option(help="worklist: only this tier.")] = None,
    category: Annotated[str | None, typer.Option(help="worklist: only this category.")] = None,
    state_filter: Annotated[str | None, typer.Option("--state", help="Only this state.")] = None,
) -> None:
    """Ask for one bulk selection; the filters must be the ones the listing or export will use."""
    st = state(ctx)
    filters: dict[str, object] = {"state": state_filter}
    if selection == "worklist":
        filters |= {"tier": tier, "category": category}
    filters |= {"export": True} if export else {"limit": limit}
    try:
        with store_session(st.settings) as store:
            request_id = request_bulk(
                st.context(), store, selection=selection, filters=filters, reason=reason
            )
    except ImmosError as exc:
        raise fail(exc) from exc
    console.print(
        f"Bulk request {request_id} filed; a supervisor decides it ('immos bulk approve {request_id}')."
    )


def _decide(ctx: typer.Context, request_id: int, approve: bool, reason: str) -> None:
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            request = decide_bulk(st.context(), store, request_id, approve=approve, reason=reason)
    except ImmosError as exc:
        raise fail(exc) from exc
    console.print(f"Bulk request {request_id} {request.state} for {request.requested_by}.")


@app.command("approve")
def approve_command(ctx: typer.Context, request_id: int, reason: Reason) -> None:
    """Approve a bulk request (a supervisor other than the requester)."""
    _decide(ctx, request_id, True, reason)


@app.command("refuse")
def refuse_command(ctx: typer.Context, request_id: int, reason: Reason) -> None:
    """Refuse a bulk request, with the reason."""
    _decide(ctx, request_id, False, reason)


@app.command("list")
def list_command(ctx: typer.Context) -> None:
    """Bulk requests, newest first, with their decisions and uses."""
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            requests = list_requests(st.context(), store)
    except ImmosError as exc:
        raise fail(exc) from exc
    table = Table(title="Bulk requests")
    for col in ("id", "by", "purpose", "selection", "filters", "reason", "state", "decided by", "rows"):
        table.add_column(col, overflow="fold")
    for r in requests:
        table.add_row(
            str(r.request_id),
            r.requested_by,
            r.purpose,
            r.selection,
            str(r.filters),
            r.reason,
            r.state,
            r.decided_by or "",
            "" if r.rows is None else str(r.rows),
        )
    console.print(table)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="bulk")
