"""``immos worklist ...``: the priority worklist and its due-process steps, thin front ends."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from immigrationos.cli.state import console, fail, state
from immigrationos.errors import ImmosError
from immigrationos.lifecycle.pipeline import default_as_of
from immigrationos.priority import workflow
from immigrationos.priority.models import default_policy
from immigrationos.priority.worklist import build_worklist
from immigrationos.store.engine import Store, store_session

app = typer.Typer(help="The priority worklist: explained entries, safeguards, and the due-process steps.")
On = Annotated[
    datetime | None,
    typer.Option("--on", formats=["%Y-%m-%d"], help="Date of the step (default: the lifecycle's date)."),
]
Reason = Annotated[str, typer.Option(help="Why: recorded with the step.")]
Approval = Annotated[
    int | None, typer.Option(help="The approved bulk request ('immos bulk') this selection uses.")
]


@app.callback(invoke_without_command=True)
def list_entries(
    ctx: typer.Context,
    tier: Annotated[int | None, typer.Option(help="Only this tier.")] = None,
    category: Annotated[str | None, typer.Option(help="Only entries in this category.")] = None,
    state_filter: Annotated[str | None, typer.Option("--state", help="Only entries in this state.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 30,
    approval: Approval = None,
) -> None:
    """Entries by tier and score, each with its categories and state (more than IMMOS_BULK_ROWS at once
    needs an approved bulk request)."""
    if ctx.invoked_subcommand is not None:
        return
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            rows, total = workflow.list_entries(
                st.context(),
                store,
                tier=tier,
                category=category,
                state=state_filter,
                limit=limit,
                bulk_rows=st.settings.bulk_rows,
                approval=approval,
            )
    except ImmosError as exc:
        raise fail(exc) from exc
    table = Table(title=f"Worklist ({total:,} entries match)")
    for col in ("entry", "person", "tier", "score", "state", "categories", "deprioritised"):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*(str(v) for v in row))
    console.print(table)


@app.command("export")
def export_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="The Parquet file to write.")],
    approval: Approval = None,
    tier: Annotated[int | None, typer.Option(help="Only this tier.")] = None,
    category: Annotated[str | None, typer.Option(help="Only entries in this category.")] = None,
    state_filter: Annotated[str | None, typer.Option("--state", help="Only entries in this state.")] = None,
) -> None:
    """Every matching entry to a Parquet file, on an approved bulk request for exactly this export."""
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            n = workflow.export_entries(
                st.context(), store, out, approval=approval, tier=tier, category=category, state=state_filter
            )
    except ImmosError as exc:
        raise fail(exc) from exc
    console.print(f"Exported {n:,} entries to {out} (bulk request {approval}, now used).")


def _day(store: Store, on: datetime | None, configured: date | None) -> date:
    return on.date() if on else default_as_of(store, configured)


@app.command("build")
def build_command(ctx: typer.Context, on: On = None) -> None:
    """Assess everyone against the policy: new entries, open ones re-evaluated, exclusions with reasons."""
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            report = build_worklist(st.context(), store, default_policy(), _day(store, on, st.settings.as_of))
    except ImmosError as exc:
        raise fail(exc) from exc
    console.print(
        f"Policy {report.policy_version} at {report.as_of}: {report.assessed:,} persons in a category; "
        f"{report.created:,} new entries, {report.withdrawn:,} withdrawn, {report.back_to_identity:,} back to "
        f"identity verification; excluded by safeguard: {report.excluded}; entries now {report.states} "
        f"({report.seconds:.1f} s)."
    )


@app.command("show")
def show_command(
    ctx: typer.Context, entry_id: int, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """One entry: categories with their evidence, the links it rests on, and every step taken."""
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            entry = workflow.entry_view(st.context(), store, entry_id)
    except ImmosError as exc:
        raise fail(exc) from exc
    if as_json:
        print(json.dumps(entry, indent=2, default=str))
        return
    console.print(
        f"[bold]entry {entry_id}[/] person {entry['person_id']}: tier {entry['tier']}, score {entry['score']:.1f}, "
        f"[bold]{entry['state']}[/] (policy {entry['policy_version']})"
    )
    for reason in entry["reasons"]:
        console.print(f"  reason: {reason}")
    if entry["deprioritised"]:
        console.print(f"  deprioritised: {entry['deprioritised']}")
    for link in entry["links"][:10]:
        console.print(f"  rests on link: {link}")
    table = Table(title="Steps")
    for col in ("on", "from", "to", "actor", "reason"):
        table.add_column(col, overflow="fold")
    for t in entry["transitions"]:
        table.add_row(t["on"], t["from"] or "", t["to"], t["actor"], t["reason"])
    console.print(table)


def _act(
    ctx: typer.Context, entry_id: int, on: datetime | None, fn: Callable[..., workflow.Step], **kw: Any
) -> None:
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            step = fn(
                st.context(), store, default_policy(), entry_id, on=_day(store, on, st.settings.as_of), **kw
            )
    except ImmosError as exc:
        raise fail(exc) from exc
    console.print(f"entry {step.entry_id}: {step.from_state} -> {step.to_state}.")


@app.command("verify")
def verify_command(ctx: typer.Context, entry_id: int, reason: Reason, on: On = None) -> None:
    """Identity independently verified by an analyst."""
    _act(ctx, entry_id, on, workflow.verify_identity, reason=reason)


@app.command("notice")
def notice_command(ctx: typer.Context, entry_id: int, reason: Reason, on: On = None) -> None:
    """Notice given to the person; the contest period starts."""
    _act(ctx, entry_id, on, workflow.record_notice, reason=reason)


@app.command("contest")
def contest_command(ctx: typer.Context, entry_id: int, reason: Reason, on: On = None) -> None:
    """The person contests the findings."""
    _act(ctx, entry_id, on, workflow.contest, reason=reason)


@app.command("answer")
def answer_command(
    ctx: typer.Context,
    entry_id: int,
    reason: Reason,
    upheld: Annotated[bool, typer.Option("--upheld/--rejected", help="Is the contest upheld?")],
    on: On = None,
) -> None:
    """Answer a contest: upheld dismisses the entry, rejected renews the notice and the contest period."""
    _act(ctx, entry_id, on, workflow.answer_contest, upheld=upheld, reason=reason)


@app.command("approve")
def approve_command(ctx: typer.Context, entry_id: int, reason: Reason, on: On = None) -> None:
    """A supervisor (not the verifying analyst) makes the entry actionable after the contest period."""
    _act(ctx, entry_id, on, workflow.approve, reason=reason)


@app.command("dismiss")
def dismiss_command(ctx: typer.Context, entry_id: int, reason: Reason, on: On = None) -> None:
    """Dismiss an entry with a reason."""
    _act(ctx, entry_id, on, workflow.dismiss, reason=reason)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="worklist")
