"""One person's lifecycle: the timeline with provenance, the status with its reasons, its history,
the conflicts between sources and the safeguard signals. What `immos person` and the API show."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from pydantic import BaseModel

from immigrationos.access.labels import data_labels
from immigrationos.audit import log as audit
from immigrationos.context import RequestContext, require_context
from immigrationos.errors import AccessDeniedError, NotFoundError
from immigrationos.lifecycle.events import person_events
from immigrationos.lifecycle.interpret import CompiledRules, DerivedStatus, Event
from immigrationos.lifecycle.models import (
    Conflict,
    EventCatalog,
    Provenance,
    RuleSet,
    Safeguard,
    StatusReason,
    TimelineEvent,
)
from immigrationos.lifecycle.rules import rule_facts
from immigrationos.lifecycle.safeguards import ADVERSE
from immigrationos.lifecycle.storage import IDENTITY
from immigrationos.sources.models import Catalog
from immigrationos.statuses import ImmigrationStatus
from immigrationos.store.engine import Store

ATTRIBUTES = ("dob", "sex", "country")


class StatusPeriod(BaseModel):
    since: date | None
    status: ImmigrationStatus
    rule: str | None


class PersonLifecycle(BaseModel):
    person_id: int
    as_of: date
    records: int
    status: StatusReason
    history: list[StatusPeriod]
    timeline: list[TimelineEvent]
    conflicts: list[Conflict]
    safeguards: list[Safeguard]
    withheld: list[str] = []  # sources the reader's purpose and roles do not reach, with the reason
    statements: list[str] = []  # the person's statements of disagreement, which travel with their data
    labels: list[str] = []  # handling labels of the merged profile (tax data, whatever the reader sees)


EventRow = tuple[Any, ...]


def merge_events(rows: list[EventRow], catalog: Catalog, events: EventCatalog) -> list[TimelineEvent]:
    """One entry per real event (same kind, same day), with every source that reports it; sources
    that disagree on what it granted (two end dates) are shown as a conflict, not resolved silently."""
    groups: dict[tuple[Any, str], list[EventRow]] = defaultdict(list)
    for row in rows:
        groups[(row[0], row[1])].append(row)
    out = []
    for (day, kind), members in groups.items():
        untils = sorted({m[3] for m in members if m[3] is not None})
        details = list(dict.fromkeys(str(m[4]) for m in members if m[4]))
        conflict = None
        if len(untils) > 1:
            said = "; ".join(f"{m[3]} ({m[5]}:{m[6]})" for m in members if m[3] is not None)
            conflict = f"sources disagree on the end date: {said}"
        out.append(
            TimelineEvent(
                date=day,
                kind=kind,
                description=events.kinds.get(kind, kind),
                detail=" | ".join(details) or None,
                until=untils[-1] if untils else None,
                code=members[0][2],
                provenance=[
                    Provenance(
                        source=m[5], record_id=m[6], legal_authority=catalog.source(m[5]).legal_authority
                    )
                    for m in members
                ],
                conflict=conflict,
            )
        )
    out.sort(key=lambda e: (e.date is None, e.date or date.min, e.kind))
    return out


def _reason(rules: RuleSet, derived: DerivedStatus, by_rec: dict[str, EventRow]) -> StatusReason:
    rule = next((r for r in rules.rules if r.name == derived.rule), None)
    evidence = []
    for fact in rule_facts(rules).get(derived.rule or "", []):
        value = derived.facts.get(fact)
        rec = derived.facts.get(f"{fact}__rec")
        row = by_rec.get(str(rec)) if rec else None
        evidence.append(
            {
                "fact": fact,
                "description": rules.facts[fact].description,
                "value": value.isoformat() if isinstance(value, date) else value,
                "record": rec,
                "event": {"date": row[0].isoformat() if row[0] else None, "kind": row[1]} if row else None,
            }
        )
    return StatusReason(
        status=derived.status,
        rule=derived.rule or "none",
        rule_description=rule.description if rule else "No rule holds: the records say too little.",
        rules_version=rules.version,
        as_of=derived.as_of,
        evidence=evidence,
    )


def _history(engine: CompiledRules, person_id: int, events: list[Event], as_of: date) -> list[StatusPeriod]:
    """The status after each event date, collapsed to the dates where it changed."""
    dates = sorted(
        {e.event_date for e in events if e.event_date is not None and e.event_date <= as_of} | {as_of}
    )
    periods: list[StatusPeriod] = []
    for day in dates:
        d = engine.derive(person_id, events, day)
        if not periods or periods[-1].status is not d.status:
            periods.append(StatusPeriod(since=day, status=d.status, rule=d.rule))
    return periods


def _conflicts(store: Store, person_id: int) -> list[Conflict]:
    """Identity attributes the person's records disagree on, each value with the records that say it."""
    rows = store.rows(
        f"SELECT rec, {', '.join(f'{a}::VARCHAR' for a in ATTRIBUTES)} FROM {IDENTITY} WHERE person_id = ?",
        [person_id],
    )
    out = []
    for i, attribute in enumerate(ATTRIBUTES, start=1):
        values: dict[str, list[str]] = defaultdict(list)
        for row in sorted(rows):
            if row[i] is not None:
                values[str(row[i])].append(str(row[0]))
        if len(values) > 1:
            out.append(Conflict(attribute=attribute, values=dict(sorted(values.items()))))
    return out


