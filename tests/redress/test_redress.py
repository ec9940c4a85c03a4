"""Redress end to end on a resolved world: a citizen wrongly merged with a person on the worklist
contests the link; the link is split; after the next resolution the citizen is off the worklist, the
earlier readers are named for notice, and the audit log shows every step."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from immigrationos.config import Settings
from immigrationos.context import make_context
from immigrationos.errors import TransitionError
from immigrationos.lifecycle.pipeline import run_lifecycle
from immigrationos.lifecycle.rules import default_events, default_rules
from immigrationos.lifecycle.timeline import view_person
from immigrationos.priority.models import default_policy
from immigrationos.priority.worklist import build_worklist
from immigrationos.redress.service import decide_contest, file_contest, statements
from immigrationos.resolution.pipeline import resolve
from immigrationos.resolution.service import decide as steward
from immigrationos.sources.catalog import default_catalog
from immigrationos.store.engine import Store, store_session
from immigrationos.synth.world import world_as_of

OPERATOR = make_context("operator", "data_management", roles=frozenset({"data_steward"}))
ANALYST = make_context("analyst-1", "enforcement", roles=frozenset({"analyst"}))
COUNSEL = make_context("counsel-for-citizen", "redress", roles=frozenset())
OFFICER = make_context("redress-officer", "redress", roles=frozenset({"redress_officer"}))


def _refresh(store: Store, home: Path, world: Path) -> None:
    resolve(OPERATOR, store, catalog=default_catalog(), home=home)
    run_lifecycle(OPERATOR, store, catalog=default_catalog(), as_of=world_as_of(world))
    build_worklist(ANALYST, store, default_policy(), world_as_of(world))


def _person_of(store: Store, rec: str) -> int:
    return int(store.scalar("SELECT person_id FROM res_membership WHERE rec = ?", [rec]))


def _open_entry(store: Store, person: int) -> bool:
    return bool(
        store.scalar(
            "SELECT count(*) FROM pri_entries WHERE person_id = ? AND state NOT IN ('withdrawn', 'dismissed')",
            [person],
        )
    )


def test_a_wrongly_merged_citizen_contests_and_leaves_the_worklist(
    built: Path, world: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(built, home)  # resolved, with the lifecycle and the worklist built
    as_of = world_as_of(world)
    with store_session(Settings(home=home)) as store:
        p_rec = str(
            store.scalar("""SELECT e.rec FROM life_events e JOIN pri_entries p USING (person_id)
            WHERE e.kind = 'REMOVAL_ORDERED' AND p.state = 'candidate' ORDER BY e.rec LIMIT 1""")
        )
        c_rec = str(
            store.scalar("""SELECT e.rec FROM life_events e JOIN life_status s USING (person_id)
            WHERE s.status = 'us_citizen' AND e.kind = 'SSN_ISSUED' AND e.code = 'A' ORDER BY e.rec LIMIT 1""")
        )
        # the wrong merge (here forced, as a faulty link would do it)
        steward(OPERATOR, store, rec_a=c_rec, rec_b=p_rec, decision="link", reason="test: a wrong merge")
        _refresh(store, home, world)
        merged = _person_of(store, c_rec)
        assert merged == _person_of(store, p_rec)
        assert not _open_entry(store, merged)  # citizenship evidence withdrew the entry at once
        view_person(
            ANALYST,
            store,
            merged,
            catalog=default_catalog(),
            events=default_events(),
            rules=default_rules(),
            as_of=as_of,
        )
        contest = file_contest(
            COUNSEL,
            store,
            person_id=merged,
            subject="link",
            reference=f"{c_rec}|{p_rec}",
            statement="I am a US citizen; the removal order is another person's.",
        )
        assert statements(store, merged)  # open: the statement travels with the data
        with pytest.raises(TransitionError, match="may not decide"):
            decide_contest(ANALYST, store, contest, accept=True, reason="x")
        decision = decide_contest(
            OFFICER, store, contest, accept=True, reason="birth record and SSA record confirm"
        )
        assert decision.notify == ["analyst-1"]
        _refresh(store, home, world)
        citizen, other = _person_of(store, c_rec), _person_of(store, p_rec)
        assert citizen != other
        assert not _open_entry(store, citizen)
        assert _open_entry(store, other)  # the removable person is proposed again, on their own records
        assert (
            str(store.scalar("SELECT status FROM life_status WHERE person_id = ?", [citizen])) == "us_citizen"
        )
        steps = [str(e) for (e,) in store.rows("SELECT event FROM audit_log ORDER BY seq")]
    asked = [e for e in steps if e.split(".")[0] in ("person", "redress")]
    assert asked == ["person.view", "redress.contest", "redress.accept"]
    after_accept = steps[steps.index("redress.accept") :]
    assert after_accept[1:4] == [
        "resolution.run",
        "lifecycle.run",
        "worklist.build",
    ]  # the correction applied


def test_a_rejected_contest_keeps_the_statement(store: Store) -> None:
    contest = file_contest(
        COUNSEL,
        store,
        person_id=7,
        subject="status",
        reference="overstay",
        statement="I filed an extension in time.",
    )
    decide_contest(OFFICER, store, contest, accept=False, reason="no extension on record at USCIS")
    assert "I filed an extension in time." in statements(store, 7)[0]
    with pytest.raises(TransitionError, match="already rejected"):
        decide_contest(OFFICER, store, contest, accept=True, reason="again")


@pytest.fixture(scope="module")
def built(resolved: Path, world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("corrections") / "home"
    shutil.copytree(resolved, home)
    with store_session(Settings(home=home)) as store:
        run_lifecycle(OPERATOR, store, catalog=default_catalog(), as_of=world_as_of(world))
        build_worklist(ANALYST, store, default_policy(), world_as_of(world))
    return home


def _entry_of(store: Store, category: str) -> tuple[int, int]:
    entry, person = store.rows(
        """SELECT entry_id, person_id FROM pri_entries WHERE state = 'candidate' AND list_contains(categories, ?)
           ORDER BY entry_id LIMIT 1""",
        [category],
    )[0]
    return int(entry), int(person)


def test_verified_citizenship_corrects_status_worklist_and_survives_a_rebuild(
    built: Path, world: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(built, home)
    as_of = world_as_of(world)
    with store_session(Settings(home=home)) as store:
        _entry, person = _entry_of(store, "final_order")
        contest = file_contest(
            COUNSEL,
            store,
            person_id=person,
            subject="status",
            reference="final_order",
            statement="I was born in Texas; the order is void.",
        )
        with pytest.raises(TransitionError, match="citizenship document"):
            decide_contest(
                OFFICER,
                store,
                contest,
                accept=True,
                reason="born in Texas",
                policy=default_policy(),
                on=as_of,
            )
        decision = decide_contest(
            OFFICER,
            store,
            contest,
            accept=True,
            reason="Texas birth certificate verified with the state",
            policy=default_policy(),
            on=as_of,
            document="Texas birth certificate 1987-0042",
        )
        assert "citizenship verified" in str(decision.correction)
        status = store.record("SELECT status, rule FROM life_status WHERE person_id = ?", [person])
        flags = {f for (f,) in store.rows("SELECT flag FROM life_flags WHERE person_id = ?", [person])}
        assert not _open_entry(store, person)
        view = view_person(
            ANALYST,
            store,
            person,
            catalog=default_catalog(),
            events=default_events(),
            rules=default_rules(),
            as_of=as_of,
        )
        run_lifecycle(OPERATOR, store, catalog=default_catalog(), as_of=as_of)  # a full rebuild keeps it
        rebuilt = str(store.scalar("SELECT status FROM life_status WHERE person_id = ?", [person]))
    assert status == {"status": "us_citizen", "rule": "naturalized_or_born_in_us"}
    assert "citizenship_evidence" in flags
    verified = [e for e in view.timeline if e.kind == "CITIZENSHIP_VERIFIED"]
    assert verified
    assert verified[0].provenance[0].source == "redress_corrections"
    assert rebuilt == "us_citizen"


def test_a_wrong_record_is_voided_and_its_events_leave_the_lifecycle(
    built: Path, world: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(built, home)
    as_of = world_as_of(world)
    with store_session(Settings(home=home)) as store:
        entry, person, rec = store.rows(
            """SELECT p.entry_id, p.person_id, min(e.rec) FROM pri_entries p JOIN life_events e USING (person_id)
               WHERE p.state = 'candidate' AND list_contains(p.categories, 'violent_conviction')
                 AND e.kind = 'CONVICTION' AND e.code LIKE 'VIOLENT:%'
               GROUP BY 1, 2 HAVING count(DISTINCT e.rec) = 1 ORDER BY 1 LIMIT 1"""
        )[0]
        contest = file_contest(
            COUNSEL,
            store,
            person_id=person,
            subject="record",
            reference=rec,
            statement="That conviction is another man's: the court file shows a different birth date.",
        )
        decide_contest(
            OFFICER,
            store,
            contest,
            accept=True,
            reason="the court confirms the conviction is someone else's",
            policy=default_policy(),
            on=as_of,
        )
        left = store.scalar("SELECT count(*) FROM life_events WHERE rec = ?", [rec])
        entry_now = store.record("SELECT state, categories FROM pri_entries WHERE entry_id = ?", [entry])
        run_lifecycle(OPERATOR, store, catalog=default_catalog(), as_of=as_of)
        after_rebuild = store.scalar("SELECT count(*) FROM life_events WHERE rec = ?", [rec])
        voided = store.scalar(
            "SELECT count(*) FROM life_events WHERE person_id = ? AND kind = 'RECORD_VOIDED'", [person]
        )
        stored = store.scalar(
            "SELECT count(*) FROM src_criminal_history WHERE 'criminal_history:' || record_id = ?", [rec]
        )
        events = [str(e) for (e,) in store.rows("SELECT event FROM audit_log ORDER BY seq")]
    assert left == 0
    assert after_rebuild == 0
    assert voided == 1  # the correction itself is on the timeline
    assert stored == 1  # nothing is lost: the record stays stored, voided
    assert entry_now is not None
    assert entry_now["state"] == "withdrawn" or "violent_conviction" not in entry_now["categories"]
    assert events[events.index("redress.contest") + 1 :][:3] == [
        "ingest.file",
        "worklist.build",
        "departures.sync",
    ]
