"""Cases from registrations, kept in step with the evidence: set-based facts, then state transitions.

One case per person: a second registration by the same person joins the first case. Each sync reads
every registrant's lifecycle events (registrations, travel, withdrawals, exits, arrivals abroad, app
confirmations, re-entries), the resolution links that tie the registration to the person, and the
person's derived status; it derives the state the case should be in and moves it there through the
allowed transitions, recording each step with its reason and evidence.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from immigrationos.audit import log as audit
from immigrationos.context import RequestContext
from immigrationos.departures.models import ALLOWED, GRADE_RANK, CaseState, DeparturePolicy, Grade
from immigrationos.departures.storage import CASES, TRANSITIONS, TXNS
from immigrationos.lifecycle.storage import EVENTS, FLAGS, STATUS
from immigrationos.store.engine import Store

FACTS = "dep_facts"
APP = "self_departure_app"


@dataclass
class SyncReport:
    cases: int = 0
    created: int = 0
    merged: int = 0
    transitions: int = 0
    states: dict[str, int] = field(default_factory=dict)
    stuck: list[tuple[int, str, str]] = field(default_factory=list)  # (case, state, wanted)


def _quote(values: object) -> str:
    return ", ".join(f"'{v}'" for v in sorted(str(x) for x in values))  # type: ignore[attr-defined]


def _grade_case(policy: DeparturePolicy) -> str:
    whens = " ".join(
        f"WHEN '{kind}' THEN {GRADE_RANK[grade]}" for kind, grade in sorted(policy.evidence_grades.items())
    )
    return f"CASE kind {whens} END"


def _rank_list(grades: frozenset[Grade]) -> str:
    return ", ".join(str(GRADE_RANK[g]) for g in sorted(grades)) or "NULL"


def _assign_cases_to_persons(store: Store, ctx: RequestContext, report: SyncReport) -> None:
    """Point each case at the person now holding its first registration; merge cases that meet."""
    store.execute(f"""
        UPDATE {CASES} c SET person_id = r.person_id FROM (
            SELECT c2.case_id, min(e.person_id) AS person_id FROM {CASES} c2
            JOIN {EVENTS} e ON e.kind = 'SELF_DEPARTURE_REGISTERED' AND e.code = c2.registration_ids[1]
            GROUP BY c2.case_id) r
        WHERE c.case_id = r.case_id AND c.person_id <> r.person_id""")
    duplicates = store.rows(f"""
        SELECT case_id, state, first_value(case_id) OVER (PARTITION BY person_id ORDER BY case_id) AS keep
        FROM {CASES} WHERE state <> 'closed' QUALIFY case_id <> keep""")
    for case_id, state, keep in duplicates:
        store.execute(
            f"UPDATE {CASES} SET closed_reason = ? WHERE case_id = ?", [f"merged into case {keep}", case_id]
        )
        store.execute(
            f"INSERT INTO {TRANSITIONS} (case_id, from_state, to_state, actor, purpose, reason) VALUES (?, ?, 'closed', ?, ?, ?)",
            [case_id, state, ctx.actor.user, ctx.purpose.value, f"same person as case {keep}: merged"],
        )
        store.execute(f"UPDATE {CASES} SET state = 'closed' WHERE case_id = ?", [case_id])
        report.merged += 1


def _open_new_cases(store: Store, ctx: RequestContext, policy: DeparturePolicy, report: SyncReport) -> None:
    new = store.rows(f"""
        SELECT person_id, list(DISTINCT code ORDER BY code) FROM {EVENTS}
        WHERE kind = 'SELF_DEPARTURE_REGISTERED' AND person_id NOT IN (SELECT person_id FROM {CASES})
        GROUP BY person_id ORDER BY min(event_date), person_id""")
    if not new:
        return
    first = int(store.scalar("SELECT nextval('dep_case_ids')"))
    store.rows(f"SELECT setval('dep_case_ids', {first + len(new) - 1})")
    frame = pd.DataFrame(
        {
            "case_id": range(first, first + len(new)),
            "person_id": [int(p) for p, _ in new],
            "registration_ids": [list(ids) for _, ids in new],
        }
    )
    store.conn.register("_new_cases", frame)
    store.execute(f"""INSERT INTO {CASES} (case_id, person_id, state, registration_ids, policy_version)
                      SELECT case_id, person_id, 'registered', registration_ids, '{policy.version}' FROM _new_cases""")
    store.execute(f"""INSERT INTO {TRANSITIONS} (case_id, from_state, to_state, actor, purpose, reason)
                      SELECT case_id, NULL, 'registered', '{ctx.actor.user}', '{ctx.purpose.value}',
                             'registration received: ' || array_to_string(registration_ids, ', ') FROM _new_cases""")
    store.conn.unregister("_new_cases")
    report.created = len(new)


def derive_facts(store: Store, policy: DeparturePolicy, as_of: date) -> None:
    """Per case: registrations, match, travel, withdrawal, best departure evidence, re-entry, flag,
    payment, and the state all of that calls for (set-based, into ``dep_facts``)."""
    window = policy.evidence_window_days
    presence = _quote(policy.presence_kinds)
    lawful = _quote(s.value for s in policy.lawful_statuses)
    store.execute(f"""
        CREATE OR REPLACE TEMP TABLE {FACTS} AS
        WITH c AS (SELECT case_id, person_id, state, closed_reason, officer_withdrawn FROM {CASES}),
        ev AS (SELECT e.* FROM {EVENTS} e WHERE e.person_id IN (SELECT person_id FROM c)),
        reg AS (SELECT person_id, list(DISTINCT code ORDER BY code) AS registration_ids, min(event_date) AS first_registered,
                       max(event_date) AS last_registered, arg_max(until, event_date) AS planned
                FROM ev WHERE kind = 'SELF_DEPARTURE_REGISTERED' GROUP BY person_id),
        graded AS (SELECT ev.person_id, ev.rec, ev.event_date, {_grade_case(policy)} AS rank
                   FROM ev JOIN reg USING (person_id) WHERE ev.event_date >= reg.first_registered - {window}),
        best AS (SELECT person_id, arg_max(rec, rank * 100000 - epoch(event_date) / 86400) AS evidence_rec,
                        max(rank) AS rank, arg_max(event_date, rank * 100000 - epoch(event_date) / 86400) AS evidence_date
                 FROM graded WHERE rank IS NOT NULL GROUP BY person_id),
        confirmed AS (SELECT person_id, min(event_date) AS confirmed_on FROM graded
                      WHERE rank IN ({_rank_list(policy.confirms_departure)}) GROUP BY person_id),
        other AS (SELECT ev.person_id,
                         max(ev.event_date) FILTER (WHERE kind = 'SELF_DEPARTURE_TRAVEL_ARRANGED') AS travel_at,
                         max(ev.event_date) FILTER (WHERE kind = 'SELF_DEPARTURE_WITHDRAWN') AS withdrawn_at
                  FROM ev GROUP BY ev.person_id),
        reentry AS (SELECT ev.person_id, min(ev.event_date) AS reentered_on FROM ev JOIN confirmed USING (person_id)
                    WHERE ev.kind IN ({presence}) AND ev.event_date > confirmed.confirmed_on GROUP BY ev.person_id),
        members AS (SELECT person_id, bool_or(rec NOT LIKE '{APP}:%') AS has_other_records FROM res_membership
                    WHERE person_id IN (SELECT person_id FROM c) GROUP BY person_id),
        links AS (SELECT m.person_id,
                         max(CASE WHEN l.tier = 'probabilistic' THEN l.match_probability ELSE 1.0 END) AS confidence,
                         arg_max(l.tier || ': ' || l.rule, CASE WHEN l.tier = 'probabilistic' THEN l.match_probability ELSE 1.0 END) AS basis
                  FROM res_links l JOIN res_membership m ON m.rec = l.rec_l
                  WHERE (l.rec_l LIKE '{APP}:%') <> (l.rec_r LIKE '{APP}:%') AND m.person_id IN (SELECT person_id FROM c)
                  GROUP BY m.person_id),
        status AS (SELECT s.person_id, s.status, s.rule FROM {STATUS} s WHERE s.person_id IN (SELECT person_id FROM c)),
        citizen AS (SELECT person_id, any_value(detail) AS detail FROM {FLAGS}
                    WHERE flag = 'citizenship_evidence' AND person_id IN (SELECT person_id FROM c) GROUP BY person_id),
        paid AS (SELECT case_id, bool_or(kind = 'stipend') AS stipend_paid, bool_or(kind = 'travel') AS travel_paid
                 FROM {TXNS} GROUP BY case_id)
        SELECT c.case_id, c.person_id, c.state, reg.registration_ids, reg.first_registered, reg.planned,
               coalesce(members.has_other_records, false) AS matched_person,
               CASE WHEN members.has_other_records THEN links.confidence ELSE 0.0 END AS confidence,
               CASE WHEN members.has_other_records THEN links.basis ELSE 'no record but the registration' END AS basis,
               CASE best.rank WHEN 3 THEN 'strong' WHEN 2 THEN 'medium' WHEN 1 THEN 'weak' END AS evidence_grade,
               best.evidence_rec, best.evidence_date, confirmed.confirmed_on, reentry.reentered_on,
               coalesce(other.travel_at IS NOT NULL OR paid.travel_paid, false) AS travel_arranged,
               coalesce(other.withdrawn_at > reg.last_registered, false) OR c.officer_withdrawn AS withdrawn,
               CASE WHEN citizen.person_id IS NOT NULL THEN 'evidence of US citizenship: ' || citizen.detail
                    WHEN status.status IN ({lawful}) THEN 'derived status ' || status.status || ' (rule ' || status.rule || ')'
               END AS flag_reason,
               coalesce(paid.stipend_paid, false) AS stipend_paid,
               reg.planned IS NOT NULL AND DATE '{as_of.isoformat()}' > reg.planned + {policy.grace_days} AS past_grace
        FROM c LEFT JOIN reg USING (person_id) LEFT JOIN best USING (person_id) LEFT JOIN confirmed USING (person_id)
        LEFT JOIN other USING (person_id) LEFT JOIN reentry USING (person_id) LEFT JOIN members USING (person_id)
        LEFT JOIN links USING (person_id) LEFT JOIN status USING (person_id) LEFT JOIN citizen USING (person_id)
        LEFT JOIN paid USING (case_id)""")
    store.execute(f"""
        ALTER TABLE {FACTS} ADD COLUMN wanted VARCHAR""")
    store.execute(f"""
        UPDATE {FACTS} SET wanted = CASE
            WHEN state = 'closed' THEN 'closed'
            WHEN confirmed_on IS NOT NULL AND reentered_on IS NOT NULL THEN 'reentered'
            WHEN stipend_paid THEN 'stipend_paid'
            WHEN confirmed_on IS NOT NULL THEN 'departed'
            WHEN withdrawn THEN 'withdrawn'
            WHEN flag_reason IS NOT NULL THEN 'flagged'
            WHEN NOT matched_person OR confidence < {policy.match_confidence} THEN 'registered'
            WHEN past_grace THEN 'overdue'
            WHEN travel_arranged THEN 'travel_arranged'
            ELSE 'matched' END""")


def _update_case_columns(store: Store) -> None:
    store.execute(f"""
        UPDATE {CASES} c SET registration_ids = coalesce(f.registration_ids, c.registration_ids),
            first_registered = f.first_registered, planned_departure = f.planned, match_confidence = f.confidence,
            match_basis = f.basis, evidence_grade = f.evidence_grade, evidence_rec = f.evidence_rec,
            evidence_date = f.evidence_date, confirmed_on = f.confirmed_on, reentered_on = f.reentered_on, flag_reason = f.flag_reason,
            travel_arranged = f.travel_arranged, withdrawn = f.withdrawn
        FROM {FACTS} f WHERE f.case_id = c.case_id""")


def path(current: CaseState, wanted: CaseState) -> list[CaseState] | None:
    """The shortest chain of allowed transitions from ``current`` to ``wanted`` (None if there is none)."""
    if current is wanted:
        return []
    previous: dict[CaseState, CaseState] = {}
    queue = deque([current])
    while queue:
        state = queue.popleft()
        for nxt in sorted(ALLOWED[state]):
            if nxt in previous or nxt is current:
                continue
            previous[nxt] = state
            if nxt is wanted:
                steps = [nxt]
                while previous[steps[-1]] is not current:
                    steps.append(previous[steps[-1]])
                return steps[::-1]
            queue.append(nxt)
    return None


REASONS = {
    CaseState.MATCHED: "registration matched to a person",
    CaseState.REGISTERED: "identity not established: the match is missing or below the policy's confidence",
    CaseState.TRAVEL_ARRANGED: "travel arranged",
    CaseState.DEPARTED: "departure confirmed",
    CaseState.STIPEND_PAID: "stipend paid",
    CaseState.OVERDUE: "no confirmed exit within the grace period after the planned date",
    CaseState.REENTERED: "evidence of presence in the United States after the confirmed departure",
    CaseState.WITHDRAWN: "registration withdrawn",
    CaseState.FLAGGED: "the registrant need not leave",
    CaseState.CLOSED: "closed",
}


def _move_cases(store: Store, ctx: RequestContext, report: SyncReport) -> None:
    rows = store.rows(f"""SELECT case_id, state, wanted, evidence_rec, flag_reason, basis, confidence
                          FROM {FACTS} WHERE wanted <> state ORDER BY case_id""")
    transitions: list[tuple[int, str, str, str, str | None]] = []
    final: list[tuple[int, str]] = []
    for case_id, state, wanted, evidence, flag, basis, confidence in rows:
        steps = path(CaseState(state), CaseState(wanted))
        if steps is None:
            report.stuck.append((int(case_id), str(state), str(wanted)))
            continue
        previous = str(state)
        for step in steps:
            reason = REASONS[step]
            if step is CaseState.FLAGGED:
                reason = f"{reason}: {flag}"
            elif step is CaseState.MATCHED:
                reason = f"{reason} ({basis}, confidence {float(confidence or 0):.4f})"
            rec = evidence if step in (CaseState.DEPARTED, CaseState.REENTERED) else None
            transitions.append((int(case_id), previous, step.value, reason, rec))
            previous = step.value
        final.append((int(case_id), previous))
    if transitions:
        frame = pd.DataFrame(
            transitions, columns=["case_id", "from_state", "to_state", "reason", "evidence_rec"]
        )
        store.conn.register("_moves", frame)
        store.execute(f"""INSERT INTO {TRANSITIONS} (case_id, from_state, to_state, actor, purpose, reason, evidence_rec)
                          SELECT case_id, from_state, to_state, '{ctx.actor.user}', '{ctx.purpose.value}', reason, evidence_rec
                          FROM _moves""")
        store.conn.unregister("_moves")
        store.conn.register("_final", pd.DataFrame(final, columns=["case_id", "state"]))
        store.execute(
            f"UPDATE {CASES} c SET state = f.state, updated_at = now() FROM _final f WHERE f.case_id = c.case_id"
        )
        store.conn.unregister("_final")
    report.transitions = len(transitions)


def sync_cases(ctx: RequestContext, store: Store, policy: DeparturePolicy, as_of: date) -> SyncReport:
    """Bring every case in step with the stored evidence (idempotent: a second run changes nothing)."""
    report = SyncReport()
    with store.transaction():
        _assign_cases_to_persons(store, ctx, report)
        _open_new_cases(store, ctx, policy, report)
        derive_facts(store, policy, as_of)
        _update_case_columns(store)
        _move_cases(store, ctx, report)
    report.states = {
        str(s): int(n) for s, n in store.rows(f"SELECT state, count(*) FROM {CASES} GROUP BY 1 ORDER BY 1")
    }
    report.cases = sum(report.states.values())
    audit.record(
        ctx,
        store,
        "departures.sync",
        justification=f"policy {policy.version} at {as_of}: {report.created} opened, {report.transitions} transitions",
    )
    return report
