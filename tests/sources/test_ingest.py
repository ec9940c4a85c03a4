"""Ingestion: good rows load, bad rows are quarantined with file, row and field, nothing is dropped."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from immigrationos.context import RequestContext
from immigrationos.errors import IngestError
from immigrationos.sources import storage
from immigrationos.sources.ingest import FileReport, ingest_directory, ingest_file
from immigrationos.sources.models import Catalog
from immigrationos.store.engine import Store


def _ingest(ctx: RequestContext, store: Store, path: Path, catalog: Catalog) -> FileReport:
    return ingest_file(ctx, store, path, catalog=catalog, batch_rows=700)


def _sample(world: Path, source: str, rows: int) -> pa.Table:
    return pq.read_table(world / f"{source}.parquet").slice(0, rows)


def _as_text_csv(table: pa.Table, path: Path) -> Path:
    pacsv.write_csv(table, path)
    return path


def _quarantine(store: Store) -> list[tuple[int, str | None, str]]:
    return [
        (int(r[0]), r[1], str(r[2]))
        for r in store.rows("SELECT row_number, field, reason FROM quarantine ORDER BY row_number")
    ]


def assert_accounted(report: FileReport) -> None:
    """Nothing silently dropped: every row is loaded, a duplicate, or quarantined."""
    assert report.loaded + report.duplicates + report.quarantined == report.rows_total


def test_a_clean_world_loads_completely(
    ctx: RequestContext, store: Store, world: Path, catalog: Catalog, db: duckdb.DuckDBPyConnection
) -> None:
    report = ingest_directory(ctx, store, world, catalog=catalog, batch_rows=5_000)
    assert not report.rejected
    counts = storage.record_counts(store, catalog)
    for spec in catalog.feeds:
        expected = db.execute(f"SELECT count(*) FROM '{world}/{spec.name}.parquet'").fetchall()[0][0]
        assert counts[spec.name] == expected, spec.name
    assert report.total("quarantined") == 0
    typed = store.rows("SELECT typeof(event_date), typeof(admit_until) FROM src_cbp_i94 LIMIT 1")[0]
    assert typed == ("DATE", "DATE")


def test_reingesting_the_same_file_adds_nothing(
    ctx: RequestContext, store: Store, world: Path, catalog: Catalog
) -> None:
    first = _ingest(ctx, store, world / "eoir_court.parquet", catalog)
    again = _ingest(ctx, store, world / "eoir_court.parquet", catalog)
    assert again.status == "skipped"
    assert store.scalar("SELECT count(*) FROM src_eoir_court") == first.loaded


def test_the_same_records_in_another_file_are_counted_as_duplicates(
    ctx: RequestContext, store: Store, world: Path, catalog: Catalog, tmp_path: Path
) -> None:
    table = _sample(world, "cbp_i94", 1_500)
    first = _ingest(ctx, store, _as_text_csv(table.slice(0, 1_000), tmp_path / "cbp_i94-day1.csv"), catalog)
    second = _ingest(ctx, store, _as_text_csv(table, tmp_path / "cbp_i94-day2.csv"), catalog)
    assert (first.loaded, second.loaded, second.duplicates) == (1_000, 500, 1_000)
    assert store.scalar("SELECT count(*) FROM src_cbp_i94") == 1_500
    assert_accounted(second)


def test_a_wrong_type_is_quarantined_with_row_and_field(
    ctx: RequestContext, store: Store, world: Path, catalog: Catalog, tmp_path: Path
) -> None:
    table = _sample(world, "uscis_benefits", 50).cast(
        pa.schema([pa.field(f.name, pa.string()) for f in _sample(world, "uscis_benefits", 1).schema])
    )
    dob = table.column("dob").to_pylist()
    dob[6] = "31/02/1990"
    path = tmp_path / "uscis_benefits.parquet"
    pq.write_table(table.set_column(table.schema.get_field_index("dob"), "dob", pa.array(dob)), path)
    report = _ingest(ctx, store, path, catalog)
    assert (report.loaded, report.quarantined) == (49, 1)
    assert _quarantine(store) == [(7, "dob", "dob: not a valid date")]
    assert_accounted(report)


def test_a_missing_required_value_and_an_unknown_code_are_quarantined(
    ctx: RequestContext, store: Store, world: Path, catalog: Catalog, tmp_path: Path
) -> None:
    rows = _sample(world, "eoir_court", 30).to_pylist()
    rows[2]["a_number"] = None
    rows[9]["event_type"] = "DEPORTED_MAYBE"
    path = tmp_path / "eoir_court.csv"
    pacsv.write_csv(pa.Table.from_pylist(rows, schema=_sample(world, "eoir_court", 1).schema), path)
    report = _ingest(ctx, store, path, catalog)
    assert report.loaded == 28
    quarantined = _quarantine(store)
    assert quarantined[0][:2] == (3, "a_number")
    assert "missing required value" in quarantined[0][2]
    assert quarantined[1][:2] == (10, "event_type")
    assert "not one of" in quarantined[1][2]
    assert_accounted(report)


def test_a_broken_csv_row_is_quarantined_and_the_rest_loads(
    ctx: RequestContext, store: Store, world: Path, catalog: Catalog, tmp_path: Path
) -> None:
    path = _as_text_csv(_sample(world, "ssa_numident", 40), tmp_path / "ssa_numident.csv")
    lines = path.read_text().splitlines()
    lines[5] = lines[5] + ',"extra","columns"'  # data row 5
    lines[12] = lines[12].split(",")[0]  # data row 12: one column only
    path.write_text("\n".join(lines) + "\n")
    report = _ingest(ctx, store, path, catalog)
    assert report.loaded == 38
    rows = [r[0] for r in _quarantine(store)]
    assert rows == [5, 12]
    loaded_rows = {r[0] for r in store.rows("SELECT _row_number FROM src_ssa_numident")}
    assert loaded_rows == set(range(1, 41)) - {5, 12}
    assert_accounted(report)


def test_a_truncated_parquet_file_is_rejected_naming_the_file(
    ctx: RequestContext, store: Store, world: Path, catalog: Catalog, tmp_path: Path
) -> None:
    path = tmp_path / "irs_filings.parquet"
    data = (world / "irs_filings.parquet").read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(IngestError, match=r"irs_filings\.parquet.*truncated or corrupt"):
        _ingest(ctx, store, path, catalog)
    assert store.rows("SELECT status, source FROM ingest_files") == [("rejected", "irs_filings")]
    assert store.scalar("SELECT count(*) FROM src_irs_filings") == 0


def test_a_truncated_csv_keeps_every_complete_row(
    ctx: RequestContext, store: Store, world: Path, catalog: Catalog, tmp_path: Path
) -> None:
    path = _as_text_csv(_sample(world, "criminal_history", 25), tmp_path / "criminal_history.csv")
    text = path.read_text()
    path.write_text(text[: text.rstrip("\n").rfind("\n") + 40])  # cut in the middle of the last row
    report = _ingest(ctx, store, path, catalog)
    assert report.loaded == 24
    assert report.quarantined == 1
    assert _quarantine(store)[0][0] == 25


def test_an_unknown_source_is_rejected(
    ctx: RequestContext, store: Store, world: Path, catalog: Catalog, tmp_path: Path
) -> None:
    path = tmp_path / "facebook_posts.parquet"
    shutil.copy(world / "cbp_i94.parquet", path)
    with pytest.raises(IngestError, match=r"facebook_posts\.parquet: unknown source"):
        _ingest(ctx, store, path, catalog)
    assert store.rows("SELECT status, error LIKE 'unknown source%' FROM ingest_files") == [("rejected", True)]


def test_a_file_cannot_pose_as_a_redress_correction(
    ctx: RequestContext, store: Store, catalog: Catalog, tmp_path: Path
) -> None:
    """Corrections void records and record citizenship: only an accepted redress decision writes them."""
    path = tmp_path / "redress_corrections.parquet"
    spec = catalog.source("redress_corrections")
    row = {
        "record_id": "C1",
        "correction": "RECORD_VOIDED",
        "concerns_record": "criminal_history:X",
        "document": None,
        "decided_on": None,
        "contest_id": 1,
    }
    pq.write_table(pa.table({f: [row[f]] for f in spec.field_names}), path)
    with pytest.raises(IngestError, match="written by the system"):
        _ingest(ctx, store, path, catalog)
    assert store.rows("SELECT status FROM ingest_files") == [("rejected",)]


def test_a_missing_required_column_rejects_the_file_naming_the_field(
    ctx: RequestContext, store: Store, world: Path, catalog: Catalog, tmp_path: Path
) -> None:
    path = tmp_path / "ice_enforcement.parquet"
    pq.write_table(_sample(world, "ice_enforcement", 20).drop_columns(["event_type"]), path)
    with pytest.raises(IngestError) as err:
        _ingest(ctx, store, path, catalog)
    assert err.value.field == "event_type"
    assert "ice_enforcement.parquet" in str(err.value)


def test_an_undeclared_column_rejects_the_file(
    ctx: RequestContext, store: Store, world: Path, catalog: Catalog, tmp_path: Path
) -> None:
    table = _sample(world, "hhs_enrollment", 10)
    path = tmp_path / "hhs_enrollment.parquet"
    pq.write_table(table.append_column("diagnosis", pa.array(["x"] * table.num_rows)), path)
    with pytest.raises(IngestError, match="diagnosis"):
        _ingest(ctx, store, path, catalog)


def test_a_record_id_resent_with_other_content_is_quarantined_not_overwritten(
    ctx: RequestContext, store: Store, world: Path, catalog: Catalog, tmp_path: Path
) -> None:
    rows = _sample(world, "self_departure_app", 10).to_pylist()
    schema = _sample(world, "self_departure_app", 1).schema
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), tmp_path / "self_departure_app-1.parquet")
    changed = [
        dict(rows[0], event_type="WITHDRAWN" if rows[0]["event_type"] != "WITHDRAWN" else "REGISTERED")
    ]
    pq.write_table(pa.Table.from_pylist(changed, schema=schema), tmp_path / "self_departure_app-2.parquet")
    _ingest(ctx, store, tmp_path / "self_departure_app-1.parquet", catalog)
    second = _ingest(ctx, store, tmp_path / "self_departure_app-2.parquet", catalog)
    assert second.quarantined == 1
    stored = store.scalar(
        "SELECT event_type FROM src_self_departure_app WHERE record_id = ?", [rows[0]["record_id"]]
    )
    assert stored == rows[0]["event_type"]
    assert "different content" in _quarantine(store)[0][2]


def test_one_bad_file_does_not_stop_the_others(
    ctx: RequestContext, store: Store, world: Path, catalog: Catalog, tmp_path: Path
) -> None:
    folder = tmp_path / "feed"
    folder.mkdir()
    shutil.copy(world / "dol_labor.parquet", folder)
    (folder / "hud_assistance.parquet").write_bytes(b"PAR1 not really")
    report = ingest_directory(ctx, store, folder, catalog=catalog, batch_rows=1_000)
    assert [f.status for f in report.files] == ["complete", "rejected"]
    assert store.scalar("SELECT count(*) FROM src_dol_labor") == report.files[0].loaded > 0
