"""Ingest agency files into the store: validate against the catalog, quarantine bad rows, never lose
committed work.

Each file is staged, validated in SQL, then written in batches, one transaction each: a crash loses at
most the batch in flight, and a re-run resumes by record id (already stored rows count as duplicates).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from immigrationos.audit import log as audit
from immigrationos.context import RequestContext, require_context
from immigrationos.errors import IngestError
from immigrationos.sources import storage
from immigrationos.sources.models import Catalog, SourceSpec
from immigrationos.store.engine import Store

FORMATS = {".parquet": "parquet", ".csv": "csv"}


@dataclass
class FileReport:
    """Outcome of one file."""

    path: str
    source: str | None
    status: str  # complete, skipped (same content already ingested), rejected
    rows_total: int = 0
    loaded: int = 0
    duplicates: int = 0
    quarantined: int = 0
    error: str | None = None


@dataclass
class IngestReport:
    """Outcome of one ingest call."""

    files: list[FileReport] = field(default_factory=list)

    def total(self, attribute: str) -> int:
        return sum(int(getattr(f, attribute)) for f in self.files)

    @property
    def rejected(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "rejected"]


@dataclass(frozen=True)
class Progress:
    """A progress event: a file started (total rows known) or a batch committed."""

    path: str
    rows_done: int
    rows_total: int
    batch_committed: int | None = None


ProgressFn = Callable[[Progress], None]


def source_for(path: Path, catalog: Catalog) -> SourceSpec:
    """The source a file belongs to, from its name: ``<source>.<ext>`` or ``<source>[.-_]<anything>``."""
    stem = path.name.split(".")[0]
    for name in sorted(catalog.names, key=len, reverse=True):
        if stem == name or stem.startswith((f"{name}-", f"{name}_", f"{name}.")):
            return catalog.source(name)
    raise IngestError(str(path), f"unknown source: the file name matches none of {', '.join(catalog.names)}")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def discover(directory: Path) -> list[Path]:
    """Data files in a directory (not its ground truth or manifest), in name order."""
    if not directory.is_dir():
        raise IngestError(str(directory), "not a directory")
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in FORMATS)


def _check_columns(path: Path, spec: SourceSpec, present: list[str]) -> None:
    unknown = [c for c in present if c not in spec.field_names]
    if unknown:
        raise IngestError(
            str(path), f"columns not in the catalog for {spec.name}: {', '.join(unknown)}", field=unknown[0]
        )
    missing = [f for f in spec.required_fields if f not in present]
    if missing:
        raise IngestError(str(path), f"required column missing for {spec.name}", field=missing[0])


def _stage(store: Store, path: Path, fmt: str) -> list[str]:
    try:
        return storage.stage_parquet(store, path) if fmt == "parquet" else storage.stage_csv(store, path)
    except duckdb.Error as exc:
        first_line = str(exc).splitlines()[0]
        raise IngestError(str(path), f"cannot read {fmt} file (truncated or corrupt?): {first_line}") from exc


def ingest_file(
    ctx: RequestContext,
    store: Store,
    path: Path,
    *,
    catalog: Catalog,
    batch_rows: int,
    on_progress: ProgressFn | None = None,
    system_write: bool = False,
) -> FileReport:
    """Ingest one file; a whole-file problem is recorded as a rejected file and raised as IngestError.
    A source the system writes itself (redress corrections) is taken only from its own services
    (``system_write``), never from a file someone hands in: it would change persons' records."""
    require_context(ctx)
    fmt = FORMATS.get(path.suffix.lower())
    sha = file_sha256(path)
    meta = {
        "path": str(path),
        "sha": sha,
        "fmt": fmt or path.suffix,
        "size": path.stat().st_size,
        "actor": ctx.actor.user,
        "purpose": ctx.purpose.value,
    }
    spec: SourceSpec | None = None
    try:
        if fmt is None:
            raise IngestError(str(path), f"unsupported file type {path.suffix!r}; use .parquet or .csv")
        spec = source_for(path, catalog)
        if spec.written_by_system and not system_write:
            raise IngestError(
                str(path),
                f"{spec.name} is written by the system (accepted redress decisions), never ingested",
            )
        if storage.completed_file(store, sha) is not None:
            return FileReport(path=str(path), source=spec.name, status="skipped")
        storage.ensure_source_tables(store, catalog)
        present = _stage(store, path, fmt)
        _check_columns(path, spec, present)
        report = _load_staged(store, spec, meta, batch_rows, on_progress)
        audit.record(
            ctx,
            store,
            "ingest.file",
            sources=(spec.name,),
            justification=f"{path}: {report.loaded} loaded, {report.duplicates} duplicates, {report.quarantined} quarantined",
        )
        return report
    except IngestError as exc:
        with store.transaction():
            storage.reject_file(
                store,
                path=str(path),
                sha=sha,
                source=spec.name if spec else None,
                fmt=str(meta["fmt"]),
                size=int(str(meta["size"])),
                actor=ctx.actor.user,
                purpose=ctx.purpose.value,
                error=exc.reason,
            )
        raise


