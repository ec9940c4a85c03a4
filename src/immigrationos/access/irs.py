"""IRS data for enforcement, on the terms of the 2025 IRS-ICE agreement (26 U.S.C. 6103(i)(2)).

Only through a per-person request that names the officer, the case, the statute and the reason; only for
a person with a final order of removal older than 90 days, or under a named criminal investigation;
only name, last-known address and tax periods, to the requesting officer; never in bulk; every request
recorded, granted or not. An operator switch (IMMOS_IRS_DISABLED) stops all IRS use at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from immigrationos.access.policy import BY_REQUEST, AccessPolicy
from immigrationos.audit import log as audit
from immigrationos.context import Purpose, RequestContext, require_context
from immigrationos.errors import AccessDeniedError
from immigrationos.lifecycle.storage import EVENTS, STATUS
from immigrationos.store.engine import Store

STATUTES = ("26 U.S.C. 6103(i)(2)",)
FIELDS = ("given_name", "family_name", "street", "city", "state", "postal_code", "tax_year")
ORDER_AGE_DAYS = 90


@dataclass(frozen=True)
class IrsRequest:
    person_id: int
    case: str
    statute: str
    reason: str
    investigation: str | None = None  # the named criminal investigation, when that is the ground


@dataclass(frozen=True)
class IrsDisclosure:
    person_id: int
    officer: str
    case: str
    given_name: str | None
    family_name: str | None
    last_known_address: str | None
    tax_periods: list[int]
    ground: str
    statements: list[str]  # the person's statements of disagreement travel with the disclosure


def _final_order_since(store: Store, person_id: int) -> date | None:
    rows = store.rows(
        f"""SELECT max(e.event_date) FROM {EVENTS} e JOIN {STATUS} s USING (person_id)
            WHERE e.person_id = ? AND e.kind = 'REMOVAL_ORDERED' AND s.status = 'final_order'""",
        [person_id],
    )
    return rows[0][0] if rows and rows[0][0] else None


def _ground(store: Store, request: IrsRequest, as_of: date) -> str:
    if request.investigation and request.investigation.strip():
        return f"named criminal investigation {request.investigation.strip()}"
    ordered = _final_order_since(store, request.person_id)
    if ordered is None:
        raise AccessDeniedError(
            f"person {request.person_id}: no final order of removal and no named criminal investigation"
        )
    if ordered > as_of - timedelta(days=ORDER_AGE_DAYS):
        raise AccessDeniedError(
            f"person {request.person_id}: the final order of {ordered} is not yet {ORDER_AGE_DAYS} days old"
        )
    return f"final order of removal of {ordered}"


def _check_request(ctx: RequestContext, policy: AccessPolicy, request: IrsRequest, disabled: bool) -> None:
    if disabled:
        raise AccessDeniedError("IRS data use is switched off by the operator (IMMOS_IRS_DISABLED)")
    if ctx.purpose is not Purpose.ENFORCEMENT:
        raise AccessDeniedError(f"IRS data is disclosed for enforcement only, not for {ctx.purpose.value}")
    if not policy.decide(ctx, "irs_filings", BY_REQUEST).allowed:
        raise AccessDeniedError(f"{ctx.actor.user} holds no role that may request IRS data")
    if request.statute not in STATUTES:
        raise AccessDeniedError(f"statute {request.statute!r} is not one under which IRS data is disclosed")
    if not request.case.strip() or not request.reason.strip():
        raise AccessDeniedError("an IRS request names the case and the reason")


def request_irs_data(
    ctx: RequestContext,
    store: Store,
    policy: AccessPolicy,
    request: IrsRequest,
    *,
    as_of: date,
    disabled: bool = False,
) -> IrsDisclosure:
    """One person's name, last-known address and tax periods to the requesting officer, or a refusal;
    both are recorded in the audit log."""
    require_context(ctx)
    justification = f"case {request.case}; {request.statute}; {request.reason}"
    try:
        _check_request(ctx, policy, request, disabled)
        ground = _ground(store, request, as_of)
    except AccessDeniedError as exc:
        audit.record(
            ctx,
            store,
            "irs.request",
            outcome="denied",
            subject_person=request.person_id,
            sources=("irs_filings",),
            justification=f"{justification}; refused: {exc}",
        )
        raise
    rows = store.rows(
        """SELECT f.given_name, f.family_name, f.street, f.city, f.state, f.postal_code, f.tax_year
           FROM src_irs_filings f JOIN res_membership m ON m.rec = 'irs_filings:' || f.record_id
           WHERE m.person_id = ? ORDER BY f.tax_year DESC, f.filing_date DESC NULLS LAST""",
        [request.person_id],
    )
    audit.record(
        ctx,
        store,
        "irs.disclosure",
        subject_person=request.person_id,
        sources=("irs_filings",),
        fields=FIELDS,
        justification=f"{justification}; ground: {ground}",
    )
    latest = rows[0] if rows else None
    address = ", ".join(str(v) for v in latest[2:6] if v) if latest else None
    from immigrationos.redress.service import statements

    return IrsDisclosure(
        person_id=request.person_id,
        officer=ctx.actor.user,
        case=request.case,
        given_name=latest[0] if latest else None,
        family_name=latest[1] if latest else None,
        last_known_address=address or None,
        tax_periods=sorted({int(r[6]) for r in rows}),
        ground=ground,
        statements=statements(store, request.person_id),
    )
