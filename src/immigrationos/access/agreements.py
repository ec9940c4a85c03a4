"""Data-use agreements (computer matching agreements, 5 U.S.C. 552a(o)) and the accounting of outside
disclosures (5 U.S.C. 552a(c)).

A matching run may use another agency's source only while an agreement with that agency is in force,
and only the fields the agreement lists: ``matching_catalog`` hands resolution a catalog cut down to
exactly that, so nothing outside an agreement can reach a matcher. An agreement runs at most 18 months
and may be renewed once, for at most 12 more (552a(o)(2)). Every disclosure of a person's data outside
the agency is accounted for (date, purpose, recipient, fields) under an agreement, and carries the
person's statements of disagreement (552a(d)(4)).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ConfigDict, Field, model_validator

from immigrationos.access.policy import require_role
from immigrationos.audit import log as audit
from immigrationos.context import Purpose, RequestContext, require_context
from immigrationos.errors import AccessDeniedError, ConfigurationError, NotFoundError
from immigrationos.sources.models import Catalog, FieldSpec, SourceSpec
from immigrationos.store.engine import Store, migration

AGREEMENTS = "acc_agreements"
DISCLOSURES = "acc_disclosures"
MAX_TERM = relativedelta(months=18)
MAX_RENEWAL = relativedelta(months=12)
MANAGERS = frozenset({"admin", "data_steward"})


@migration("access_002_agreements")
def _tables(store: Store) -> None:
    store.execute(f"""CREATE TABLE {AGREEMENTS} (agreement_id VARCHAR PRIMARY KEY, spec JSON NOT NULL,
        renewed_until DATE, ended_on DATE, recorded_by VARCHAR NOT NULL, recorded_at TIMESTAMPTZ DEFAULT now())""")
    store.execute(f"""CREATE TABLE {DISCLOSURES} (disclosure_id BIGINT PRIMARY KEY, disclosed_on DATE NOT NULL,
        person_id BIGINT NOT NULL, recipient VARCHAR NOT NULL, purpose VARCHAR NOT NULL, agreement_id VARCHAR,
        fields VARCHAR[] NOT NULL, statements INTEGER NOT NULL, disclosed_by VARCHAR NOT NULL,
        recorded_at TIMESTAMPTZ DEFAULT now())""")


class Agreement(BaseModel):
    """One agreement: who shares which fields of which sources with whom, for what, and how long."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agreement_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    parties: tuple[str, ...] = Field(min_length=2)
    purpose: str = Field(
        min_length=10, description="the matching programme's purpose, as the agreement states it"
    )
    purposes: tuple[Purpose, ...] = Field(min_length=1, description="what the matched data may be used for")
    fields: dict[str, tuple[str, ...]] = Field(min_length=1, description="source -> the fields it may use")
    recipients: tuple[str, ...] = Field(default=(), description="outside recipients the agreement allows")
    disclosable: tuple[str, ...] = Field(
        default=(), description="person attributes the agency may disclose to the recipients under it"
    )
    start: date
    end: date

    @model_validator(mode="after")
    def _term(self) -> Agreement:
        if self.end < self.start:
            raise ValueError(
                f"agreement {self.agreement_id}: it ends ({self.end}) before it starts ({self.start})"
            )
        if self.end > self.start + MAX_TERM:
            raise ValueError(
                f"agreement {self.agreement_id}: a term runs at most 18 months "
                f"(from {self.start}, until {self.start + MAX_TERM} at the latest; {self.end} asked)"
            )
        return self

    def check_against(self, catalog: Catalog) -> None:
        """Every source must be another agency's, and every field must exist in it."""
        for source, names in self.fields.items():
            spec = catalog.source(source)
            if not spec.external_agency:
                raise ConfigurationError(
                    f"agreement {self.agreement_id}: {source} is the agency's own source"
                )
            unknown = sorted(set(names) - set(spec.field_names))
            if unknown:
                raise ConfigurationError(
                    f"agreement {self.agreement_id}: {source} has no field {', '.join(unknown)}"
                )


@dataclass(frozen=True)
class AgreementState:
    agreement: Agreement
    renewed_until: date | None
    ended_on: date | None

    @property
    def last_day(self) -> date:
        last = self.renewed_until or self.agreement.end
        return min(last, self.ended_on) if self.ended_on else last

    def active_on(self, on: date) -> bool:
        return self.agreement.start <= on <= self.last_day


def _require_manager(ctx: RequestContext, store: Store) -> None:
    require_role(ctx, store, MANAGERS, "manage agreements")


