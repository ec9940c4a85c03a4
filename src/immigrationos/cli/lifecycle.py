"""``immos lifecycle`` and ``immos person``: thin front ends over the lifecycle domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.panel import Panel
from rich.table import Table

from immigrationos.access.irs import IrsRequest, request_irs_data
from immigrationos.access.policy import default_policy as default_access_policy
from immigrationos.cli.state import console, fail, state
from immigrationos.errors import ImmosError
from immigrationos.lifecycle.pipeline import default_as_of, run_lifecycle
from immigrationos.lifecycle.rules import default_events, default_rules
from immigrationos.lifecycle.timeline import PersonLifecycle, view_person
from immigrationos.sources.catalog import default_catalog
from immigrationos.store.engine import store_session

AsOf = Annotated[
    datetime | None,
    typer.Option(
        "--as-of",
        formats=["%Y-%m-%d"],
        help="Derive at this date (default: IMMOS_AS_OF, the last run's, or today).",
    ),
]


def register(app: typer.Typer) -> None:
    app.command("lifecycle")(lifecycle_command)
    app.command("person")(person_command)
    app.command("irs-request")(irs_request_command)


def lifecycle_command(ctx: typer.Context, as_of: AsOf = None) -> None:
    """Build every resolved person's timeline and derive their status and safeguard flags at a date."""
    st = state(ctx)
    try:
        with store_session(st.settings) as store, console.status("lifecycle") as status:
            day = as_of.date() if as_of else default_as_of(store, st.settings.as_of)
            report = run_lifecycle(
                st.context(),
                store,
                catalog=default_catalog(),
                as_of=day,
                on_step=lambda s: status.update(f"lifecycle: {s}"),
            )
    except ImmosError as exc:
        raise fail(exc) from exc
    table = Table(title=f"Statuses at {report.as_of} (rules {report.rules_version})")
    table.add_column("status")
    table.add_column("persons", justify="right")
    for name, n in report.statuses.items():
        table.add_row(name, f"{n:,}")
    console.print(table)
    flags = ", ".join(f"{name} {n:,}" for name, n in report.flags.items()) or "none"
    console.print(
        f"Lifecycle run {report.run_id}: {report.events:,} events for {report.persons:,} persons "
        f"in {report.seconds:.1f} s. Safeguard flags: {flags}."
    )


def person_command(
    ctx: typer.Context,
    person_id: Annotated[
        int, typer.Argument(help="A person id (from 'immos explain', 'immos review', ...).")
    ],
    as_of: AsOf = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A person's timeline with provenance, and their status with its reasons and history."""
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            day = as_of.date() if as_of else default_as_of(store, st.settings.as_of)
            view = view_person(
                st.context(),
                store,
                person_id,
                catalog=default_catalog(),
                events=default_events(),
                rules=default_rules(),
                as_of=day,
            )
    except ImmosError as exc:
        raise fail(exc) from exc
    if as_json:
        print(view.model_dump_json(indent=2))
        return
    print_person(view)


def _status_panel(view: PersonLifecycle) -> Panel:
    s = view.status
    lines = [
        f"[bold]{s.status.value}[/] at {s.as_of} by rule [cyan]{s.rule}[/] (rules {s.rules_version})",
        s.rule_description,
    ]
    for e in s.evidence:
        if e["value"] is not None:
            lines.append(f"  {e['fact']} = {e['value']}  ({e['record']})")
    return Panel("\n".join(lines), title=f"Person {view.person_id}: {view.records} records")


def print_person(view: PersonLifecycle) -> None:
    console.print(_status_panel(view))
    for s in view.safeguards:
        console.print(f"[bold yellow]safeguard[/] {s.flag}: {s.detail}")
    table = Table(title="Timeline")
    for col in ("date", "event", "detail", "until", "sources"):
        table.add_column(col, overflow="fold")
    for e in view.timeline:
        sources = "\n".join(f"{p.source}:{p.record_id}" for p in e.provenance)
        detail = (e.detail or "") + (f"\n[red]conflict: {e.conflict}[/]" if e.conflict else "")
        table.add_row(str(e.date or "?"), e.kind, detail, str(e.until or ""), sources)
    console.print(table)
    history = Table(title="Status history")
    for col in ("since", "status", "rule"):
        history.add_column(col)
    for p in view.history:
        history.add_row(str(p.since or ""), p.status.value, p.rule or "")
    console.print(history)
    for c in view.conflicts:
        said = "; ".join(f"{value}: {', '.join(recs)}" for value, recs in c.values.items())
        console.print(f"[red]sources disagree on {c.attribute}[/]: {said}")


def irs_request_command(
    ctx: typer.Context,
    person_id: Annotated[int, typer.Argument(help="The one person the request is about (never bulk).")],
    case: Annotated[str, typer.Option(help="The officer's case.")],
    reason: Annotated[str, typer.Option(help="Why the data is needed.")],
    statute: Annotated[str, typer.Option(help="The statute of the disclosure.")] = "26 U.S.C. 6103(i)(2)",
    investigation: Annotated[
        str | None, typer.Option(help="A named criminal investigation, if that is the ground.")
    ] = None,
    as_of: AsOf = None,
) -> None:
    """Request one person's IRS name, last-known address and tax periods (enforcement, per person)."""
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            day = as_of.date() if as_of else default_as_of(store, st.settings.as_of)
            disclosure = request_irs_data(
                st.context(),
                store,
                default_access_policy(),
                IrsRequest(person_id, case, statute, reason, investigation),
                as_of=day,
                disabled=st.settings.irs_disabled,
            )
    except ImmosError as exc:
        raise fail(exc) from exc
    console.print(
        f"IRS disclosure to {disclosure.officer} for case {disclosure.case} ({disclosure.ground}): "
        f"{disclosure.given_name or '?'} {disclosure.family_name or '?'}, last known at "
        f"{disclosure.last_known_address or 'no address'}; tax periods {disclosure.tax_periods}."
    )
