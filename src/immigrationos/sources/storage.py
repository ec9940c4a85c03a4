"""All SQL of the sources domain: raw source tables, ingest bookkeeping and the quarantine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from immigrationos.sources.models import Catalog, FieldSpec, FieldType, SourceSpec
from immigrationos.store.engine import Store, migration

SQL_TYPES = {
    FieldType.STRING: "VARCHAR",
    FieldType.DATE: "DATE",
    FieldType.INTEGER: "BIGINT",
    FieldType.BOOLEAN: "BOOLEAN",
    FieldType.DECIMAL: "DOUBLE",
}
STAGE = "ingest_stage"
REJECTS = "ingest_csv_rejects"


@migration("sources_001_ingest_bookkeeping")
def _bookkeeping(store: Store) -> None:
    store.execute("CREATE SEQUENCE IF NOT EXISTS ingest_file_ids START 1")
    store.execute("""
        CREATE TABLE ingest_files (
            file_id BIGINT PRIMARY KEY, path VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, source VARCHAR,
            format VARCHAR, size_bytes BIGINT, status VARCHAR NOT NULL, error VARCHAR,
            rows_total BIGINT DEFAULT 0, rows_loaded BIGINT DEFAULT 0, rows_duplicate BIGINT DEFAULT 0,
            rows_quarantined BIGINT DEFAULT 0, actor VARCHAR NOT NULL, purpose VARCHAR NOT NULL,
            started_at TIMESTAMPTZ DEFAULT now(), finished_at TIMESTAMPTZ)""")
    store.execute("""
        CREATE TABLE ingest_batches (
            file_id BIGINT NOT NULL, batch_no INTEGER NOT NULL, first_row BIGINT, last_row BIGINT,
            loaded BIGINT, duplicates BIGINT, quarantined BIGINT, committed_at TIMESTAMPTZ DEFAULT now())""")
    store.execute("""
        CREATE TABLE quarantine (
            sha256 VARCHAR NOT NULL, path VARCHAR NOT NULL, source VARCHAR, row_number BIGINT NOT NULL,
            record_id VARCHAR, field VARCHAR, reason VARCHAR NOT NULL, raw_record VARCHAR,
            quarantined_at TIMESTAMPTZ DEFAULT now(), PRIMARY KEY (sha256, row_number))""")


def table_name(spec: SourceSpec) -> str:
    return f"src_{spec.name}"


def ensure_source_tables(store: Store, catalog: Catalog) -> None:
    """One table per source, typed from the catalog, with provenance columns; new fields are added."""
    for spec in catalog.sources:
        cols = ", ".join(f"{f.name} {SQL_TYPES[f.type]}" for f in spec.fields)
        store.execute(
            f"CREATE TABLE IF NOT EXISTS {table_name(spec)} ({cols}, _file_id BIGINT NOT NULL, "
            f"_row_number BIGINT NOT NULL, _row_hash VARCHAR NOT NULL, "
            f"_ingested_at TIMESTAMPTZ DEFAULT now(), PRIMARY KEY ({spec.record_id_field}))"
        )
        existing = {
            r[0]
            for r in store.rows(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table_name(spec)]
            )
        }
        for f in spec.fields:
            if f.name not in existing:
                store.execute(f"ALTER TABLE {table_name(spec)} ADD COLUMN {f.name} {SQL_TYPES[f.type]}")


# --- staging --------------------------------------------------------------------------------------------


def stage_parquet(store: Store, path: Path) -> list[str]:
    """Load a Parquet file as text columns with its row numbers; returns the file's columns."""
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {STAGE}_raw AS SELECT * FROM read_parquet(?, file_row_number=true)",
        [str(path)],
    )
    cols = [c for c in _columns(store, f"{STAGE}_raw") if c != "file_row_number"]
    casts = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in cols)
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {STAGE} AS SELECT file_row_number + 1 AS _row, {casts} FROM {STAGE}_raw"
    )
    store.execute(f"DROP TABLE {STAGE}_raw")
    return cols


def stage_csv(store: Store, path: Path) -> list[str]:
    """Load a CSV file as text; broken lines go to the rejects table, good rows keep their row number."""
    store.execute(f"DROP TABLE IF EXISTS {REJECTS}")
    store.execute(f"DROP TABLE IF EXISTS {REJECTS}_scan")
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {STAGE}_raw AS SELECT row_number() OVER () AS _good, * FROM read_csv(?, "
        f"header=true, all_varchar=true, store_rejects=true, rejects_table='{REJECTS}', "
        f"rejects_scan='{REJECTS}_scan', auto_detect=true, parallel=false)",
        [str(path)],
    )
    cols = [c for c in _columns(store, f"{STAGE}_raw") if c != "_good"]
    rejected = f"(SELECT DISTINCT line - 1 AS ord FROM {REJECTS})"
    thresholds = f"(SELECT ord - row_number() OVER (ORDER BY ord) AS t FROM {rejected})"
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {STAGE} AS SELECT _good + (SELECT count(*) FROM {thresholds} WHERE t < _good) "
        f"AS _row, * EXCLUDE (_good) FROM {STAGE}_raw"
    )
    store.execute(f"DROP TABLE {STAGE}_raw")
    return cols


