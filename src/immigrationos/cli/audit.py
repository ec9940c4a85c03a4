"""``immos audit verify`` and ``immos audit checkpoint``: the tamper-evident log's front end."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from immigrationos.audit.log import checkpoint, signing_key, verify
from immigrationos.audit.report import oversight_report
from immigrationos.cli.state import console, fail, state
from immigrationos.errors import AuditError, ImmosError
from immigrationos.store.engine import store_session

app = typer.Typer(
    help="The tamper-evident audit log (RFC 9162 Merkle tree, signed tree heads).", no_args_is_help=True
)


@app.command("checkpoint")
def checkpoint_command(ctx: typer.Context) -> None:
    """Sign the current tree head (size and root): entries up to it can no longer change unnoticed."""
    st = state(ctx)
    with store_session(st.settings) as store:
        size, root = checkpoint(store, signing_key(st.settings.home))
    console.print(f"Signed the tree head: {size:,} entries, root {root}.")


@app.command("verify")
def verify_command(
    ctx: typer.Context, quiet: Annotated[bool, typer.Option(help="Print nothing when it verifies.")] = False
) -> None:
    """Check every entry against its leaf hash, the sequence, and every signed tree head."""
    st = state(ctx)
    with store_session(st.settings, read_only=True) as store:
        result = verify(store, signing_key(st.settings.home).public_key())
    if not result.ok:
        where = f" First bad entry: {result.first_bad_seq}." if result.first_bad_seq else ""
        raise fail(AuditError(f"the audit log does not verify: {result.problem}.{where}"))
    if not quiet:
        console.print(
            f"The audit log verifies: {result.entries:,} entries, {result.checkpoints:,} signed tree heads."
        )


@app.command("report")
def report_command(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """For auditors (--purpose oversight): accesses by user, purpose and source (tax data apart), denials,
    outside disclosures, agreements, and anomalies. Reading the log is recorded in it."""
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            report = oversight_report(st.context(), store)
    except ImmosError as exc:
        raise fail(exc) from exc
    if as_json:
        print(json.dumps(report, indent=2, default=str))
        return
    table = Table(title=f"Accesses ({report['entries']:,} audit entries)")
    for col in ("actor", "purpose", "event", "outcome", "entries", "persons"):
        table.add_column(col, justify="right" if col in ("entries", "persons") else "left")
    for r in report["by_user_and_purpose"]:
        table.add_row(r["actor"], r["purpose"], r["event"], r["outcome"], f"{r['n']:,}", f"{r['persons']:,}")
    console.print(table)
    console.print(
        f"Tax-data accesses: {len(report['tax_data_accesses'])}; denied or refused: {len(report['denied'])}; "
        f"users reading many persons without a case: {len(report['anomalies']['many_persons_without_a_case'])}; "
        f"bulk attempts: {len(report['anomalies']['bulk_attempts'])}; outside working hours: "
        f"{len(report['anomalies']['outside_working_hours'])}; outside disclosures: "
        f"{sum(int(d['n']) for d in report['outside_disclosures'])}; agreements in force: "
        f"{sum(1 for a in report['agreements'] if a['in_force_today'])} of {len(report['agreements'])}. "
        "Use --json for the lists."
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="audit")
