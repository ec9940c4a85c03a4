"""Near-real-time resolution: attach the records of newly ingested files to existing persons.

Only the identifier tier runs here (a shared, corroborated A-number, FIN, SSN, passport, FBI number or
registration), because it needs no model and answers in milliseconds per record. A new record that
points at exactly one person joins it; one that points at none starts a new person; one that points at
several, that contradicts the person's identifiers, or whose identifier lacks corroboration goes to
review and starts a new person. Existing persons are never merged or split here: that is the full run's
job (`immos resolve`), which also brings the probabilistic tier to the new records and keeps their ids.
A source that enters the matching scope (its data-use agreement starts) is read whole, not only its
files since the last run.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from immigrationos.access.agreements import matching_catalog
from immigrationos.audit import log as audit
from immigrationos.context import RequestContext, require_context
from immigrationos.errors import StoreError
from immigrationos.resolution import storage
from immigrationos.resolution.clustering import CONFLICT_KINDS
from immigrationos.resolution.deterministic import IDENTIFIER_KINDS, dob_compatible, names_compatible
from immigrationos.resolution.records import RECORDS, records_select
from immigrationos.sources.models import Catalog
from immigrationos.store.engine import Store

NEW = "inc_new_records"


@dataclass
class AttachReport:
    run_id: int = 0
    new_records: int = 0
    attached: int = 0
    new_persons: int = 0
    review_items: int = 0
    persons: set[int] = field(default_factory=set)  # persons whose records changed


def _stage_new_records(store: Store, catalog: Catalog, after_file: int) -> int:
    """The records of files after ``after_file``, and every unresolved record of a source the last run
    did not resolve (its agreement has started since)."""
    first = int(store.scalar(f"SELECT coalesce(max(node), -1) + 1 FROM {RECORDS}"))
    whole = frozenset(s.name for s in catalog.sources) - storage.resolved_sources(store)
    select = records_select(catalog, first_node=first, after_file=after_file, whole=whole)
    store.execute(
        f"""CREATE OR REPLACE TEMP TABLE {NEW} AS
            SELECT * FROM ({select}) WHERE rec NOT IN (SELECT rec FROM res_membership)"""
    )
    return int(store.scalar(f"SELECT count(*) FROM {NEW}"))


def _identifier_matches(store: Store) -> list[tuple[str, str, str, bool]]:
    """(new rec, other rec, kind, corroborated) for every identifier a new record shares."""
    corroborated = (
        f"(n.dob IS NOT NULL AND o.dob IS NOT NULL AND {dob_compatible('n.dob', 'o.dob')}) "
        f"OR {names_compatible('n', 'o')}"
    )
    parts = []
    for kind in IDENTIFIER_KINDS:
        for other in (RECORDS, NEW):
            parts.append(f"""
                SELECT n.rec AS new_rec, o.rec AS other_rec, '{kind}' AS kind,
                       '{kind}' = 'fin' OR coalesce({corroborated}, false) AS corroborated
                FROM {NEW} n JOIN {other} o ON o.{kind} = n.{kind} AND o.rec <> n.rec
                WHERE n.{kind} IS NOT NULL""")
    return [(str(a), str(b), str(k), bool(c)) for a, b, k, c in store.rows(" UNION ALL ".join(parts))]


class _Groups:
    """Union-find over the new records, joined only through corroborated links between new records."""

    def __init__(self, recs: list[str]) -> None:
        self.parent = {r: r for r in recs}

    def find(self, r: str) -> str:
        while self.parent[r] != r:
            self.parent[r] = self.parent[self.parent[r]]
            r = self.parent[r]
        return r

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _identifiers(store: Store, table: str, recs: list[str]) -> dict[str, dict[str, str]]:
    cols = ", ".join(CONFLICT_KINDS)
    rows = store.rows(f"SELECT rec, {cols} FROM {table} WHERE rec IN (SELECT unnest(?::VARCHAR[]))", [recs])
    return {
        str(r[0]): {k: str(v) for k, v in zip(CONFLICT_KINDS, r[1:], strict=True) if v is not None}
        for r in rows
    }


def _person_identifiers(store: Store, persons: set[int]) -> dict[int, list[dict[str, str]]]:
    """The strong identifiers each person's stored records hold (one query for all persons)."""
    cols = ", ".join(f"r.{k}" for k in CONFLICT_KINDS)
    any_id = " OR ".join(f"r.{k} IS NOT NULL" for k in CONFLICT_KINDS)
    out: dict[int, list[dict[str, str]]] = defaultdict(list)
    rows = store.rows(
        f"""SELECT m.person_id, {cols} FROM res_membership m JOIN {RECORDS} r USING (rec)
            WHERE m.person_id IN (SELECT unnest(?::BIGINT[])) AND ({any_id})""",
        [sorted(persons)],
    )
    for person, *values in rows:
        out[int(person)].append(
            {k: str(v) for k, v in zip(CONFLICT_KINDS, values, strict=True) if v is not None}
        )
    return out


def _contradicts(ids: list[dict[str, str]]) -> bool:
    seen: dict[str, str] = {}
    for group in ids:
        for kind, value in group.items():
            if seen.setdefault(kind, value) != value:
                return True
    return False