def csv_rejects(store: Store) -> list[tuple[int, str | None, str, str]]:
    """Rows DuckDB could not parse: (row number, column, error, raw line)."""
    return [
        (int(r[0]), r[1], str(r[2]), str(r[3]))
        for r in store.rows(
            f"SELECT line - 1, column_name, error_type || ': ' || error_message, csv_line FROM {REJECTS} ORDER BY line"
        )
    ]


def _columns(store: Store, table: str) -> list[str]:
    return [str(r[0]) for r in store.rows(f"DESCRIBE {table}")]


# --- validation -----------------------------------------------------------------------------------------


def _check(f: FieldSpec) -> list[tuple[str, str]]:
    """SQL conditions (true = problem) with their reason, for one field of the stage."""
    col = f'"{f.name}"'
    blank = f"({col} IS NULL OR trim({col}) = '')"
    checks: list[tuple[str, str]] = []
    if f.required:
        checks.append((blank, "missing required value"))
    if f.type != FieldType.STRING:
        checks.append(
            (
                f"(NOT {blank} AND TRY_CAST({col} AS {SQL_TYPES[f.type]}) IS NULL)",
                f"not a valid {f.type.value}",
            )
        )
    if f.enum:
        allowed = ", ".join("'" + v.replace("'", "''") + "'" for v in f.enum)
        checks.append((f"(NOT {blank} AND {col} NOT IN ({allowed}))", f"not one of {', '.join(f.enum)}"))
    return checks


def add_problems_column(store: Store, spec: SourceSpec, present: list[str]) -> None:
    """Annotate each staged row with its problems, its content hash, and how it relates to rows with
    the same record id (earlier in the file, or already stored): the facts batch writes decide on."""
    for f in spec.fields:
        if f.name not in present:
            store.execute(f'ALTER TABLE {STAGE} ADD COLUMN "{f.name}" VARCHAR')
    items = [
        f"CASE WHEN {cond} THEN '{f.name}: {reason}' END" for f in spec.fields for cond, reason in _check(f)
    ]
    problems = f"list_filter([{', '.join(items)}], lambda x: x IS NOT NULL)" if items else "[]::VARCHAR[]"
    values = ", ".join(f"coalesce(trim(\"{f.name}\"), '')" for f in spec.fields)
    rid = spec.record_id_field
    store.execute(f"""
        CREATE OR REPLACE TEMP TABLE {STAGE} AS
        WITH annotated AS (
            SELECT *, {problems} AS _problems, md5(concat_ws(chr(31), {values})) AS _hash FROM {STAGE})
        SELECT a.*,
               row_number() OVER (PARTITION BY a."{rid}" ORDER BY a._row) AS _occurrence,
               first_value(a._hash) OVER (PARTITION BY a."{rid}" ORDER BY a._row) AS _first_hash,
               t._row_hash AS _stored_hash
        FROM annotated a LEFT JOIN {table_name(spec)} t ON t.{rid} = a."{rid}"
        ORDER BY a._row""")


# --- batch writes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchCounts:
    loaded: int
    duplicates: int
    quarantined: int


def _typed(f: FieldSpec) -> str:
    col = f"nullif(trim(\"{f.name}\"), '')"
    return col if f.type == FieldType.STRING else f"CAST({col} AS {SQL_TYPES[f.type]})"


BAD = "len(_problems) > 0"
CONFLICT = (
    "((_occurrence > 1 AND _hash <> _first_hash) OR (_stored_hash IS NOT NULL AND _stored_hash <> _hash))"
)
NEW = "(len(_problems) = 0 AND _occurrence = 1 AND _stored_hash IS NULL)"


def write_batch(
    store: Store, spec: SourceSpec, file_id: int, sha: str, path: str, lo: int, hi: int
) -> BatchCounts:
    """Quarantine bad and conflicting rows, insert new good ones, count exact duplicates."""
    table, rid = table_name(spec), spec.record_id_field
    raw = "to_json(struct_pack(" + ", ".join(f'"{f.name}" := "{f.name}"' for f in spec.fields) + "))"
    rows = f"_row BETWEEN {lo} AND {hi}"
    store.execute(
        f"""
        INSERT INTO quarantine (sha256, path, source, row_number, record_id, field, reason, raw_record)
        SELECT ?, ?, ?, _row, "{rid}",
               CASE WHEN {BAD} THEN split_part(_problems[1], ':', 1) ELSE '{rid}' END,
               CASE WHEN {BAD} THEN array_to_string(_problems, '; ')
                    ELSE 'record_id already present with different content' END, {raw}
        FROM {STAGE} WHERE {rows} AND ({BAD} OR {CONFLICT})
        ON CONFLICT DO NOTHING""",
        [sha, path, spec.name],
    )
    cols = ", ".join(f.name for f in spec.fields)
    typed = ", ".join(_typed(f) for f in spec.fields)
    store.execute(f"""
        INSERT INTO {table} ({cols}, _file_id, _row_number, _row_hash)
        SELECT {typed}, {file_id}, _row, _hash FROM {STAGE} WHERE {rows} AND {NEW}""")
    counts = store.rows(f"""
        SELECT count(*) FILTER (WHERE {NEW}), count(*) FILTER (WHERE {BAD} OR {CONFLICT}), count(*)
        FROM {STAGE} WHERE {rows}""")[0]
    loaded, quarantined, total = int(counts[0]), int(counts[1]), int(counts[2])
    return BatchCounts(loaded=loaded, duplicates=total - loaded - quarantined, quarantined=quarantined)


