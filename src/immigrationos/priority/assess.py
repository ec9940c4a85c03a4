"""The policy compiled to one set-based SQL statement: per person, the categories that hold (with the
events and statuses that make them hold), the tier and score, the first safeguard that applies, identity
doubts and deprioritisation. The worklist build runs it for everyone; each workflow step runs it again
for one person, so a safeguard that starts to apply is seen at once."""

from __future__ import annotations

from datetime import date

from immigrationos.departures.storage import CASES as DEPARTURE_CASES
from immigrationos.lifecycle.storage import EVENTS, FLAGS, IDENTITY, STATUS
from immigrationos.priority.models import Category, PriorityPolicy, Safeguard

OPEN_DEPARTURE_STATES = ("registered", "matched", "travel_arranged", "overdue", "flagged")


def _quote(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


def _category_select(i: int, c: Category, as_of: date, persons: str) -> str:
    day = f"DATE '{as_of.isoformat()}'"
    if c.events:
        since = f" AND event_date > {day} - INTERVAL {c.within_years} YEAR" if c.within_years else ""
        return f"""
            SELECT person_id, '{c.name}' AS category, {c.tier} AS tier, {c.weight} AS weight, {i} AS ord,
                   arg_max(rec, event_date) AS rec,
                   arg_max(kind || ' ' || event_date || coalesce(' (' || detail || ')', ''), event_date) AS what
            FROM {EVENTS} WHERE ({c.events}) AND event_date <= {day}{since} {persons.replace("WHERE", "AND")}
            GROUP BY person_id"""
    return f"""
        SELECT person_id, '{c.name}', {c.tier}, {c.weight}, {i}, evidence[1],
               'derived status ' || status || ' (rule ' || rule || ')'
        FROM {STATUS} WHERE status IN ({_quote([s.value for s in c.statuses])}) {persons.replace("WHERE", "AND")}"""


def _safeguard_case(policy: PriorityPolicy, as_of: date) -> tuple[str, str]:
    day = f"DATE '{as_of.isoformat()}'"
    names, reasons = [], []
    for g in policy.safeguards:
        tests = []
        if g.flags:
            tests.append(f"list_has_any(coalesce(fl.flags, []), [{_quote(g.flags)}])")
        if g.statuses:
            tests.append(f"coalesce(st.status, 'unknown') IN ({_quote([s.value for s in g.statuses])})")
        if g.under_age:
            tests.append(f"(ag.dob IS NULL OR ag.dob > {day} - INTERVAL {g.under_age} YEAR)")
        condition = " OR ".join(tests)
        if g.unless_categories:
            condition = f"({condition}) AND NOT list_has_any(a.categories, [{_quote(g.unless_categories)}])"
        names.append(f"WHEN {condition} THEN '{g.name}'")
        reasons.append(f"WHEN {condition} THEN '{_escape(g)}'")
    return f"CASE {' '.join(names)} END", f"CASE {' '.join(reasons)} END"


def _escape(g: Safeguard) -> str:
    return g.reason.replace("'", "''")


def assessment_sql(policy: PriorityPolicy, as_of: date, person_id: int | None = None) -> str:
    """SELECT person_id, categories, tier, score, reasons, evidence, status, safeguard, safeguard_reason,
    identity_doubt, deprioritised: for every person in at least one category (or just ``person_id``)."""
    persons = f"WHERE person_id = {int(person_id)}" if person_id is not None else ""
    cats = " UNION ALL ".join(_category_select(i, c, as_of, persons) for i, c in enumerate(policy.categories))
    safeguard, reason = _safeguard_case(policy, as_of)
    deprioritise = {d.name: d for d in policy.deprioritise}
    sd = deprioritise.get("open_self_departure")
    factor = sd.factor if sd else 1.0
    identity = _quote(policy.identity_queue_flags) or "NULL"
    return f"""
        WITH cats AS ({cats}),
        a AS (SELECT person_id, list(category ORDER BY ord) AS categories, min(tier) AS tier, sum(weight) AS score,
                     list(category || ': ' || what ORDER BY ord) AS reasons,
                     list_distinct(list(rec) FILTER (WHERE rec IS NOT NULL)) AS evidence
              FROM cats GROUP BY person_id),
        st AS (SELECT person_id, status FROM {STATUS} WHERE person_id IN (SELECT person_id FROM a)),
        fl AS (SELECT person_id, list(flag) AS flags FROM {FLAGS} WHERE person_id IN (SELECT person_id FROM a) GROUP BY person_id),
        ag AS (SELECT person_id, mode(dob) AS dob FROM {IDENTITY} WHERE person_id IN (SELECT person_id FROM a) GROUP BY person_id),
        sd AS (SELECT DISTINCT person_id FROM {DEPARTURE_CASES} WHERE state IN ({_quote(list(OPEN_DEPARTURE_STATES))}))
        SELECT a.person_id, a.categories, a.tier,
               a.score * CASE WHEN sd.person_id IS NOT NULL THEN {factor} ELSE 1 END AS score,
               a.reasons, a.evidence, st.status, {safeguard} AS safeguard, {reason} AS safeguard_reason,
               list_has_any(coalesce(fl.flags, []), [{identity}]) AS identity_doubt,
               CASE WHEN sd.person_id IS NOT NULL {"AND true" if sd else "AND false"} THEN '{sd.reason.replace("'", "''") if sd else ""}' END AS deprioritised
        FROM a LEFT JOIN st USING (person_id) LEFT JOIN fl USING (person_id) LEFT JOIN ag USING (person_id)
        LEFT JOIN sd USING (person_id)"""
