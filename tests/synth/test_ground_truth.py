from __future__ import annotations

import json
from pathlib import Path

import duckdb

from immigrationos.sources.models import Catalog


def test_every_record_has_exactly_one_true_person(
    world: Path, catalog: Catalog, db: duckdb.DuckDBPyConnection
) -> None:
    truth = f"'{world}/ground_truth/records.parquet'"
    for spec in catalog.feeds:
        rows = db.execute(f"""
            SELECT count(*), count(t.person_id), count(DISTINCT r.record_id)
            FROM '{world}/{spec.name}.parquet' r
            LEFT JOIN (SELECT * FROM {truth} WHERE source = '{spec.name}') t USING (record_id)""").fetchall()[
            0
        ]
        total, with_truth, distinct = rows
        assert total == with_truth == distinct, spec.name
    orphans = db.execute(f"""
        SELECT count(*) FROM {truth} t
        LEFT JOIN '{world}/ground_truth/persons.parquet' p USING (person_id) WHERE p.person_id IS NULL""").fetchall()
    assert orphans[0][0] == 0


def test_truth_has_status_and_flags_for_every_person(world: Path, db: duckdb.DuckDBPyConnection) -> None:
    cols = {r[0] for r in db.execute(f"DESCRIBE '{world}/ground_truth/persons.parquet'").fetchall()}
    assert {
        "person_id",
        "status",
        "citizen",
        "lpr",
        "overstay",
        "violent_conviction",
        "criminal_org",
        "pending_protection",
        "final_order",
        "departed",
        "removed",
    } <= cols
    nulls = db.execute(
        f"SELECT count(*) FROM '{world}/ground_truth/persons.parquet' WHERE status IS NULL"
    ).fetchall()
    assert nulls[0][0] == 0


def test_record_ids_do_not_reveal_the_person(world: Path, db: duckdb.DuckDBPyConnection) -> None:
    """Rows are shuffled per source: neighbouring records rarely belong to the same person."""
    same = db.execute(f"""
        SELECT avg(CASE WHEN person_id = lag_person THEN 1 ELSE 0 END) FROM (
            SELECT person_id, lag(person_id) OVER (ORDER BY record_id) AS lag_person
            FROM '{world}/ground_truth/records.parquet' WHERE source = 'uscis_benefits')""").fetchall()
    assert same[0][0] < 0.02


def test_manifest_marks_the_world_synthetic(world: Path) -> None:
    manifest = json.loads((world / "manifest.json").read_text())
    assert manifest["synthetic"] is True
    assert manifest["params"]["seed"] == 7
    assert sum(manifest["records"].values()) > 0
