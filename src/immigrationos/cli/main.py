"""The ``immos`` command line: a thin front end over the services."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from immigrationos.access.users import ensure_local_admin, get_user
from immigrationos.cli import agreements as agreement_commands
from immigrationos.cli import audit as audit_commands
from immigrationos.cli import bulk as bulk_commands
from immigrationos.cli import departures as departure_commands
from immigrationos.cli import lifecycle as lifecycle_commands
from immigrationos.cli import redress as redress_commands
from immigrationos.cli import render
from immigrationos.cli import resolution as resolution_commands
from immigrationos.cli import users as user_commands
from immigrationos.cli import worklist as worklist_commands
from immigrationos.cli.state import CliState, console, err_console, fail, state
from immigrationos.config import Settings
from immigrationos.errors import ImmosError
from immigrationos.sources.catalog import default_catalog
from immigrationos.sources.ingest import (
    IngestReport,
    ingest_directory,
    ingest_file,
    quarantine_listing,
    store_summary,
)
from immigrationos.sources.ingest import (
    Progress as IngestProgress,
)
from immigrationos.store.engine import store_session
from immigrationos.synth.params import describe_params, load_params
from immigrationos.synth.world import WorldSummary, generate_world, world_as_of

app = typer.Typer(
    help="ImmigrationOS: accountable integration of immigration agency records (synthetic data only).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
resolution_commands.register(app)
lifecycle_commands.register(app)
departure_commands.register(app)
worklist_commands.register(app)
audit_commands.register(app)
user_commands.register(app)
redress_commands.register(app)
agreement_commands.register(app)
bulk_commands.register(app)


@app.callback()
def main(
    ctx: typer.Context,
    home: Annotated[
        Path | None, typer.Option(help="Installation folder (default: ./.immos, or IMMOS_HOME).")
    ] = None,
    user: Annotated[
        str | None, typer.Option(help="User to act as (default: IMMOS_ACTOR or local-admin).")
    ] = None,
    purpose: Annotated[
        str | None, typer.Option(help="Declared purpose of use (default: IMMOS_PURPOSE).")
    ] = None,
) -> None:
    overrides = {k: v for k, v in {"home": home, "actor": user, "purpose": purpose}.items() if v is not None}
    settings = Settings(**overrides)  # type: ignore[arg-type]
    ctx.obj = _bind_user(CliState(settings=settings))


def _bind_user(st: CliState) -> CliState:
    """Once the installation has a store, the CLI acts as a user of its users table (the local
    administrator is created on first use, and says so)."""
    if not st.settings.resolved_store_path.exists():
        return st
    try:
        with store_session(st.settings) as store:
            created = ensure_local_admin(store, st.settings.home)
            found = get_user(store, st.settings.actor)
    except ImmosError as exc:
        st.user_error = str(exc)
        return st
    if created:
        err_console.print(
            f"Created the local administrator 'local-admin'; its password is in {created} (owner only)."
        )
    if found is None:
        st.user_error = f"unknown user {st.settings.actor}: add it with 'immos users add'"
    elif found.disabled:
        st.user_error = f"user {st.settings.actor} is disabled"
    else:
        st.user_roles = frozenset(found.roles)
    return st


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _generate(
    st: CliState,
    persons: int,
    seed: int,
    out: Path,
    fmt: Literal["parquet", "csv"],
    params_file: Path | None,
    as_of: date | None,
) -> WorldSummary:
    params = load_params(
        params_file,
        persons=persons,
        seed=seed,
        as_of=as_of,
        chunk_persons=min(st.settings.generate_chunk_persons, max(persons, 1000)),
    )
    with _progress() as bar:
        task = bar.add_task("generating persons", total=params.persons)
        summary = generate_world(params, out, fmt, on_chunk=lambda n: bar.advance(task, n))
    console.print(render.world_table(summary))
    console.print(
        f"Wrote {summary.total_records:,} records for {summary.persons:,} persons to {out} "
        f"(ground truth in {out / 'ground_truth'})."
    )
    return summary


@app.command()
def generate(
    ctx: typer.Context,
    persons: Annotated[int, typer.Option(min=100, help="Number of persons.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same world.")] = 42,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("world"),
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
    params_file: Annotated[
        Path | None, typer.Option("--params", help="YAML file overriding base rates.")
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="As-of date of the world, YYYY-MM-DD.")] = None,
) -> None:
    """Generate a synthetic multi-agency world with its ground truth."""
    if fmt not in ("parquet", "csv"):
        raise typer.BadParameter("--format must be parquet or csv")
    try:
        _generate(
            state(ctx),
            persons,
            seed,
            out,
            "parquet" if fmt == "parquet" else "csv",
            params_file,
            date.fromisoformat(as_of) if as_of else None,
        )
    except ImmosError as exc:
        raise fail(exc) from exc


def _ingest(st: CliState, paths: list[Path]) -> IngestReport:
    catalog = default_catalog()
    report = IngestReport()
    with store_session(st.settings) as store, _progress() as bar:
        tasks: dict[str, TaskID] = {}

        def on_progress(p: IngestProgress) -> None:
            if p.path not in tasks:
                tasks[p.path] = bar.add_task(f"ingest {Path(p.path).name}", total=p.rows_total)
            bar.update(tasks[p.path], completed=min(p.rows_done, p.rows_total))

        for path in paths:
            kwargs = {
                "catalog": catalog,
                "batch_rows": st.settings.ingest_batch_rows,
                "on_progress": on_progress,
            }
            if path.is_dir():
                report.files += ingest_directory(st.context(), store, path, **kwargs).files  # type: ignore[arg-type]
            else:
                try:
                    report.files.append(ingest_file(st.context(), store, path, **kwargs))  # type: ignore[arg-type]
                except ImmosError as exc:
                    from immigrationos.sources.ingest import FileReport

                    report.files.append(
                        FileReport(path=str(path), source=None, status="rejected", error=str(exc))
                    )
    console.print(render.ingest_table(report))
    console.print(
        f"Loaded {report.total('loaded'):,} records, {report.total('duplicates'):,} already present, "
        f"{report.total('quarantined'):,} quarantined (see 'immos quarantine'), "
        f"{len(report.rejected)} file(s) rejected; store: {st.settings.resolved_store_path}"
    )
    return report


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Folders or files named <source>.parquet|csv.")],
) -> None:
    """Validate agency files against the catalog and load them; bad rows go to quarantine."""
    try:
        report = _ingest(state(ctx), paths)
    except ImmosError as exc:
        raise fail(exc) from exc
    if report.rejected:
        raise typer.Exit(code=1)


def _summary(st: CliState, as_json: bool) -> None:
    catalog = default_catalog()
    with store_session(st.settings) as store:
        records, quarantined = store_summary(store, catalog)
    if as_json:
        console.print_json(json.dumps({"records": records, "quarantined": quarantined}))
    else:
        console.print(render.summary_table(records, quarantined, catalog))


@app.command()
def summary(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Records and quarantined rows per source in the store."""
    try:
        _summary(state(ctx), as_json)
    except ImmosError as exc:
        raise fail(exc) from exc


