"""``immos departures ...``: the departure officer's commands, thin front ends over the domain."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from immigrationos.cli.state import CliState, console, fail, state
from immigrationos.departures import workflow
from immigrationos.departures.cases import sync_cases
from immigrationos.departures.intake import (
    FeedReport,
    process_feed,
    validate_registration,
    write_registration,
)
from immigrationos.departures.ledger import reconcile
from immigrationos.departures.models import default_policy
from immigrationos.departures.report import funnel_chart, metrics
from immigrationos.errors import ImmosError
from immigrationos.lifecycle.pipeline import default_as_of
from immigrationos.sources.catalog import default_catalog
from immigrationos.store.engine import Store, store_session

Approval = Annotated[
    int | None, typer.Option(help="The approved bulk request ('immos bulk') this selection uses.")
]

app = typer.Typer(
    help="Self-departures: registrations, cases, evidence of departure, stipends.", no_args_is_help=True
)
AsOf = Annotated[
    datetime | None,
    typer.Option(
        "--as-of", formats=["%Y-%m-%d"], help="Judge overdue cases at this date (default: the lifecycle's)."
    ),
]
Json = Annotated[bool, typer.Option("--json")]


def _day(store: Store, st: CliState, as_of: datetime | None) -> date:
    return as_of.date() if as_of else default_as_of(store, st.settings.as_of)


def _print_feed(report: FeedReport) -> None:
    for f in report.files:
        console.print(
            f"{f.path}: {f.status}, {f.loaded:,} loaded, {f.quarantined:,} quarantined"
            + (f" ({f.error})" if f.error else "")
        )
    a = report.attach
    if a:
        console.print(
            f"Resolution: {a.new_records:,} new records, {a.attached:,} joined existing persons, "
            f"{a.new_persons:,} new persons, {a.review_items:,} to review."
        )
    console.print(f"Lifecycle: {report.events:,} events, {report.persons_refreshed:,} persons re-derived.")
    if report.cases:
        console.print(
            f"Cases: {report.cases.created:,} opened, {report.cases.transitions:,} transitions; now {report.cases.states}."
        )
    console.print(f"Seconds per step: {report.seconds}")


@app.command("process")
def process_command(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="A day's feed files.")],
    as_of: AsOf = None,
) -> None:
    """Ingest a day's files and carry them through resolution, the lifecycle and the cases."""
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            report = process_feed(
                st.context(),
                store,
                files,
                catalog=default_catalog(),
                policy=default_policy(),
                as_of=_day(store, st, as_of),
                batch_rows=st.settings.ingest_batch_rows,
            )
    except ImmosError as exc:
        raise fail(exc) from exc
    _print_feed(report)


@app.command("register")
def register_command(
    ctx: typer.Context,
    registration: Annotated[Path, typer.Argument(help="A JSON file with one registration (see the README).")],
    as_of: AsOf = None,
) -> None:
    """Register an intention to depart (what the app's service call does), then process it."""
    st = state(ctx)
    try:
        raw = json.loads(registration.read_text(encoding="utf-8"))
        valid = validate_registration(raw)
        path = write_registration(valid, default_catalog(), st.settings.home / "intake")
        with store_session(st.settings) as store:
            report = process_feed(
                st.context(),
                store,
                [path],
                catalog=default_catalog(),
                policy=default_policy(),
                as_of=_day(store, st, as_of),
            )
    except (OSError, json.JSONDecodeError) as exc:
        raise fail(ImmosError(f"{registration}: {exc}")) from exc
    except ImmosError as exc:
        raise fail(exc) from exc
    _print_feed(report)


@app.command("sync")
def sync_command(ctx: typer.Context, as_of: AsOf = None) -> None:
    """Bring every case in step with the stored evidence (after a full resolve and lifecycle run)."""
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            report = sync_cases(st.context(), store, default_policy(), _day(store, st, as_of))
    except ImmosError as exc:
        raise fail(exc) from exc
    console.print(
        f"{report.cases:,} cases ({report.created:,} opened, {report.merged:,} merged), "
        f"{report.transitions:,} transitions; now {report.states}."
    )
    for case_id, current, wanted in report.stuck[:20]:
        console.print(
            f"[yellow]case {case_id}[/] is {current}; the evidence says {wanted}, which it cannot become: review it"
        )