def _load_staged(
    store: Store, spec: SourceSpec, meta: dict[str, object], batch_rows: int, on_progress: ProgressFn | None
) -> FileReport:
    path, sha = str(meta["path"]), str(meta["sha"])
    with store.transaction():
        file_id = storage.start_file(
            store,
            path=path,
            sha=sha,
            source=spec.name,
            fmt=str(meta["fmt"]),
            size=int(str(meta["size"])),
            actor=str(meta["actor"]),
            purpose=str(meta["purpose"]),
        )
        rejected = storage.quarantine_csv_rejects(store, sha, path, spec.name) if meta["fmt"] == "csv" else 0
    storage.add_problems_column(store, spec, storage.staged_rows_columns(store))
    last = storage.max_staged_row(store)
    total = storage.staged_rows(store) + rejected
    report = FileReport(
        path=path, source=spec.name, status="complete", rows_total=total, quarantined=rejected
    )
    if on_progress:
        on_progress(Progress(path=path, rows_done=0, rows_total=total))
    for batch_no, lo in enumerate(range(1, last + 1, batch_rows)):
        hi = min(lo + batch_rows - 1, last)
        with store.transaction():
            counts = storage.write_batch(store, spec, file_id, sha, path, lo, hi)
            storage.record_batch(store, file_id, batch_no, lo, hi, counts)
        report.loaded += counts.loaded
        report.duplicates += counts.duplicates
        report.quarantined += counts.quarantined
        if on_progress:
            on_progress(Progress(path=path, rows_done=hi, rows_total=total, batch_committed=batch_no))
    with store.transaction():
        storage.finish_file(
            store,
            file_id,
            status="complete",
            error=None,
            total=total,
            loaded=report.loaded,
            duplicates=report.duplicates,
            quarantined=report.quarantined,
        )
    return report


def ingest_directory(
    ctx: RequestContext,
    store: Store,
    directory: Path,
    *,
    catalog: Catalog,
    batch_rows: int,
    on_progress: ProgressFn | None = None,
) -> IngestReport:
    """Ingest every data file of a directory; one bad file never stops the others."""
    require_context(ctx)
    report = IngestReport()
    for path in discover(directory):
        try:
            report.files.append(
                ingest_file(ctx, store, path, catalog=catalog, batch_rows=batch_rows, on_progress=on_progress)
            )
        except IngestError as exc:
            report.files.append(FileReport(path=str(path), source=None, status="rejected", error=str(exc)))
    return report


def store_summary(store: Store, catalog: Catalog) -> tuple[dict[str, int], dict[str, int]]:
    """Records and quarantined rows per source (counts only: no personal data)."""
    storage.ensure_source_tables(store, catalog)
    return storage.record_counts(store, catalog), storage.quarantine_counts(store)


def quarantine_listing(
    ctx: RequestContext, store: Store, *, limit: int, source: str | None = None
) -> list[tuple[str, int, str | None, str]]:
    """Quarantined rows (file, row, field, reason): an audited read for the data steward."""
    require_context(ctx)
    rows = storage.quarantine_rows(store, limit, source)
    audit.record(
        ctx, store, "quarantine.list", sources=(source,) if source else (), justification=f"{len(rows)} rows"
    )
    return rows
