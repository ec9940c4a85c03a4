"""Registrations in, cases out: the service call and the daily feed, through the whole flow.

sources (ingest, quarantine) -> resolution (incremental identifier tier) -> lifecycle (events, statuses of
the persons touched) -> departures (cases). A registration made through the service is written as a
record of the app's source and ingested like any feed, so it has the same validation, provenance and
audit trail as one that arrived in a file.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import ValidationError

from immigrationos.context import RequestContext, require_context
from immigrationos.departures.cases import APP, SyncReport, sync_cases
from immigrationos.departures.models import DeparturePolicy, Registration
from immigrationos.errors import IngestError
from immigrationos.lifecycle.events import append_events
from immigrationos.lifecycle.pipeline import refresh_persons
from immigrationos.lifecycle.rules import default_events, default_rules
from immigrationos.resolution import storage as resolution_storage
from immigrationos.resolution.incremental import AttachReport, attach_new_records
from immigrationos.sources.ingest import FileReport, ingest_file
from immigrationos.sources.models import Catalog
from immigrationos.store.engine import Store


@dataclass
class FeedReport:
    files: list[FileReport] = field(default_factory=list)
    attach: AttachReport | None = None
    events: int = 0
    persons_refreshed: int = 0
    cases: SyncReport | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def validate_registration(raw: dict[str, object]) -> Registration:
    """A registration from the service, or a clear error naming each bad field."""
    try:
        return Registration.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise IngestError("registration", problems) from exc


def write_registration(registration: Registration, catalog: Catalog, folder: Path) -> Path:
    """The registration as a one-record file of the app's source (what the ingest path reads)."""
    spec = catalog.source(APP)
    row: dict[str, object] = dict.fromkeys(spec.field_names)
    row |= registration.model_dump()
    row |= {
        "record_id": f"API-{uuid.uuid4().hex[:16]}",
        "event_type": "REGISTERED",
        "event_date": registration.registered_on,
    }
    row.pop("registered_on")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{APP}-{registration.registration_id}-{row['record_id']}.parquet"
    columns = {name: [row[name]] for name in spec.field_names}
    pq.write_table(pa.table(columns), path)
    return path


def process_feed(
    ctx: RequestContext,
    store: Store,
    files: list[Path],
    *,
    catalog: Catalog,
    policy: DeparturePolicy,
    as_of: date,
    batch_rows: int = 250_000,
) -> FeedReport:
    """Ingest a day's files and carry them through resolution, the lifecycle and the cases."""
    require_context(ctx)
    report = FeedReport()
    watermark = resolution_storage.watermark(store)

    def timed(name: str, started: float) -> None:
        report.seconds[name] = round(time.perf_counter() - started, 3)

    started = time.perf_counter()
    for path in files:
        try:
            report.files.append(ingest_file(ctx, store, path, catalog=catalog, batch_rows=batch_rows))
        except IngestError as exc:
            report.files.append(FileReport(path=str(path), source=None, status="rejected", error=exc.reason))
    timed("ingest", started)
    started = time.perf_counter()
    report.attach = attach_new_records(ctx, store, catalog)
    timed("resolve (incremental)", started)
    started = time.perf_counter()
    report.events = append_events(store, catalog, default_events(), watermark)
    report.persons_refreshed = refresh_persons(store, default_rules(), as_of, report.attach.persons)
    timed("lifecycle", started)
    started = time.perf_counter()
    report.cases = sync_cases(ctx, store, policy, as_of)
    timed("cases", started)
    return report
