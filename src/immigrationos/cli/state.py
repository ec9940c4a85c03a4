"""What every command shares: settings, the acting user and purpose, and the console."""

from __future__ import annotations

from dataclasses import dataclass

import typer
from rich.console import Console

from immigrationos.config import Settings
from immigrationos.context import RequestContext, make_context
from immigrationos.errors import ContextError, ImmosError

console = Console()
err_console = Console(stderr=True)


@dataclass
class CliState:
    settings: Settings
    user_roles: frozenset[str] | None = None  # from the users table, once the installation has one
    user_error: str | None = None

    def context(self) -> RequestContext:
        """The request context the CLI acts under: the named user (--user or IMMOS_ACTOR) with the roles
        the users table gives them, and the declared purpose (--purpose or IMMOS_PURPOSE). Before an
        installation has a store, IMMOS_ROLES stands in for the roles."""
        if self.user_error:
            raise ContextError(self.user_error)
        roles = self.user_roles
        if roles is None:
            roles = frozenset(r.strip() for r in self.settings.roles.split(",") if r.strip())
        return make_context(self.settings.actor, self.settings.purpose, roles=roles)


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        raise typer.Exit(code=2)
    return obj


def fail(exc: ImmosError, code: int = 1) -> typer.Exit:
    """Print one of our errors plainly (no traceback) and give the exit to raise."""
    err_console.print(f"[bold red]error:[/] {exc}")
    return typer.Exit(code=code)