@app.command("list")
def list_command(
    ctx: typer.Context,
    state_filter: Annotated[str | None, typer.Option("--state", help="Only cases in this state.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 30,
    approval: Approval = None,
) -> None:
    """Cases, newest first (more than IMMOS_BULK_ROWS at once needs an approved bulk request)."""
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            rows = workflow.list_cases(
                st.context(),
                store,
                state=state_filter,
                limit=limit,
                bulk_rows=st.settings.bulk_rows,
                approval=approval,
            )
    except ImmosError as exc:
        raise fail(exc) from exc
    table = Table(title="Self-departure cases")
    for col in ("case", "person", "state", "planned", "evidence", "confirmed", "flag"):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


@app.command("export")
def export_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="The Parquet file to write.")],
    approval: Approval = None,
    state_filter: Annotated[str | None, typer.Option("--state", help="Only cases in this state.")] = None,
) -> None:
    """Every matching case to a Parquet file, on an approved bulk request for exactly this export."""
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            n = workflow.export_cases(st.context(), store, out, approval=approval, state=state_filter)
    except ImmosError as exc:
        raise fail(exc) from exc
    console.print(f"Exported {n:,} cases to {out} (bulk request {approval}, now used).")


@app.command("show")
def show_command(ctx: typer.Context, case_id: int, as_json: Json = False) -> None:
    """A case with its transitions (who, when, why) and its ledger transactions."""
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            case = workflow.case_view(st.context(), store, case_id)
    except ImmosError as exc:
        raise fail(exc) from exc
    if as_json:
        print(json.dumps(case, indent=2, default=str))
        return
    console.print(
        f"[bold]case {case_id}[/] person {case['person_id']}: [bold]{case['state']}[/]; registrations "
        f"{', '.join(case['registration_ids'])}; planned {case['planned_departure']}; match "
        f"{case['match_basis']} ({case['match_confidence']}); evidence {case['evidence_grade'] or 'none'} "
        f"{case['evidence_rec'] or ''}"
        + (f"; [yellow]flag[/]: {case['flag_reason']}" if case["flag_reason"] else "")
    )
    if case["matched_rec"]:
        console.print(f"matched to {case['matched_rec']} by {case['matched_by']}: {case['matched_note']}")
    for c in case.get("candidates", []):
        exits = ", ".join(str(d) for d in c["exits"]) or "none"
        console.print(
            f"candidate person {c['person_id']} ({c['record']}, p {c['probability']:.4f}): {c['reason']}; exits since registering: {exits}"
        )
    table = Table(title="Transitions")
    for col in ("at", "from", "to", "actor", "reason", "evidence"):
        table.add_column(col, overflow="fold")
    for t in case["transitions"]:
        table.add_row(t["at"][:19], t["from"] or "", t["to"], t["actor"], t["reason"], t["evidence"] or "")
    console.print(table)
    for t in case["ledger"]:
        console.print(
            f"ledger: txn {t['txn_id']} {t['kind']} {t['amount']} ({t['evidence'] or 'no evidence'})"
        )


def _act(ctx: typer.Context, fn: Any) -> Any:
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            return fn(st, store)
    except ImmosError as exc:
        raise fail(exc) from exc


@app.command("arrange-travel")
def arrange_travel_command(
    ctx: typer.Context,
    case_id: int,
    cost: Annotated[str, typer.Option(help="Cost of the booking, e.g. 412.50.")],
    itinerary: Annotated[str, typer.Option(help="Booking reference (one booking per reference).")],
) -> None:
    """Book and pay a registrant's travel."""
    txn = _act(
        ctx,
        lambda st, store: workflow.arrange_travel(
            st.context(), store, default_policy(), case_id, cost=Decimal(cost), itinerary=itinerary
        ),
    )
    console.print(f"case {case_id}: travel booked ({itinerary}), ledger transaction {txn}.")


@app.command("pay")
def pay_command(
    ctx: typer.Context,
    case_id: Annotated[int | None, typer.Argument(help="The case to pay.")] = None,
    all_due: Annotated[bool, typer.Option("--all-due", help="Pay every confirmed, unpaid case.")] = False,
) -> None:
    """Pay the stipend: once per case, only after a departure confirmed by evidence the policy accepts."""
    if all_due == (case_id is not None):
        raise fail(ImmosError("name one case, or --all-due"), code=2)
    if all_due:
        refused: list[tuple[int, str]] = []
        payments = _act(
            ctx, lambda st, store: workflow.pay_all_due(st.context(), store, default_policy(), refused)
        )
        new = [p for p in payments if not p.already_paid]
        console.print(f"{len(new):,} stipends paid, {sum(p.amount for p in new):,} in total.")
        for _case_id, reason in refused:
            console.print(f"not paid: {reason}")
        return
    p = _act(
        ctx, lambda st, store: workflow.pay_stipend(st.context(), store, default_policy(), int(case_id or 0))
    )
    verb = "was already paid" if p.already_paid else "paid"
    console.print(
        f"case {p.case_id}: stipend {verb} ({p.amount}, transaction {p.txn_id}, evidence {p.evidence_rec})."
    )


