"""Benchmark: resolve a generated world and compare with a textbook Splink dedupe of the same records.

    python benchmarks/resolve.py --persons 1000000 [--seed 42] [--world DIR] [--skip-baseline]

Prints wall time and peak RSS of each step, our quality against the ground truth (pairwise, B-cubed,
ambiguous slice, worst source pairs) and, side by side, the textbook model's time and F1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any, cast

import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from _measure import measure
from immigrationos.access.agreements import ensure_standard_agreements
from immigrationos.config import Settings
from immigrationos.context import make_context
from immigrationos.resolution.evaluate import resolution_quality
from immigrationos.resolution.pipeline import ResolveOptions, resolve
from immigrationos.sources.catalog import default_catalog
from immigrationos.sources.ingest import ingest_directory
from immigrationos.store.engine import Store, store_session
from immigrationos.synth.params import WorldParams
from immigrationos.synth.world import generate_world


def textbook_baseline(store: Store, ground_truth: Path) -> tuple[float, dict[str, Any]]:
    """A plain Splink dedupe as the tutorials build it: standard comparisons, standard blocking."""
    store.execute(
        "CREATE OR REPLACE TABLE _baseline_input AS SELECT node AS unique_id, rec, given_name, family_name, "
        "dob, sex, postal_code, country FROM res_records"
    )
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("family_name"),
            cl.DateOfBirthComparison("dob", input_is_string=False),
            cl.ExactMatch("sex"),
            cl.ExactMatch("country"),
            cl.PostcodeComparison("postal_code"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("family_name", "dob"),
            block_on("given_name", "dob"),
            block_on("given_name", "family_name"),
            block_on("postal_code", "family_name"),
        ],
    )
    with measure() as timing:
        linker = Linker(
            DuckDBAPI(connection=store.conn).register(cast(Any, store.conn.table("_baseline_input"))),
            settings,
        )
        linker.training.estimate_probability_two_random_records_match(
            [block_on("given_name", "family_name", "dob")], recall=0.7
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"), max_pairs=2e6)
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("given_name", "family_name"), max_pairs=2e6
        )
        predictions = linker.inference.predict(threshold_match_probability=0.5)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95)
        store.execute(
            f"CREATE OR REPLACE TEMP TABLE _baseline_assign AS SELECT b.rec, c.cluster_id AS person "
            f"FROM {clusters.physical_name} c JOIN _baseline_input b USING (unique_id)"
        )
    print(f"baseline: {timing.seconds:.1f} s, peak RSS {timing.peak_rss_mb:,.0f} MB")
    return timing.seconds, resolution_quality(store, ground_truth, "_baseline_assign")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42, help="another seed: another world of that size")
    parser.add_argument("--world", type=Path, default=None, help="reuse a generated world")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="immos-resolve-"))
    world = args.world or work / "world"
    print(f"machine: {os.cpu_count()} cores; persons: {args.persons:,}; seed {args.seed}; world: {world}")
    if args.world is None:
        generate_world(WorldParams(persons=args.persons, seed=args.seed), world)
    settings = Settings(home=work / "home")
    ctx = make_context("benchmark", "data_management", roles=frozenset({"data_steward"}))
    with store_session(settings) as store:
        with measure() as ingest:
            ingest_directory(
                ctx, store, world, catalog=default_catalog(), batch_rows=settings.ingest_batch_rows
            )
        print(f"ingest: {ingest.seconds:.1f} s")
        ensure_standard_agreements(ctx, store, default_catalog(), date.today())
        with measure() as timing:
            report = resolve(
                ctx,
                store,
                catalog=default_catalog(),
                home=settings.home,
                options=ResolveOptions(retrain=True),
            )
        print(
            f"resolve: {timing.seconds:.1f} s, peak RSS {timing.peak_rss_mb:,.0f} MB, {report.records:,} records -> "
            f"{report.persons:,} persons, {report.review_items:,} review items; steps {report.seconds}"
        )
        store.execute(
            "CREATE OR REPLACE TEMP TABLE _ours AS SELECT rec, person_id AS person FROM res_membership"
        )
        ours = resolution_quality(store, world / "ground_truth", "_ours")
        per_pair = ours.pop("per_source_pair")
        print("ours:", json.dumps({k: ours[k] for k in ("pairwise", "bcubed", "ambiguous_slice")}))
        worst = sorted(
            ((v["precision"], k, v["true_pairs"]) for k, v in per_pair.items() if v["true_pairs"] >= 50)
        )[:5]
        print("lowest source-pair precision (>= 50 true pairs):", worst)
        print(
            "clusters with several true persons:",
            ours["clusters_with_several_true_persons"],
            "| of which joining different A-numbers, FINs or SSNs:",
            ours["clusters_joining_different_strong_identifiers"],
        )
        print(
            "source pairs below 0.99 precision (any size):",
            {k: v for k, v in per_pair.items() if v["precision"] < 0.99},
        )
        if not args.skip_baseline:
            seconds, base = textbook_baseline(store, world / "ground_truth")
            print(
                f"side by side: ours {timing.seconds:.1f} s F1 {ours['pairwise']['f1']:.4f} | "
                f"textbook Splink {seconds:.1f} s F1 {base['pairwise']['f1']:.4f} "
                f"(P {base['pairwise']['precision']:.4f} R {base['pairwise']['recall']:.4f}; "
                f"ambiguous-slice P {base['ambiguous_slice']['precision']:.4f})"
            )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
