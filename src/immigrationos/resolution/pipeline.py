"""The resolve pipeline: records -> identifier links -> profiles -> Splink -> constrained clusters ->
stable person ids. Each step is a small function over the store; ``resolve`` runs them in order.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from immigrationos.access.agreements import matching_catalog
from immigrationos.audit import log as audit
from immigrationos.context import RequestContext, require_context
from immigrationos.errors import ConfigurationError
from immigrationos.resolution import storage
from immigrationos.resolution.clustering import CONFLICT_KINDS, IDENTITY_KINDS, ConstrainedUnionFind, Edge
from immigrationos.resolution.deterministic import EDGES, build_identifier_edges
from immigrationos.resolution.graph import connected_components
from immigrationos.resolution.profiles import COMPONENTS, build_profiles
from immigrationos.resolution.records import RECORDS, build_records
from immigrationos.resolution.splink_engine import SplinkEngine
from immigrationos.sources.models import Catalog
from immigrationos.store.engine import Store

TIER_RANK = {"steward": 0, "fin": 1, "identifier": 2, "probabilistic": 3}


@dataclass(frozen=True)
class ResolveOptions:
    auto_threshold: float = 0.999
    review_threshold: float = 0.9  # below it, measured yield was under 1% true matches
    retrain: bool = False
    model_path: Path | None = None
    max_cluster_records: int = 400
    contest_margin: float = 4.0  # a group fitting two persons within this many match-weight units is held
    engine: str = "duckdb"  # or "spark"
    spark_master: str = "local[2]"
    on: date | None = None  # the run's date, for the data-use agreements in force (default today)

    def __post_init__(self) -> None:
        if self.engine not in ("duckdb", "spark"):
            raise ConfigurationError(f"unknown engine {self.engine!r}: use duckdb or spark")
        if not 0.0 <= self.review_threshold <= self.auto_threshold <= 1.0:
            raise ConfigurationError("thresholds must satisfy 0 <= review <= auto <= 1")


@dataclass
class ResolveReport:
    run_id: int = 0
    records: int = 0
    persons: int = 0
    identifier_links: int = 0
    probabilistic_links: int = 0
    review_items: int = 0
    refused_merges: int = 0
    persons_created: int = 0
    persons_merged: int = 0
    persons_split: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    excluded: dict[str, str] = field(default_factory=dict)  # source -> what no agreement covers


StepFn = Callable[[str], None]


def _nodes_of(store: Store, recs: list[str]) -> dict[str, int]:
    if not recs:
        return {}
    rows = store.rows(f"SELECT rec, node FROM {RECORDS} WHERE rec IN (SELECT unnest(?))", [recs])
    return {str(r): int(n) for r, n in rows}


def _identifier_sets(store: Store, nodes: np.ndarray | None = None) -> dict[int, dict[str, set[str]]]:
    where = "" if nodes is None else "WHERE node IN (SELECT unnest(?))"
    params = [] if nodes is None else [nodes.tolist()]
    out: dict[int, dict[str, set[str]]] = {}
    cols = ", ".join(IDENTITY_KINDS)
    for row in store.rows(f"SELECT node, {cols} FROM {RECORDS} {where}", params):
        ids = {k: {v} for k, v in zip(IDENTITY_KINDS, row[1:], strict=True) if v is not None}
        if ids:
            out[int(row[0])] = ids
    return out


def _edge_list(
    lefts: np.ndarray, rights: np.ndarray, tiers: list[str], rules: list[str], probs: np.ndarray
) -> list[Edge]:
    return [
        Edge(TIER_RANK[t], -float(p), int(a), int(b), t, ru, float(p))
        for a, b, t, ru, p in zip(lefts, rights, tiers, rules, probs, strict=True)
    ]


def _resolve_conflicted(
    labels: np.ndarray,
    edges: list[Edge],
    identifiers: dict[int, dict[str, set[str]]],
    separated: list[tuple[int, int]],
) -> ConstrainedUnionFind:
    """Re-cluster the nodes of ``edges`` with the conflict rules and relabel them in ``labels``."""
    uf = ConstrainedUnionFind(identifiers, separated)
    uf.apply(edges)
    nodes = {e.left for e in edges} | {e.right for e in edges}
    roots: dict[int, int] = {}
    for node in sorted(nodes):
        roots.setdefault(uf.find(node), node)
    for node in nodes:
        labels[node] = roots[uf.find(node)]
    return uf


def _conflicted_components(store: Store, labels: np.ndarray, separated: list[tuple[int, int]]) -> set[int]:
    """Components holding two values of one identifier kind, an SSN and an ITIN, or two separated
    records (found in SQL, so no per-record identifiers are held in memory)."""
    store.conn.register("_labels_now", pd.DataFrame({"node": np.arange(len(labels)), "label": labels}))
    having = " OR ".join(f"count(DISTINCT r.{kind}) > 1" for kind in CONFLICT_KINDS)
    having += " OR (count(r.ssn) > 0 AND count(r.itin) > 0)"
    rows = store.rows(
        f"SELECT l.label FROM _labels_now l JOIN {RECORDS} r USING (node) GROUP BY l.label HAVING {having}"
    )
    store.conn.unregister("_labels_now")
    return {int(r[0]) for r in rows} | {int(labels[a]) for a, b in separated if labels[a] == labels[b]}


@dataclass
class _Graph:
    """Edges of one clustering phase, as arrays, with their tier and rule."""

    left: np.ndarray
    right: np.ndarray
    tiers: list[str]
    rules: list[str]
    probs: np.ndarray

    def edges_touching(self, comps: set[int], labels: np.ndarray) -> list[Edge]:
        mask = np.isin(labels[self.left], list(comps))
        idx = np.flatnonzero(mask)
        return _edge_list(
            self.left[idx],
            self.right[idx],
            [self.tiers[i] for i in idx],
            [self.rules[i] for i in idx],
            self.probs[idx],
        )


def cluster_with_constraints(
    store: Store,
    n: int,
    graph: _Graph,
    separated: list[tuple[int, int]],
    start: np.ndarray | None = None,
) -> tuple[np.ndarray, ConstrainedUnionFind | None]:
    """Connected components, then the conflict rules wherever a component breaks them."""
    base = np.arange(n, dtype=np.int64) if start is None else start
    labels = (
        connected_components(n, base[graph.left], base[graph.right])[base] if len(graph.left) else base.copy()
    )
    bad = _conflicted_components(store, labels, separated)
    if not bad:
        return labels, None
    edges = graph.edges_touching(bad, labels)
    members = np.flatnonzero(np.isin(labels, list(bad)))
    identifiers = _merge_ids(_identifier_sets(store, members), base)
    labels[members] = base[members]
    lifted = [
        Edge(e.rank, e.strength, int(base[e.left]), int(base[e.right]), e.tier, e.rule, e.probability)
        for e in edges
    ]
    uf = _resolve_conflicted(
        labels, lifted, identifiers, [(int(base[a]), int(base[b])) for a, b in separated]
    )
    labels[members] = labels[base[members]]
    return labels, uf


def _merge_ids(
    identifiers: dict[int, dict[str, set[str]]], base: np.ndarray
) -> dict[int, dict[str, set[str]]]:
    """Identifier sets keyed by each node's current component (phase 2 clusters whole components)."""
    out: dict[int, dict[str, set[str]]] = defaultdict(dict)
    for node, ids in identifiers.items():
        target = out[int(base[node])]
        for kind, values in ids.items():
            target.setdefault(kind, set()).update(values)
    return out


