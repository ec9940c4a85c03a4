"""``immos resolve``, ``evaluate``, ``explain``, ``review`` and ``steward``: thin front ends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from immigrationos.cli.state import console, fail, state
from immigrationos.departures.evaluate import departures_quality
from immigrationos.departures.models import default_policy
from immigrationos.errors import ImmosError
from immigrationos.lifecycle.evaluate import status_quality
from immigrationos.lifecycle.rules import default_events, default_rules
from immigrationos.priority.evaluate import worklist_quality
from immigrationos.priority.models import default_policy as default_priority_policy
from immigrationos.resolution.evaluate import stored_resolution_quality
from immigrationos.resolution.explain import explain_pair, explain_person
from immigrationos.resolution.link import link_files
from immigrationos.resolution.pipeline import ResolveOptions, resolve
from immigrationos.resolution.service import decide, review_queue, review_summary
from immigrationos.sources.catalog import default_catalog
from immigrationos.store.engine import store_session
from immigrationos.synth.world import world_as_of


def register(app: typer.Typer) -> None:
    app.command("resolve")(resolve_command)
    app.command("evaluate")(evaluate_command)
    app.command("explain")(explain_command)
    app.command("review")(review_command)
    app.command("steward")(steward_command)
    app.command("link")(link_command)


def resolve_command(
    ctx: typer.Context,
    retrain: Annotated[
        bool, typer.Option(help="Train the matching model again (person ids may then move).")
    ] = False,
    auto_threshold: Annotated[
        float, typer.Option(min=0.5, max=1.0, help="Merge automatically at or above.")
    ] = 0.999,
    review_threshold: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Send to review at or above.")
    ] = 0.9,
    engine: Annotated[
        str, typer.Option(help="duckdb, or spark (Splink's Spark backend at IMMOS_SPARK_MASTER).")
    ] = "duckdb",
) -> None:
    """Resolve every stored record to a person (identifiers, then Splink, then conflict-aware clustering)."""
    st = state(ctx)
    try:
        options = ResolveOptions(
            auto_threshold=auto_threshold,
            review_threshold=review_threshold,
            retrain=retrain,
            engine=engine,
            spark_master=st.settings.spark_master,
        )
    except ImmosError as exc:
        raise fail(exc) from exc
    try:
        with store_session(st.settings) as store, console.status("resolving") as status:
            report = resolve(
                st.context(),
                store,
                catalog=default_catalog(),
                home=st.settings.home,
                options=options,
                on_step=lambda s: status.update(f"resolving: {s}"),
            )
    except ImmosError as exc:
        raise fail(exc) from exc
    table = Table(title=f"Resolution run {report.run_id}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name in (
        "records",
        "persons",
        "identifier_links",
        "probabilistic_links",
        "refused_merges",
        "review_items",
        "persons_created",
        "persons_merged",
        "persons_split",
    ):
        table.add_row(name.replace("_", " "), f"{getattr(report, name):,}")
    table.add_row("seconds", ", ".join(f"{k} {v}" for k, v in report.seconds.items()))
    console.print(table)
    for source, why in sorted(report.excluded.items()):
        console.print(f"[yellow]{source}[/]: {why} ('immos agreements').")
    console.print(
        f"Resolved {report.records:,} records to {report.persons:,} persons; "
        f"{report.review_items:,} pairs wait for review ('immos review')."
    )


def evaluate_command(
    ctx: typer.Context,
    world: Annotated[
        Path, typer.Option(help="Folder of the generated world (its ground_truth/ is read).")
    ] = Path("world"),
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Quality against the generator's ground truth: one JSON object, a section per capability."""
    truth = world / "ground_truth"
    if not (truth / "records.parquet").exists():
        raise fail(ImmosError(f"no ground truth in {truth}: evaluate needs a world made by 'immos generate'"))
    try:
        with store_session(state(ctx).settings) as store:
            result: dict[str, Any] = {"resolution": stored_resolution_quality(store, truth)}
            result["status"] = status_quality(
                store,
                truth,
                catalog=default_catalog(),
                events=default_events(),
                rules=default_rules(),
                as_of=world_as_of(world),
            )
            result["departures"] = departures_quality(store, truth, default_policy())
            result["worklist"] = worklist_quality(store, truth, default_priority_policy())
    except ImmosError as exc:
        raise fail(exc) from exc
    if as_json:
        print(json.dumps(result, indent=2))
        return
    _print_resolution_quality(result["resolution"])
    _print_status_quality(result["status"])
    _print_departures_quality(result["departures"])
    _print_worklist_quality(result["worklist"])


