"""Build and re-evaluate the worklist: new entries for persons the policy names and no safeguard
protects; open entries updated, withdrawn when a safeguard now applies or the policy no longer names
them, and sent back to identity verification when the records they rest on left the person."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from immigrationos.audit import log as audit
from immigrationos.context import RequestContext, require_context
from immigrationos.priority.assess import assessment_sql
from immigrationos.priority.models import OPEN_STATES, PriorityPolicy
from immigrationos.priority.storage import ENTRIES, EXCLUSIONS, TRANSITIONS
from immigrationos.store.engine import Store

ASSESSED = "pri_assessed"
OPEN = ", ".join(f"'{s.value}'" for s in OPEN_STATES)


@dataclass
class BuildReport:
    as_of: date
    policy_version: str
    assessed: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    created: int = 0
    updated: int = 0
    withdrawn: int = 0
    back_to_identity: int = 0
    states: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _links_relied_on(store: Store) -> None:
    """For each assessed person, the resolution links that tie its evidence records to the person."""
    store.execute(f"""
        CREATE OR REPLACE TEMP TABLE pri_links AS
        WITH ev AS (SELECT person_id, unnest(evidence) AS rec FROM {ASSESSED} WHERE safeguard IS NULL)
        SELECT ev.person_id, list(DISTINCT l.rec_l || ' ~ ' || l.rec_r || ' (' || l.tier || ': ' || l.rule || ', p ' ||
                                  round(coalesce(l.match_probability, 1.0), 4) || ')') AS links
        FROM ev JOIN (SELECT rec_l AS rec, * FROM res_links UNION ALL SELECT rec_r AS rec, * FROM res_links) l USING (rec)
        GROUP BY ev.person_id""")


def _move(store: Store, ctx: RequestContext, rows: list[tuple[int, str, str, str]], on: date) -> None:
    """Record transitions (entry, from, to, reason) and set the entries' states."""
    if not rows:
        return
    frame = pd.DataFrame(rows, columns=["entry_id", "from_state", "to_state", "reason"])
    store.conn.register("_pri_moves", frame)
    store.execute(
        f"""INSERT INTO {TRANSITIONS} (entry_id, on_date, from_state, to_state, actor, purpose, reason)
            SELECT entry_id, ?, from_state, to_state, ?, ?, reason FROM _pri_moves""",
        [on, ctx.actor.user, ctx.purpose.value],
    )
    store.execute(
        f"UPDATE {ENTRIES} e SET state = m.to_state, updated_at = now() FROM _pri_moves m WHERE m.entry_id = e.entry_id"
    )
    store.conn.unregister("_pri_moves")


def _reevaluate_open(
    store: Store, ctx: RequestContext, policy: PriorityPolicy, as_of: date, report: BuildReport
) -> None:
    rows = store.rows(f"""
        WITH ev AS (SELECT entry_id, person_id, unnest(evidence) AS rec FROM {ENTRIES} WHERE state IN ({OPEN})),
             moved AS (SELECT DISTINCT ev.entry_id FROM ev LEFT JOIN res_membership m USING (rec)
                       WHERE m.person_id IS DISTINCT FROM ev.person_id)
        SELECT e.entry_id, e.state, a.person_id IS NULL AS gone, a.safeguard, a.safeguard_reason,
               e.entry_id IN (SELECT entry_id FROM moved) AS evidence_moved
        FROM {ENTRIES} e LEFT JOIN {ASSESSED} a USING (person_id) WHERE e.state IN ({OPEN})""")
    moves = []
    for entry, state, gone, safeguard, reason, moved in rows:
        if safeguard:
            moves.append(
                (int(entry), str(state), "withdrawn", f"safeguard {safeguard} now applies: {reason}")
            )
            report.withdrawn += 1
        elif gone:
            moves.append(
                (int(entry), str(state), "withdrawn", f"policy {policy.version} no longer names this person")
            )
            report.withdrawn += 1
        elif moved and state not in ("identity_queue", "candidate"):
            moves.append(
                (
                    int(entry),
                    str(state),
                    "identity_queue",
                    "records this entry rested on no longer belong to the person",
                )
            )
            report.back_to_identity += 1
    _move(store, ctx, moves, as_of)
    store.execute(f"""
        UPDATE {ENTRIES} e SET tier = a.tier, score = a.score, categories = a.categories, reasons = a.reasons,
               evidence = a.evidence, links = coalesce(l.links, []), deprioritised = a.deprioritised,
               policy_version = '{policy.version}', as_of = DATE '{as_of.isoformat()}', updated_at = now()
        FROM {ASSESSED} a LEFT JOIN pri_links l USING (person_id)
        WHERE a.person_id = e.person_id AND e.state IN ({OPEN}) AND a.safeguard IS NULL
          AND (e.tier <> a.tier OR e.score <> a.score OR e.categories <> a.categories OR e.evidence <> a.evidence
               OR e.links <> coalesce(l.links, []) OR e.deprioritised IS DISTINCT FROM a.deprioritised)""")
    report.updated = int(store.scalar(f"SELECT count(*) FROM {ENTRIES} WHERE state IN ({OPEN})"))


