"""Typed models of the lifecycle: event mappings, status rules, and what a person's view returns."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from immigrationos.statuses import ImmigrationStatus

IDENT = r"^[a-z][a-z0-9_]*$"
KIND = r"^[A-Z][A-Z0-9_]*$"


class EventMapping(BaseModel):
    """How records of one source that match ``when`` become one lifecycle event (SQL expressions)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field(pattern=KIND)
    date: str
    when: str | None = None
    until: str | None = None
    code: str | None = None
    detail: str | None = None
    anchor: str | None = (
        None  # the record (source:record_id) whose person the event belongs to; default its own
    )


class EventCatalog(BaseModel):
    """The event vocabulary and every source's mappings (``events.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int
    kinds: dict[str, str]
    sources: dict[str, tuple[EventMapping, ...]]


class FactScope(StrEnum):
    ALL = "all"
    STAY = "stay"


class FactValue(StrEnum):
    DATE = "date"
    UNTIL = "until"
    CODE = "code"


class FactPick(StrEnum):
    LATEST = "latest"
    MAX = "max"


class Fact(BaseModel):
    """A per-person value read from events on or before the as-of date (NULL when nothing supports it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kinds: tuple[str, ...] = Field(min_length=1)
    codes: tuple[str, ...] | None = None
    scope: FactScope = FactScope.ALL
    value: FactValue = FactValue.DATE
    pick: FactPick = FactPick.LATEST
    description: str = Field(min_length=3)


class Rule(BaseModel):
    """The first rule whose condition holds gives the status; its facts are the evidence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=IDENT)
    status: ImmigrationStatus
    when: str = Field(min_length=3)
    description: str = Field(min_length=3)


class RuleSet(BaseModel):
    """A versioned set of facts and ordered rules (``status_rules.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    stay_ends_with: tuple[str, ...] = Field(min_length=1)
    facts: dict[str, Fact]
    rules: tuple[Rule, ...] = Field(min_length=1)


class Provenance(BaseModel):
    """Where an event was read: the source, its record and the authority under which it is held."""

    source: str
    record_id: str
    legal_authority: str


class TimelineEvent(BaseModel):
    """One real event, shown once even when several sources report it."""

    date: dt.date | None
    kind: str
    description: str
    detail: str | None
    until: dt.date | None
    code: str | None
    provenance: list[Provenance]
    conflict: str | None = None


class StatusReason(BaseModel):
    """Why a status holds: the rule that fired and the facts (with their events) it used."""

    status: ImmigrationStatus
    rule: str
    rule_description: str
    rules_version: str
    as_of: dt.date
    evidence: list[dict[str, Any]]


class Conflict(BaseModel):
    """Sources disagree about the person: each value with the records that say it."""

    attribute: str
    values: dict[str, list[str]]


class Safeguard(BaseModel):
    """A signal later layers must respect (citizenship evidence, conflicts, low identity confidence)."""

    flag: str
    detail: str