def _print_resolution_quality(r: dict[str, Any]) -> None:
    table = Table(title="Resolution quality vs ground truth")
    for col in ("measure", "precision", "recall", "f1"):
        table.add_column(col, justify="right" if col != "measure" else "left")
    for name in ("pairwise", "bcubed", "ambiguous_slice"):
        table.add_row(name, *(f"{r[name][k]:.4f}" for k in ("precision", "recall", "f1")))
    console.print(table)
    console.print(
        f"{r['predicted_persons']:,} persons found for {r['true_persons']:,} true persons; "
        f"{r['clusters_with_several_true_persons']} clusters mix true persons. Use --json for per-source pairs."
    )


def _print_status_quality(s: dict[str, Any]) -> None:
    table = Table(title=f"Derived status vs ground truth at {s['as_of']} (rules {s['rules_version']})")
    for col in ("status", "true", "derived", "precision", "recall"):
        table.add_column(col, justify="left" if col == "status" else "right")
    for name, m in s["per_status"].items():
        table.add_row(
            name, f"{m['true']:,}", f"{m['derived']:,}", f"{m['precision']:.4f}", f"{m['recall']:.4f}"
        )
    console.print(table)
    console.print(
        f"Status accuracy {s['accuracy_resolved_exactly']:.4%} over the {s['persons_resolved_exactly']:,} persons "
        f"resolved exactly, {s['accuracy_all_persons']:.4%} over all {s['persons']:,}. True citizens with a "
        f"citizenship record derived as anything else: {s['citizens_with_citizenship_record_not_derived_citizen']}. "
        "The confusion matrix is in --json."
    )


def _print_departures_quality(d: dict[str, Any]) -> None:
    console.print(
        f"Self-departures: {d['cases']:,} cases for {d['true_registrants']:,} true registrants; "
        f"{d['truly_departed_confirmed']:,} of {d['truly_departed']:,} true departures confirmed; "
        f"false confirmations {d['false_confirmations']}; unearned payments {d['unearned_payments']} of "
        f"{d['stipends_paid']:,} stipends; ledger {'balanced' if d['ledger_balanced'] else 'NOT balanced'}; "
        f"lawful registrants flagged {d['flagged_correctly']} of {d['lawful_registrants']}."
    )


def _print_worklist_quality(w: dict[str, Any]) -> None:
    cats = ", ".join(
        f"{name} P {c['precision']:.3f} R {c['recall']:.3f}" for name, c in w["categories"].items()
    )
    console.print(
        f"Worklist (policy {w['policy_version']}): {w['open_entries']:,} open entries; wrongly included past the "
        f"candidate step {w['wrongly_included']}, at the candidate step {w['wrongly_included_at_candidate_step']}, "
        f"in the identity queue {w['wrongly_included_in_identity_queue']}; {cats}."
    )