def _create_new(
    store: Store, ctx: RequestContext, policy: PriorityPolicy, as_of: date, report: BuildReport
) -> None:
    new = store.rows(f"""
        SELECT a.person_id, a.identity_doubt FROM {ASSESSED} a
        WHERE a.safeguard IS NULL AND a.person_id NOT IN (SELECT person_id FROM {ENTRIES} WHERE state IN ({OPEN}))
        ORDER BY a.person_id""")
    if not new:
        return
    first = int(store.scalar("SELECT nextval('pri_entry_ids')"))
    store.rows(f"SELECT setval('pri_entry_ids', {first + len(new) - 1})")
    frame = pd.DataFrame(
        {
            "entry_id": range(first, first + len(new)),
            "person_id": [int(p) for p, _ in new],
            "state": ["identity_queue" if doubt else "candidate" for _, doubt in new],
        }
    )
    store.conn.register("_pri_new", frame)
    store.execute(f"""
        INSERT INTO {ENTRIES} (entry_id, person_id, state, tier, score, categories, reasons, evidence, links,
                               deprioritised, policy_version, as_of)
        SELECT n.entry_id, n.person_id, n.state, a.tier, a.score, a.categories, a.reasons, a.evidence,
               coalesce(l.links, []), a.deprioritised, '{policy.version}', DATE '{as_of.isoformat()}'
        FROM _pri_new n JOIN {ASSESSED} a USING (person_id) LEFT JOIN pri_links l USING (person_id)""")
    store.execute(
        f"""INSERT INTO {TRANSITIONS} (entry_id, on_date, from_state, to_state, actor, purpose, reason)
            SELECT entry_id, ?, NULL, state, ?, ?, CASE state WHEN 'candidate' THEN 'proposed by policy {policy.version}'
                   ELSE 'proposed by policy {policy.version}; identity in doubt: verify it first' END FROM _pri_new""",
        [as_of, ctx.actor.user, ctx.purpose.value],
    )
    store.conn.unregister("_pri_new")
    report.created = len(new)


def build_worklist(ctx: RequestContext, store: Store, policy: PriorityPolicy, as_of: date) -> BuildReport:
    """Assess everyone against the policy and bring the worklist in step (idempotent)."""
    require_context(ctx)
    started = time.perf_counter()
    report = BuildReport(as_of=as_of, policy_version=policy.version)
    store.execute(f"CREATE OR REPLACE TEMP TABLE {ASSESSED} AS {assessment_sql(policy, as_of)}")
    report.assessed = int(store.scalar(f"SELECT count(*) FROM {ASSESSED}"))
    _links_relied_on(store)
    with store.transaction():
        _reevaluate_open(store, ctx, policy, as_of, report)
        _create_new(store, ctx, policy, as_of, report)
        store.execute(f"DELETE FROM {EXCLUSIONS}")
        store.execute(
            f"""INSERT INTO {EXCLUSIONS} SELECT person_id, safeguard, safeguard_reason, categories, '{policy.version}',
                DATE '{as_of.isoformat()}' FROM {ASSESSED} WHERE safeguard IS NOT NULL"""
        )
    report.excluded = {
        str(s): int(n)
        for s, n in store.rows(f"SELECT safeguard, count(*) FROM {EXCLUSIONS} GROUP BY 1 ORDER BY 2 DESC")
    }
    report.states = {
        str(s): int(n)
        for s, n in store.rows(f"SELECT state, count(*) FROM {ENTRIES} GROUP BY 1 ORDER BY 2 DESC")
    }
    report.seconds = round(time.perf_counter() - started, 2)
    audit.record(
        ctx,
        store,
        "worklist.build",
        justification=f"policy {policy.version} at {as_of}: {report.created} new, {report.withdrawn} withdrawn",
    )
    return report
