"""Corrections that redress makes to a person's lifecycle: citizenship evidence verified, or a record
found wrong and voided.

A correction is a record of the catalog's ``redress_corrections`` source, written and ingested like any
feed, so it carries provenance and legal authority, survives every rebuild, and follows the person
through re-resolution: it names the record it concerns, and its event belongs to whoever holds that
record. A voided record stays stored (nothing is lost) but yields no events.
"""

from __future__ import annotations

import tempfile
import uuid
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from immigrationos.context import RequestContext, require_context
from immigrationos.errors import NotFoundError, TransitionError
from immigrationos.lifecycle.events import append_events
from immigrationos.lifecycle.models import EventCatalog, RuleSet
from immigrationos.lifecycle.pipeline import refresh_persons
from immigrationos.sources.ingest import ingest_file
from immigrationos.sources.models import Catalog
from immigrationos.store.engine import Store

SOURCE = "redress_corrections"
CITIZENSHIP_VERIFIED = "CITIZENSHIP_VERIFIED"
RECORD_VOIDED = "RECORD_VOIDED"


def _records_of(store: Store, person_id: int) -> list[str]:
    return [
        str(r)
        for (r,) in store.rows("SELECT rec FROM res_membership WHERE person_id = ? ORDER BY rec", [person_id])
    ]


def _write(catalog: Catalog, folder: Path, row: dict[str, object]) -> Path:
    spec = catalog.source(SOURCE)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{SOURCE}-{row['record_id']}.parquet"
    pq.write_table(pa.table({name: [row.get(name)] for name in spec.field_names}), path)
    return path


def apply_correction(
    ctx: RequestContext,
    store: Store,
    person_id: int,
    *,
    correction: str,
    concerns_record: str | None,
    document: str | None,
    contest_id: int,
    on: date,
    catalog: Catalog,
    events: EventCatalog,
    rules: RuleSet,
    as_of: date,
) -> str:
    """Record the correction and bring the person's events, status and flags in step; returns what was done."""
    require_context(ctx)
    records = _records_of(store, person_id)
    if not records:
        raise NotFoundError(f"no person {person_id}")
    if correction == CITIZENSHIP_VERIFIED:
        if not document or not document.strip():
            raise TransitionError(
                "verified citizenship names its document (a passport, a certificate, a birth record)"
            )
        concerns_record = concerns_record or records[0]
    elif correction == RECORD_VOIDED:
        if concerns_record not in records:
            raise TransitionError(f"{concerns_record} is not a record of person {person_id}")
    else:
        raise TransitionError(
            f"a correction is {CITIZENSHIP_VERIFIED} or {RECORD_VOIDED}, not {correction!r}"
        )
    folder = store.path.parent / "redress" if store.path else Path(tempfile.mkdtemp(prefix="immos-redress-"))
    row: dict[str, object] = {
        "record_id": f"C{contest_id}-{uuid.uuid4().hex[:8]}",
        "correction": correction,
        "concerns_record": concerns_record,
        "document": document,
        "decided_on": on,
        "contest_id": contest_id,
    }
    watermark = int(store.scalar("SELECT coalesce(max(file_id), 0) FROM ingest_files"))
    ingest_file(ctx, store, _write(catalog, folder, row), catalog=catalog, batch_rows=1, system_write=True)
    append_events(store, catalog, events, watermark)
    refresh_persons(store, rules, as_of, {person_id})
    what = (
        "citizenship verified" if correction == CITIZENSHIP_VERIFIED else f"record {concerns_record} voided"
    )
    return f"{what} (correction {row['record_id']}: {document or 'record found wrong'})"
