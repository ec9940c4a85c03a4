"""Self-departure cases end to end on a resolved world: a day's feed of registrations, exits, arrival
reports, app confirmations and an encounter goes through ingestion, incremental resolution, the lifecycle
and the cases; every state occurs; payments are once-only and only after a confirmed exit."""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from immigrationos.cli.main import app
from immigrationos.config import Settings
from immigrationos.context import RequestContext, make_context
from immigrationos.departures import workflow
from immigrationos.departures.cases import sync_cases
from immigrationos.departures.evaluate import departures_quality
from immigrationos.departures.intake import FeedReport, process_feed, validate_registration
from immigrationos.departures.ledger import balances, reconcile
from immigrationos.departures.models import default_policy
from immigrationos.errors import IngestError, TransitionError
from immigrationos.lifecycle.pipeline import run_lifecycle
from immigrationos.sources.catalog import default_catalog
from immigrationos.store.engine import Store, store_session
from immigrationos.synth.world import world_as_of

runner = CliRunner(env={"COLUMNS": "200"})
OFFICER = make_context("officer-1", "departure_assistance")


@dataclass
class Flow:
    home: Path
    as_of: date
    feed: FeedReport
    persons: dict[str, int]  # scenario -> the person the registrant really is


def _pick(store: Store, status: str, n: int) -> list[dict[str, Any]]:
    """Persons with a derived status and an arrival record carrying a passport (their identity)."""
    cursor = store.conn.execute(
        """SELECT DISTINCT ON (m.person_id) m.person_id, a.given_name, a.family_name, a.dob, a.sex,
                  a.passport_number, a.passport_country
           FROM src_cbp_i94 a JOIN res_membership m ON m.rec = 'cbp_i94:' || a.record_id
           JOIN life_status s USING (person_id)
           WHERE s.status = ? AND a.passport_number IS NOT NULL AND a.dob IS NOT NULL
             AND m.person_id NOT IN (SELECT person_id FROM life_events WHERE kind LIKE 'SELF_DEPARTURE%')
           ORDER BY m.person_id LIMIT ?""",
        [status, n],
    )
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _identity(p: dict[str, Any]) -> dict[str, Any]:
    return {
        k: p[k] for k in ("given_name", "family_name", "dob", "sex", "passport_number", "passport_country")
    }


