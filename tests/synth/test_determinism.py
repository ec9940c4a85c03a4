from __future__ import annotations

from pathlib import Path

import duckdb

from immigrationos.synth.params import WorldParams
from immigrationos.synth.world import generate_world


def _fingerprint(conn: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, str]:
    """Order-sensitive content hash of every output file."""
    out = {}
    for path in sorted([*folder.glob("*.parquet"), *folder.glob("ground_truth/*.parquet")]):
        row = conn.execute(
            f"SELECT md5(string_agg(md5(t::VARCHAR), '' ORDER BY rn)) FROM "
            f"(SELECT *, row_number() OVER () AS rn FROM read_parquet('{path}')) t"
        ).fetchall()
        out[path.name] = str(row[0][0])
    return out


def test_same_seed_gives_the_same_world(tmp_path: Path, db: duckdb.DuckDBPyConnection) -> None:
    params = WorldParams(persons=1_500, seed=99, chunk_persons=1_000)
    generate_world(params, tmp_path / "a")
    generate_world(params, tmp_path / "b")
    assert _fingerprint(db, tmp_path / "a") == _fingerprint(db, tmp_path / "b")


def test_another_seed_gives_another_world(tmp_path: Path, db: duckdb.DuckDBPyConnection) -> None:
    generate_world(WorldParams(persons=1_500, seed=1, chunk_persons=1_000), tmp_path / "a")
    generate_world(WorldParams(persons=1_500, seed=2, chunk_persons=1_000), tmp_path / "b")
    a, b = _fingerprint(db, tmp_path / "a"), _fingerprint(db, tmp_path / "b")
    assert all(a[name] != b[name] for name in a if name != "hud_assistance.parquet")


def test_csv_output_holds_the_same_records(tmp_path: Path, db: duckdb.DuckDBPyConnection) -> None:
    params = WorldParams(persons=1_000, seed=5, chunk_persons=1_000)
    generate_world(params, tmp_path / "p", "parquet")
    generate_world(params, tmp_path / "c", "csv")
    for name in ("cbp_i94", "irs_filings", "eoir_court"):
        pq = db.execute(
            f"SELECT count(*), count(DISTINCT record_id) FROM '{tmp_path}/p/{name}.parquet'"
        ).fetchall()
        csv = db.execute(
            f"SELECT count(*), count(DISTINCT record_id) FROM read_csv('{tmp_path}/c/{name}.csv')"
        ).fetchall()
        assert pq == csv
