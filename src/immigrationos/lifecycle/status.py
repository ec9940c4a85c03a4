"""The status engine: the rule file compiled to one set-based SQL statement over (person, as-of) targets.

The same statement derives every person's status at one date (millions of rows, no Python loop) and one
person's status at each date of their timeline (the status history), so the two can never disagree.
"""

from __future__ import annotations

from immigrationos.lifecycle.models import Fact, FactPick, FactScope, FactValue, RuleSet
from immigrationos.lifecycle.rules import rule_facts
from immigrationos.lifecycle.storage import EVENTS
from immigrationos.statuses import ImmigrationStatus
from immigrationos.store.engine import Store

MACROS = (
    "CREATE OR REPLACE TEMP MACRO after(a, b) AS a IS NOT NULL AND (b IS NULL OR a > b)",
    "CREATE OR REPLACE TEMP MACRO on_or_after(a, b) AS a IS NOT NULL AND (b IS NULL OR a >= b)",
)


def _quote_list(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _fact_filter(fact: Fact) -> str:
    cond = [f"kind IN ({_quote_list(fact.kinds)})"]
    if fact.codes:
        cond.append(f"code IN ({_quote_list(fact.codes)})")
    if fact.scope is FactScope.STAY:
        cond.append("(stay_after IS NULL OR event_date > stay_after)")
    return " AND ".join(cond)


def _fact_columns(name: str, fact: Fact) -> list[str]:
    """The fact's value and the record it comes from (``<name>__rec``): latest by (date, record), or the
    largest value; events without the value are skipped (as ``interpret.compute_facts`` does)."""
    column = {FactValue.DATE: "event_date", FactValue.UNTIL: "until", FactValue.CODE: "code"}[fact.value]
    where = f"FILTER (WHERE {_fact_filter(fact)} AND {column} IS NOT NULL)"
    if fact.pick is FactPick.MAX:
        value, key = f"max({column}) {where}", f"{{'v': {column}, 'r': rec}}"
    else:
        key = "{'d': event_date, 'r': rec}"
        value = (
            f"max(event_date) {where}"
            if fact.value is FactValue.DATE
            else f"arg_max({column}, {key}) {where}"
        )
    return [f"{value} AS {name}", f"arg_max(rec, {key}) {where} AS {name}__rec"]


def _rule_case(rules: RuleSet, skip_status: ImmigrationStatus | None = None) -> str:
    whens = [
        f"WHEN ({rule.when}) THEN {i}"
        for i, rule in enumerate(rules.rules, start=1)
        if rule.status is not skip_status
    ]
    return f"CASE {' '.join(whens)} ELSE 0 END"


def _evidence_case(rules: RuleSet) -> str:
    used = rule_facts(rules)
    whens = []
    for i, rule in enumerate(rules.rules, start=1):
        recs = ", ".join(f"{name}__rec" for name in used[rule.name])
        whens.append(f"WHEN {i} THEN list_distinct(list_filter([{recs}], lambda x: x IS NOT NULL))")
    return f"CASE rule_no {' '.join(whens)} ELSE []::VARCHAR[] END"


def _rule_lookup(rules: RuleSet) -> str:
    rows = ["(0, 'unknown', NULL)"] + [
        f"({i}, '{rule.status.value}', '{rule.name}')" for i, rule in enumerate(rules.rules, start=1)
    ]
    return f"(VALUES {', '.join(rows)}) AS r(rule_no, status, rule)"


def derivation_sql(rules: RuleSet, targets: str) -> str:
    """SELECT person_id, as_of, status, rule, evidence, status_without_citizenship, <facts...>.

    ``targets`` is a table or subquery of (person_id, as_of) pairs.
    """
    stay_kinds = _quote_list(rules.stay_ends_with)
    facts = ",\n               ".join(c for n, f in rules.facts.items() for c in _fact_columns(n, f))
    fact_names = ", ".join(f"f.{n}, f.{n}__rec" for n in rules.facts)
    return f"""
        WITH t AS (SELECT DISTINCT person_id, as_of FROM {targets}),
        ev AS (SELECT t.person_id, t.as_of, e.event_date, e.kind, e.code, e.until, e.rec
               FROM t JOIN {EVENTS} e ON e.person_id = t.person_id AND e.event_date <= t.as_of),
        stay AS (SELECT person_id, as_of, max(event_date) FILTER (WHERE kind IN ({stay_kinds})) AS stay_after
                 FROM ev GROUP BY ALL),
        f AS (SELECT ev.person_id, ev.as_of,
               {facts}
              FROM ev JOIN stay USING (person_id, as_of) GROUP BY ALL),
        decided AS (
            SELECT person_id, as_of, {fact_names},
                   {_rule_case(rules)} AS rule_no,
                   {_rule_case(rules, skip_status=ImmigrationStatus.US_CITIZEN)} AS rule_no_without_citizenship
            FROM t LEFT JOIN f USING (person_id, as_of))
        SELECT d.person_id, d.as_of, r.status, r.rule, {_evidence_case(rules)} AS evidence,
               r2.status AS status_without_citizenship, d.* EXCLUDE (person_id, as_of, rule_no, rule_no_without_citizenship)
        FROM decided d JOIN {_rule_lookup(rules)} USING (rule_no)
        JOIN {_rule_lookup(rules).replace(" AS r(", " AS r2(")} ON r2.rule_no = d.rule_no_without_citizenship"""


def prepare(store: Store) -> None:
    for macro in MACROS:
        store.execute(macro)