@pytest.fixture(scope="module")
def flow(resolved: Path, world: Path, tmp_path_factory: pytest.TempPathFactory) -> Flow:
    home = tmp_path_factory.mktemp("departures") / "home"
    shutil.copytree(resolved, home)
    as_of = world_as_of(world)
    ctx = make_context("test-operator", "data_management")
    with store_session(Settings(home=home)) as store:
        run_lifecycle(ctx, store, catalog=default_catalog(), as_of=as_of)
        overstays = _pick(store, "overstay", 7)
        lpr = _pick(store, "lpr", 1)[0]
    names = ["strong", "twice", "weak", "medium_then_back", "withdrew", "unpaid", "planning"]
    who = dict(zip(names, overstays, strict=True)) | {"lawful": lpr}
    registered = as_of - timedelta(days=60)
    planned = as_of - timedelta(days=45)
    app_rows, exits, arrivals, encounters = [], [], [], []
    for i, (name, p) in enumerate(who.items()):
        base = {
            "event_date": registered,
            "planned_departure_date": as_of + timedelta(days=20) if name == "planning" else planned,
            "destination_country": p["passport_country"],
        }
        app_rows.append(
            {
                "record_id": f"T-{i}-R",
                "registration_id": f"SD-TEST{i:04d}",
                "event_type": "REGISTERED",
                **base,
                **_identity(p),
            }
        )
    ident = {k: _identity(who[k]) for k in who}
    app_rows.append(
        {
            "record_id": "T-1-R2",
            "registration_id": "SD-TEST0001B",
            "event_type": "REGISTERED",
            "event_date": registered + timedelta(days=3),
            "planned_departure_date": as_of
            + timedelta(days=10),  # a new plan: the latest registration's counts
            "destination_country": who["twice"]["passport_country"],
            **ident["twice"],
        }
    )
    app_rows.append(
        {
            "record_id": "T-1-T",
            "registration_id": "SD-TEST0001",
            "event_type": "TRAVEL_ARRANGED",
            "event_date": registered + timedelta(days=2),
            "planned_departure_date": as_of + timedelta(days=10),
            "destination_country": None,
            **ident["twice"],
        }
    )
    app_rows.append(
        {
            "record_id": "T-2-C",
            "registration_id": "SD-TEST0002",
            "event_type": "CONFIRMED_ABROAD",
            "event_date": planned + timedelta(days=2),
            "planned_departure_date": None,
            "destination_country": who["weak"]["passport_country"],
            **ident["weak"],
        }
    )
    app_rows.append(
        {
            "record_id": "T-4-W",
            "registration_id": "SD-TEST0004",
            "event_type": "WITHDRAWN",
            "event_date": registered + timedelta(days=5),
            "planned_departure_date": None,
            "destination_country": None,
            **ident["withdrew"],
        }
    )
    for key in ("strong", "unpaid"):
        exits.append(
            {
                "record_id": f"TX-{key}",
                "event_type": "DEPARTURE",
                "event_date": planned + timedelta(days=1),
                "travel_mode": "AIR",
                "citizenship_country": who[key]["passport_country"],
                **ident[key],
            }
        )
    arrivals.append(
        {
            "record_id": "TD-1",
            "reporting_country": who["medium_then_back"]["passport_country"],
            "arrival_date": planned,
            "travel_mode": "LAND",
            **ident["medium_then_back"],
        }
    )
    encounters.append(
        {
            "record_id": "TE-1",
            "event_type": "ENCOUNTER",
            "event_date": planned + timedelta(days=30),
            "given_name": who["medium_then_back"]["given_name"],
            "family_name": who["medium_then_back"]["family_name"],
            "dob": who["medium_then_back"]["dob"],
            "fin": None,
        }
    )
    feed = tmp_path_factory.mktemp("feed")
    files = [
        _write(feed / "self_departure_app-day1.csv", app_rows),
        _write(feed / "cbp_i94-day1.csv", exits),
        _write(feed / "destination_arrivals-day1.csv", arrivals),
    ]
    with store_session(Settings(home=home)) as store:
        report = process_feed(
            OFFICER, store, files, catalog=default_catalog(), policy=default_policy(), as_of=as_of
        )
        # the encounter carries no passport: link it by hand as the full resolution run would
        _write(feed / "ice_enforcement-day2.csv", encounters)
        process_feed(
            OFFICER,
            store,
            [feed / "ice_enforcement-day2.csv"],
            catalog=default_catalog(),
            policy=default_policy(),
            as_of=as_of,
        )
        person = who["medium_then_back"]["person_id"]
        store.execute("UPDATE res_membership SET person_id = ? WHERE rec = 'ice_enforcement:TE-1'", [person])
        store.execute("UPDATE life_events SET person_id = ? WHERE rec = 'ice_enforcement:TE-1'", [person])
        sync_cases(OFFICER, store, default_policy(), as_of)
    return Flow(home, as_of, report, {k: int(v["person_id"]) for k, v in who.items()})


def _case_of(store: Store, person: int) -> dict[str, Any]:
    cursor = store.conn.execute("SELECT * FROM dep_cases WHERE person_id = ? AND state <> 'closed'", [person])
    names = [c[0] for c in cursor.description]
    rows = cursor.fetchall()
    assert len(rows) == 1, f"expected one open case for person {person}, found {len(rows)}"
    return dict(zip(names, rows[0], strict=True))


@pytest.fixture
def store(flow: Flow) -> Any:
    with store_session(Settings(home=flow.home)) as s:
        yield s


def test_the_feed_flows_through_every_layer(flow: Flow) -> None:
    assert all(f.status == "complete" for f in flow.feed.files)
    attach = flow.feed.attach
    assert attach is not None
    assert attach.new_records == 15
    assert attach.attached == 15  # every record carried the passport of a known person
    assert flow.feed.events >= 15
    assert flow.feed.cases is not None
    assert flow.feed.cases.created >= 8  # ours, and the world's own registrants (first sync)


def test_each_registrant_reaches_the_state_the_evidence_calls_for(flow: Flow, store: Store) -> None:
    expected = {
        "strong": ("departed", "strong"),
        "unpaid": ("departed", "strong"),
        "twice": ("travel_arranged", None),
        "weak": ("overdue", "weak"),  # a self-report is shown, but confirms nothing
        "medium_then_back": ("reentered", "medium"),
        "withdrew": ("withdrawn", None),
        "lawful": ("flagged", None),
        "planning": ("matched", None),
    }
    for scenario, (state, grade) in expected.items():
        case = _case_of(store, flow.persons[scenario])
        assert (case["state"], case["evidence_grade"]) == (state, grade), scenario
    assert _case_of(store, flow.persons["twice"])["registration_ids"] == ["SD-TEST0001", "SD-TEST0001B"]
    assert "derived status lpr" in _case_of(store, flow.persons["lawful"])["flag_reason"]