def attach_new_records(
    ctx: RequestContext, store: Store, catalog: Catalog, on: date | None = None
) -> AttachReport:
    """Resolve the records of files ingested since the last run (full or incremental)."""
    require_context(ctx)
    if not store.scalar("SELECT count(*) FROM res_runs"):
        raise StoreError("no resolution yet: run 'immos resolve' once before the incremental path")
    report = AttachReport(run_id=storage.next_run_id(store))
    through = storage.last_file_id(store)
    scope = matching_catalog(store, catalog, on or date.today())
    report.new_records = _stage_new_records(store, scope.catalog, storage.watermark(store))
    in_scope = {s.name for s in scope.catalog.sources}
    if not report.new_records:
        with store.transaction():
            storage.set_watermark(store, through, report.run_id - 1)
            storage.set_resolved_sources(store, in_scope)
        return report
    new = [str(r) for (r,) in store.rows(f"SELECT rec FROM {NEW} ORDER BY rec")]
    matches = _identifier_matches(store)
    groups = _Groups(new)
    for a, b, _kind, ok in matches:
        if ok and b in groups.parent:
            groups.union(a, b)
    old_recs = sorted({b for _a, b, _k, ok in matches if ok and b not in groups.parent})
    person_of = {
        str(r): int(p)
        for r, p in store.rows(
            "SELECT rec, person_id FROM res_membership WHERE rec IN (SELECT unnest(?::VARCHAR[]))", [old_recs]
        )
    }
    targets: dict[str, set[int]] = defaultdict(set)
    links: list[tuple[str, str, str]] = []
    review: list[tuple[str, str, str]] = []
    for a, b, kind, ok in matches:
        if not ok:
            review.append((a, b, f"incremental: shared {kind} without a matching birth date or name"))
        elif b in person_of:
            targets[groups.find(a)].add(person_of[b])
            links.append((a, b, kind))
        elif b in groups.parent and a < b:
            links.append((a, b, kind))
    new_ids = _identifiers(store, NEW, new)
    members: dict[str, list[str]] = defaultdict(list)
    for rec in new:
        members[groups.find(rec)].append(rec)
    single = {next(iter(p)) for p in targets.values() if len(p) == 1}
    held = _person_identifiers(store, single)
    assignment: dict[str, int] = {}
    fresh: list[str] = []
    for root, recs in sorted(members.items()):
        persons = targets.get(root, set())
        if len(persons) == 1:
            person = next(iter(persons))
            if not _contradicts([*held.get(person, []), *(new_ids.get(r, {}) for r in recs)]):
                assignment.update(dict.fromkeys(recs, person))
                continue
            review.append((recs[0], recs[0], f"incremental: identifiers contradict those of person {person}"))
        elif len(persons) > 1:
            review.append((recs[0], recs[0], f"incremental: identifiers point at persons {sorted(persons)}"))
        fresh.append(root)
    report.attached = len(assignment)
    created: list[int] = []
    if fresh:
        first = int(store.scalar("SELECT nextval('res_person_ids')"))
        store.rows(f"SELECT setval('res_person_ids', {first + len(fresh) - 1})")
        for i, root in enumerate(fresh):
            assignment.update(dict.fromkeys(members[root], first + i))
            created.append(first + i)
    report.new_persons = len(created)
    report.persons = set(assignment.values())
    _write(ctx, store, report, assignment, links, review, created, (in_scope, through))
    audit.record(
        ctx,
        store,
        "resolution.incremental",
        justification=f"run {report.run_id}: {report.new_records} records, {report.attached} joined, {report.new_persons} new persons",
    )
    return report


def _write(
    ctx: RequestContext,
    store: Store,
    report: AttachReport,
    assignment: dict[str, int],
    links: list[tuple[str, str, str]],
    review: list[tuple[str, str, str]],
    created: list[int],
    resolved: tuple[set[str], int],
) -> None:
    """Everything of one incremental run in one transaction, with what it resolved: the sources in its
    scope and the last file it read (the watermark)."""
    run = report.run_id
    store.conn.register(
        "_inc_assign", pd.DataFrame({"rec": list(assignment), "person_id": list(assignment.values())})
    )
    with store.transaction():
        store.execute(f"INSERT INTO {RECORDS} SELECT * FROM {NEW}")
        store.execute(f"INSERT INTO res_membership SELECT rec, person_id, {run} FROM _inc_assign")
        if links:
            store.conn.register("_inc_links", pd.DataFrame(links, columns=["l", "r", "kind"]))
            store.execute(f"""INSERT INTO res_links SELECT l, r, CASE WHEN kind = 'fin' THEN 'fin' ELSE 'identifier' END,
                              'shared ' || kind || ' (incremental)', 1.0, NULL, {run} FROM _inc_links""")
            store.conn.unregister("_inc_links")
        if review:
            store.conn.register("_inc_review", pd.DataFrame(review, columns=["l", "r", "reason"]))
            store.execute(f"""INSERT INTO res_review (rec_l, rec_r, tier, reason, match_probability, run_id)
                              SELECT l, r, 'identifier', reason, NULL, {run} FROM _inc_review""")
            store.conn.unregister("_inc_review")
            report.review_items = len(review)
        if created:
            store.execute(
                f"""INSERT INTO res_person_events SELECT nextval('res_event_ids'), {run}, 'created', person_id,
                    NULL, count(*), now() FROM _inc_assign WHERE person_id IN (SELECT unnest(?::BIGINT[]))
                    GROUP BY person_id""",
                [created],
            )
        storage.set_resolved_sources(store, resolved[0])
        storage.set_watermark(store, resolved[1], run)
        store.execute(
            "INSERT INTO res_runs VALUES (?, now(), ?, ?, ?, ?, NULL, NULL, NULL, 'incremental')",
            [run, ctx.actor.user, ctx.purpose.value, report.new_records, len(created)],
        )
    store.conn.unregister("_inc_assign")
