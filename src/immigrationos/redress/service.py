"""Redress: a person, or their representative, contests a record, a link, a status or a worklist entry;
a redress officer decides. An accepted contest corrects the data (a wrong link is split by a steward
decision that every later resolution applies; a worklist entry is dismissed) and the earlier recipients
of the person's data are named for notice. A rejected contest keeps the person's statement of
disagreement, which travels with every later view of the person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from immigrationos.access.agreements import disclosures_of
from immigrationos.access.policy import require_purpose, require_role
from immigrationos.audit import log as audit
from immigrationos.audit.storage import LOG
from immigrationos.context import Purpose, RequestContext, require_context
from immigrationos.departures.cases import sync_cases
from immigrationos.departures.models import default_policy as default_departure_policy
from immigrationos.errors import NotFoundError, TransitionError
from immigrationos.lifecycle.corrections import CITIZENSHIP_VERIFIED, RECORD_VOIDED, apply_correction
from immigrationos.lifecycle.rules import default_events, default_rules
from immigrationos.priority import workflow as worklist
from immigrationos.priority.models import PriorityPolicy
from immigrationos.priority.worklist import build_worklist
from immigrationos.redress.storage import CONTESTS
from immigrationos.resolution.service import decide as steward_decide
from immigrationos.sources.catalog import default_catalog
from immigrationos.store.engine import Store

SUBJECTS = ("record", "link", "status", "worklist_entry")
DECIDERS = frozenset({"redress_officer", "admin"})


@dataclass(frozen=True)
class Decision:
    contest_id: int
    accepted: bool
    correction: str | None
    notify: list[str]


def file_contest(
    ctx: RequestContext, store: Store, *, person_id: int, subject: str, reference: str, statement: str
) -> int:
    require_context(ctx)
    if subject not in SUBJECTS:
        raise TransitionError(f"a contest is about one of {', '.join(SUBJECTS)}, not {subject!r}")
    if not statement.strip():
        raise TransitionError("a contest states what is wrong")
    with store.transaction():
        contest_id = int(store.scalar("SELECT nextval('red_contest_ids')"))
        store.execute(
            f"INSERT INTO {CONTESTS} (contest_id, person_id, subject, reference, statement, filed_by) VALUES (?, ?, ?, ?, ?, ?)",
            [contest_id, person_id, subject, reference, statement.strip(), ctx.actor.user],
        )
        audit.record(
            ctx,
            store,
            "redress.contest",
            subject_person=person_id,
            justification=f"{subject} {reference}: {statement}",
        )
    return contest_id


def _recipients(store: Store, person_id: int, officer: str) -> list[str]:
    """Who received this person's data before the correction (they are owed a notice of it): readers
    inside the agency, and outside recipients from the accounting of disclosures."""
    inside = [
        str(a)
        for (a,) in store.rows(
            f"""SELECT DISTINCT actor FROM {LOG} WHERE subject_person = ? AND outcome IN ('granted', 'partial')
                AND event IN ('person.view', 'irs.disclosure') AND actor <> ? ORDER BY 1""",
            [person_id, officer],
        )
    ]
    outside = sorted({d.recipient for d in disclosures_of(store, person_id)})
    return inside + [f"{r} (outside recipient)" for r in outside]


def decide_contest(
    ctx: RequestContext,
    store: Store,
    contest_id: int,
    *,
    accept: bool,
    reason: str,
    policy: PriorityPolicy | None = None,
    on: date | None = None,
    document: str | None = None,
) -> Decision:
    """Accept (and correct) or reject (with a reason) a contest. ``document`` is the citizenship
    evidence an accepted status contest rests on."""
    require_context(ctx)
    require_role(ctx, store, DECIDERS, "decide contests", error=TransitionError)
    if not reason.strip():
        raise TransitionError(f"contest {contest_id}: a decision carries its reason")
    contest = store.record(f"SELECT * FROM {CONTESTS} WHERE contest_id = ?", [contest_id])
    if contest is None:
        raise NotFoundError(f"no contest {contest_id}")
    if contest["state"] != "open":
        raise TransitionError(f"contest {contest_id} was already {contest['state']}")
    correction = _correct(ctx, store, contest, reason, policy, on, document) if accept else None
    notify = _recipients(store, int(contest["person_id"]), ctx.actor.user) if accept else []
    with store.transaction():
        store.execute(
            f"""UPDATE {CONTESTS} SET state = ?, decided_by = ?, decided_at = now(), decision_reason = ?,
                correction = ?, notified = ? WHERE contest_id = ?""",
            ["accepted" if accept else "rejected", ctx.actor.user, reason, correction, notify, contest_id],
        )
        audit.record(
            ctx,
            store,
            f"redress.{'accept' if accept else 'reject'}",
            subject_person=int(contest["person_id"]),
            justification=f"{reason}"
            + (f"; correction: {correction}; notice to {', '.join(notify) or 'nobody'}" if accept else ""),
        )
    return Decision(contest_id, accept, correction, notify)


def _correct(
    ctx: RequestContext,
    store: Store,
    contest: dict[str, object],
    reason: str,
    policy: PriorityPolicy | None,
    on: date | None,
    document: str | None,
) -> str:
    subject, reference = str(contest["subject"]), str(contest["reference"])
    if subject == "link":
        left, _, right = reference.partition("|")
        steward_decide(ctx, store, rec_a=left, rec_b=right, decision="separate", reason=f"redress: {reason}")
        return f"records {left} and {right} separated; applied by the next resolution"
    if policy is None or on is None:
        raise TransitionError(f"correcting a {subject} needs the worklist policy and the date")
    if subject == "worklist_entry":
        worklist.dismiss(ctx, store, policy, int(reference), reason=f"redress: {reason}", on=on)
        return f"worklist entry {reference} dismissed"
    if subject == "status" and not document:
        raise TransitionError(
            "a status is corrected through its evidence: give the citizenship document it rests on, "
            "or contest the record that is wrong"
        )
    done = apply_correction(
        ctx,
        store,
        int(str(contest["person_id"])),
        correction=CITIZENSHIP_VERIFIED if subject == "status" else RECORD_VOIDED,
        concerns_record=None if subject == "status" else reference,
        document=document,
        contest_id=int(str(contest["contest_id"])),
        on=on,
        catalog=default_catalog(),
        events=default_events(),
        rules=default_rules(),
        as_of=on,
    )
    built = build_worklist(ctx, store, policy, on)
    synced = sync_cases(ctx, store, default_departure_policy(), on)
    return (
        f"{done}; worklist re-evaluated ({built.withdrawn} withdrawn); "
        f"departure cases in step ({synced.transitions} transitions)"
    )


def statements(store: Store, person_id: int) -> list[str]:
    """The person's statements of disagreement (open or rejected contests): shown with their data."""
    return [
        f"{s} ({state}, filed {str(at)[:10]}): {text}"
        for s, state, at, text in store.rows(
            f"""SELECT subject || ' ' || reference, state, filed_at, statement FROM {CONTESTS}
                WHERE person_id = ? AND state IN ('open', 'rejected') ORDER BY contest_id""",
            [person_id],
        )
    ]


def list_contests(ctx: RequestContext, store: Store, *, state: str | None = None) -> list[tuple[object, ...]]:
    """Contests, newest first (a purpose-checked, audited read)."""
    require_context(ctx)
    require_purpose(
        ctx,
        frozenset({Purpose.REDRESS, Purpose.OVERSIGHT, Purpose.DATA_MANAGEMENT}),
        "the list of contests",
        store,
    )
    where, params = ("WHERE state = ?", [state]) if state else ("", [])
    rows = store.rows(
        f"""SELECT contest_id, person_id, subject, reference, state, statement, decision_reason
            FROM {CONTESTS} {where} ORDER BY contest_id DESC""",
        params,
    )
    audit.record(ctx, store, "redress.list", justification=f"state {state or 'any'}: {len(rows)} contests")
    return rows
