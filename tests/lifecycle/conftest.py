"""Hand-built lifecycles, judged by both status engines (SQL for the bulk, Python for one person)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest

from immigrationos.lifecycle.interpret import CompiledRules, Event
from immigrationos.lifecycle.pipeline import derive_all
from immigrationos.lifecycle.rules import default_rules
from immigrationos.lifecycle.storage import EVENTS
from immigrationos.store.engine import Store

AS_OF = date(2026, 9, 30)
Spec = tuple[str, str] | tuple[str, str, str | None] | tuple[str, str, str | None, str | None]


@dataclass(frozen=True)
class Judged:
    status: str
    rule: str | None
    sql_status: str
    sql_rule: str | None


def events_of(specs: list[Spec]) -> list[Event]:
    """(date, kind[, code[, until]]) tuples as events with made-up record ids."""
    out = []
    for i, spec in enumerate(specs):
        day, kind, *rest = spec
        code = rest[0] if rest else None
        until = rest[1] if len(rest) > 1 else None
        out.append(
            Event(
                event_date=date.fromisoformat(day),
                kind=kind,
                code=code,
                until=date.fromisoformat(until) if until else None,
                rec=f"hand:{i:03d}",
            )
        )
    return out


@pytest.fixture
def judge(store: Store) -> Callable[..., Judged]:
    """Status of a hand-built lifecycle by the Python engine and by the SQL engine (real DuckDB)."""
    rules = default_rules()
    engine = CompiledRules(rules)
    counter = iter(range(1, 10_000))

    def run(specs: list[Spec], as_of: date = AS_OF) -> Judged:
        person = next(counter)
        events = events_of(specs)
        store.execute(f"DELETE FROM {EVENTS}")
        store.execute("DELETE FROM res_membership")
        store.execute("INSERT INTO res_membership VALUES (?, ?, 1)", [f"hand:person{person}", person])
        for e in events:
            store.execute(
                f"INSERT INTO {EVENTS} (person_id, event_date, kind, code, until, rec) VALUES (?, ?, ?, ?, ?, ?)",
                [person, e.event_date, e.kind, e.code, e.until, e.rec],
            )
        derive_all(store, rules, as_of, table="test_derived")
        sql_status, sql_rule = store.rows("SELECT status, rule FROM test_derived")[0]
        derived = engine.derive(person, events, as_of)
        return Judged(derived.status.value, derived.rule, str(sql_status), sql_rule)

    return run
