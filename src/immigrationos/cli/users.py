"""``immos users ...``: manage users, roles and API tokens."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from immigrationos.access.policy import default_policy
from immigrationos.access.users import add_user, disable_user, ensure_local_admin, issue_token, list_users
from immigrationos.cli.state import console, fail, state
from immigrationos.errors import ImmosError
from immigrationos.store.engine import store_session

app = typer.Typer(
    help="Users, their roles (access/roles.yaml) and expiring API tokens.", no_args_is_help=True
)


@app.command("list")
def list_command(ctx: typer.Context) -> None:
    """Users with their roles (a fresh installation creates the local administrator first)."""
    st = state(ctx)
    with store_session(st.settings) as store:
        created = ensure_local_admin(store, st.settings.home)
        users = list_users(store)
    if created:
        console.print(
            f"Created the local administrator 'local-admin'; its password is in {created} (owner only)."
        )
    table = Table(title="Users")
    for col in ("user", "roles", "state"):
        table.add_column(col)
    for u in users:
        table.add_row(u.name, ", ".join(u.roles), "disabled" if u.disabled else "active")
    console.print(table)


def _require_admin(ctx: typer.Context) -> None:
    roles = state(ctx).context().actor.roles
    if "admin" not in roles:
        raise fail(ImmosError(f"{state(ctx).settings.actor} may not manage users: it needs the admin role"))


@app.command("add")
def add_command(
    ctx: typer.Context,
    name: str,
    role: Annotated[list[str], typer.Option("--role", help="A role from access/roles.yaml (repeatable).")],
    password_file: Annotated[
        Path | None,
        typer.Option(help="A file holding the initial password (12+ characters); without it, a prompt."),
    ] = None,
) -> None:
    """Add a user with roles and an argon2-hashed password (typed at a hidden prompt, twice, or read
    from a file for scripts: never on the command line, where the shell history would keep it)."""
    _require_admin(ctx)
    st = state(ctx)
    try:
        password = (
            password_file.read_text(encoding="utf-8").strip()
            if password_file
            else str(typer.prompt(f"Initial password for {name}", hide_input=True, confirmation_prompt=True))
        )
        with store_session(st.settings) as store:
            ensure_local_admin(store, st.settings.home)
            add_user(store, name, tuple(role), password, set(default_policy().roles.roles))
    except (OSError, ImmosError) as exc:
        raise fail(exc if isinstance(exc, ImmosError) else ImmosError(str(exc))) from exc
    console.print(f"Added {name} with roles {', '.join(role)}.")


@app.command("disable")
def disable_command(ctx: typer.Context, name: str) -> None:
    """Disable a user and revoke their tokens."""
    _require_admin(ctx)
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            disable_user(store, name)
    except ImmosError as exc:
        raise fail(exc) from exc
    console.print(f"Disabled {name}; their tokens are revoked.")


@app.command("token")
def token_command(
    ctx: typer.Context, name: str, days: Annotated[int, typer.Option(min=1, max=90)] = 1
) -> None:
    """Issue an API token that expires (shown once; only its hash is kept)."""
    _require_admin(ctx)
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            token = issue_token(store, name, days)
    except ImmosError as exc:
        raise fail(exc) from exc
    console.print(f"Token for {name}, valid {days} day(s): {token}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="users")
