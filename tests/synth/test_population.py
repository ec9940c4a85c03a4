"""The population mix and the noise of the records, measured against the ground truth."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from immigrationos.synth.params import PopulationMix

PERSONS = "ground_truth/persons.parquet"


def _q(db: duckdb.DuckDBPyConnection, sql: str) -> float:
    return float(db.execute(sql).fetchall()[0][0])


def test_population_mix_matches_the_base_rates(big_world: Path, db: duckdb.DuckDBPyConnection) -> None:
    shares = dict(
        db.execute(
            f"SELECT category, count(*) / sum(count(*)) OVER () FROM '{big_world}/{PERSONS}' GROUP BY 1"
        ).fetchall()
    )
    expected = PopulationMix().model_dump()
    norm = sum(expected.values())
    for category, share in expected.items():
        assert shares[category] == pytest.approx(share / norm, abs=0.006), category


def test_every_status_occurs(big_world: Path, db: duckdb.DuckDBPyConnection) -> None:
    statuses = {r[0] for r in db.execute(f"SELECT DISTINCT status FROM '{big_world}/{PERSONS}'").fetchall()}
    assert statuses >= {
        "us_citizen",
        "lpr",
        "refugee_asylee",
        "nonimmigrant_in_status",
        "temporary_protection",
        "pending_protection",
        "in_removal_proceedings",
        "final_order",
        "overstay",
        "present_without_admission",
        "departed",
        "removed",
    }


def test_criminal_history_rates_among_the_unauthorized(
    big_world: Path, db: duckdb.DuckDBPyConnection
) -> None:
    row = db.execute(f"""
        SELECT avg(coalesce(crim_kind = 'convicted', false)::INT), avg(coalesce(crim_kind = 'pending', false)::INT),
               avg(violent_conviction::INT),
               avg(criminal_org::INT)
        FROM '{big_world}/{PERSONS}' WHERE category IN ('unauthorized_unprotected', 'pending_asylum', 'parole',
              'tps', 'daca', 'other_deferred') AND NOT minor""").fetchall()[0]
    convicted, pending, violent, org = (float(x) for x in row)
    assert convicted == pytest.approx(0.057, abs=0.006)
    assert pending == pytest.approx(0.030, abs=0.005)
    assert violent == pytest.approx(0.013, abs=0.003)
    assert 0.001 < org < 0.01


def test_hispanic_surname_concentration(big_world: Path, db: duckdb.DuckDBPyConnection) -> None:
    top10 = _q(
        db,
        f"""
        WITH s AS (SELECT split_part(family, ' ', 1) AS surname FROM '{big_world}/{PERSONS}'
                   WHERE country IN ('MEX','GTM','HND','SLV','NIC','VEN','COL','CUB','DOM','ECU','PER'))
        SELECT sum(n) / (SELECT count(*) FROM s) FROM (SELECT count(*) AS n FROM s GROUP BY surname ORDER BY n DESC LIMIT 10)""",
    )
    assert top10 == pytest.approx(0.16, abs=0.03)


def test_name_and_birth_date_doppelgangers_occur(big_world: Path, db: duckdb.DuckDBPyConnection) -> None:
    share = _q(
        db,
        f"""
        SELECT avg((n > 1)::INT) FROM (
            SELECT count(*) OVER (PARTITION BY given, family, doc_dob) AS n FROM '{big_world}/{PERSONS}')""",
    )
    assert 0.001 <= share <= 0.01


def test_jan1_placeholder_rate_in_the_refugee_channel(big_world: Path, db: duckdb.DuckDBPyConnection) -> None:
    rate = _q(
        db,
        f"""SELECT avg(dob_placeholder::INT) FROM '{big_world}/{PERSONS}'
                      WHERE country IN ('AFG','SOM','ETH','ERI','SDN') AND category IN ('refugee_asylee','pending_asylum','parole','tps')""",
    )
    assert rate == pytest.approx(0.14, abs=0.04)


def _records(world: Path, source: str) -> str:
    return f"""(SELECT r.*, p.given AS true_given, p.family AS true_family, p.dob AS true_dob, p.doc_dob,
                       p.dob_placeholder, p.country AS origin, p.alias
                FROM '{world}/{source}.parquet' r
                JOIN (SELECT * FROM '{world}/ground_truth/records.parquet' WHERE source = '{source}') t USING (record_id)
                JOIN '{world}/{PERSONS}' p USING (person_id))"""


def test_birth_date_error_rates(big_world: Path, db: duckdb.DuckDBPyConnection) -> None:
    dhs = _q(db, f"SELECT avg((dob <> doc_dob)::INT) FROM {_records(big_world, 'uscis_benefits')}")
    other = _q(
        db,
        f"SELECT avg((dob <> true_dob)::INT) FROM {_records(big_world, 'criminal_history')} WHERE NOT dob_placeholder",
    )
    assert dhs == pytest.approx(0.005, abs=0.003)
    assert other == pytest.approx(0.015, abs=0.012)


def test_second_spanish_surname_dropped(big_world: Path, db: duckdb.DuckDBPyConnection) -> None:
    dropped = _q(
        db,
        f"""SELECT avg((family_name = strip_accents(split_part(true_family, ' ', 1))
                                    OR family_name = split_part(true_family, ' ', 1))::INT)
                         FROM {_records(big_world, "ssa_numident")} WHERE true_family LIKE '% %'""",
    )
    assert dropped == pytest.approx(0.20, abs=0.04)


def test_identifier_missing_rates(big_world: Path, db: duckdb.DuckDBPyConnection) -> None:
    a_missing = _q(
        db,
        f"""SELECT avg((a_number IS NULL)::INT) FROM {_records(big_world, "criminal_history")} r
                           WHERE origin <> 'USA' AND true_given IS NOT NULL AND EXISTS (
                               SELECT 1 FROM {_records(big_world, "eoir_court")} e WHERE e.true_given = r.true_given
                               AND e.true_dob = r.true_dob AND e.true_family = r.true_family)""",
    )
    ssn_missing = _q(
        db,
        f"SELECT avg((ssn IS NULL)::INT) FROM {_records(big_world, 'hhs_enrollment')} WHERE origin = 'USA'",
    )
    assert a_missing == pytest.approx(0.85, abs=0.08)
    assert ssn_missing == pytest.approx(0.20, abs=0.05)


def test_romanization_variants_for_non_latin_names(big_world: Path, db: duckdb.DuckDBPyConnection) -> None:
    varied = _q(
        db,
        f"""SELECT avg((given_name <> true_given AND family_name <> true_given)::INT)
                        FROM {_records(big_world, "uscis_benefits")} WHERE origin IN ('SYR','IRQ','EGY','SDN','AFG','IRN','SOM','ETH','ERI')""",
    )
    assert 0.10 < varied < 0.45


def test_aliases_share_one_fingerprint(big_world: Path, db: duckdb.DuckDBPyConnection) -> None:
    names_per_fin = _q(
        db,
        f"""SELECT max(n) FROM (SELECT fin, count(DISTINCT given_name || family_name) AS n
                                FROM {_records(big_world, "biometric_encounters")} WHERE alias GROUP BY fin)""",
    )
    assert names_per_fin >= 2
