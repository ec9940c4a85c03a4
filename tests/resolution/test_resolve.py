"""Resolution on a generated world, measured against its ground truth."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from immigrationos.config import Settings
from immigrationos.context import make_context
from immigrationos.resolution.evaluate import resolution_quality
from immigrationos.resolution.explain import ExplainError, explain_pair, explain_person
from immigrationos.resolution.service import StewardError, decide, review_queue
from immigrationos.store.engine import Store, store_session
from tests.conftest import ingest_and_resolve

CTX = make_context("analyst", "oversight")


def _quality(store: Store, world: Path) -> dict[str, object]:
    store.execute("CREATE OR REPLACE TEMP TABLE _a AS SELECT rec, person_id AS person FROM res_membership")
    return resolution_quality(store, world / "ground_truth", "_a")


def _partition(store: Store) -> set[frozenset[str]]:
    rows = store.rows("SELECT list(rec ORDER BY rec) FROM res_membership GROUP BY person_id")
    return {frozenset(r[0]) for r in rows}


def test_resolution_is_accurate_against_the_ground_truth(resolved: Path, world: Path) -> None:
    with store_session(Settings(home=resolved)) as store:
        q = _quality(store, world)
    assert q["pairwise"]["precision"] >= 0.995  # type: ignore[index]
    assert q["pairwise"]["recall"] >= 0.97  # type: ignore[index]
    assert q["records"] == store_records(resolved)


def store_records(home: Path) -> int:
    with store_session(Settings(home=home)) as store:
        return int(store.scalar("SELECT count(*) FROM res_records"))


def test_no_person_holds_two_a_numbers_or_fingerprints_unflagged(resolved: Path) -> None:
    with store_session(Settings(home=resolved)) as store:
        mixed = store.rows("""
            SELECT m.person_id FROM res_membership m JOIN res_records r USING (rec)
            GROUP BY m.person_id HAVING count(DISTINCT r.a_number) > 1 OR count(DISTINCT r.fin) > 1
            EXCEPT SELECT person_id FROM res_person_flags""")
    assert mixed == []


def test_review_items_are_open_questions_with_reasons(resolved: Path) -> None:
    with store_session(Settings(home=resolved)) as store:
        items = review_queue(CTX, store, limit=500)
        assert items, "a realistic world always leaves some pairs for a human"
        for item in items:
            persons = store.rows(
                "SELECT DISTINCT person_id FROM res_membership WHERE rec IN (?, ?)",
                [item["left"], item["right"]],
            )
            assert len(persons) == 2, "a reviewed pair is still undecided: two persons"
            assert item["reason"]


def test_explain_a_pair_adds_up_and_names_the_evidence(resolved: Path) -> None:
    with store_session(Settings(home=resolved)) as store:
        left, right = store.rows(
            "SELECT rec_l, rec_r FROM res_links WHERE tier = 'probabilistic' ORDER BY rec_l LIMIT 1"
        )[0]
        data = explain_pair(CTX, store, left, right, model_path=resolved / "resolution_model.json")
        assert data["same_person"] is True
        steps = data["probabilistic"]["steps"]
        assert sum(s["match_weight"] for s in steps) == pytest.approx(
            data["probabilistic"]["match_weight"], abs=0.05
        )
        assert {s["comparison"] for s in steps} >= {"prior", "given_name", "family_name", "dob"}
        with pytest.raises(ExplainError, match="no record"):
            explain_pair(CTX, store, left, "cbp_i94:nope", model_path=resolved / "resolution_model.json")


def test_explain_a_held_pair_says_why_it_waits(resolved: Path) -> None:
    with store_session(Settings(home=resolved)) as store:
        left, right, reason = store.rows(
            """SELECT v.rec_l, v.rec_r, v.reason FROM res_review v JOIN res_membership a ON a.rec = v.rec_l
               JOIN res_membership b ON b.rec = v.rec_r WHERE v.status = 'open' AND v.tier = 'probabilistic'
               AND a.person_id <> b.person_id ORDER BY v.rec_l LIMIT 1"""
        )[0]
        data = explain_pair(CTX, store, left, right, model_path=resolved / "resolution_model.json")
        assert data["same_person"] is False
        assert reason in {h["reason"] for h in data["held_for_review"]}
        linked = store.rows("SELECT rec_l, rec_r FROM res_links ORDER BY rec_l LIMIT 1")[0]
        assert (
            explain_pair(CTX, store, *linked, model_path=resolved / "resolution_model.json")[
                "held_for_review"
            ]
            == []
        )


def test_explain_a_person_lists_links_over_all_its_records(resolved: Path) -> None:
    with store_session(Settings(home=resolved)) as store:
        pid = store.scalar(
            "SELECT person_id FROM res_membership GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        )
        data = explain_person(CTX, store, int(pid))
    linked = {link["left"] for link in data["links"]} | {link["right"] for link in data["links"]}
    assert linked == set(data["records"])
    assert {link["tier"] for link in data["links"]} <= {"fin", "identifier", "probabilistic", "steward"}


def _copy_store(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_steward_decisions_survive_every_later_run(resolved: Path, tmp_path: Path) -> None:
    home = _copy_store(resolved, tmp_path / "home")
    from immigrationos.resolution.pipeline import resolve
    from immigrationos.sources.catalog import default_catalog

    ops = make_context("steward", "data_management")
    with store_session(Settings(home=home)) as store:
        left, right = store.rows(
            "SELECT rec_l, rec_r FROM res_links WHERE tier = 'probabilistic' ORDER BY rec_l LIMIT 1"
        )[0]
        a, b = store.rows(
            "SELECT min(rec), max(rec) FROM res_membership WHERE person_id IN "
            "(SELECT min(person_id) FROM res_membership UNION SELECT max(person_id) FROM res_membership)"
        )[0]
        decide(
            ops,
            store,
            rec_a=left,
            rec_b=right,
            decision="separate",
            reason="different fathers' names on file",
        )
        decide(ops, store, rec_a=a, rec_b=b, decision="link", reason="confirmed in interview")
        with pytest.raises(StewardError, match="reason"):
            decide(ops, store, rec_a=a, rec_b=b, decision="link", reason=" ")
        for _ in range(2):
            resolve(ops, store, catalog=default_catalog(), home=home)
            persons = dict(
                store.rows(
                    "SELECT rec, person_id FROM res_membership WHERE rec IN (?, ?, ?, ?)", [left, right, a, b]
                )
            )
            assert persons[left] != persons[right]
            assert persons[a] == persons[b]


def test_same_records_in_any_order_give_the_same_persons(resolved: Path, world: Path, tmp_path: Path) -> None:
    shuffled = tmp_path / "shuffled"
    shuffled.mkdir()
    for i, path in enumerate(sorted(world.glob("*.parquet"), reverse=True)):
        table = pq.read_table(path)
        order = sorted(range(table.num_rows), key=lambda k: (k * 7919 + i) % max(table.num_rows, 1))
        pq.write_table(table.take(order), shuffled / path.name)
    files = sorted(shuffled.glob("*.parquet"), reverse=True)
    ingest_and_resolve(tmp_path / "home", files, model=resolved / "resolution_model.json")
    with store_session(Settings(home=resolved)) as a, store_session(Settings(home=tmp_path / "home")) as b:
        assert _partition(a) == _partition(b)
        ids_a = dict(a.rows("SELECT rec, person_id FROM res_membership"))
        ids_b = dict(b.rows("SELECT rec, person_id FROM res_membership"))
    assert ids_a == ids_b


def test_person_ids_stay_stable_when_new_records_arrive(resolved: Path, world: Path, tmp_path: Path) -> None:
    first = [p for p in sorted(world.glob("*.parquet")) if p.stem not in ("irs_filings", "hhs_enrollment")]
    home = tmp_path / "home"
    ingest_and_resolve(home, first, model=resolved / "resolution_model.json")
    with store_session(Settings(home=home)) as store:
        before = dict(store.rows("SELECT rec, person_id FROM res_membership"))
    report = ingest_and_resolve(
        home,
        [world / "irs_filings.parquet", world / "hhs_enrollment.parquet"],
        model=resolved / "resolution_model.json",
    )
    with store_session(Settings(home=home)) as store:
        after = dict(store.rows("SELECT rec, person_id FROM res_membership"))
        events = dict(
            store.rows(
                "SELECT kind, count(*) FROM res_person_events WHERE run_id = ? GROUP BY 1", [report.run_id]
            )
        )
    kept = sum(1 for rec, pid in before.items() if after[rec] == pid)
    assert kept / len(before) >= 0.99
    assert len(after) > len(before)
    assert events.get("merged", 0) == report.persons_merged


def test_a_run_leaves_no_splink_working_tables_in_the_store(resolved: Path) -> None:
    with store_session(Settings(home=resolved), read_only=True) as store:
        left = store.scalar(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '%splink%' AND NOT temporary"
        )
    assert left == 0
