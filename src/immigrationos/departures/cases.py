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
from immigrationos.departures.storage import CASES, EFFECTIVE_PERSON_SQL, TRANSITIONS, TXNS
from immigrationos.lifecycle.storage import EVENTS, FLAGS, STATUS
from immigrationos.resolution.reasons import WHO_COULD_IT_BE
from immigrationos.store.engine import Store

FACTS = "dep_facts"
APP = "self_departure_app"


@dataclass
class SyncReport:
    cases: int = 0
    created: int = 0
    merged: int = 0
    transitions: int = 0
    matched_by_departure: int = 0
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


def _assign_cases_to_persons(store: Store) -> None:
    """Point each case at the person now holding its first registration."""
    store.execute(f"""
        UPDATE {CASES} c SET person_id = r.person_id FROM (
            SELECT c2.case_id, min(e.person_id) AS person_id FROM {CASES} c2
            JOIN {EVENTS} e ON e.kind = 'SELF_DEPARTURE_REGISTERED' AND e.code = c2.registration_ids[1]
            GROUP BY c2.case_id) r
        WHERE c.case_id = r.case_id AND c.person_id <> r.person_id""")


def _merge_cases_of_one_person(store: Store, ctx: RequestContext, report: SyncReport) -> None:
    """Close every open case but the first of each person: the registrant's own, or the person the
    registration was matched to (whose own later registration then joins the matched case)."""
    duplicates = store.rows(f"""
        WITH person AS ({EFFECTIVE_PERSON_SQL})
        SELECT c.case_id, c.state, first_value(c.case_id) OVER (PARTITION BY p.person ORDER BY c.case_id) AS keep
        FROM {CASES} c JOIN person p USING (case_id) WHERE c.state <> 'closed' QUALIFY c.case_id <> keep""")
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


def held_pairs_sql(reasons: tuple[str, ...] = ()) -> str:
    """(case_id, other, reason, p): the open review items that pair a record of a CTE ``mine`` (case_id,
    rec) with another record, optionally only those held for one of ``reasons`` (their openings)."""
    cond = "v.status = 'open'"
    if reasons:
        cond += " AND (" + " OR ".join(f"starts_with(v.reason, '{r}')" for r in reasons) + ")"
    return f"""SELECT mine.case_id, v.rec_r AS other, v.reason, v.match_probability AS p
               FROM mine JOIN res_review v ON v.rec_l = mine.rec WHERE {cond}
               UNION ALL
               SELECT mine.case_id, v.rec_l, v.reason, v.match_probability
               FROM mine JOIN res_review v ON v.rec_r = mine.rec WHERE {cond}"""


def _strong_kinds(policy: DeparturePolicy) -> str:
    return _quote(kind for kind, grade in policy.evidence_grades.items() if grade is Grade.STRONG)