def record_agreement(ctx: RequestContext, store: Store, catalog: Catalog, agreement: Agreement) -> None:
    """Keep a signed agreement (validated against the catalog); an id is recorded once."""
    require_context(ctx)
    _require_manager(ctx, store)
    agreement.check_against(catalog)
    if store.scalar(f"SELECT count(*) FROM {AGREEMENTS} WHERE agreement_id = ?", [agreement.agreement_id]):
        raise ConfigurationError(f"agreement {agreement.agreement_id} is already recorded")
    with store.transaction():
        store.execute(
            f"INSERT INTO {AGREEMENTS} (agreement_id, spec, recorded_by) VALUES (?, ?, ?)",
            [agreement.agreement_id, agreement.model_dump_json(), ctx.actor.user],
        )
        audit.record(
            ctx,
            store,
            "agreement.record",
            sources=tuple(agreement.fields),
            justification=f"{agreement.agreement_id} {agreement.start}..{agreement.end}",
        )


def renew(ctx: RequestContext, store: Store, agreement_id: str, until: date) -> AgreementState:
    """The one renewal the law allows, for at most 12 months past the original end, before it ends."""
    require_context(ctx)
    _require_manager(ctx, store)
    state = agreement_state(store, agreement_id)
    if state.renewed_until is not None:
        raise ConfigurationError(
            f"agreement {agreement_id} was already renewed once (until {state.renewed_until})"
        )
    if state.ended_on is not None:
        raise ConfigurationError(f"agreement {agreement_id} was ended on {state.ended_on}")
    end = state.agreement.end
    if not end < until <= end + MAX_RENEWAL:
        raise ConfigurationError(
            f"agreement {agreement_id}: a renewal extends the end ({end}) by at most 12 months, "
            f"to {end + MAX_RENEWAL} at the latest; {until} asked"
        )
    with store.transaction():
        store.execute(
            f"UPDATE {AGREEMENTS} SET renewed_until = ? WHERE agreement_id = ?", [until, agreement_id]
        )
        audit.record(ctx, store, "agreement.renew", justification=f"{agreement_id} until {until}")
    return agreement_state(store, agreement_id)


def end_agreement(
    ctx: RequestContext, store: Store, agreement_id: str, on: date, reason: str
) -> AgreementState:
    """End an agreement early (a party withdraws, a breach): later runs no longer use its sources."""
    require_context(ctx)
    _require_manager(ctx, store)
    agreement_state(store, agreement_id)
    with store.transaction():
        store.execute(f"UPDATE {AGREEMENTS} SET ended_on = ? WHERE agreement_id = ?", [on, agreement_id])
        audit.record(ctx, store, "agreement.end", justification=f"{agreement_id} on {on}: {reason}")
    return agreement_state(store, agreement_id)


def _state(row: tuple[Any, ...]) -> AgreementState:
    spec, renewed, ended = row
    return AgreementState(Agreement.model_validate(json.loads(spec)), renewed, ended)


def agreement_state(store: Store, agreement_id: str) -> AgreementState:
    rows = store.rows(
        f"SELECT spec, renewed_until, ended_on FROM {AGREEMENTS} WHERE agreement_id = ?", [agreement_id]
    )
    if not rows:
        raise NotFoundError(f"no agreement {agreement_id}")
    return _state(rows[0])


def agreements(store: Store) -> list[AgreementState]:
    """Every recorded agreement, in force or not (agreements are not personal data)."""
    return [
        _state(r)
        for r in store.rows(f"SELECT spec, renewed_until, ended_on FROM {AGREEMENTS} ORDER BY agreement_id")
    ]


# --- matching under agreements ----------------------------------------------------------------------


@dataclass(frozen=True)
class MatchingScope:
    """The catalog a matching run may use, and what was left out and why."""

    catalog: Catalog
    excluded: dict[str, str]


def _restricted(spec: SourceSpec, allowed: set[str]) -> SourceSpec:
    """The source with every field outside ``allowed`` stripped of its role and identifier."""

    def keep(f: FieldSpec) -> FieldSpec:
        if f.name in allowed or f.name == spec.record_id_field:
            return f
        return f.model_copy(update={"role": None, "identifier": None})

    return spec.model_copy(update={"fields": tuple(keep(f) for f in spec.fields)})