def test_a_second_sync_changes_nothing(flow: Flow, store: Store) -> None:
    report = sync_cases(OFFICER, store, default_policy(), flow.as_of)
    assert (report.created, report.transitions, report.stuck) == (0, 0, [])


def test_stipend_is_paid_once_and_only_after_a_confirmed_exit(flow: Flow, store: Store) -> None:
    policy = default_policy()
    strong = int(_case_of(store, flow.persons["strong"])["case_id"])
    first = workflow.pay_stipend(OFFICER, store, policy, strong)
    again = workflow.pay_stipend(OFFICER, store, policy, strong)
    assert not first.already_paid
    assert again.already_paid
    assert again.txn_id == first.txn_id
    assert first.evidence_rec.startswith("cbp_i94:TX-")
    assert (
        store.scalar("SELECT count(*) FROM dep_ledger_txns WHERE case_id = ? AND kind = 'stipend'", [strong])
        == 1
    )
    for scenario, message in (
        ("weak", "overdue"),
        ("twice", "travel_arranged"),
        ("lawful", "flagged"),
        ("withdrew", "withdrawn"),
    ):
        case_id = int(_case_of(store, flow.persons[scenario])["case_id"])
        with pytest.raises(TransitionError, match=message):
            workflow.pay_stipend(OFFICER, store, policy, case_id)
    books = reconcile(store, policy)
    assert books["balanced"]
    assert books["payments_with_issues"] == []
    assert balances(store)["expense:stipends"] == policy.stipend_amount * books["stipends"]


def test_refused_transitions_say_why(flow: Flow, store: Store) -> None:
    policy = default_policy()
    departed = int(_case_of(store, flow.persons["unpaid"])["case_id"])
    with pytest.raises(TransitionError, match="departed: it cannot become withdrawn"):
        workflow.withdraw(OFFICER, store, departed, "changed mind")
    with pytest.raises(TransitionError, match="departed: it cannot become travel_arranged"):
        workflow.arrange_travel(
            OFFICER, store, policy, departed, cost=workflow.Decimal("400"), itinerary="X1"
        )
    lawful = int(_case_of(store, flow.persons["lawful"])["case_id"])
    with pytest.raises(TransitionError, match="flagged"):
        workflow.arrange_travel(OFFICER, store, policy, lawful, cost=workflow.Decimal("400"), itinerary="X2")
    with pytest.raises(TransitionError, match="a reason is required"):
        workflow.close(OFFICER, store, lawful, "  ")
    workflow.close(OFFICER, store, lawful, "registrant is a permanent resident: told they need not leave")
    with pytest.raises(TransitionError, match="closed"):
        workflow.withdraw(OFFICER, store, lawful, "again")


def test_arranged_travel_is_booked_once_per_itinerary(flow: Flow, store: Store) -> None:
    policy = default_policy()
    withdrew = int(_case_of(store, flow.persons["withdrew"])["case_id"])
    with pytest.raises(TransitionError, match="withdrawn: it cannot become travel_arranged"):
        workflow.arrange_travel(
            OFFICER, store, policy, withdrew, cost=workflow.Decimal("350"), itinerary="AB123"
        )


def test_one_person_is_paid_one_stipend_whatever_the_cases(flow: Flow, store: Store) -> None:
    """A case matched to a person whose own case was paid is not paid again; a second stipend made before
    resolution tied the two together shows in reconciliation."""
    policy = default_policy()
    paid = _case_of(store, flow.persons["strong"])
    workflow.pay_stipend(OFFICER, store, policy, int(paid["case_id"]))  # idempotent: paid once
    due = int(_case_of(store, flow.persons["unpaid"])["case_id"])
    theirs = store.scalar("SELECT min(rec) FROM res_membership WHERE person_id = ?", [paid["person_id"]])
    store.execute("UPDATE dep_cases SET matched_rec = ? WHERE case_id = ?", [theirs, due])
    try:
        with pytest.raises(TransitionError, match=f"already paid a stipend in case {paid['case_id']}"):
            workflow.pay_stipend(OFFICER, store, policy, due)
        refused: list[tuple[int, str]] = []
        workflow.pay_all_due(OFFICER, store, policy, refused)
        assert [c for c, why in refused if "one person, one stipend" in why] == [due]
        assert reconcile(store, policy)["persons_paid_twice"] == []
        store.execute("UPDATE dep_cases SET matched_rec = NULL WHERE case_id = ?", [due])
        workflow.pay_stipend(OFFICER, store, policy, due)
        store.execute("UPDATE dep_cases SET matched_rec = ? WHERE case_id = ?", [theirs, due])
        assert reconcile(store, policy)["persons_paid_twice"] == [paid["person_id"]]
    finally:
        store.execute("UPDATE dep_cases SET matched_rec = NULL WHERE case_id = ?", [due])
    assert reconcile(store, policy)["persons_paid_twice"] == []