@app.command()
def quarantine(
    ctx: typer.Context,
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
) -> None:
    """Quarantined rows: file, row, field and reason."""
    from rich.table import Table

    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            rows = quarantine_listing(st.context(), store, limit=limit, source=source)
    except ImmosError as exc:
        raise fail(exc) from exc
    table = Table(title="Quarantine")
    for col in ("file", "row", "field", "reason"):
        table.add_column(col, overflow="fold")
    for path, row, field, reason in rows:
        table.add_row(path, str(row), field or "", reason)
    console.print(table)


@app.command()
def catalog(source: Annotated[str | None, typer.Argument(help="Show one source's fields.")] = None) -> None:
    """The agency source catalog: identifiers, purposes, legal authority, field sensitivity."""
    from rich.table import Table

    cat = default_catalog()
    if source is None:
        console.print(render.catalog_table(cat))
        return
    try:
        spec = cat.source(source)
    except ImmosError as exc:
        raise fail(exc) from exc
    table = Table(title=f"{spec.title} ({spec.name}) - {spec.legal_authority}")
    for col in ("field", "type", "required", "sensitivity", "identifier", "enum"):
        table.add_column(col, overflow="fold")
    for f in spec.fields:
        table.add_row(
            f.name,
            f.type.value,
            "yes" if f.required else "",
            f.sensitivity.value,
            f.identifier.value if f.identifier else "",
            ", ".join(f.enum or ()),
        )
    console.print(table)


@app.command()
def params(
    params_file: Annotated[
        Path | None, typer.Option("--params", help="Show a file's values instead.")
    ] = None,
) -> None:
    """The synthetic world's base rates: value and basis of every parameter."""
    from rich.table import Table

    try:
        values = load_params(params_file)
    except ImmosError as exc:
        raise fail(exc) from exc
    table = Table(title="World parameters (override with generate --params FILE.yaml)")
    for col in ("parameter", "value", "basis"):
        table.add_column(col, overflow="fold")
    for name, value, basis in describe_params(values):
        table.add_row(name, str(value), basis)
    console.print(table)


@app.command()
def demo(
    ctx: typer.Context,
    persons: Annotated[int, typer.Option(min=100)] = 20_000,
    seed: Annotated[int, typer.Option()] = 42,
    out: Annotated[Path, typer.Option(help="Where the synthetic world is written.")] = Path("world"),
) -> None:
    """The main job on the embedded store: generate a world, ingest it, resolve persons, derive their
    statuses at the world's date, open and settle self-departure cases, build the worklist, and measure all
    of it against the ground truth."""
    st = state(ctx)
    try:
        _generate(st, persons, seed, out, "parquet", None, None)
        _ingest(st, [out])
        _summary(st, as_json=False)
    except ImmosError as exc:
        raise fail(exc) from exc
    agreement_commands.standard_command(ctx)
    resolution_commands.resolve_command(ctx)
    world_day = datetime.combine(world_as_of(out), time())
    lifecycle_commands.lifecycle_command(ctx, as_of=world_day)
    departure_commands.sync_command(ctx, as_of=world_day)
    _declare(st, "departure_assistance")  # paying stipends serves the programme, nothing else
    departure_commands.pay_command(ctx, all_due=True)
    departure_commands.report_command(ctx, chart=st.settings.home / "departures-funnel.png")
    _declare(st, "data_management")
    worklist_commands.build_command(ctx, on=world_day)
    resolution_commands.evaluate_command(ctx, world=out)
    audit_commands.checkpoint_command(ctx)


def _declare(st: CliState, purpose: str) -> None:
    """The demo's operator declares, for each step, the purpose it serves (and says so)."""
    st.settings = st.settings.model_copy(update={"purpose": purpose})
    console.print(f"[dim]Acting as {st.settings.actor} for {purpose}.[/]")


def run() -> None:
    """The console entry point: any of our errors a command did not handle ends with its message, not a
    stack trace."""
    try:
        app()
    except ImmosError as exc:
        raise SystemExit(fail(exc).exit_code) from exc