def explain_command(
    ctx: typer.Context,
    records: Annotated[list[str] | None, typer.Argument(help="Two records, source:record_id.")] = None,
    person: Annotated[int | None, typer.Option(help="Explain a person instead.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Why two records are (or are not) one person, or what holds a person together."""
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            if person is not None:
                data = explain_person(st.context(), store, person)
            elif records and len(records) == 2:
                data = explain_pair(
                    st.context(),
                    store,
                    records[0],
                    records[1],
                    model_path=st.settings.home / "resolution_model.json",
                )
            else:
                raise typer.BadParameter("give two records or --person ID")
    except ImmosError as exc:
        raise fail(exc) from exc
    if as_json:
        print(json.dumps(data, indent=2, default=str))
    elif person is not None:
        _print_person(data)
    else:
        _print_pair(data)


def _print_pair(data: dict[str, Any]) -> None:
    verdict = "the same person" if data["same_person"] else "different persons"
    console.print(f"{data['records'][0]} and {data['records'][1]}: {verdict} (persons {data['persons']})")
    console.print(
        f"identifiers shared: {', '.join(data['identifiers_shared']) or 'none'}; "
        f"differing: {', '.join(data['identifiers_differing']) or 'none'}"
    )
    if data["probabilistic"]:
        table = Table(title="Match weights (log2 Bayes factors)")
        for col in ("comparison", "level", "weight"):
            table.add_column(col, justify="right" if col == "weight" else "left")
        for step in data["probabilistic"]["steps"]:
            table.add_row(step["comparison"], step["level"], f"{step['match_weight']:+.2f}")
        p = data["probabilistic"]
        table.add_row("[bold]total", "", f"[bold]{p['match_weight']:+.2f} (p = {p['match_probability']:.6f})")
        console.print(table)
    for d in data["steward_decision"]:
        console.print(f"steward decision: {d['decision']} by {d['actor']}: {d['reason']}")
    for h in data["held_for_review"]:
        console.print(f"held for review ({h['left']} ~ {h['right']}): {h['reason']}")


def _print_person(data: dict[str, Any]) -> None:
    console.print(f"person {data['person_id']}: {len(data['records'])} records")
    table = Table(title="Links")
    for col in ("left", "right", "tier", "rule", "probability"):
        table.add_column(col)
    for link in data["links"]:
        table.add_row(link["left"], link["right"], link["tier"], link["rule"], f"{link['probability']:.6f}")
    console.print(table)
    for f in data["flags"]:
        console.print(f"[yellow]flag[/]: {f['flag']} ({f['detail']})")
    for r in data["open_reviews"]:
        console.print(f"[cyan]open review[/]: {r['left']} ~ {r['right']}: {r['reason']}")


def review_command(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1)] = 30,
    reason: Annotated[str | None, typer.Option(help="Only items whose reason contains this text.")] = None,
) -> None:
    """The human-review queue: links the pipeline would not decide alone."""
    st = state(ctx)
    with store_session(st.settings) as store:
        items = review_queue(st.context(), store, limit=limit, reason=reason)
        summary = review_summary(store)
    table = Table(title="Review queue")
    for col in ("left", "right", "tier", "probability", "reason"):
        table.add_column(col, overflow="fold")
    for item in items:
        table.add_row(item["left"], item["right"], item["tier"], f"{item['probability']:.4f}", item["reason"])
    console.print(table)
    console.print("open items by reason: " + "; ".join(f"{k} {v:,}" for k, v in summary.items()))


def steward_command(
    ctx: typer.Context,
    decision: Annotated[str, typer.Argument(help="link or separate")],
    rec_a: Annotated[str, typer.Argument(help="source:record_id")],
    rec_b: Annotated[str, typer.Argument(help="source:record_id")],
    reason: Annotated[str, typer.Option(help="Why (kept with the decision).")],
) -> None:
    """Force two records together or apart; the decision survives every later resolve."""
    st = state(ctx)
    try:
        with store_session(st.settings) as store:
            decision_id = decide(
                st.context(), store, rec_a=rec_a, rec_b=rec_b, decision=decision, reason=reason
            )
    except ImmosError as exc:
        raise fail(exc) from exc
    console.print(
        f"Recorded decision {decision_id}: {decision} {rec_a} {rec_b}. It applies from the next 'immos resolve'."
    )


def link_command(
    files: Annotated[list[Path], typer.Argument(help="One file to dedupe, or two to link (CSV or Parquet).")],
    mapping: Annotated[Path, typer.Option(help="YAML mapping of columns to person fields (see README).")],
    out: Annotated[Path, typer.Option(help="Folder for pairs.parquet and clusters.parquet.")] = Path(
        "linked"
    ),
    threshold: Annotated[
        float, typer.Option(min=0.5, max=1.0, help="Cluster at or above this probability.")
    ] = 0.95,
) -> None:
    """Match your own person records with the same model: pairs and clusters, trained on the file itself."""
    try:
        with console.status("linking"):
            result = link_files(files, mapping, out, threshold=threshold)
    except ImmosError as exc:
        raise fail(exc) from exc
    console.print(
        f"Linked {result.records:,} records: {result.pairs:,} scored pairs, {result.clusters:,} clusters "
        f"-> {out / 'pairs.parquet'}, {out / 'clusters.parquet'}"
    )
