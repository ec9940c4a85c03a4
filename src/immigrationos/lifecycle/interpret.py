"""The status rules evaluated in Python for one person: the fast path of `immos person` and the API.

The bulk path compiles the same rule file to SQL (``status.py``); both read facts the same way (latest
by date, ties broken by record) and evaluate conditions with SQL's three-valued logic, and a test holds
them to the same answer for every person of a generated world.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlglot import exp

from immigrationos.errors import ConfigurationError
from immigrationos.lifecycle.models import Fact, FactPick, FactScope, FactValue, Rule, RuleSet
from immigrationos.lifecycle.rules import parse_expression
from immigrationos.statuses import ImmigrationStatus


@dataclass(frozen=True)
class Event:
    """The columns of a lifecycle event the rules read."""

    event_date: date | None
    kind: str
    code: str | None
    until: date | None
    rec: str


@dataclass(frozen=True)
class DerivedStatus:
    person_id: int
    as_of: date
    status: ImmigrationStatus
    rule: str | None
    status_without_citizenship: ImmigrationStatus
    facts: dict[str, Any]


# --- facts ------------------------------------------------------------------------------------------


def _matches(fact: Fact, e: Event, stay_after: date | None) -> bool:
    if e.kind not in fact.kinds or (fact.codes and e.code not in fact.codes):
        return False
    return not (fact.scope is FactScope.STAY and stay_after is not None and e.event_date <= stay_after)  # type: ignore[operator]


def _value(fact: Fact, e: Event) -> Any:
    return {FactValue.DATE: e.event_date, FactValue.UNTIL: e.until, FactValue.CODE: e.code}[fact.value]


def _pick(fact: Fact, candidates: list[Event]) -> tuple[Any, str | None]:
    """The fact's value and record: latest by (date, record), or largest value; NULL values skipped."""
    known = [e for e in candidates if _value(fact, e) is not None]
    if not known:
        return None, None
    if fact.pick is FactPick.MAX:
        best = max(known, key=lambda e: (_value(fact, e), e.rec))
    else:
        best = max(known, key=lambda e: (e.event_date, e.rec))
    return _value(fact, best), best.rec


def compute_facts(rules: RuleSet, events: Sequence[Event], as_of: date) -> dict[str, Any]:
    """Every fact (and ``<fact>__rec``) from the events dated on or before ``as_of``."""
    dated = [e for e in events if e.event_date is not None and e.event_date <= as_of]
    exits = [e.event_date for e in dated if e.kind in rules.stay_ends_with]
    stay_after = max(exits) if exits else None  # type: ignore[type-var]
    facts: dict[str, Any] = {"as_of": as_of}
    for name, fact in rules.facts.items():
        value, rec = _pick(fact, [e for e in dated if _matches(fact, e, stay_after)])
        facts[name], facts[f"{name}__rec"] = value, rec
    return facts


# --- conditions (SQL three-valued logic) ------------------------------------------------------------


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool | None]:
    return lambda a, b: None if a is None or b is None else op(a, b)


COMPARISONS: dict[type[exp.Expr], Callable[[Any, Any], bool | None]] = {
    exp.GT: _compare(lambda a, b: a > b),
    exp.GTE: _compare(lambda a, b: a >= b),
    exp.LT: _compare(lambda a, b: a < b),
    exp.LTE: _compare(lambda a, b: a <= b),
    exp.EQ: _compare(lambda a, b: a == b),
    exp.NEQ: _compare(lambda a, b: a != b),
}


def _after(a: Any, b: Any, *, ties: bool) -> bool:
    return a is not None and (b is None or (a >= b if ties else a > b))


def _and(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def _or(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


def evaluate(node: exp.Expr, values: dict[str, Any]) -> Any:
    """Evaluate a rule condition the way DuckDB would."""
    if isinstance(node, exp.Paren):
        return evaluate(node.this, values)
    if isinstance(node, exp.Column):
        return values[node.name]
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Literal):
        return node.this if node.is_string else float(node.this)
    if isinstance(node, exp.And):
        return _and(evaluate(node.this, values), evaluate(node.expression, values))
    if isinstance(node, exp.Or):
        return _or(evaluate(node.this, values), evaluate(node.expression, values))
    if isinstance(node, exp.Not):
        inner = evaluate(node.this, values)
        return None if inner is None else not inner
    if isinstance(node, exp.Is):
        return evaluate(node.this, values) is None
    if isinstance(node, exp.Anonymous):
        a, b = (evaluate(arg, values) for arg in node.expressions)
        return _after(a, b, ties=node.name.lower() == "on_or_after")
    compare = COMPARISONS.get(type(node))
    if compare is None:
        raise ConfigurationError(f"{type(node).__name__} is not supported in a rule condition")
    return compare(evaluate(node.this, values), evaluate(node.expression, values))


class CompiledRules:
    """A rule set with its conditions parsed once."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.conditions = [(rule, parse_expression(rule.when, rule.name)) for rule in rules.rules]

    def first(self, facts: dict[str, Any], skip: ImmigrationStatus | None = None) -> Rule | None:
        for rule, condition in self.conditions:
            if rule.status is not skip and evaluate(condition, facts) is True:
                return rule
        return None

    def derive(self, person_id: int, events: Sequence[Event], as_of: date) -> DerivedStatus:
        facts = compute_facts(self.rules, events, as_of)
        rule = self.first(facts)
        other = self.first(facts, skip=ImmigrationStatus.US_CITIZEN)
        return DerivedStatus(
            person_id=person_id,
            as_of=as_of,
            status=rule.status if rule else ImmigrationStatus.UNKNOWN,
            rule=rule.name if rule else None,
            status_without_citizenship=other.status if other else ImmigrationStatus.UNKNOWN,
            facts=facts,
        )
