"""Typed models of the priority policy and of the worklist workflow (states and allowed transitions)."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from immigrationos.lifecycle.rules import parse_expression, referenced_columns
from immigrationos.statuses import ImmigrationStatus
from immigrationos.yamlfile import load_model

EVENT_COLUMNS = frozenset({"kind", "code", "event_date", "until", "detail", "source"})


class Category(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    tier: int = Field(ge=1)
    weight: float = Field(gt=0)
    description: str = Field(min_length=3)
    events: str | None = None
    statuses: tuple[ImmigrationStatus, ...] = ()
    within_years: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _has_a_test(self) -> Category:
        if not self.events and not self.statuses:
            raise ValueError(f"category {self.name} names neither events nor statuses")
        if self.events:
            unknown = referenced_columns(parse_expression(self.events, self.name)) - EVENT_COLUMNS
            if unknown:
                raise ValueError(f"category {self.name}: unknown event columns {sorted(unknown)}")
        return self


class Safeguard(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    reason: str = Field(min_length=10)
    flags: tuple[str, ...] = ()
    statuses: tuple[ImmigrationStatus, ...] = ()
    unless_categories: tuple[str, ...] = ()
    under_age: int | None = Field(default=None, ge=1, le=25)

    @model_validator(mode="after")
    def _has_a_test(self) -> Safeguard:
        if not (self.flags or self.statuses or self.under_age):
            raise ValueError(f"safeguard {self.name} tests nothing")
        return self


class Deprioritisation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    factor: float = Field(gt=0, lt=1)
    reason: str = Field(min_length=10)


class PriorityPolicy(BaseModel):
    """The priority policy (``policy.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    categories: tuple[Category, ...] = Field(min_length=1)
    safeguards: tuple[Safeguard, ...] = Field(min_length=1)
    identity_queue_flags: tuple[str, ...]
    deprioritise: tuple[Deprioritisation, ...] = ()
    contest_days: int = Field(ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> PriorityPolicy:
        names = [c.name for c in self.categories]
        if len(set(names)) != len(names):
            raise ValueError("category names must be unique")
        for guard in self.safeguards:
            unknown = set(guard.unless_categories) - set(names)
            if unknown:
                raise ValueError(f"safeguard {guard.name} names unknown categories {sorted(unknown)}")
        if not any(g.flags and "citizenship_evidence" in g.flags for g in self.safeguards):
            raise ValueError("the policy must keep the citizenship-evidence safeguard")
        return self


def load_policy(path: Path | None = None) -> PriorityPolicy:
    return load_model(PriorityPolicy, "immigrationos.priority", "policy.yaml", path)[0]


@lru_cache(maxsize=1)
def default_policy() -> PriorityPolicy:
    return load_policy()


class EntryState(StrEnum):
    IDENTITY_QUEUE = "identity_queue"
    CANDIDATE = "candidate"
    IDENTITY_VERIFIED = "identity_verified"
    NOTICE_RECORDED = "notice_recorded"
    CONTESTED = "contested"
    ACTIONABLE = "actionable"
    DISMISSED = "dismissed"
    WITHDRAWN = "withdrawn"


E = EntryState
OPEN_STATES = frozenset(
    {E.IDENTITY_QUEUE, E.CANDIDATE, E.IDENTITY_VERIFIED, E.NOTICE_RECORDED, E.CONTESTED, E.ACTIONABLE}
)
ALLOWED: dict[EntryState, frozenset[EntryState]] = {
    E.IDENTITY_QUEUE: frozenset({E.IDENTITY_VERIFIED, E.DISMISSED, E.WITHDRAWN}),
    E.CANDIDATE: frozenset({E.IDENTITY_VERIFIED, E.IDENTITY_QUEUE, E.DISMISSED, E.WITHDRAWN}),
    E.IDENTITY_VERIFIED: frozenset({E.NOTICE_RECORDED, E.IDENTITY_QUEUE, E.DISMISSED, E.WITHDRAWN}),
    E.NOTICE_RECORDED: frozenset({E.CONTESTED, E.ACTIONABLE, E.IDENTITY_QUEUE, E.DISMISSED, E.WITHDRAWN}),
    E.CONTESTED: frozenset({E.NOTICE_RECORDED, E.DISMISSED, E.WITHDRAWN, E.IDENTITY_QUEUE}),
    E.ACTIONABLE: frozenset({E.IDENTITY_QUEUE, E.DISMISSED, E.WITHDRAWN}),
    E.DISMISSED: frozenset(),
    E.WITHDRAWN: frozenset(),
}
