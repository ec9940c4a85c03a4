"""Turn every resolved record into lifecycle events, set-based, through the declarative mappings."""

from __future__ import annotations

from typing import Any

from immigrationos.errors import StoreError
from immigrationos.lifecycle.models import EventCatalog, EventMapping
from immigrationos.lifecycle.storage import EVENTS, IDENTITY, has_resolution
from immigrationos.sources.models import Catalog
from immigrationos.sources.storage import ensure_source_tables, table_name
from immigrationos.store.engine import Store

VOIDS = "RECORD_VOIDED"  # an event of this kind removes every event of the record it is anchored on


def _mapping_select(
    source: str, record_id_field: str, table: str, m: EventMapping, after_file: int | None = None
) -> str:
    def text(expr: str | None) -> str:
        return f"({expr})::VARCHAR" if expr else "NULL::VARCHAR"

    until = f"({m.until})::DATE" if m.until else "NULL::DATE"
    conditions = [
        c for c in (m.when, f"_file_id > {int(after_file)}" if after_file is not None else None) if c
    ]
    where = f"WHERE ({') AND ('.join(conditions)})" if conditions else ""
    rec = f"'{source}' || ':' || {record_id_field}"
    anchor = f"({m.anchor})::VARCHAR" if m.anchor else rec
    return (
        f"SELECT {rec} AS rec, {anchor} AS anchor, ({m.date})::DATE AS event_date, "
        f"'{m.kind}' AS kind, {text(m.code)} AS code, {until} AS until, {text(m.detail)} AS detail, "
        f"'{source}' AS source, {record_id_field}::VARCHAR AS record_id FROM {table} {where}"
    )


def events_select(catalog: Catalog, events: EventCatalog, after_file: int | None = None) -> str:
    """One SELECT per mapping, unioned: (rec, event_date, kind, code, until, detail, source, record_id);
    only records of files ingested after ``after_file`` when it is given."""
    parts = []
    for source, mappings in events.sources.items():
        spec = catalog.source(source)
        parts += [
            _mapping_select(source, spec.record_id_field, table_name(spec), m, after_file) for m in mappings
        ]
    return "\nUNION ALL\n".join(parts)


def build_events(store: Store, catalog: Catalog, events: EventCatalog) -> int:
    """(Re)build the event table for every resolved person, sorted by person so one person reads fast."""
    if not has_resolution(store):
        raise StoreError("no resolved persons: run 'immos resolve' before the lifecycle")
    ensure_source_tables(store, catalog)
    store.execute(f"""
        CREATE OR REPLACE TABLE {EVENTS} AS
        WITH e AS ({events_select(catalog, events)})
        SELECT m.person_id, e.event_date, e.kind, e.code, e.until, e.detail, e.source, e.record_id, e.rec
        FROM e JOIN res_membership m ON m.rec = e.anchor
        WHERE e.rec NOT IN (SELECT anchor FROM e WHERE kind = '{VOIDS}')
        ORDER BY m.person_id, e.event_date, e.kind, e.rec""")
    store.execute(f"""
        CREATE OR REPLACE TABLE {IDENTITY} AS
        SELECT m.person_id, r.rec, r.dob, r.sex, r.country FROM res_records r JOIN res_membership m USING (rec)
        ORDER BY m.person_id, r.rec""")
    return int(store.scalar(f"SELECT count(*) FROM {EVENTS}"))


def person_events(store: Store, person_id: int) -> list[tuple[Any, ...]]:
    return store.rows(
        f"""SELECT event_date, kind, code, until, detail, source, record_id, rec FROM {EVENTS}
            WHERE person_id = ? ORDER BY event_date NULLS LAST, kind, rec""",
        [person_id],
    )


def append_events(store: Store, catalog: Catalog, events: EventCatalog, after_file: int) -> int:
    """Add the events of records ingested after ``after_file`` (already resolved); returns how many."""
    before = int(store.scalar(f"SELECT count(*) FROM {EVENTS}"))
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE life_new_events AS {events_select(catalog, events, after_file)}"
    )
    store.execute(f"""
        INSERT INTO {EVENTS}
        SELECT m.person_id, e.event_date, e.kind, e.code, e.until, e.detail, e.source, e.record_id, e.rec
        FROM life_new_events e JOIN res_membership m ON m.rec = e.anchor
        WHERE e.rec NOT IN (SELECT rec FROM {EVENTS})""")
    store.execute(
        f"DELETE FROM {EVENTS} WHERE rec IN (SELECT anchor FROM life_new_events WHERE kind = '{VOIDS}')"
    )
    store.execute(f"""
        INSERT INTO {IDENTITY}
        SELECT m.person_id, r.rec, r.dob, r.sex, r.country FROM res_records r JOIN res_membership m USING (rec)
        WHERE m.rec NOT IN (SELECT rec FROM {IDENTITY}) AND m.run_id = (SELECT max(run_id) FROM res_membership)""")
    return int(store.scalar(f"SELECT count(*) FROM {EVENTS}")) - before
