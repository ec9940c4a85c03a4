"""Turn every resolved record into lifecycle events, set-based, through the declarative mappings."""

from __future__ import annotations

from immigrationos.errors import StoreError
from immigrationos.lifecycle.models import EventCatalog, EventMapping
from immigrationos.lifecycle.storage import EVENTS, has_resolution
from immigrationos.sources.models import Catalog
from immigrationos.sources.storage import ensure_source_tables, table_name
from immigrationos.store.engine import Store


def _mapping_select(source: str, record_id_field: str, table: str, m: EventMapping) -> str:
    def text(expr: str | None) -> str:
        return f"({expr})::VARCHAR" if expr else "NULL::VARCHAR"

    until = f"({m.until})::DATE" if m.until else "NULL::DATE"
    where = f"WHERE {m.when}" if m.when else ""
    return (
        f"SELECT '{source}' || ':' || {record_id_field} AS rec, ({m.date})::DATE AS event_date, "
        f"'{m.kind}' AS kind, {text(m.code)} AS code, {until} AS until, {text(m.detail)} AS detail, "
        f"'{source}' AS source, {record_id_field}::VARCHAR AS record_id FROM {table} {where}"
    )


def events_select(catalog: Catalog, events: EventCatalog) -> str:
    """One SELECT per mapping, unioned: (rec, event_date, kind, code, until, detail, source, record_id)."""
    parts = []
    for source, mappings in events.sources.items():
        spec = catalog.source(source)
        parts += [_mapping_select(source, spec.record_id_field, table_name(spec), m) for m in mappings]
    return "\nUNION ALL\n".join(parts)


def build_events(store: Store, catalog: Catalog, events: EventCatalog) -> int:
    """(Re)build the event table for every resolved person, sorted by person so one person reads fast."""
    if not has_resolution(store):
        raise StoreError("no resolved persons: run 'immos resolve' before the lifecycle")
    ensure_source_tables(store, catalog)
    store.execute(f"""
        CREATE OR REPLACE TABLE {EVENTS} AS
        SELECT m.person_id, e.event_date, e.kind, e.code, e.until, e.detail, e.source, e.record_id, e.rec
        FROM ({events_select(catalog, events)}) e JOIN res_membership m USING (rec)
        ORDER BY m.person_id, e.event_date, e.kind, e.rec""")
    return int(store.scalar(f"SELECT count(*) FROM {EVENTS}"))


def person_events(store: Store, person_id: int) -> list[tuple[object, ...]]:
    return store.rows(
        f"""SELECT event_date, kind, code, until, detail, source, record_id, rec FROM {EVENTS}
            WHERE person_id = ? ORDER BY event_date NULLS LAST, kind, rec""",
        [person_id],
    )
