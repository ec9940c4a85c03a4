"""``immos redress ...``: contests by or for a person, and the redress officer's decisions."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from immigrationos.cli.state import console, fail, state
from immigrationos.errors import ImmosError
from immigrationos.lifecycle.pipeline import default_as_of
from immigrationos.priority.models import default_policy
from immigrationos.redress.service import decide_contest, file_contest, list_contests
from immigrationos.store.engine import store_session

app = typer.Typer(
    help="Redress: contest a record, a link, a status or a worklist entry.", no_args_is_help=True
)


@app.command("contest")
def contest_command(
    ctx: typer.Context,
    person_id: int,
    subject: Annotated[str, typer.Option(help="record, link, status or worklist_entry")],
    reference: Annotated[
        str, typer.Option(help="The record, 'REC_A|REC_B' for a link, the status, or the entry id.")
    ],
    statement: Annotated[str, typer.Option(help="What is wrong, in the person's words.")],
) -> None:
    """File a contest (it stays with the person's data as a statement until decided)."""
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            contest = file_contest(
                st.context(),
                store,
                person_id=person_id,
                subject=subject,
                reference=reference,
                statement=statement,
            )
    except ImmosError as exc:
        raise fail(exc) from exc
    console.print(f"Contest {contest} filed for person {person_id}.")


@app.command("decide")
def decide_command(
    ctx: typer.Context,
    contest_id: int,
    reason: Annotated[str, typer.Option(help="Why: recorded and shown to the person.")],
    accept: Annotated[bool, typer.Option("--accept/--reject")],
    document: Annotated[
        str | None,
        typer.Option(help="A status contest: the citizenship evidence accepted (e.g. 'US passport 123')."),
    ] = None,
) -> None:
    """Accept (and correct the data) or reject (keeping the person's statement) a contest. An accepted
    record contest voids the record; an accepted status contest records the citizenship evidence; both
    re-derive the status, the worklist and the departure cases at once."""
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            decision = decide_contest(
                st.context(),
                store,
                contest_id,
                accept=accept,
                reason=reason,
                policy=default_policy(),
                on=default_as_of(store, st.settings.as_of),
                document=document,
            )
    except ImmosError as exc:
        raise fail(exc) from exc
    if decision.accepted:
        console.print(
            f"Contest {contest_id} accepted: {decision.correction}. Notice owed to: {', '.join(decision.notify) or 'nobody'}."
        )
    else:
        console.print(f"Contest {contest_id} rejected; the statement stays with the person's data.")


@app.command("list")
def list_command(
    ctx: typer.Context, state_filter: Annotated[str | None, typer.Option("--state")] = None
) -> None:
    """Contests, newest first."""
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            rows = list_contests(st.context(), store, state=state_filter)
    except ImmosError as exc:
        raise fail(exc) from exc
    table = Table(title="Contests")
    for col in ("contest", "person", "subject", "reference", "state", "statement", "decision"):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="redress")