def test_an_unmerged_confirmation_shows_in_reconciliation(flow: Flow, store: Store) -> None:
    policy = default_policy()
    case = _case_of(store, flow.persons["unpaid"])
    workflow.pay_stipend(OFFICER, store, policy, int(case["case_id"]))
    store.execute("UPDATE res_membership SET person_id = -1 WHERE rec = ?", [case["evidence_rec"]])
    try:
        issues = reconcile(store, policy)["payments_with_issues"]
        assert [i["case_id"] for i in issues] == [case["case_id"]]
        assert "now belongs to person -1" in issues[0]["problem"]
    finally:
        store.execute(
            "UPDATE res_membership SET person_id = ? WHERE rec = ?", [case["person_id"], case["evidence_rec"]]
        )


def test_a_bad_registration_names_the_fields() -> None:
    with pytest.raises(
        IngestError, match=r"registration_id: .*pattern.*planned_departure_date: Field required"
    ):
        validate_registration(
            {
                "registration_id": "x",
                "given_name": "A",
                "family_name": "B",
                "destination_country": "MEX",
                "registered_on": "2026-01-01",
            }
        )


def test_commands_report_register_and_refuse(flow: Flow, tmp_path: Path) -> None:
    home = ["--home", str(flow.home)]
    chart = tmp_path / "funnel.png"
    shown = runner.invoke(app, [*home, "departures", "report", "--chart", str(chart), "--json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert data["funnel"]["registered"] >= 8
    assert data["funnel"]["departed"] >= 3
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    registration = tmp_path / "reg.json"
    registration.write_text(
        json.dumps(
            {
                "registration_id": "SD-CLI00001",
                "given_name": "Nadie",
                "family_name": "Conocido",
                "dob": "1980-05-05",
                "planned_departure_date": "2026-10-20",
                "destination_country": "GTM",
                "registered_on": "2026-09-29",
            }
        )
    )
    added = runner.invoke(app, [*home, "departures", "register", str(registration)])
    assert added.exit_code == 0, added.output
    assert "1 new persons" in added.output  # nobody known: a new person, and the case waits for identity
    listed = runner.invoke(app, [*home, "departures", "list", "--state", "registered"])
    assert "registered" in listed.output
    refused = runner.invoke(app, [*home, "departures", "pay", "999999"])
    assert refused.exit_code == 1
    assert "serves departure_assistance; not data_management" in refused.output  # the purpose first
    refused = runner.invoke(app, [*home, "--purpose", "departure_assistance", "departures", "pay", "999999"])
    assert refused.exit_code == 1
    assert "no departure case 999999" in refused.output


def test_against_the_ground_truth(resolved: Path, world: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(resolved, home)
    ctx: RequestContext = make_context("test-operator", "data_management")
    with store_session(Settings(home=home)) as store:
        run_lifecycle(ctx, store, catalog=default_catalog(), as_of=world_as_of(world))
        sync_cases(OFFICER, store, default_policy(), world_as_of(world))
        workflow.pay_all_due(OFFICER, store, default_policy())
        quality = departures_quality(store, world / "ground_truth", default_policy())
    assert quality["true_registrants"] > 0
    assert quality["registrants_without_case"] == 0
    assert quality["registrants_split_over_cases"] == 0
    assert quality["truly_departed_unconfirmed"] == 0
    assert quality["false_confirmations"] == 0
    assert quality["unearned_payments"] == 0
    assert quality["persons_paid_twice"] == 0
    corroborated = quality["matched_by_departure"]
    assert corroborated["correct"] == corroborated["cases"]
    assert quality["stipends_paid"] > 0
    assert quality["ledger_balanced"]


def test_reading_a_case_is_purpose_checked_and_audited(flow: Flow, store: Store) -> None:
    from immigrationos.errors import AccessDeniedError

    case_id = int(_case_of(store, flow.persons["strong"])["case_id"])
    analyst = make_context("al", "enforcement", roles=frozenset({"analyst"}))
    with pytest.raises(AccessDeniedError, match="serves"):
        workflow.case_view(analyst, store, case_id)
    with pytest.raises(AccessDeniedError):
        workflow.list_cases(analyst, store)
    assert workflow.case_view(OFFICER, store, case_id)["case_id"] == case_id
    shown = store.rows("SELECT actor, subject_person FROM audit_log WHERE event = 'departures.show'")
    assert shown[-1] == ("officer-1", flow.persons["strong"])
