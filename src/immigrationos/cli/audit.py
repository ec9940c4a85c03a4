"""``immos audit verify`` and ``immos audit checkpoint``: the tamper-evident log's front end."""

from __future__ import annotations

from typing import Annotated

import typer

from immigrationos.audit.log import checkpoint, signing_key, verify
from immigrationos.cli.state import console, fail, state
from immigrationos.errors import AuditError
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


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="audit")
