"""Typed models of the self-departure programme: its policy, case states and what a registration holds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from immigrationos.errors import ConfigurationError
from immigrationos.statuses import ImmigrationStatus
from immigrationos.yamlfile import load_model


class Grade(StrEnum):
    STRONG = "strong"
    MEDIUM = "medium"
    WEAK = "weak"


GRADE_RANK = {Grade.STRONG: 3, Grade.MEDIUM: 2, Grade.WEAK: 1}


class CaseState(StrEnum):
    REGISTERED = "registered"
    MATCHED = "matched"
    TRAVEL_ARRANGED = "travel_arranged"
    DEPARTED = "departed"
    STIPEND_PAID = "stipend_paid"
    CLOSED = "closed"
    OVERDUE = "overdue"
    REENTERED = "reentered"
    WITHDRAWN = "withdrawn"
    FLAGGED = "flagged"


S = CaseState
ALLOWED: dict[CaseState, frozenset[CaseState]] = {
    S.REGISTERED: frozenset({S.MATCHED, S.WITHDRAWN, S.FLAGGED, S.CLOSED}),
    S.MATCHED: frozenset({S.TRAVEL_ARRANGED, S.DEPARTED, S.WITHDRAWN, S.OVERDUE, S.FLAGGED, S.REGISTERED}),
    S.TRAVEL_ARRANGED: frozenset({S.DEPARTED, S.WITHDRAWN, S.OVERDUE, S.FLAGGED, S.REGISTERED}),
    S.OVERDUE: frozenset({S.DEPARTED, S.WITHDRAWN, S.TRAVEL_ARRANGED, S.FLAGGED, S.REGISTERED}),
    S.DEPARTED: frozenset({S.STIPEND_PAID, S.REENTERED, S.CLOSED}),
    S.STIPEND_PAID: frozenset({S.CLOSED, S.REENTERED}),
    S.REENTERED: frozenset({S.CLOSED}),
    S.WITHDRAWN: frozenset({S.REGISTERED, S.CLOSED}),
    S.FLAGGED: frozenset({S.MATCHED, S.WITHDRAWN, S.CLOSED, S.REGISTERED}),
    S.CLOSED: frozenset(),
}


class DeparturePolicy(BaseModel):
    """The programme's rules (``policy.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    stipend_amount: Decimal = Field(gt=0)
    grace_days: int = Field(ge=0)
    match_confidence: float = Field(ge=0, le=1)
    evidence_grades: dict[str, Grade]
    confirms_departure: frozenset[Grade]
    releases_stipend: frozenset[Grade]
    evidence_window_days: int = Field(ge=0)
    presence_kinds: tuple[str, ...]
    lawful_statuses: frozenset[ImmigrationStatus]
    match_by_departure: bool = False

    @field_validator("releases_stipend")
    @classmethod
    def _nonempty(cls, value: frozenset[Grade]) -> frozenset[Grade]:
        if not value:
            raise ValueError("some grade must release the stipend")
        return value


def load_policy(path: Path | None = None) -> DeparturePolicy:
    policy, origin = load_model(DeparturePolicy, "immigrationos.departures", "policy.yaml", path)
    if not policy.releases_stipend <= policy.confirms_departure:
        raise ConfigurationError(
            f"{origin}: a grade that releases the stipend must also confirm the departure"
        )
    return policy


@lru_cache(maxsize=1)
def default_policy() -> DeparturePolicy:
    return load_policy()


class Registration(BaseModel):
    """A registration made through the service (the API calls this); validated before it is stored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    registration_id: str = Field(pattern=r"^SD-[0-9A-Za-z-]{4,40}$")
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    middle_name: str | None = None
    dob: dt.date | None = None
    sex: str | None = Field(default=None, pattern=r"^[MFX]$")
    planned_departure_date: dt.date
    destination_country: str = Field(pattern=r"^[A-Z]{3}$")
    passport_number: str | None = Field(default=None, max_length=20)
    passport_country: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    a_number: str | None = Field(default=None, max_length=12)
    registered_on: dt.date

    @field_validator("planned_departure_date")
    @classmethod
    def _plausible(cls, value: dt.date) -> dt.date:
        if value.year < 2000:
            raise ValueError("a planned departure date before 2000 is not plausible")
        return value