def quarantine_csv_rejects(store: Store, sha: str, path: str, source: str) -> int:
    """Unparseable CSV lines go to the quarantine with DuckDB's own description of the error."""
    rejects = csv_rejects(store)
    for row, column, error, line in rejects:
        store.execute(
            "INSERT INTO quarantine (sha256, path, source, row_number, field, reason, raw_record) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [sha, path, source, row, column, error, line],
        )
    return len({r[0] for r in rejects})


# --- bookkeeping ----------------------------------------------------------------------------------------


def completed_file(store: Store, sha: str) -> int | None:
    found = store.scalar(
        "SELECT file_id FROM ingest_files WHERE sha256 = ? AND status = 'complete' LIMIT 1", [sha]
    )
    return None if found is None else int(found)


def start_file(
    store: Store, *, path: str, sha: str, source: str | None, fmt: str, size: int, actor: str, purpose: str
) -> int:
    """Register a file (or resume the unfinished registration of the same content)."""
    resumed = store.scalar(
        "SELECT file_id FROM ingest_files WHERE sha256 = ? AND status = 'in_progress' LIMIT 1", [sha]
    )
    if resumed is not None:
        return int(resumed)
    file_id = int(store.scalar("SELECT nextval('ingest_file_ids')"))
    store.execute(
        "INSERT INTO ingest_files (file_id, path, sha256, source, format, size_bytes, status, actor, purpose) "
        "VALUES (?, ?, ?, ?, ?, ?, 'in_progress', ?, ?)",
        [file_id, path, sha, source, fmt, size, actor, purpose],
    )
    return file_id


def record_batch(store: Store, file_id: int, batch_no: int, lo: int, hi: int, counts: BatchCounts) -> None:
    store.execute(
        "INSERT INTO ingest_batches VALUES (?, ?, ?, ?, ?, ?, ?, now())",
        [file_id, batch_no, lo, hi, counts.loaded, counts.duplicates, counts.quarantined],
    )


def finish_file(
    store: Store,
    file_id: int,
    *,
    status: str,
    error: str | None,
    total: int,
    loaded: int,
    duplicates: int,
    quarantined: int,
) -> None:
    store.execute(
        "UPDATE ingest_files SET status = ?, error = ?, rows_total = ?, rows_loaded = ?, rows_duplicate = ?, "
        "rows_quarantined = ?, finished_at = now() WHERE file_id = ?",
        [status, error, total, loaded, duplicates, quarantined, file_id],
    )


def reject_file(
    store: Store,
    *,
    path: str,
    sha: str,
    source: str | None,
    fmt: str,
    size: int,
    actor: str,
    purpose: str,
    error: str,
) -> None:
    file_id = start_file(
        store, path=path, sha=sha, source=source, fmt=fmt, size=size, actor=actor, purpose=purpose
    )
    finish_file(
        store, file_id, status="rejected", error=error, total=0, loaded=0, duplicates=0, quarantined=0
    )


def staged_rows_columns(store: Store) -> list[str]:
    return [c for c in _columns(store, STAGE) if c != "_row"]


def staged_rows(store: Store) -> int:
    return int(store.scalar(f"SELECT count(*) FROM {STAGE}"))


def max_staged_row(store: Store) -> int:
    return int(store.scalar(f"SELECT coalesce(max(_row), 0) FROM {STAGE}"))


def record_counts(store: Store, catalog: Catalog) -> dict[str, int]:
    return {s.name: int(store.scalar(f"SELECT count(*) FROM {table_name(s)}")) for s in catalog.sources}


def quarantine_counts(store: Store) -> dict[str, int]:
    return {
        str(r[0]): int(r[1])
        for r in store.rows("SELECT coalesce(source, '?'), count(*) FROM quarantine GROUP BY 1")
    }


def quarantine_rows(
    store: Store, limit: int, source: str | None = None
) -> list[tuple[str, int, str | None, str]]:
    where, params = ("WHERE source = ?", [source]) if source else ("", [])
    return [
        (str(r[0]), int(r[1]), r[2], str(r[3]))
        for r in store.rows(
            f"SELECT path, row_number, field, reason FROM quarantine {where} ORDER BY quarantined_at, path, row_number LIMIT {int(limit)}",
            params,
        )
    ]