@app.command("match")
def match_command(
    ctx: typer.Context,
    case_id: int,
    record: Annotated[str, typer.Option(help="A record (source:record_id) of the person the registrant is.")],
    reason: Annotated[str, typer.Option(help="The evidence that settles it (kept with the case).")],
) -> None:
    """Tie a registration that resolution held for review to a person ('show' lists the candidates)."""
    _act(
        ctx,
        lambda st, store: workflow.match_registration(
            st.context(), store, case_id, record=record, reason=reason
        ),
    )
    console.print(
        f"case {case_id}: matched to the person holding {record}; 'immos departures sync' applies it."
    )


@app.command("withdraw")
def withdraw_command(ctx: typer.Context, case_id: int, reason: Annotated[str, typer.Option()]) -> None:
    """Record that the registrant withdrew."""
    _act(ctx, lambda st, store: workflow.withdraw(st.context(), store, case_id, reason))
    console.print(f"case {case_id}: withdrawn.")


@app.command("close")
def close_command(ctx: typer.Context, case_id: int, reason: Annotated[str, typer.Option()]) -> None:
    """Close a case (after payment, withdrawal, a re-entry, or a flag)."""
    _act(ctx, lambda st, store: workflow.close(st.context(), store, case_id, reason))
    console.print(f"case {case_id}: closed.")


@app.command("reconcile")
def reconcile_command(ctx: typer.Context, as_json: Json = False) -> None:
    """Tie every stipend to its case and confirmation; check that the books balance."""
    st = state(ctx)
    with store_session(st.settings, read_only=True) as store:
        result = reconcile(store, default_policy())
    if as_json:
        print(json.dumps(result, indent=2))
        return
    console.print(
        f"Ledger {'balances' if result['balanced'] else '[red]does not balance[/]'} (debits {result['debits']}, "
        f"credits {result['credits']}); {result['stipends']:,} stipends; paid twice: {len(result['cases_paid_twice'])}; "
        f"with issues: {len(result['payments_with_issues'])}; re-entered after payment: {len(result['reentered_after_payment'])}."
    )
    for issue in result["payments_with_issues"][:20]:
        console.print(f"[red]txn {issue['txn_id']}[/] case {issue['case_id']}: {issue['problem']}")
    if result["payments_with_issues"] or not result["balanced"]:
        raise typer.Exit(code=1)


@app.command("report")
def report_command(
    ctx: typer.Context,
    chart: Annotated[Path, typer.Option(help="Where the funnel chart (PNG) is saved.")] = Path(
        "departures-funnel.png"
    ),
    as_json: Json = False,
) -> None:
    """The funnel, time from planned date to confirmed exit, money paid; and the funnel as a chart."""
    st = state(ctx)
    with store_session(st.settings, read_only=True) as store:
        data = metrics(store)
    funnel_chart(data, chart)
    if as_json:
        print(json.dumps(data | {"chart": str(chart)}, indent=2))
        return
    table = Table(title="Self-departure funnel")
    table.add_column("step")
    table.add_column("cases", justify="right")
    table.add_column("of registered", justify="right")
    registered = data["funnel"]["registered"] or 1
    for step, n in data["funnel"].items():
        table.add_row(step.replace("_", " "), f"{n:,}", f"{n / registered:.0%}")
    console.print(table)
    now = Table(title="Cases now")
    now.add_column("state")
    now.add_column("cases", justify="right")
    for name, n in data["now"].items():
        now.add_row(name, f"{n:,}")
    console.print(now)
    d = data["days_planned_to_confirmed_exit"]
    console.print(
        f"Planned date to confirmed exit: median {d['median']} days, p95 {d['p95']} days over {d['cases']:,} cases. "
        f"Paid: stipends {data['paid']['stipends']}, travel {data['paid']['travel']}. "
        f"Evidence grades: {data['evidence_grades']}. Chart: {chart}"
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="departures")
