"""What a departure officer does to a case: match it, arrange travel, pay the stipend, withdraw, close.

Each action checks the case's state against the allowed transitions and the policy, and refuses with a
reason instead of bending either. Paying is idempotent: asking twice pays once.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from immigrationos.access.bulk import BULK_ROWS, approved_selection, write_parquet
from immigrationos.access.policy import require_purpose
from immigrationos.audit import log as audit
from immigrationos.context import Purpose, RequestContext, require_context
from immigrationos.departures import ledger
from immigrationos.departures.cases import APP, held_pairs_sql
from immigrationos.departures.models import ALLOWED, CaseState, DeparturePolicy, Grade
from immigrationos.departures.storage import CASES, EFFECTIVE_PERSON_SQL, TRANSITIONS, TXNS, record_transition
from immigrationos.errors import NotFoundError, TransitionError
from immigrationos.store.engine import Store
from immigrationos.transitions import require_transition


@dataclass(frozen=True)
class Payment:
    case_id: int
    txn_id: int
    amount: Decimal
    already_paid: bool
    evidence_rec: str


def _case(store: Store, case_id: int) -> dict[str, Any]:
    case = store.record(f"SELECT * FROM {CASES} WHERE case_id = ?", [case_id])
    if case is None:
        raise NotFoundError(f"no departure case {case_id}")
    return case


def _require_transition(case: dict[str, Any], to: CaseState, why: str = "") -> CaseState:
    return require_transition("case", case["case_id"], CaseState(case["state"]), to, ALLOWED, why)


ACTION_PURPOSES = frozenset({Purpose.DEPARTURE_ASSISTANCE})  # an officer's action serves the programme only


def arrange_travel(
    ctx: RequestContext, store: Store, policy: DeparturePolicy, case_id: int, *, cost: Decimal, itinerary: str
) -> int:
    """Book and pay the registrant's travel (one booking per itinerary reference)."""
    require_context(ctx)
    require_purpose(ctx, ACTION_PURPOSES, "arranging travel", store)
    if cost <= 0:
        raise TransitionError(f"case {case_id}: a travel cost must be positive, not {cost}")
    with store.transaction():
        case = _case(store, case_id)
        if case["flag_reason"]:
            raise TransitionError(f"case {case_id} is flagged ({case['flag_reason']}): no travel is arranged")
        current = _require_transition(case, CaseState.TRAVEL_ARRANGED)
        posted = ledger.post(
            ctx,
            store,
            policy,
            key=f"travel:{case_id}:{itinerary}",
            case_id=case_id,
            kind="travel",
            amount=cost,
            memo=itinerary,
        )
        store.execute(f"UPDATE {CASES} SET travel_arranged = true WHERE case_id = ?", [case_id])
        audit.record(
            ctx,
            store,
            "departures.arrange_travel",
            subject_person=int(case["person_id"]),
            justification=itinerary,
        )
        record_transition(
            store,
            case_id,
            current.value,
            CaseState.TRAVEL_ARRANGED.value,
            actor=ctx.actor.user,
            purpose=ctx.purpose.value,
            reason=f"travel booked: {itinerary} ({cost} {policy.currency})",
        )
    return posted.txn_id


def pay_stipend(ctx: RequestContext, store: Store, policy: DeparturePolicy, case_id: int) -> Payment:
    """Pay the stipend once, and only for a departure confirmed by evidence the policy accepts."""
    require_context(ctx)
    require_purpose(ctx, ACTION_PURPOSES, "a stipend payment", store)
    with store.transaction():
        case = _case(store, case_id)
        paid = store.rows(
            f"SELECT txn_id, amount, evidence_rec FROM {TXNS} WHERE case_id = ? AND kind = 'stipend'",
            [case_id],
        )
        if paid:
            txn, amount, rec = paid[0]
            return Payment(case_id, int(txn), Decimal(amount), already_paid=True, evidence_rec=str(rec))
        if case["flag_reason"]:
            raise TransitionError(f"case {case_id} is flagged ({case['flag_reason']}): no stipend is due")
        _refuse_a_second_stipend(store, case_id)
        current = _require_transition(case, CaseState.STIPEND_PAID, " before a confirmed departure")
        grade = Grade(case["evidence_grade"]) if case["evidence_grade"] else None
        if grade not in policy.releases_stipend or not case["evidence_rec"]:
            raise TransitionError(
                f"case {case_id}: evidence grade {grade} does not release the stipend under policy {policy.version}"
            )
        posted = ledger.post(
            ctx,
            store,
            policy,
            key=f"stipend:{case_id}",
            case_id=case_id,
            kind="stipend",
            amount=policy.stipend_amount,
            evidence_rec=case["evidence_rec"],
            evidence_grade=grade.value,
        )
        audit.record(
            ctx,
            store,
            "departures.pay_stipend",
            subject_person=int(case["person_id"]),
            justification=f"confirmed by {case['evidence_rec']} ({grade.value})",
        )
        record_transition(
            store,
            case_id,
            current.value,
            CaseState.STIPEND_PAID.value,
            actor=ctx.actor.user,
            purpose=ctx.purpose.value,
            reason=f"stipend of {policy.stipend_amount} {policy.currency} paid",
            evidence_rec=case["evidence_rec"],
        )
    return Payment(
        case_id,
        posted.txn_id,
        policy.stipend_amount,
        already_paid=False,
        evidence_rec=str(case["evidence_rec"]),
    )


