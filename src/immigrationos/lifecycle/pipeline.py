"""``immos lifecycle``: events from every resolved record, every person's status at a date, safeguards."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from immigrationos.audit import log as audit
from immigrationos.context import RequestContext, require_context
from immigrationos.lifecycle.events import build_events
from immigrationos.lifecycle.models import EventCatalog, RuleSet
from immigrationos.lifecycle.rules import default_events, default_rules
from immigrationos.lifecycle.safeguards import flags_sql
from immigrationos.lifecycle.status import derivation_sql, prepare
from immigrationos.lifecycle.storage import FLAGS, STATUS, next_run_id
from immigrationos.sources.models import Catalog
from immigrationos.store.engine import Store

DERIVED = "life_derived"


@dataclass
class LifecycleReport:
    run_id: int
    as_of: date
    rules_version: str
    persons: int = 0
    events: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    flags: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)


def derive_all(store: Store, rules: RuleSet, as_of: date, table: str = DERIVED) -> int:
    """Every resolved person's status (with its facts) at ``as_of`` into ``table``; returns the persons."""
    prepare(store)
    targets = f"(SELECT DISTINCT person_id, DATE '{as_of.isoformat()}' AS as_of FROM res_membership)"
    store.execute(f"CREATE OR REPLACE TABLE {table} AS {derivation_sql(rules, targets)}")
    return int(store.scalar(f"SELECT count(*) FROM {table}"))


def refresh_persons(store: Store, rules: RuleSet, as_of: date, persons: set[int]) -> int:
    """Re-derive and publish the status and flags of ``persons`` only (the near-real-time path)."""
    if not persons:
        return 0
    prepare(store)
    store.conn.register("_refresh_persons", pd.DataFrame({"person_id": sorted(persons)}))
    targets = f"(SELECT person_id, DATE '{as_of.isoformat()}' AS as_of FROM _refresh_persons)"
    store.execute(f"CREATE OR REPLACE TEMP TABLE life_refresh AS {derivation_sql(rules, targets)}")
    store.conn.unregister("_refresh_persons")
    with store.transaction():
        store.execute(f"DELETE FROM {STATUS} WHERE person_id IN (SELECT person_id FROM life_refresh)")
        store.execute(
            f"""INSERT INTO {STATUS} (person_id, as_of, status, rule, rules_version, evidence, status_without_citizenship)
                SELECT person_id, as_of, status, rule, ?, evidence, status_without_citizenship FROM life_refresh""",
            [rules.version],
        )
        store.execute(f"DELETE FROM {FLAGS} WHERE person_id IN (SELECT person_id FROM life_refresh)")
        store.execute(
            f"INSERT INTO {FLAGS} SELECT person_id, flag, detail, DATE '{as_of.isoformat()}' FROM ({flags_sql('life_refresh')})"
        )
    return len(persons)


def _publish(store: Store, rules: RuleSet, as_of: date) -> None:
    """Replace the published statuses and flags in one transaction (readers never see half)."""
    with store.transaction():
        store.execute(f"DELETE FROM {STATUS}")
        store.execute(
            f"""INSERT INTO {STATUS} (person_id, as_of, status, rule, rules_version, evidence, status_without_citizenship)
                SELECT person_id, as_of, status, rule, ?, evidence, status_without_citizenship FROM {DERIVED}""",
            [rules.version],
        )
        store.execute(f"DELETE FROM {FLAGS}")
        store.execute(
            f"INSERT INTO {FLAGS} SELECT person_id, flag, detail, DATE '{as_of.isoformat()}' FROM ({flags_sql(DERIVED)})"
        )


def run_lifecycle(
    ctx: RequestContext,
    store: Store,
    *,
    catalog: Catalog,
    as_of: date,
    events: EventCatalog | None = None,
    rules: RuleSet | None = None,
    on_step: Callable[[str], None] | None = None,
) -> LifecycleReport:
    """Build events, derive every status at ``as_of`` and the safeguard flags, publish them."""
    require_context(ctx)
    events = events or default_events()
    rules = rules or default_rules()
    step = on_step or (lambda _s: None)
    started = time.perf_counter()
    report = LifecycleReport(run_id=next_run_id(store), as_of=as_of, rules_version=rules.version)
    mark = time.perf_counter()

    def done(name: str) -> None:
        nonlocal mark
        report.steps[name] = round(time.perf_counter() - mark, 2)
        mark = time.perf_counter()

    step("building events")
    report.events = build_events(store, catalog, events)
    done("events")
    step("deriving statuses")
    report.persons = derive_all(store, rules, as_of)
    done("statuses")
    step("safeguards")
    _publish(store, rules, as_of)
    done("publish and safeguards")
    report.statuses = {
        str(s): int(n)
        for s, n in store.rows(f"SELECT status, count(*) FROM {STATUS} GROUP BY 1 ORDER BY 2 DESC")
    }
    report.flags = {
        str(s): int(n)
        for s, n in store.rows(f"SELECT flag, count(*) FROM {FLAGS} GROUP BY 1 ORDER BY 2 DESC")
    }
    report.seconds = round(time.perf_counter() - started, 2)
    audit.record(
        ctx,
        store,
        "lifecycle.run",
        justification=f"run {report.run_id} at {as_of}: {report.persons} persons, rules {rules.version}",
    )
    store.execute(
        "INSERT INTO life_runs (run_id, as_of, rules_version, persons, events, actor, purpose) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            report.run_id,
            as_of,
            rules.version,
            report.persons,
            report.events,
            ctx.actor.user,
            ctx.purpose.value,
        ],
    )
    return report


def default_as_of(store: Store, configured: date | None) -> date:
    """The date to derive at: the configured one, else the last published run's, else today."""
    if configured is not None:
        return configured
    last = store.rows("SELECT as_of FROM life_runs ORDER BY run_id DESC LIMIT 1")
    return last[0][0] if last else date.today()
