"""A registration several persons could have made: resolution holds it for review, and the case is
matched by the exit record when exactly one candidate left, by an officer otherwise.

Built on the small resolved world: registrants without passport or A-number, each with a namesake
(an arrival record with the same name and birth date but another passport; for one of them, a
registration and a namesake each a year off the registrant's birth date, so the registration fits
both about equally), then a full resolve."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from immigrationos.cli.main import app
from immigrationos.config import Settings
from immigrationos.context import make_context
from immigrationos.departures import workflow
from immigrationos.departures.cases import sync_cases
from immigrationos.departures.intake import process_feed
from immigrationos.departures.ledger import reconcile
from immigrationos.departures.models import default_policy
from immigrationos.errors import TransitionError
from immigrationos.lifecycle.pipeline import run_lifecycle
from immigrationos.resolution.pipeline import resolve
from immigrationos.resolution.reasons import FITS_TWO_PERSONS
from immigrationos.sources.catalog import default_catalog
from immigrationos.store.engine import Store, store_session
from immigrationos.synth.world import world_as_of
from tests.departures.test_flow import _identity, _pick, _write, runner

OFFICER = make_context("officer-2", "departure_assistance")
STEWARD = make_context("test-steward", "data_management", roles=frozenset({"data_steward"}))


@dataclass
class Namesakes:
    home: Path
    as_of: date
    who: dict[str, dict[str, Any]]  # scenario -> the registrant (a person of the world)


def _registration(i: int, p: dict[str, Any], registered: date, planned: date) -> dict[str, Any]:
    """Only what the registrant typed: name, birth date and sex (no passport, no A-number)."""
    return {
        "record_id": f"N-{i}-R",
        "registration_id": f"SD-NAMESAKE{i:03d}",
        "event_type": "REGISTERED",
        "event_date": registered,
        "planned_departure_date": planned,
        "destination_country": p["passport_country"],
        **{k: p[k] for k in ("given_name", "family_name", "dob", "sex")},
        "passport_number": None,
        "passport_country": None,
    }


def _arrival_of_namesake(i: int, p: dict[str, Any], on: date) -> dict[str, Any]:
    return {
        "record_id": f"N-{i}-A",
        "event_type": "ARRIVAL",
        "event_date": on,
        "travel_mode": "AIR",
        "citizenship_country": p["passport_country"],
        **_identity(p),
        "passport_number": f"NS{i}{p['passport_number']}",
    }


def _exit(record_id: str, identity: dict[str, Any], on: date) -> dict[str, Any]:
    return {
        "record_id": record_id,
        "event_type": "DEPARTURE",
        "event_date": on,
        "travel_mode": "AIR",
        "citizenship_country": identity["passport_country"],
        **identity,
    }


def _years_on(born: date, years: int) -> date:
    """The same day ``years`` years away, in the same decade (so only the year's last digit differs)."""
    return born.replace(year=born.year + (years if born.year % 10 <= 7 else -years))


@pytest.fixture(scope="module")
def namesakes(resolved: Path, world: Path, tmp_path_factory: pytest.TempPathFactory) -> Namesakes:
    home = tmp_path_factory.mktemp("namesakes") / "home"
    shutil.copytree(resolved, home)
    as_of = world_as_of(world)
    with store_session(Settings(home=home)) as store:
        run_lifecycle(STEWARD, store, catalog=default_catalog(), as_of=as_of)
        picked = _pick(store, "overstay", 6)
        picked = [*picked[:3], next(p for p in picked[3:] if (p["dob"].month, p["dob"].day) != (2, 29))]
    who = dict(zip(["alone_left", "both_left", "identified", "fits_two"], picked, strict=True))
    registered, planned = as_of - timedelta(days=60), as_of - timedelta(days=45)
    app = [_registration(i, p, registered, planned) for i, p in enumerate(who.values())]
    app[2] |= {"passport_number": who["identified"]["passport_number"]}
    app[2] |= {"passport_country": who["identified"]["passport_country"]}
    namesake_arrivals = [
        _arrival_of_namesake(i, who[k], as_of - timedelta(days=400)) for i, k in enumerate(who)
    ]
    born = who["fits_two"]["dob"]
    app[3] |= {"dob": _years_on(born, 1)}  # one digit from the registrant's birth date...
    namesake_arrivals[3] |= {"dob": _years_on(born, 2)}  # ...and from this namesake's
    exits = [
        _exit("N-0-X", _identity(who["alone_left"]), planned + timedelta(days=2)),
        _exit("N-1-X", _identity(who["both_left"]), planned + timedelta(days=1)),
        _exit(
            "N-1-NX",
            {**_identity(who["both_left"]), "passport_number": namesake_arrivals[1]["passport_number"]},
            planned + timedelta(days=3),
        ),
        _exit("N-3-X", _identity(who["fits_two"]), planned + timedelta(days=2)),
    ]
    feed = tmp_path_factory.mktemp("namesake-feed")
    files = [
        _write(feed / "self_departure_app-namesakes.csv", app),
        _write(feed / "cbp_i94-namesakes.csv", namesake_arrivals + exits),
    ]
    with store_session(Settings(home=home)) as store:
        process_feed(OFFICER, store, files, catalog=default_catalog(), policy=default_policy(), as_of=as_of)
        resolve(STEWARD, store, catalog=default_catalog(), home=home)
        run_lifecycle(STEWARD, store, catalog=default_catalog(), as_of=as_of)
        sync_cases(OFFICER, store, default_policy(), as_of)
    return Namesakes(home, as_of, who)


@pytest.fixture
def store(namesakes: Namesakes) -> Any:
    with store_session(Settings(home=namesakes.home)) as s:
        yield s


def _case(store: Store, registration_id: str) -> dict[str, Any]:
    case = store.record(
        "SELECT * FROM dep_cases WHERE list_contains(registration_ids, ?) AND state <> 'closed'",
        [registration_id],
    )
    assert case is not None, f"no open case for {registration_id}"
    return case


def _person_of(store: Store, rec: str) -> int:
    return int(store.scalar("SELECT person_id FROM res_membership WHERE rec = ?", [rec]))


def test_resolution_holds_the_registrations_for_their_shared_description(store: Store) -> None:
    for i in (0, 1):
        rec = f"self_departure_app:N-{i}-R"
        person = _person_of(store, rec)
        others = store.scalar(
            "SELECT count(*) FROM res_membership WHERE person_id = ? AND rec <> ?", [person, rec]
        )
        reasons = {
            str(r)
            for (r,) in store.rows(
                "SELECT reason FROM res_review WHERE status = 'open' AND ? IN (rec_l, rec_r)", [rec]
            )
        }
        assert others == 0
        assert any(r.startswith("name and birth date shared") for r in reasons), reasons


def test_the_one_candidate_who_left_is_matched_and_confirmed(namesakes: Namesakes, store: Store) -> None:
    case = _case(store, "SD-NAMESAKE000")
    assert case["matched_by"].startswith("departure corroboration")
    assert _person_of(store, case["matched_rec"]) == namesakes.who["alone_left"]["person_id"]
    assert "only person" in case["matched_note"]
    assert "has an exit record" in case["matched_note"]
    assert case["state"] == "departed"
    assert case["evidence_grade"] == "strong"
    assert case["evidence_rec"] == "cbp_i94:N-0-X"
    assert case["match_basis"].startswith("matched by departure corroboration")


def test_a_registration_fitting_two_persons_is_told_apart_by_the_exit(
    namesakes: Namesakes, store: Store
) -> None:
    """Registrant and namesake are each one digit from what was typed, so resolution holds the
    registration as fitting both; only the registrant left, so corroboration matches it to them."""
    rec = "self_departure_app:N-3-R"
    reasons = {
        str(r)
        for (r,) in store.rows(
            "SELECT reason FROM res_review WHERE status = 'open' AND ? IN (rec_l, rec_r)", [rec]
        )
    }
    assert any(r.startswith(FITS_TWO_PERSONS) for r in reasons), reasons
    case = _case(store, "SD-NAMESAKE003")
    assert case["matched_by"].startswith("departure corroboration")
    assert _person_of(store, case["matched_rec"]) == namesakes.who["fits_two"]["person_id"]
    assert case["state"] == "departed"
    assert case["evidence_rec"] == "cbp_i94:N-3-X"


def test_two_candidates_leaving_leave_the_case_to_an_officer(namesakes: Namesakes, store: Store) -> None:
    case = _case(store, "SD-NAMESAKE001")
    assert case["state"] == "registered"
    assert case["matched_rec"] is None
    view = workflow.case_view(OFFICER, store, int(case["case_id"]))
    leaving = [c for c in view["candidates"] if c["exits"]]
    assert len(leaving) == 2, view["candidates"]
    assert namesakes.who["both_left"]["person_id"] in {c["person_id"] for c in leaving}


def test_an_officer_settles_it_and_the_next_sync_confirms(namesakes: Namesakes, store: Store) -> None:
    case = _case(store, "SD-NAMESAKE001")
    own = str(
        store.scalar(
            "SELECT min(rec) FROM res_membership WHERE person_id = ? AND rec LIKE 'cbp_i94:%'",
            [namesakes.who["both_left"]["person_id"]],
        )
    )
    with pytest.raises(TransitionError, match="a reason is required"):
        workflow.match_registration(OFFICER, store, int(case["case_id"]), record=own, reason=" ")
    workflow.match_registration(
        OFFICER, store, int(case["case_id"]), record=own, reason="passport shown at the consulate"
    )
    sync_cases(OFFICER, store, default_policy(), namesakes.as_of)
    after = _case(store, "SD-NAMESAKE001")
    assert after["matched_by"] == "officer officer-2"
    assert after["state"] == "departed"
    assert after["evidence_rec"] == "cbp_i94:N-1-X"
    logged = store.scalar(
        "SELECT count(*) FROM audit_log WHERE event = 'departures.match' AND actor = 'officer-2'"
    )
    assert logged == 1
    assert sync_cases(OFFICER, store, default_policy(), namesakes.as_of).transitions == 0


def test_a_registration_resolution_tied_to_a_person_is_not_rematched(store: Store) -> None:
    case = _case(store, "SD-NAMESAKE002")
    assert case["matched_rec"] is None
    assert case["state"] != "registered"
    with pytest.raises(TransitionError, match="already ties the registration"):
        workflow.match_registration(
            OFFICER, store, int(case["case_id"]), record="cbp_i94:N-2-A", reason="looks alike"
        )


def test_stipends_of_matched_cases_reconcile_to_the_matched_persons_exits(store: Store) -> None:
    workflow.pay_all_due(OFFICER, store, default_policy())
    paid = {
        str(r)
        for (r,) in store.rows(
            "SELECT t.evidence_rec FROM dep_ledger_txns t JOIN dep_cases c USING (case_id) "
            "WHERE t.kind = 'stipend' AND c.matched_rec IS NOT NULL"
        )
    }
    assert "cbp_i94:N-0-X" in paid
    books = reconcile(store, default_policy())
    assert books["balanced"]
    assert books["payments_with_issues"] == []


def test_the_show_and_match_commands(namesakes: Namesakes) -> None:
    home = ["--home", str(namesakes.home)]
    with store_session(Settings(home=namesakes.home)) as store:
        case_id = str(_case(store, "SD-NAMESAKE000")["case_id"])
    shown = runner.invoke(app, [*home, "departures", "show", case_id])
    assert shown.exit_code == 0, shown.output
    assert "matched to cbp_i94:" in shown.output
    assert "candidate person" in shown.output
    match = ["departures", "match", case_id, "--record", "cbp_i94:NOPE", "--reason", "a hunch"]
    wrong_purpose = runner.invoke(app, [*home, *match])
    assert wrong_purpose.exit_code == 1
    assert "serves departure_assistance" in wrong_purpose.output
    refused = runner.invoke(app, [*home, "--purpose", "departure_assistance", *match])
    assert refused.exit_code == 1
    assert "no resolved record 'cbp_i94:NOPE'" in refused.output


def test_a_match_to_a_person_with_a_case_of_their_own_is_refused(store: Store) -> None:
    """One person, one case, one stipend: the officer closes the duplicate instead."""
    held = _case(store, "SD-NAMESAKE001")
    with pytest.raises(TransitionError, match="already has case"):
        workflow.match_registration(
            OFFICER, store, int(held["case_id"]), record="self_departure_app:N-2-R", reason="same person"
        )


def test_the_matched_persons_own_registration_joins_the_matched_case(
    namesakes: Namesakes, tmp_path: Path
) -> None:
    """One person, one case: the person a registration was matched to registers again, with a passport;
    their new case is merged into the matched one."""
    person = namesakes.who["alone_left"]
    again = _registration(
        10, person, namesakes.as_of - timedelta(days=5), namesakes.as_of + timedelta(days=9)
    )
    again |= {k: person[k] for k in ("passport_number", "passport_country")}
    feed = _write(tmp_path / "self_departure_app-again.csv", [again])
    with store_session(Settings(home=namesakes.home)) as store:
        matched = int(_case(store, "SD-NAMESAKE000")["case_id"])
        process_feed(
            OFFICER, store, [feed], catalog=default_catalog(), policy=default_policy(), as_of=namesakes.as_of
        )
        assert _person_of(store, "self_departure_app:N-10-R") == person["person_id"]
        own = store.record(
            "SELECT state, closed_reason FROM dep_cases WHERE registration_ids[1] = 'SD-NAMESAKE010'"
        )
        assert own == {"state": "closed", "closed_reason": f"merged into case {matched}"}
        case = _case(store, "SD-NAMESAKE000")
        assert case["case_id"] == matched
        assert "SD-NAMESAKE010" in case["registration_ids"]
        assert sync_cases(OFFICER, store, default_policy(), namesakes.as_of).transitions == 0
