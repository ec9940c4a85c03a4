"""What every command shares: settings, the acting user and purpose, and the console."""

from __future__ import annotations

from dataclasses import dataclass

import typer
from rich.console import Console

from immigrationos.config import Settings
from immigrationos.context import RequestContext, make_context
from immigrationos.errors import ImmosError

console = Console()
err_console = Console(stderr=True)


@dataclass
class CliState:
    settings: Settings

    def context(self) -> RequestContext:
        """The request context the CLI acts under (IMMOS_ACTOR / IMMOS_PURPOSE or --user / --purpose)."""
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