def matching_catalog(store: Store, catalog: Catalog, on: date) -> MatchingScope:
    """The agency's own sources whole; another agency's source only under an agreement in force on
    ``on``, and only with the fields the agreements list."""
    in_force = [s.agreement for s in agreements(store) if s.active_on(on)]
    sources, excluded = [], {}
    for spec in catalog.sources:
        if not spec.external_agency:
            sources.append(spec)
            continue
        allowed = {f for a in in_force for f in a.fields.get(spec.name, ())}
        if not allowed:
            excluded[spec.name] = f"no data-use agreement with {spec.agency} in force on {on}"
            continue
        dropped = sorted(f.name for f in spec.fields if f.role and f.name not in allowed)
        if dropped:
            excluded[spec.name] = f"fields outside the agreements not used: {', '.join(dropped)}"
        sources.append(_restricted(spec, allowed))
    return MatchingScope(catalog.model_copy(update={"sources": tuple(sources)}), excluded)


def standard_agreements(catalog: Catalog, start: date, party: str = "DHS/ICE") -> list[Agreement]:
    """One 18-month agreement per outside source covering the fields matching reads (the demo's and the
    tests' agreements: a real installation records the ones its agencies signed)."""
    out = []
    for spec in catalog.sources:
        if not spec.external_agency:
            continue
        matching_fields = tuple(f.name for f in spec.fields if f.role)
        if not matching_fields:
            continue
        out.append(
            Agreement(
                agreement_id=f"CMA-{spec.name}-{start.year}",
                parties=(party, spec.agency),
                purpose=f"identify persons common to {spec.title} and the agency's immigration records",
                purposes=tuple(p for p in spec.allowed_purposes if p not in spec.purpose_conditions),
                disclosable=("given_name", "family_name", "dob", "status"),
                fields={spec.name: matching_fields},
                start=start,
                end=start + MAX_TERM - relativedelta(days=1),
            )
        )
    return out


def ensure_standard_agreements(ctx: RequestContext, store: Store, catalog: Catalog, start: date) -> int:
    """Record the standard agreements that are not recorded yet; returns how many were added."""
    known = {s.agreement.agreement_id for s in agreements(store)}
    added = 0
    for agreement in standard_agreements(catalog, start):
        if agreement.agreement_id not in known:
            record_agreement(ctx, store, catalog, agreement)
            added += 1
    return added


# --- accounting of outside disclosures --------------------------------------------------------------


@dataclass(frozen=True)
class Disclosure:
    disclosure_id: int
    disclosed_on: date
    person_id: int
    recipient: str
    purpose: str
    agreement_id: str | None
    fields: tuple[str, ...]
    statements: int


def account_disclosure(
    ctx: RequestContext,
    store: Store,
    *,
    person_id: int,
    recipient: str,
    fields: tuple[str, ...],
    statements: int,
    agreement_id: str | None,
    on: date,
) -> int:
    """Record one outside disclosure (call inside the transaction that makes it)."""
    disclosure_id = int(store.scalar(f"SELECT coalesce(max(disclosure_id), 0) + 1 FROM {DISCLOSURES}"))
    store.execute(
        f"""INSERT INTO {DISCLOSURES} (disclosure_id, disclosed_on, person_id, recipient, purpose, agreement_id,
            fields, statements, disclosed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            disclosure_id,
            on,
            person_id,
            recipient,
            ctx.purpose.value,
            agreement_id,
            sorted(fields),
            statements,
            ctx.actor.user,
        ],
    )
    return disclosure_id


def check_disclosure(
    store: Store, agreement_id: str, recipient: str, fields: tuple[str, ...], on: date
) -> None:
    """An outside disclosure needs an agreement in force that names the recipient and the fields."""
    state = agreement_state(store, agreement_id)
    if not state.active_on(on):
        raise AccessDeniedError(
            f"agreement {agreement_id} is not in force on {on} (last day {state.last_day})"
        )
    if recipient not in state.agreement.recipients + state.agreement.parties:
        raise AccessDeniedError(f"agreement {agreement_id} does not name {recipient} as a recipient")
    outside = sorted(set(fields) - set(state.agreement.disclosable))
    if outside:
        raise AccessDeniedError(f"agreement {agreement_id} does not cover the fields {', '.join(outside)}")


def disclosures_of(store: Store, person_id: int) -> list[Disclosure]:
    """The accounting of a person's outside disclosures, oldest first."""
    return [
        Disclosure(int(i), d, int(p), r, pu, a, tuple(f), int(s))
        for i, d, p, r, pu, a, f, s in store.rows(
            f"""SELECT disclosure_id, disclosed_on, person_id, recipient, purpose, agreement_id, fields, statements
                FROM {DISCLOSURES} WHERE person_id = ? ORDER BY disclosure_id""",
            [person_id],
        )
    ]