def _write_components(store: Store, labels: np.ndarray) -> None:
    store.conn.register("_labels_df", pd.DataFrame({"node": np.arange(len(labels)), "comp": labels}))
    store.execute(f"CREATE OR REPLACE TABLE {COMPONENTS} AS SELECT * FROM _labels_df")
    store.conn.unregister("_labels_df")


def _review_rows(
    uf: ConstrainedUnionFind | None, nodes_to_rec: Callable[[int], str]
) -> list[tuple[str, str, str, str, float]]:
    if uf is None:
        return []
    return [
        (nodes_to_rec(r.edge.left), nodes_to_rec(r.edge.right), r.edge.tier, r.reason, r.edge.probability)
        for r in uf.refused
    ]


class Resolver:
    """One run of the pipeline over a store (the steps share the run's state)."""

    def __init__(
        self,
        ctx: RequestContext,
        store: Store,
        catalog: Catalog,
        options: ResolveOptions,
        home: Path,
        on_step: StepFn | None,
    ) -> None:
        self.ctx, self.store, self.catalog, self.options = ctx, store, catalog, options
        self.home = home
        self.on_step = on_step or (lambda _s: None)
        self.report = ResolveReport(run_id=storage.next_run_id(store))
        self.review: list[tuple[str, str, str, str, float]] = []
        self.flags: list[tuple[int, str, str]] = []
        self._rec_cache: dict[int, str] = {}

    def _timed(self, name: str, fn: Callable[[], object]) -> None:
        self.on_step(name)
        start = time.perf_counter()
        fn()
        self.report.seconds[name] = round(time.perf_counter() - start, 2)

    def rec(self, node: int) -> str:
        if node not in self._rec_cache:
            self._rec_cache[node] = str(
                self.store.scalar(f"SELECT rec FROM {RECORDS} WHERE node = ?", [node])
            )
        return self._rec_cache[node]

    def run(self) -> ResolveReport:
        self._timed("records", self.step_records)
        self._timed("identifier links", self.step_identifiers)
        self._timed("profiles", lambda: build_profiles(self.store))
        self._timed("probabilistic links", self.step_probabilistic)
        self._timed("clusters", self.step_clusters)
        self._timed("person ids", self.step_persons)
        storage.drop_splink_tables(self.store)
        return self.report

    def step_records(self) -> None:
        self.files_through = storage.last_file_id(self.store)
        self.n = build_records(self.store, self.catalog)
        self.report.records = self.n
        decisions = storage.steward_decisions(self.store)
        nodes = _nodes_of(self.store, sorted({d[0] for d in decisions} | {d[1] for d in decisions}))
        self.forced = [
            (nodes[a], nodes[b]) for a, b, d in decisions if d == "link" and a in nodes and b in nodes
        ]
        self.separated = [
            (nodes[a], nodes[b]) for a, b, d in decisions if d == "separate" and a in nodes and b in nodes
        ]

    def step_identifiers(self) -> None:
        build_identifier_edges(self.store)
        rows = self.store.conn.execute(f"SELECT l, r, kind FROM {EDGES} WHERE corroborated").fetchnumpy()
        kinds = [str(k) for k in rows["kind"]]
        tiers = ["fin" if k == "fin" else "identifier" for k in kinds]
        forced_l = np.array([a for a, _ in self.forced], dtype=np.int64)
        forced_r = np.array([b for _, b in self.forced], dtype=np.int64)
        graph = _Graph(
            np.concatenate([rows["l"].astype(np.int64), forced_l]),
            np.concatenate([rows["r"].astype(np.int64), forced_r]),
            tiers + ["steward"] * len(self.forced),
            kinds + ["steward decision"] * len(self.forced),
            np.ones(len(kinds) + len(self.forced)),
        )
        self.labels, uf = cluster_with_constraints(self.store, self.n, graph, self.separated)
        self.review += _review_rows(uf, self.rec)
        if uf is not None:
            self.flags += [(f.edge.left, "conflicting identifiers", f.reason) for f in uf.flags]
        uncorroborated = self.store.rows(f"""
            SELECT a.rec, b.rec, e.kind FROM {EDGES} e JOIN {RECORDS} a ON a.node = e.l JOIN {RECORDS} b ON b.node = e.r
            WHERE NOT e.corroborated""")
        self.review += [
            (str(a), str(b), "identifier", f"shares {k} but neither birth date nor names agree", 1.0)
            for a, b, k in uncorroborated
        ]
        self.report.identifier_links = len(kinds)
        _write_components(self.store, self.labels)

    def step_probabilistic(self) -> None:
        engine = _engine(self.store, self.home, self.options)
        engine.ensure_model(retrain=self.options.retrain)
        engine.predict_profile_pairs()
        self.model_version = engine.model_version

    def step_clusters(self) -> None:
        o = self.options
        accepted = self.store.conn.execute(f"""
            SELECT l_comp, r_comp, match_probability, rule FROM res_candidate_links
            WHERE match_probability >= {o.auto_threshold} AND hold_reason IS NULL ORDER BY ALL""").fetchnumpy()
        graph = _Graph(
            np.asarray(accepted["l_comp"], dtype=np.int64),
            np.asarray(accepted["r_comp"], dtype=np.int64),
            ["probabilistic"] * len(accepted["l_comp"]),
            [str(x) for x in accepted["rule"]],
            np.asarray(accepted["match_probability"], dtype=float),
        )
        final, uf = cluster_with_constraints(self.store, self.n, graph, self.separated, start=self.labels)
        self.review += _review_rows(uf, self.rec)
        self.report.refused_merges = 0 if uf is None else len(uf.refused)
        self.report.probabilistic_links = len(graph.left) - self.report.refused_merges
        self.final = final
        _write_components(self.store, final)
        held = self.store.rows(f"""
            SELECT arg_max(c.l_rec, c.match_probability), arg_max(c.r_rec, c.match_probability),
                   arg_max(coalesce(c.hold_reason, 'uncertain: below the automatic threshold'), c.match_probability),
                   max(c.match_probability)
            FROM res_candidate_links c JOIN {COMPONENTS} a ON a.node = c.l_node JOIN {COMPONENTS} b ON b.node = c.r_node
            WHERE a.comp <> b.comp AND (c.hold_reason IS NOT NULL OR c.match_probability < {o.auto_threshold})
            GROUP BY least(a.comp, b.comp), greatest(a.comp, b.comp)""")
        self.review += [(str(a), str(b), "probabilistic", str(reason), float(p)) for a, b, reason, p in held]
        oversized = self.store.rows(f"""
            SELECT comp, count(*) FROM {COMPONENTS} GROUP BY comp HAVING count(*) > {o.max_cluster_records}""")
        self.flags += [(int(c), "oversized cluster", f"{k} records") for c, k in oversized]

    def step_persons(self) -> None:
        counts = assign_person_ids(self.store, self.report.run_id)
        self.report.persons_created, self.report.persons_merged, self.report.persons_split = counts
        self.report.persons = int(self.store.scalar("SELECT count(DISTINCT person_id) FROM res_membership"))
        self._write_run()
        self.report.review_items = int(
            self.store.scalar(
                "SELECT count(*) FROM res_review WHERE status = 'open' AND run_id = ?", [self.report.run_id]
            )
        )

    def _write_run(self) -> None:
        with self.store.transaction():
            self.store.execute("DELETE FROM res_review WHERE status = 'open'")
            if self.review:
                frame = pd.DataFrame(
                    self.review, columns=["rec_l", "rec_r", "tier", "reason", "match_probability"]
                )
                frame["run_id"] = self.report.run_id
                self.store.conn.register("_review_df", frame)
                self.store.execute("""
                    INSERT INTO res_review (rec_l, rec_r, tier, reason, match_probability, run_id)
                    SELECT d.rec_l, d.rec_r, d.tier, d.reason, d.match_probability, d.run_id FROM _review_df d
                    JOIN res_membership a ON a.rec = d.rec_l JOIN res_membership b ON b.rec = d.rec_r
                    WHERE a.person_id <> b.person_id""")  # pairs already together need no reviewer
                self.store.conn.unregister("_review_df")
            self._write_links()
            self._write_flags()
            storage.set_watermark(self.store, self.files_through, self.report.run_id)
            storage.set_resolved_sources(self.store, {s.name for s in self.catalog.sources})
            o = self.options
            self.store.execute(
                "INSERT INTO res_runs VALUES (?, now(), ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    self.report.run_id,
                    self.ctx.actor.user,
                    self.ctx.purpose.value,
                    self.report.records,
                    self.report.persons,
                    o.auto_threshold,
                    o.review_threshold,
                    self.model_version,
                    o.engine,
                ],
            )

    def _write_links(self) -> None:
        self.store.execute("DELETE FROM res_links")
        self.store.execute(f"""
            INSERT INTO res_links SELECT a.rec, b.rec, CASE WHEN e.kind = 'fin' THEN 'fin' ELSE 'identifier' END,
                   'shared ' || e.kind, 1.0, NULL, {self.report.run_id}
            FROM {EDGES} e JOIN {RECORDS} a ON a.node = e.l JOIN {RECORDS} b ON b.node = e.r
            JOIN {COMPONENTS} ca ON ca.node = e.l JOIN {COMPONENTS} cb ON cb.node = e.r
            WHERE e.corroborated AND ca.comp = cb.comp""")
        self.store.execute(f"""
            INSERT INTO res_links SELECT c.l_rec, c.r_rec, 'probabilistic', c.rule, c.match_probability,
                   c.match_weight, {self.report.run_id}
            FROM res_candidate_links c JOIN {COMPONENTS} a ON a.node = c.l_node JOIN {COMPONENTS} b ON b.node = c.r_node
            WHERE a.comp = b.comp AND c.match_probability >= {self.options.auto_threshold} AND c.hold_reason IS NULL""")

    def _write_flags(self) -> None:
        self.store.execute("DELETE FROM res_person_flags")
        if not self.flags:
            return
        frame = pd.DataFrame(self.flags, columns=["node", "flag", "detail"])
        self.store.conn.register("_flags_df", frame)
        self.store.execute(f"""INSERT INTO res_person_flags SELECT m.person_id, f.flag, f.detail, {self.report.run_id}
                               FROM _flags_df f JOIN {RECORDS} r ON r.node = f.node JOIN res_membership m ON m.rec = r.rec""")
        self.store.conn.unregister("_flags_df")