def _identity_doubts(store: Store, person_id: int, recs: list[str]) -> list[str]:
    review = store.rows(
        """SELECT DISTINCT 'a link of this person awaits review: ' || reason FROM res_review
           WHERE status = 'open' AND (list_contains(?::VARCHAR[], rec_l) OR list_contains(?::VARCHAR[], rec_r))""",
        [recs, recs],
    )
    flags = store.rows(
        "SELECT DISTINCT flag || coalesce(': ' || detail, '') FROM res_person_flags WHERE person_id = ?",
        [person_id],
    )
    return sorted(str(r[0]) for r in review + flags)


def safeguards(
    store: Store, derived: DerivedStatus, recs: list[str], conflicts: list[Conflict]
) -> list[Safeguard]:
    """The same signals as ``safeguards.flags_sql``, for one person (a test holds them equal)."""
    f = derived.facts
    out = []
    evidence = [
        text
        for text, present in (
            (f"naturalized {f['naturalized_at']}", f["naturalized_at"] is not None),
            ("US birth record", f["us_birth_at"] is not None),
            ("SSA citizenship indicator", f["ssa_citizen_at"] is not None),
            (f"verified on redress {f['verified_citizen_at']}", f["verified_citizen_at"] is not None),
        )
        if present
    ]
    if evidence:
        out.append(Safeguard(flag="citizenship_evidence", detail="; ".join(evidence)))
    if derived.status is ImmigrationStatus.US_CITIZEN and derived.status_without_citizenship.value in ADVERSE:
        out.append(
            Safeguard(
                flag="conflicting_status_evidence",
                detail="citizenship evidence, yet the other records alone would make the status "
                + derived.status_without_citizenship.value,
            )
        )
    doubts = _identity_doubts(store, derived.person_id, recs)
    if doubts:
        out.append(Safeguard(flag="low_identity_confidence", detail="; ".join(doubts)))
    dobs = next((c for c in conflicts if c.attribute == "dob"), None)
    if dobs:
        out.append(
            Safeguard(
                flag="conflicting_birth_dates",
                detail=f"records give {len(dobs.values)} birth dates: {', '.join(dobs.values)}",
            )
        )
    return sorted(out, key=lambda s: s.flag)


def as_events(rows: list[EventRow]) -> list[Event]:
    return [Event(event_date=r[0], kind=r[1], code=r[2], until=r[3], rec=r[7]) for r in rows]


def person_lifecycle(
    store: Store, person_id: int, *, catalog: Catalog, events: EventCatalog, rules: RuleSet, as_of: date
) -> PersonLifecycle:
    """Everything the system knows about one person's immigration journey, with its sources."""
    recs = [
        str(r[0])
        for r in store.rows("SELECT rec FROM res_membership WHERE person_id = ? ORDER BY rec", [person_id])
    ]
    if not recs:
        raise NotFoundError(f"no person {person_id}: 'immos review' and 'immos explain' name persons by id")
    rows = [r for r in person_events(store, person_id) if r[0] is None or r[0] <= as_of]
    by_rec: dict[str, EventRow] = {}
    for row in rows:
        by_rec.setdefault(str(row[7]), row)
    engine = CompiledRules(rules)
    person_events_ = as_events(rows)
    now = engine.derive(person_id, person_events_, as_of)
    conflicts = _conflicts(store, person_id)
    return PersonLifecycle(
        person_id=person_id,
        as_of=as_of,
        records=len(recs),
        status=_reason(rules, now, by_rec),
        history=_history(engine, person_id, person_events_, as_of),
        timeline=merge_events(rows, catalog, events),
        conflicts=conflicts,
        safeguards=safeguards(store, now, recs, conflicts),
        labels=data_labels(catalog, recs),
    )


def view_person(
    ctx: RequestContext,
    store: Store,
    person_id: int,
    *,
    catalog: Catalog,
    events: EventCatalog,
    rules: RuleSet,
    as_of: date,
) -> PersonLifecycle:
    """The person view through the service layer: masked to what the actor's roles and purpose allow,
    recorded in the audit log before it is returned, and refused when it cannot be recorded."""
    from immigrationos.access.masking import mask_view
    from immigrationos.access.policy import default_policy

    require_context(ctx)
    try:
        full = person_lifecycle(store, person_id, catalog=catalog, events=events, rules=rules, as_of=as_of)
    except NotFoundError:
        audit.record(ctx, store, "person.view", outcome="not_found", subject_person=person_id)
        raise
    from immigrationos.redress.service import statements

    view, decisions = mask_view(default_policy(), ctx, full)
    view = view.model_copy(update={"statements": statements(store, person_id)})
    shown = tuple(sorted(s for s, d in decisions.items() if d.allowed))
    if not shown:
        audit.record(
            ctx,
            store,
            "person.view",
            outcome="denied",
            subject_person=person_id,
            sources=tuple(sorted(decisions)),
            justification="; ".join(view.withheld),
        )
        raise AccessDeniedError(
            f"{ctx.actor.user} may read none of person {person_id}'s records for {ctx.purpose.value}"
        )
    audit.record(
        ctx,
        store,
        "person.view",
        outcome="partial" if view.withheld else "granted",
        subject_person=person_id,
        sources=shown,
        fields=("timeline", "status", "history", "conflicts", "safeguards"),
        justification="; ".join(view.withheld) or None,
    )
    return view