def match_by_departure(store: Store, policy: DeparturePolicy) -> int:
    """Match registrations that resolution held because several persons could have made them (they share
    its name and birth date, or it fits two of them about equally well) to the one candidate with an
    exit record between the registration and the end of the grace period, when no other candidate has
    one (the policy's ``match_by_departure``). Returns the cases matched."""
    if not policy.match_by_departure:
        return 0
    app = f"'{APP}:%'"
    store.execute(f"""
        CREATE OR REPLACE TEMP TABLE _by_departure AS
        WITH open AS (SELECT c.case_id, c.person_id FROM {CASES} c
                      WHERE c.matched_rec IS NULL AND c.state NOT IN ('closed', 'withdrawn')
                        AND NOT EXISTS (SELECT 1 FROM res_membership m WHERE m.person_id = c.person_id AND m.rec NOT LIKE {app})),
        regs AS (SELECT o.case_id, min(e.event_date) AS registered, arg_max(e.until, e.event_date) AS planned
                 FROM open o JOIN {EVENTS} e ON e.person_id = o.person_id AND e.kind = 'SELF_DEPARTURE_REGISTERED' GROUP BY 1),
        mine AS (SELECT o.case_id, m.rec FROM open o JOIN res_membership m USING (person_id)),
        held AS ({held_pairs_sql(WHO_COULD_IT_BE)}),
        candidates AS (SELECT h.case_id, m.person_id, arg_max(h.other, h.p) AS rec, max(h.p) AS p
                       FROM held h JOIN res_membership m ON m.rec = h.other GROUP BY ALL),
        exits AS (SELECT k.case_id, k.person_id, min(e.event_date) AS left_on
                  FROM candidates k JOIN regs USING (case_id) JOIN {EVENTS} e ON e.person_id = k.person_id
                  WHERE e.kind IN ({_strong_kinds(policy)})
                    AND e.event_date BETWEEN regs.registered - {policy.evidence_window_days}
                                         AND coalesce(regs.planned, regs.registered) + {policy.grace_days}
                  GROUP BY ALL)
        SELECT k.case_id, any_value(k.rec) FILTER (WHERE x.person_id IS NOT NULL) AS rec,
               any_value(k.p) FILTER (WHERE x.person_id IS NOT NULL) AS p,
               any_value(k.person_id) FILTER (WHERE x.person_id IS NOT NULL) AS person_id,
               any_value(x.left_on) FILTER (WHERE x.person_id IS NOT NULL) AS left_on,
               count(*) AS candidates
        FROM candidates k LEFT JOIN exits x USING (case_id, person_id)
        GROUP BY k.case_id HAVING count(x.person_id) = 1""")
    # A candidate with a case of its own is this registrant registering twice: matching would give one
    # person two cases (and two stipends), so that is left to an officer, who closes one as a duplicate.
    store.execute(f"""DELETE FROM _by_departure WHERE person_id IN
                      (SELECT person_id FROM {CASES} WHERE state <> 'closed')""")
    matched = int(store.scalar("SELECT count(*) FROM _by_departure"))
    if matched:
        store.execute(f"""
            UPDATE {CASES} c SET matched_rec = b.rec, matched_confidence = b.p,
                matched_by = 'departure corroboration (policy {policy.version})',
                matched_note = 'registration fits ' || b.candidates || ' candidate persons; only person '
                               || b.person_id || ' has an exit record (' || b.left_on || ') for this registration'
            FROM _by_departure b WHERE b.case_id = c.case_id""")
    store.execute("DROP TABLE _by_departure")
    return matched


