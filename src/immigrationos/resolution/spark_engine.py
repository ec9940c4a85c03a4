"""Prediction on Apache Spark through Splink's Spark backend, for when one machine is outgrown.

Training stays on a sample in DuckDB; the trained model is engine-independent once its SQL is
transpiled (sqlglot, DuckDB -> Spark SQL). The profiles go to Spark as Parquet and the scored pairs come
back the same way, so everything around Splink is unchanged. ``IMMOS_SPARK_MASTER`` points it at a
cluster (default ``local[2]``). pyspark is an optional dependency: ``pip install immigrationos[spark]``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlglot

from immigrationos.errors import ConfigurationError
from immigrationos.resolution import model
from immigrationos.resolution.profiles import PROFILES
from immigrationos.resolution.splink_engine import SplinkEngine, candidates_from
from immigrationos.store.engine import Store

if TYPE_CHECKING:
    from immigrationos.resolution.pipeline import ResolveOptions


def to_spark_sql(sql: str) -> str:
    """DuckDB SQL of a comparison level or blocking rule, in Spark SQL (Splink's JAR names included)."""
    if sql.strip().upper() == "ELSE":  # Splink's catch-all level, not an expression
        return sql
    spark = sqlglot.transpile(sql, read="duckdb", write="spark")[0]
    return re.sub(r"(?i)jaro_winkler_similarity|jarowinkler_similarity", "jaro_winkler", spark)


def spark_model(spec: dict[str, Any]) -> dict[str, Any]:
    """The saved (DuckDB) model with every SQL fragment rewritten for Spark."""
    spec = json.loads(json.dumps(spec))
    spec["sql_dialect"] = "spark"
    for comparison in spec["comparisons"]:
        for level in comparison["comparison_levels"]:
            level["sql_condition"] = to_spark_sql(level["sql_condition"])
    spec["blocking_rules_to_generate_predictions"] = [
        {"blocking_rule": to_spark_sql(r)} for r in model.blocking_rules(" AND l.comp <> r.comp")
    ]
    spec["unique_id_column_name"] = "profile_id"
    return spec


def spark_session(master: str) -> Any:
    try:
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location
    except ImportError as exc:
        raise ConfigurationError(
            "the Spark engine needs pyspark: pip install 'immigrationos[spark]'"
        ) from exc
    return (
        SparkSession.builder.master(master)
        .appName("immigrationos-resolve")
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.driver.memory", "4g")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )


class SparkSplinkEngine(SplinkEngine):
    """Same model, same candidates; the pair scoring runs on Spark."""

    def __init__(self, store: Store, home: Path, options: ResolveOptions, master: str) -> None:
        super().__init__(store, home, options)
        self.master = master
        self.exchange = home / "spark_exchange"

    def predict_profile_pairs(self) -> int:
        from splink import Linker
        from splink.backends.spark import SparkAPI

        shutil.rmtree(self.exchange, ignore_errors=True)
        self.exchange.mkdir(parents=True)
        profiles, scored = self.exchange / "profiles.parquet", self.exchange / "scored"
        self.store.execute(f"COPY {PROFILES} TO '{profiles}' (FORMAT parquet)")
        spark = spark_session(self.master)
        spark.sparkContext.setCheckpointDir(str(self.exchange / "checkpoints"))  # Splink breaks lineage there
        frame = spark.read.parquet(str(profiles))
        spec = spark_model(json.loads(self.model_path.read_text(encoding="utf-8")))
        linker = Linker(SparkAPI(spark_session=spark).register(frame), spec)  # type: ignore[no-untyped-call]
        predictions = linker.inference.predict(threshold_match_probability=self.options.review_threshold)
        (
            predictions.as_spark_dataframe()
            .select("profile_id_l", "profile_id_r", "match_probability", "match_weight")
            .write.mode("overwrite")
            .parquet(str(scored))
        )
        self.store.execute(
            f"CREATE OR REPLACE TEMP TABLE _spark_predictions AS SELECT * FROM read_parquet('{scored}/*.parquet')"
        )
        return candidates_from(self.store, "_spark_predictions", self.options)
