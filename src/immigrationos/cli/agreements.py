"""``immos agreements ...`` and ``immos disclose``: data-use agreements, outside disclosures under them,
and the accounting of a person's disclosures."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from immigrationos.access.agreements import (
    Agreement,
    agreements,
    end_agreement,
    ensure_standard_agreements,
    record_agreement,
    renew,
)
from immigrationos.cli.state import console, fail, state
from immigrationos.errors import ImmosError
from immigrationos.lifecycle.disclosure import ATTRIBUTES, accounting, disclose_person
from immigrationos.sources.catalog import default_catalog
from immigrationos.store.engine import store_session
from immigrationos.yamlfile import load_model

app = typer.Typer(
    help="Data-use agreements: which outside sources and fields matching may use, and for how long.",
    no_args_is_help=True,
)


@app.command("list")
def list_command(ctx: typer.Context, on: Annotated[datetime | None, typer.Option()] = None) -> None:
    """Every agreement with its term, renewal, sources and fields, and whether it is in force."""
    day = on.date() if on else date.today()
    with store_session(state(ctx).settings) as store:
        states = agreements(store)
    table = Table(title=f"Data-use agreements (in force on {day})")
    for col in ("agreement", "parties", "term", "renewed until", "in force", "sources: fields"):
        table.add_column(col, overflow="fold")
    for s in states:
        a = s.agreement
        table.add_row(
            a.agreement_id,
            " / ".join(a.parties),
            f"{a.start}..{a.end}",
            str(s.renewed_until or "-"),
            "yes" if s.active_on(day) else f"no (last day {s.last_day})",
            "; ".join(f"{src}: {', '.join(f)}" for src, f in a.fields.items()),
        )
    console.print(table)


@app.command("add")
def add_command(ctx: typer.Context, path: Path) -> None:
    """Record a signed agreement from a YAML file (see the README for the format)."""
    st = state(ctx)
    try:
        agreement, _origin = load_model(Agreement, "immigrationos.access", path.name, path)
        with store_session(st.settings) as store:
            record_agreement(st.context(), store, default_catalog(), agreement)
    except ImmosError as exc:
        raise fail(exc) from exc
    console.print(f"Recorded agreement {agreement.agreement_id}: {agreement.start} to {agreement.end}.")


@app.command("standard")
def standard_command(
    ctx: typer.Context,
    start: Annotated[datetime | None, typer.Option(help="First day (default today).")] = None,
) -> None:
    """Record one 18-month agreement per outside source for the synthetic world (the demo does this)."""
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            added = ensure_standard_agreements(
                st.context(), store, default_catalog(), start.date() if start else date.today()
            )
    except ImmosError as exc:
        raise fail(exc) from exc
    console.print(f"Recorded {added} standard data-use agreements for the synthetic world's outside sources.")


@app.command("renew")
def renew_command(ctx: typer.Context, agreement_id: str, until: Annotated[datetime, typer.Option()]) -> None:
    """The one renewal the law allows: at most 12 months past the original end."""
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            renewed = renew(st.context(), store, agreement_id, until.date())
    except ImmosError as exc:
        raise fail(exc) from exc
    console.print(f"Agreement {agreement_id} renewed until {renewed.renewed_until}.")


@app.command("end")
def end_command(
    ctx: typer.Context,
    agreement_id: str,
    reason: Annotated[str, typer.Option()],
    on: Annotated[datetime | None, typer.Option()] = None,
) -> None:
    """End an agreement early: later matching runs leave its sources out."""
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            ended = end_agreement(
                st.context(), store, agreement_id, on.date() if on else date.today(), reason
            )
    except ImmosError as exc:
        raise fail(exc) from exc
    console.print(f"Agreement {agreement_id} ends on {ended.ended_on}.")


def disclose_command(
    ctx: typer.Context,
    person_id: int,
    recipient: Annotated[str, typer.Option(help="The outside agency receiving the data.")],
    agreement: Annotated[str, typer.Option(help="The agreement the disclosure is made under.")],
    attribute: Annotated[list[str], typer.Option("--attribute", help=f"One of {', '.join(ATTRIBUTES)}.")],
) -> None:
    """Disclose a person's attributes outside the agency under an agreement (accounted for, audited,
    with the person's statements of disagreement)."""
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            sent = disclose_person(
                st.context(),
                store,
                person_id,
                recipient=recipient,
                agreement_id=agreement,
                attributes=tuple(attribute),
                on=date.today(),
            )
    except ImmosError as exc:
        raise fail(exc) from exc
    print(json.dumps(sent, indent=2))


def disclosures_command(ctx: typer.Context, person_id: int) -> None:
    """The accounting of a person's outside disclosures: date, purpose, recipient, attributes."""
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            rows = accounting(st.context(), store, person_id)
    except ImmosError as exc:
        raise fail(exc) from exc
    print(json.dumps(rows, indent=2))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="agreements")
    root.command("disclose")(disclose_command)
    root.command("disclosures")(disclosures_command)