def derive_facts(store: Store, policy: DeparturePolicy, as_of: date) -> None:
    """Per case: registrations, match, travel, withdrawal, best departure evidence, re-entry, flag,
    payment, and the state all of that calls for (set-based, into ``dep_facts``). A case's evidence is
    that of the person holding its registrations and, where it was matched to a record of another
    person (by an officer or by departure corroboration), of that person too."""
    window = policy.evidence_window_days
    presence = _quote(policy.presence_kinds)
    lawful = _quote(s.value for s in policy.lawful_statuses)
    store.execute(f"""
        CREATE OR REPLACE TEMP TABLE {FACTS} AS
        WITH c AS (SELECT case_id, person_id, state, closed_reason, officer_withdrawn, matched_rec, matched_by,
                          matched_note, matched_confidence FROM {CASES}),
        cp AS (SELECT case_id, person_id, 0 AS matched FROM c
               UNION SELECT c.case_id, m.person_id, 1 FROM c JOIN res_membership m ON m.rec = c.matched_rec
               WHERE m.person_id <> c.person_id),
        ev AS (SELECT cp.case_id, e.* FROM {EVENTS} e JOIN cp USING (person_id)),
        reg AS (SELECT case_id, list(DISTINCT code ORDER BY code) AS registration_ids, min(event_date) AS first_registered,
                       max(event_date) AS last_registered, arg_max(until, event_date) AS planned
                FROM ev WHERE kind = 'SELF_DEPARTURE_REGISTERED' GROUP BY case_id),
        graded AS (SELECT ev.case_id, ev.rec, ev.event_date, {_grade_case(policy)} AS rank
                   FROM ev JOIN reg USING (case_id) WHERE ev.event_date >= reg.first_registered - {window}),
        best AS (SELECT case_id, arg_max(rec, rank * 100000 - epoch(event_date) / 86400) AS evidence_rec,
                        max(rank) AS rank, arg_max(event_date, rank * 100000 - epoch(event_date) / 86400) AS evidence_date
                 FROM graded WHERE rank IS NOT NULL GROUP BY case_id),
        confirmed AS (SELECT case_id, min(event_date) AS confirmed_on FROM graded
                      WHERE rank IN ({_rank_list(policy.confirms_departure)}) GROUP BY case_id),
        other AS (SELECT ev.case_id,
                         max(ev.event_date) FILTER (WHERE kind = 'SELF_DEPARTURE_TRAVEL_ARRANGED') AS travel_at,
                         max(ev.event_date) FILTER (WHERE kind = 'SELF_DEPARTURE_WITHDRAWN') AS withdrawn_at
                  FROM ev GROUP BY ev.case_id),
        reentry AS (SELECT ev.case_id, min(ev.event_date) AS reentered_on FROM ev JOIN confirmed USING (case_id)
                    WHERE ev.kind IN ({presence}) AND ev.event_date > confirmed.confirmed_on GROUP BY ev.case_id),
        members AS (SELECT cp.case_id, bool_or(m.rec NOT LIKE '{APP}:%') AS has_other_records
                    FROM cp JOIN res_membership m USING (person_id) GROUP BY cp.case_id),
        links AS (SELECT cp.case_id,
                         max(CASE WHEN l.tier = 'probabilistic' THEN l.match_probability ELSE 1.0 END) AS confidence,
                         arg_max(l.tier || ': ' || l.rule, CASE WHEN l.tier = 'probabilistic' THEN l.match_probability ELSE 1.0 END) AS basis
                  FROM res_links l JOIN res_membership m ON m.rec = l.rec_l JOIN cp ON cp.person_id = m.person_id
                  WHERE (l.rec_l LIKE '{APP}:%') <> (l.rec_r LIKE '{APP}:%')
                  GROUP BY cp.case_id),
        status AS (SELECT cp.case_id, arg_max(s.status, cp.matched) AS status, arg_max(s.rule, cp.matched) AS rule
                   FROM {STATUS} s JOIN cp USING (person_id) GROUP BY cp.case_id),
        citizen AS (SELECT cp.case_id, any_value(f.detail) AS detail FROM {FLAGS} f JOIN cp USING (person_id)
                    WHERE f.flag = 'citizenship_evidence' GROUP BY cp.case_id),
        paid AS (SELECT case_id, bool_or(kind = 'stipend') AS stipend_paid, bool_or(kind = 'travel') AS travel_paid
                 FROM {TXNS} GROUP BY case_id)
        SELECT c.case_id, c.person_id, c.state, reg.registration_ids, reg.first_registered, reg.planned,
               coalesce(members.has_other_records, false) AS matched_person,
               CASE WHEN members.has_other_records THEN coalesce(links.confidence, c.matched_confidence) ELSE 0.0 END AS confidence,
               CASE WHEN NOT coalesce(members.has_other_records, false) THEN 'no record but the registration'
                    WHEN links.basis IS NOT NULL THEN links.basis
                    ELSE 'matched by ' || c.matched_by || ': ' || c.matched_note END AS basis,
               CASE best.rank WHEN 3 THEN 'strong' WHEN 2 THEN 'medium' WHEN 1 THEN 'weak' END AS evidence_grade,
               best.evidence_rec, best.evidence_date, confirmed.confirmed_on, reentry.reentered_on,
               coalesce(other.travel_at IS NOT NULL OR paid.travel_paid, false) AS travel_arranged,
               coalesce(other.withdrawn_at > reg.last_registered, false) OR c.officer_withdrawn AS withdrawn,
               CASE WHEN citizen.case_id IS NOT NULL THEN 'evidence of US citizenship: ' || citizen.detail
                    WHEN status.status IN ({lawful}) THEN 'derived status ' || status.status || ' (rule ' || status.rule || ')'
               END AS flag_reason,
               coalesce(paid.stipend_paid, false) AS stipend_paid,
               reg.planned IS NOT NULL AND DATE '{as_of.isoformat()}' > reg.planned + {policy.grace_days} AS past_grace
        FROM c LEFT JOIN reg USING (case_id) LEFT JOIN best USING (case_id) LEFT JOIN confirmed USING (case_id)
        LEFT JOIN other USING (case_id) LEFT JOIN reentry USING (case_id) LEFT JOIN members USING (case_id)
        LEFT JOIN links USING (case_id) LEFT JOIN status USING (case_id) LEFT JOIN citizen USING (case_id)
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
        _assign_cases_to_persons(store)
        _open_new_cases(store, ctx, policy, report)
        _merge_cases_of_one_person(store, ctx, report)
        report.matched_by_departure = match_by_departure(store, policy)
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
