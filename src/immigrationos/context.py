"""The request context every service call that touches personal data must carry.

Who is asking and for what purpose is required from the first line of the system, so access control and
audit can judge every call later without retrofitting call sites.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from immigrationos.errors import ContextError


class Purpose(StrEnum):
    """Declared purposes of use; each source in the catalog lists the ones it allows."""

    ENFORCEMENT = "enforcement"
    DEPARTURE_ASSISTANCE = "departure_assistance"
    BENEFITS_ADJUDICATION = "benefits_adjudication"
    OVERSIGHT = "oversight"
    REDRESS = "redress"
    DATA_MANAGEMENT = "data_management"


@dataclass(frozen=True)
class Actor:
    """A named user and the roles they hold."""

    user: str
    roles: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class RequestContext:
    """Actor plus declared purpose (and optional justification) for one service call."""

    actor: Actor
    purpose: Purpose
    justification: str = ""
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


def make_context(user: str, purpose: str, *, roles: frozenset[str] = frozenset()) -> RequestContext:
    """Build a context from user input, refusing an empty user or an unknown purpose."""
    if not user.strip():
        raise ContextError("a request needs a named user")
    try:
        declared = Purpose(purpose)
    except ValueError as exc:
        allowed = ", ".join(p.value for p in Purpose)
        raise ContextError(f"unknown purpose {purpose!r}; declare one of: {allowed}") from exc
    return RequestContext(actor=Actor(user=user, roles=roles), purpose=declared)


def require_context(ctx: object) -> RequestContext:
    """Guard at the top of every personal-data service: the context must be present and typed."""
    if not isinstance(ctx, RequestContext):
        raise ContextError("this service reads or writes personal data and needs a RequestContext")
    return ctx