def _refuse_a_second_stipend(store: Store, case_id: int) -> None:
    """One person, at most one stipend: a case matched to a person, or a person's case that resolution
    later finds is another case's person, is not paid when another case of that person was."""
    other = store.rows(
        f"""WITH person AS ({EFFECTIVE_PERSON_SQL})
            SELECT t.case_id, me.person FROM person me JOIN person them ON them.person = me.person
            JOIN {TXNS} t ON t.case_id = them.case_id AND t.kind = 'stipend'
            WHERE me.case_id = ? AND them.case_id <> me.case_id ORDER BY t.case_id LIMIT 1""",
        [case_id],
    )
    if other:
        paid_case, person = other[0]
        raise TransitionError(
            f"case {case_id}: person {person} was already paid a stipend in case {paid_case}: "
            "one person, one stipend (close this case as a duplicate)"
        )


def pay_all_due(
    ctx: RequestContext,
    store: Store,
    policy: DeparturePolicy,
    refused: list[tuple[int, str]] | None = None,
) -> list[Payment]:
    """Pay every case whose departure is confirmed and not yet paid (each payment idempotent); the
    cases refused, with the reason, go to ``refused`` when given."""
    due = [
        int(c)
        for (c,) in store.rows(
            f"SELECT case_id FROM {CASES} WHERE state = 'departed' AND flag_reason IS NULL ORDER BY case_id"
        )
    ]
    payments = []
    for case_id in due:
        try:
            payments.append(pay_stipend(ctx, store, policy, case_id))
        except TransitionError as exc:  # evidence below the stipend grade, or a person already paid
            if refused is not None:
                refused.append((case_id, str(exc)))
    return payments


def _move(ctx: RequestContext, store: Store, case_id: int, to: CaseState, reason: str, column: str) -> None:
    require_context(ctx)
    require_purpose(ctx, ACTION_PURPOSES, f"moving a case to {to.value}", store)
    if not reason.strip():
        raise TransitionError(f"case {case_id}: a reason is required")
    with store.transaction():
        case = _case(store, case_id)
        current = _require_transition(case, to)
        store.execute(f"UPDATE {CASES} SET {column} WHERE case_id = ?", [case_id])
        audit.record(
            ctx, store, f"departures.{to.value}", subject_person=int(case["person_id"]), justification=reason
        )
        record_transition(
            store,
            case_id,
            current.value,
            to.value,
            actor=ctx.actor.user,
            purpose=ctx.purpose.value,
            reason=reason,
        )


def withdraw(ctx: RequestContext, store: Store, case_id: int, reason: str) -> None:
    _move(ctx, store, case_id, CaseState.WITHDRAWN, reason, "withdrawn = true, officer_withdrawn = true")


def close(ctx: RequestContext, store: Store, case_id: int, reason: str) -> None:
    _move(
        ctx,
        store,
        case_id,
        CaseState.CLOSED,
        reason,
        f"closed_reason = '{reason.replace(chr(39), chr(39) * 2)}'",
    )


def registration_candidates(store: Store, case: dict[str, Any]) -> list[dict[str, Any]]:
    """The persons resolution would not tie the case's registrations to on its own (open review items),
    with why, how likely, and the departures recorded for each since the registration."""
    rows = store.rows(
        f"""WITH mine AS (SELECT 0 AS case_id, rec FROM res_membership WHERE person_id = ?),
                held AS ({held_pairs_sql()})
           SELECT m.person_id, arg_max(h.other, h.p), arg_max(h.reason, h.p), max(h.p),
                  (SELECT list(e.event_date ORDER BY e.event_date) FROM life_events e
                   WHERE e.person_id = m.person_id AND e.kind = 'DEPARTED' AND e.event_date >= ?)
           FROM held h JOIN res_membership m ON m.rec = h.other
           WHERE m.person_id <> ? GROUP BY m.person_id ORDER BY 4 DESC, 1""",
        [case["person_id"], case["first_registered"], case["person_id"]],
    )
    return [
        {
            "person_id": int(p),
            "record": str(r),
            "reason": str(why),
            "probability": float(prob),
            "exits": exits or [],
        }
        for p, r, why, prob, exits in rows
    ]