def _engine(store: Store, home: Path, options: ResolveOptions) -> SplinkEngine:
    if options.engine == "duckdb":
        return SplinkEngine(store, home, options)
    if options.engine == "spark":
        from immigrationos.resolution.spark_engine import SparkSplinkEngine

        return SparkSplinkEngine(store, home, options, options.spark_master)
    raise ConfigurationError(f"unknown engine {options.engine!r}: use duckdb or spark")


def _replace_membership(store: Store, run_id: int) -> None:
    """Make res_membership equal to _membership_now by updating rows in place: deleting every row and
    inserting it again rewrites the primary-key index, and DuckDB took 94 s to commit that at 1M persons."""
    store.execute("DELETE FROM res_membership WHERE rec NOT IN (SELECT rec FROM _membership_now)")
    store.execute(f"""UPDATE res_membership m SET person_id = n.person_id, run_id = {run_id}
                      FROM _membership_now n WHERE m.rec = n.rec""")
    store.execute(f"""INSERT INTO res_membership SELECT rec, person_id, {run_id} FROM _membership_now
                      WHERE rec NOT IN (SELECT rec FROM res_membership)""")


def assign_person_ids(store: Store, run_id: int) -> tuple[int, int, int]:
    """Keep each person's id where its records stay together; record merges and splits as events.

    A new cluster inherits the old id holding most of its records (ties to the smaller id); an old id
    is inherited at most once. Clusters without an heir get fresh ids in the order of their first
    record, so the same records always get the same persons whatever order they were loaded in.
    """
    store.execute(f"""
        CREATE OR REPLACE TEMP TABLE _overlap AS
        SELECT c.comp, m.person_id, count(*) AS n FROM {COMPONENTS} c JOIN {RECORDS} r USING (node)
        JOIN res_membership m ON m.rec = r.rec GROUP BY ALL""")
    heirs: dict[int, int] = {}
    taken: set[int] = set()
    for comp, pid, _n in store.rows(
        "SELECT comp, person_id, n FROM _overlap ORDER BY n DESC, person_id, comp"
    ):
        if comp not in heirs and pid not in taken:
            heirs[int(comp)] = int(pid)
            taken.add(int(pid))
    orphans = [
        int(c)
        for (c,) in store.rows(f"""
        SELECT comp FROM {COMPONENTS} c JOIN {RECORDS} r USING (node) GROUP BY comp ORDER BY min(r.rec)""")
        if int(c) not in heirs
    ]
    first = int(store.scalar("SELECT nextval('res_person_ids')")) if orphans else 0
    if orphans:
        store.rows(f"SELECT setval('res_person_ids', {first + len(orphans) - 1})")
    assignment = {**heirs, **{c: first + i for i, c in enumerate(orphans)}}
    store.conn.register(
        "_assign_df", pd.DataFrame({"comp": list(assignment), "person_id": list(assignment.values())})
    )
    merged = store.rows("""SELECT a.person_id, o.person_id, o.n FROM _overlap o JOIN _assign_df a USING (comp)
                           WHERE o.person_id <> a.person_id""")
    store.execute(f"""CREATE OR REPLACE TEMP TABLE _membership_now AS SELECT r.rec, a.person_id
                      FROM {COMPONENTS} c JOIN {RECORDS} r USING (node) JOIN _assign_df a USING (comp)""")
    with store.transaction():
        _replace_membership(store, run_id)
        inherited = set(assignment.values())
        events: list[tuple[str, int, int | None, int | None]] = [
            ("merged" if int(a) not in inherited else "split", int(s), int(a), int(n)) for s, a, n in merged
        ]
        events += [("created", assignment[comp], None, None) for comp in orphans]
        if events:
            store.conn.register(
                "_events_df", pd.DataFrame(events, columns=["kind", "person_id", "other", "n"])
            )
            store.execute(f"""INSERT INTO res_person_events SELECT nextval('res_event_ids'), {run_id}, kind,
                              person_id, other, n, now() FROM _events_df""")
            store.conn.unregister("_events_df")
    store.conn.unregister("_assign_df")
    store.execute("DROP TABLE _membership_now")
    created = len(orphans)
    merges = sum(1 for _s, a, _n in merged if int(a) not in assignment.values())
    splits = sum(1 for _s, a, _n in merged if int(a) in assignment.values())
    return created, merges, splits


def resolve(
    ctx: RequestContext,
    store: Store,
    *,
    catalog: Catalog,
    home: Path,
    options: ResolveOptions | None = None,
    on_step: StepFn | None = None,
) -> ResolveReport:
    """Resolve every stored record to a person (see the module docstring for the steps)."""
    require_context(ctx)
    options = options or ResolveOptions()
    scope = matching_catalog(store, catalog, options.on or date.today())
    report = Resolver(ctx, store, scope.catalog, options, home, on_step).run()
    report.excluded = scope.excluded
    audit.record(
        ctx,
        store,
        "resolution.run",
        justification=f"run {report.run_id}: {report.records} records, {report.persons} persons, "
        f"{report.review_items} to review"
        + "".join(f"; {source}: {why}" for source, why in sorted(scope.excluded.items())),
    )
    return report
