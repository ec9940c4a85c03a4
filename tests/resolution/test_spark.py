"""The same pipeline on Splink's Spark backend (local mode) gives the same links as on DuckDB."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from immigrationos.config import Settings
from immigrationos.context import make_context
from immigrationos.resolution.pipeline import ResolveOptions, resolve
from immigrationos.resolution.spark_engine import to_spark_sql
from immigrationos.sources.catalog import default_catalog
from immigrationos.store.engine import store_session

pytest.importorskip("pyspark")
pytestmark = pytest.mark.spark


def test_duckdb_sql_is_rewritten_for_spark() -> None:
    sql = to_spark_sql("levenshtein(strftime(dob_l, '%Y%m%d'), strftime(dob_r, '%Y%m%d')) <= 1")
    assert "DATE_FORMAT" in sql.upper()
    assert "yyyyMMdd" in sql
    assert to_spark_sql("jaro_winkler_similarity(a_l, a_r) >= 0.9").startswith("jaro_winkler(")


def test_spark_gives_the_same_links_as_duckdb(resolved: Path, tmp_path: Path) -> None:
    home = tmp_path / "spark"
    shutil.copytree(resolved, home)
    with store_session(Settings(home=home)) as store:
        resolve(
            make_context("ops", "data_management"),
            store,
            catalog=default_catalog(),
            home=home,
            options=ResolveOptions(engine="spark"),
        )
        spark_pairs = {
            (a, b): p
            for a, b, p in store.rows(
                "SELECT profile_id_l, profile_id_r, match_probability FROM res_candidate_links"
            )
        }
        spark_persons = dict(store.rows("SELECT rec, person_id FROM res_membership"))
        engine = store.scalar("SELECT engine FROM res_runs ORDER BY run_id DESC LIMIT 1")
    with store_session(Settings(home=resolved)) as store:
        duck_pairs = {
            (a, b): p
            for a, b, p in store.rows(
                "SELECT profile_id_l, profile_id_r, match_probability FROM res_candidate_links"
            )
        }
        duck_persons = dict(store.rows("SELECT rec, person_id FROM res_membership"))
    assert engine == "spark"
    common = set(spark_pairs) & set(duck_pairs)
    # Stated tolerance: the string-similarity functions of the two engines differ in rare cases.
    assert len(set(spark_pairs) ^ set(duck_pairs)) <= 0.002 * len(duck_pairs)
    close = sum(1 for k in common if abs(spark_pairs[k] - duck_pairs[k]) <= 0.01)
    assert close >= 0.99 * len(common)
    same = sum(1 for rec, pid in duck_persons.items() if spark_persons.get(rec) == pid)
    assert same >= 0.995 * len(duck_persons)