def match_registration(ctx: RequestContext, store: Store, case_id: int, *, record: str, reason: str) -> None:
    """An officer ties a registration resolution held for review to the person holding ``record``
    (applied at the next sync; it replaces a match made by departure corroboration)."""
    require_context(ctx)
    require_purpose(ctx, ACTION_PURPOSES, "matching a registration", store)
    if not reason.strip():
        raise TransitionError(f"case {case_id}: a reason is required")
    with store.transaction():
        case = _case(store, case_id)
        person = store.scalar("SELECT person_id FROM res_membership WHERE rec = ?", [record])
        if person is None:
            raise NotFoundError(f"no resolved record {record!r}")
        others = store.scalar(
            f"SELECT count(*) FROM res_membership WHERE person_id = ? AND rec NOT LIKE '{APP}:%'",
            [case["person_id"]],
        )
        if others:
            raise TransitionError(
                f"case {case_id}: resolution already ties the registration to person {case['person_id']}; "
                "a wrong link is undone by a steward ('immos steward separate'), not here"
            )
        own = store.scalar(
            f"SELECT min(case_id) FROM {CASES} WHERE person_id = ? AND state <> 'closed' AND case_id <> ?",
            [person, case_id],
        )
        if own is not None:
            raise TransitionError(
                f"case {case_id}: person {person} already has case {own}; close this one as its duplicate "
                "('immos departures close') so one person has one case and at most one stipend"
            )
        store.execute(
            f"UPDATE {CASES} SET matched_rec = ?, matched_by = ?, matched_note = ?, matched_confidence = 1.0 "
            "WHERE case_id = ?",
            [record, f"officer {ctx.actor.user}", reason, case_id],
        )
        audit.record(
            ctx,
            store,
            "departures.match",
            subject_person=int(person),
            sources=(APP, record.split(":", 1)[0]),
            justification=f"case {case_id} matched to {record}: {reason}",
        )


READ_PURPOSES = frozenset(
    {Purpose.DEPARTURE_ASSISTANCE, Purpose.OVERSIGHT, Purpose.REDRESS, Purpose.DATA_MANAGEMENT}
)


def case_view(ctx: RequestContext, store: Store, case_id: int) -> dict[str, Any]:
    """The case with its transitions and ledger transactions (a purpose-checked, audited read)."""
    require_context(ctx)
    require_purpose(ctx, READ_PURPOSES, "a departure case", store)
    case = _case(store, case_id)
    audit.record(ctx, store, "departures.show", subject_person=int(case["person_id"]), sources=(APP,))
    if case["state"] == CaseState.REGISTERED.value or case["matched_rec"]:
        case["candidates"] = registration_candidates(store, case)
    case["transitions"] = [
        {"at": str(at), "from": f, "to": t, "actor": a, "reason": r, "evidence": e}
        for at, f, t, a, r, e in store.rows(
            f"SELECT moved_at, from_state, to_state, actor, reason, evidence_rec FROM {TRANSITIONS} WHERE case_id = ? ORDER BY moved_at, rowid",
            [case_id],
        )
    ]
    case["ledger"] = [
        {"txn_id": t, "kind": k, "amount": str(a), "evidence": e, "at": str(at)}
        for t, k, a, e, at in store.rows(
            f"SELECT txn_id, kind, amount, evidence_rec, posted_at FROM {TXNS} WHERE case_id = ? ORDER BY txn_id",
            [case_id],
        )
    ]
    return case


CASE_COLUMNS = (
    "case_id",
    "person_id",
    "state",
    "planned_departure",
    "evidence_grade",
    "confirmed_on",
    "flag_reason",
)
_CASE_SELECT = f"SELECT {', '.join(CASE_COLUMNS)} FROM {CASES}"


def list_cases(
    ctx: RequestContext,
    store: Store,
    *,
    state: str | None = None,
    limit: int = 30,
    bulk_rows: int = BULK_ROWS,
    approval: int | None = None,
) -> list[tuple[Any, ...]]:
    """Cases, newest first (an audited read: who listed which state, and how many cases came back).
    More than ``bulk_rows`` at once is a bulk selection: it needs a supervisor's approval."""
    require_context(ctx)
    require_purpose(ctx, READ_PURPOSES, "the list of departure cases", store)
    where, params = ("WHERE state = ?", [state]) if state else ("", [])

    def query() -> list[tuple[Any, ...]]:
        return store.rows(f"{_CASE_SELECT} {where} ORDER BY case_id DESC LIMIT {int(limit)}", params)

    if limit > bulk_rows:
        return approved_selection(
            ctx,
            store,
            selection="departure_cases",
            filters={"state": state, "limit": limit},
            approval=approval,
            query=query,
            fields=CASE_COLUMNS,
        )
    rows = query()
    audit.record(
        ctx,
        store,
        "departures.list",
        sources=(APP,),
        justification=f"state {state or 'any'}: {len(rows)} cases",
    )
    return rows


def export_cases(
    ctx: RequestContext, store: Store, out: Path, *, approval: int | None, state: str | None = None
) -> int:
    """Every matching case to a Parquet file: always a bulk selection, so only on an approval."""
    require_context(ctx)
    require_purpose(ctx, READ_PURPOSES, "the list of departure cases", store)
    where, params = ("WHERE state = ?", [state]) if state else ("", [])
    rows = approved_selection(
        ctx,
        store,
        selection="departure_cases",
        filters={"state": state, "export": True},
        approval=approval,
        query=lambda: store.rows(f"{_CASE_SELECT} {where} ORDER BY case_id", params),
        fields=CASE_COLUMNS,
    )
    write_parquet(rows, CASE_COLUMNS, out)
    return len(rows)
