"""Disclosure of a person's data outside the agency: only under a data-use agreement in force that names
the recipient and the attributes, for a purpose it allows; accounted for (date, purpose, recipient,
attributes) and audited in one transaction; the person's statements of disagreement go with it."""

from __future__ import annotations

from datetime import date
from typing import Any

from immigrationos.access.agreements import (
    account_disclosure,
    agreement_state,
    check_disclosure,
    disclosures_of,
)
from immigrationos.access.policy import require_purpose
from immigrationos.audit import log as audit
from immigrationos.context import Purpose, RequestContext, require_context
from immigrationos.errors import NotFoundError
from immigrationos.lifecycle.storage import STATUS
from immigrationos.store.engine import Store

ATTRIBUTES = ("given_name", "family_name", "dob", "a_number", "status")


def _identity(store: Store, person_id: int) -> dict[str, Any]:
    """The person's most frequent name, birth date and A-number across their records."""
    row = store.record(
        """SELECT mode(r.given_name) AS given_name, mode(r.family_name) AS family_name, mode(r.dob) AS dob,
                  mode(r.a_number) AS a_number
           FROM res_records r JOIN res_membership m USING (rec) WHERE m.person_id = ?""",
        [person_id],
    )
    if row is None or (row["given_name"] is None and row["family_name"] is None):
        raise NotFoundError(f"no person {person_id}")
    status = store.scalar(f"SELECT status FROM {STATUS} WHERE person_id = ?", [person_id])
    return {**row, "status": status}


def disclose_person(
    ctx: RequestContext,
    store: Store,
    person_id: int,
    *,
    recipient: str,
    agreement_id: str,
    attributes: tuple[str, ...],
    on: date,
) -> dict[str, Any]:
    """The attributes asked for, with the person's statements of disagreement; refused outside the
    agreement's terms (and the refusal is audited too)."""
    from immigrationos.redress.service import statements

    require_context(ctx)
    unknown = sorted(set(attributes) - set(ATTRIBUTES))
    if unknown:
        raise NotFoundError(f"no attribute {', '.join(unknown)}; one may disclose {', '.join(ATTRIBUTES)}")
    try:
        require_purpose(
            ctx, frozenset(agreement_state(store, agreement_id).agreement.purposes), agreement_id, store
        )
        check_disclosure(store, agreement_id, recipient, attributes, on)
    except Exception as refused:
        audit.record(
            ctx,
            store,
            "disclosure.outside",
            outcome="denied",
            subject_person=person_id,
            fields=attributes,
            justification=f"to {recipient} under {agreement_id}: {refused}",
        )
        raise
    identity = _identity(store, person_id)
    said = statements(store, person_id)
    with store.transaction():
        disclosure_id = account_disclosure(
            ctx,
            store,
            person_id=person_id,
            recipient=recipient,
            fields=attributes,
            statements=len(said),
            agreement_id=agreement_id,
            on=on,
        )
        audit.record(
            ctx,
            store,
            "disclosure.outside",
            subject_person=person_id,
            fields=attributes,
            justification=f"disclosure {disclosure_id} to {recipient} under {agreement_id}",
        )
    return {
        "disclosure_id": disclosure_id,
        "recipient": recipient,
        "agreement": agreement_id,
        "on": on.isoformat(),
        "data": {a: (str(identity[a]) if identity[a] is not None else None) for a in attributes},
        "statements_of_disagreement": said,
    }


def accounting(ctx: RequestContext, store: Store, person_id: int) -> list[dict[str, Any]]:
    """The accounting of a person's outside disclosures (what the person may ask to see through redress,
    and what oversight reviews), audited."""
    require_context(ctx)
    require_purpose(
        ctx, frozenset({Purpose.REDRESS, Purpose.OVERSIGHT}), "the accounting of disclosures", store
    )
    rows = [
        {
            "disclosure_id": d.disclosure_id,
            "on": d.disclosed_on.isoformat(),
            "recipient": d.recipient,
            "purpose": d.purpose,
            "agreement": d.agreement_id,
            "attributes": list(d.fields),
            "statements_sent": d.statements,
        }
        for d in disclosures_of(store, person_id)
    ]
    audit.record(
        ctx,
        store,
        "disclosure.accounting",
        subject_person=person_id,
        justification=f"{len(rows)} disclosures",
    )
    return rows
