"""Access decisions from data: the source catalog says which purposes each source serves, roles.yaml
says which roles may declare which purposes; pycasbin enforces the policy lines generated from both.

A request reads a source when one of the actor's roles may declare the request's purpose and the
catalog allows that purpose for the source without conditions. A purpose the catalog allows only under
conditions (IRS data for enforcement) is never granted to a plain read: it needs a per-person request.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import casbin
from pydantic import BaseModel, ConfigDict

from immigrationos.audit import log as audit
from immigrationos.context import Purpose, RequestContext
from immigrationos.errors import AccessDeniedError, ImmosError
from immigrationos.sources.models import Catalog
from immigrationos.store.engine import Store
from immigrationos.yamlfile import load_model

READ = "read"
BY_REQUEST = "read_by_request"


class RoleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    purposes: tuple[Purpose, ...]
    sees_identity: bool


class Roles(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int
    roles: dict[str, RoleSpec]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def require_purpose(ctx: RequestContext, allowed: frozenset[Purpose], what: str, store: Store) -> None:
    """Refuse (and audit the refusal of) a request whose declared purpose the function does not serve."""
    if ctx.purpose not in allowed:
        names = ", ".join(sorted(p.value for p in allowed))
        message = f"{what} serves {names}; not {ctx.purpose.value}"
        audit_denial(ctx, store, what, message)
        raise AccessDeniedError(message)


def require_role(
    ctx: RequestContext,
    store: Store,
    roles: frozenset[str],
    what: str,
    *,
    error: type[ImmosError] = AccessDeniedError,
) -> None:
    """Refuse (and audit the refusal of) an action none of the actor's roles may take; ``error`` is the
    exception the calling workflow reports refusals with."""
    if not ctx.actor.roles & roles:
        message = f"{ctx.actor.user} may not {what}: it needs one of the roles {sorted(roles)}"
        audit_denial(ctx, store, what, message)
        raise error(message)


def audit_denial(ctx: RequestContext, store: Store, what: str, message: str) -> None:
    """Every refused access decision is in the audit log, as every granted one is."""
    audit.record(ctx, store, "access.denied", outcome="denied", justification=f"{what}: {message}")


def policy_lines(catalog: Catalog, roles: Roles) -> list[list[str]]:
    """(role, purpose, source, action) for every read the catalog and the roles allow together."""
    lines = []
    for role, spec in sorted(roles.roles.items()):
        for purpose in spec.purposes:
            for source in catalog.sources:
                if purpose not in source.allowed_purposes:
                    continue
                action = BY_REQUEST if source.purpose_conditions.get(purpose) else READ
                lines.append([role, purpose.value, source.name, action])
    return lines


class AccessPolicy:
    """The enforcer, built once per catalog and roles."""

    def __init__(self, catalog: Catalog, roles: Roles) -> None:
        model = resources.files("immigrationos.access").joinpath("model.conf")
        with resources.as_file(model) as path:
            self.enforcer = casbin.Enforcer(str(path))
        self.enforcer.add_policies(policy_lines(catalog, roles))  # type: ignore[no-untyped-call]
        self.catalog = catalog
        self.roles = roles

    def decide(self, ctx: RequestContext, source: str, action: str = READ) -> Decision:
        return self._decide(ctx.actor.user, ctx.actor.roles, ctx.purpose, source, action)

    @lru_cache(maxsize=4096)  # noqa: B019 - the policy lives as long as the process, and is immutable
    def _decide(
        self, user: str, roles: frozenset[str], purpose_: Purpose, source: str, action: str
    ) -> Decision:
        purpose = purpose_.value
        for role in sorted(roles):
            if self.enforcer.enforce(role, purpose, source, action):  # type: ignore[no-untyped-call]
                return Decision(True, f"role {role} may {action} {source} for {purpose}")
        spec = self.catalog.source(source)
        if purpose_ not in spec.allowed_purposes:
            return Decision(False, f"{source} may not be used for {purpose} ({spec.legal_authority})")
        if spec.purpose_conditions.get(purpose_) and action == READ:
            conditions = ", ".join(spec.purpose_conditions[purpose_])
            return Decision(False, f"{source} for {purpose} only through a per-person request ({conditions})")
        return Decision(False, f"no role of {user} may declare {purpose}")

    def field_visible(self, ctx: RequestContext, source: str, field: str) -> bool:
        """A field is shown when its source may be read and, for an identity attribute (a field with a
        person role: name, birth date, identifiers, address), when the reader's role sees identities."""
        if not self.decide(ctx, source).allowed:
            return False
        return self.catalog.source(source).field(field).role is None or self.sees_identity(ctx)

    def sees_identity(self, ctx: RequestContext) -> bool:
        return any(
            self.roles.roles[r].sees_identity and ctx.purpose in self.roles.roles[r].purposes
            for r in ctx.actor.roles
            if r in self.roles.roles
        )


@lru_cache(maxsize=1)
def default_policy() -> AccessPolicy:
    from immigrationos.sources.catalog import default_catalog

    return AccessPolicy(default_catalog(), load_model(Roles, "immigrationos.access", "roles.yaml")[0])
