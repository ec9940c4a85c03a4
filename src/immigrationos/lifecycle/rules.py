"""Load and check the two declarative files of the lifecycle: event mappings and status rules.

Both are data a reviewer can read; this module refuses any mapping or rule that names an unknown source,
column, event kind or fact, so a typo fails at load time, not as a silently wrong status.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import sqlglot
from pydantic import BaseModel
from sqlglot import exp

from immigrationos.errors import ConfigurationError
from immigrationos.lifecycle.models import EventCatalog, RuleSet
from immigrationos.sources.models import Catalog
from immigrationos.yamlfile import load_model

M = TypeVar("M", bound=BaseModel)
SUPPORTED = (
    exp.And,
    exp.Or,
    exp.Not,
    exp.Paren,
    exp.Is,
    exp.Null,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.EQ,
    exp.NEQ,
    exp.Column,
    exp.Identifier,
    exp.Anonymous,
    exp.Literal,
    exp.Boolean,
)


HELPERS = frozenset({"after", "on_or_after"})
RULE_VARIABLES = frozenset({"as_of"})


def parse_expression(sql: str, origin: str) -> exp.Expr:
    try:
        return sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise ConfigurationError(f"{origin}: cannot parse {sql!r}: {exc}") from exc


def referenced_columns(expression: exp.Expr) -> set[str]:
    return {c.name for c in expression.find_all(exp.Column)}


def check_supported(expression: exp.Expr, where: str) -> None:
    for node in expression.walk():
        if not isinstance(node, SUPPORTED):
            raise ConfigurationError(f"{where}: {type(node).__name__} is not supported in a rule condition")


# --- event mappings ---------------------------------------------------------------------------------


def check_events(events: EventCatalog, catalog: Catalog, origin: str) -> None:
    """Every source, kind and column a mapping names must exist."""
    for source, mappings in events.sources.items():
        if source not in catalog.names:
            raise ConfigurationError(f"{origin}: unknown source {source!r}")
        spec = catalog.source(source)
        columns = {f.name for f in spec.fields}
        for i, mapping in enumerate(mappings):
            where = f"{origin}: {source} mapping {i + 1} ({mapping.kind})"
            if mapping.kind not in events.kinds:
                raise ConfigurationError(f"{where}: kind {mapping.kind} is not declared under 'kinds'")
            for part in ("date", "when", "until", "code", "detail"):
                sql = getattr(mapping, part)
                if sql is None:
                    continue
                unknown = referenced_columns(parse_expression(sql, where)) - columns
                if unknown:
                    raise ConfigurationError(f"{where}: {part} names unknown columns {sorted(unknown)}")


def load_events(catalog: Catalog, path: Path | None = None) -> EventCatalog:
    events, origin = load_model(EventCatalog, "immigrationos.lifecycle", "events.yaml", path)
    check_events(events, catalog, origin)
    return events


# --- status rules -----------------------------------------------------------------------------------


def rule_facts(rules: RuleSet) -> dict[str, list[str]]:
    """The facts each rule reads, in the order they appear (its evidence)."""
    out: dict[str, list[str]] = {}
    for rule in rules.rules:
        names = [c.name for c in parse_expression(rule.when, rule.name).find_all(exp.Column, bfs=False)]
        out[rule.name] = [n for n in dict.fromkeys(names) if n in rules.facts]
    return out


def check_rules(rules: RuleSet, kinds: set[str], origin: str) -> None:
    """Facts name declared kinds; rules name declared facts and only the two helpers."""
    for kind in rules.stay_ends_with:
        if kind not in kinds:
            raise ConfigurationError(f"{origin}: stay_ends_with names unknown kind {kind}")
    for name, fact in rules.facts.items():
        unknown = set(fact.kinds) - kinds
        if unknown:
            raise ConfigurationError(f"{origin}: fact {name} names unknown kinds {sorted(unknown)}")
    seen: set[str] = set()
    for rule in rules.rules:
        where = f"{origin}: rule {rule.name}"
        if rule.name in seen:
            raise ConfigurationError(f"{where}: the name is used twice")
        seen.add(rule.name)
        expression = parse_expression(rule.when, where)
        unknown = referenced_columns(expression) - set(rules.facts) - RULE_VARIABLES
        if unknown:
            raise ConfigurationError(f"{where}: unknown facts {sorted(unknown)}")
        check_supported(expression, where)
        for call in expression.find_all(exp.Anonymous):
            if call.name.lower() not in HELPERS:
                raise ConfigurationError(f"{where}: unknown function {call.name}()")


def load_rules(kinds: set[str], path: Path | None = None) -> RuleSet:
    rules, origin = load_model(RuleSet, "immigrationos.lifecycle", "status_rules.yaml", path)
    check_rules(rules, kinds, origin)
    return rules


@lru_cache(maxsize=1)
def default_events() -> EventCatalog:
    from immigrationos.sources.catalog import default_catalog

    return load_events(default_catalog())


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    return load_rules(set(default_events().kinds))
