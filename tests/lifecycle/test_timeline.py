"""A person's timeline from real source records: mappings, one event per real event with every
provenance, conflicts shown, status with reasons and history, safeguards."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from immigrationos.context import RequestContext
from immigrationos.errors import ConfigurationError, NotFoundError
from immigrationos.lifecycle.events import build_events
from immigrationos.lifecycle.models import EventCatalog, EventMapping
from immigrationos.lifecycle.rules import check_events, default_events, default_rules, load_rules
from immigrationos.lifecycle.timeline import PersonLifecycle, person_lifecycle
from immigrationos.resolution.records import build_records
from immigrationos.sources.ingest import ingest_file
from immigrationos.sources.models import Catalog
from immigrationos.store.engine import Store

AS_OF = date(2026, 9, 30)
FILES = {
    "cbp_i94.csv": [
        "record_id,event_type,event_date,class_of_admission,admit_until,given_name,family_name,dob",
        "I94-1,ARRIVAL,2024-03-01,B2,2024-08-28,Ana,Lopez,1990-02-03",
        "I94-2,ARRIVAL,2024-03-01,B2,2024-09-15,Ana,Lopez,1990-02-03",
        "I94-3,DEPARTURE,2024-06-01,,,Ana,Lopez,1990-02-03",
        "I94-4,ARRIVAL,2025-01-10,B2,2025-07-09,Ana,Lopez,1990-03-02",
    ],
    "ice_enforcement.csv": [
        "record_id,event_type,event_date,fin,given_name,family_name,dob",
        "ICE-1,ENCOUNTER,2026-01-05,1234567,Ana,Lopez,1990-02-03",
    ],
    "biometric_encounters.csv": [
        "record_id,fin,encounter_date,encounter_type,collecting_agency,given_name,family_name,dob",
        "BIO-1,1234567,2026-01-05,BORDER,CBP,Ana,Lopez,1990-02-03",
    ],
    "eoir_court.csv": [
        "record_id,a_number,event_type,event_date,given_name,family_name,dob",
        "EOI-1,A012345678,NTA_FILED,2026-02-01,Ana,Lopez,1990-02-03",
    ],
}


@pytest.fixture
def ana(ctx: RequestContext, store: Store, catalog: Catalog, tmp_path: Path) -> int:
    """One person's records from four agencies, linked by hand (resolution is tested elsewhere)."""
    for name, lines in FILES.items():
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        ingest_file(ctx, store, path, catalog=catalog, batch_rows=100)
    build_records(store, catalog)
    store.execute("INSERT INTO res_membership SELECT rec, 42, 1 FROM res_records")
    build_events(store, catalog, default_events())
    return 42


def _view(store: Store, catalog: Catalog, person: int, as_of: date = AS_OF) -> PersonLifecycle:
    return person_lifecycle(
        store, person, catalog=catalog, events=default_events(), rules=default_rules(), as_of=as_of
    )


def test_the_same_encounter_from_two_agencies_is_shown_once(ana: int, store: Store, catalog: Catalog) -> None:
    view = _view(store, catalog, ana)
    encounters = [e for e in view.timeline if e.kind == "ENCOUNTERED"]
    assert len(encounters) == 1
    assert {(p.source, p.record_id) for p in encounters[0].provenance} == {
        ("ice_enforcement", "ICE-1"),
        ("biometric_encounters", "BIO-1"),
    }
    assert all(
        p.legal_authority == catalog.source(p.source).legal_authority for p in encounters[0].provenance
    )


def test_two_admit_until_dates_for_one_arrival_are_a_conflict(
    ana: int, store: Store, catalog: Catalog
) -> None:
    view = _view(store, catalog, ana)
    arrival = next(e for e in view.timeline if e.kind == "ADMITTED" and e.date == date(2024, 3, 1))
    assert len(arrival.provenance) == 2
    assert arrival.conflict is not None
    assert "2024-08-28" in arrival.conflict
    assert "2024-09-15" in arrival.conflict


def test_conflicting_birth_dates_are_shown_and_flagged(ana: int, store: Store, catalog: Catalog) -> None:
    view = _view(store, catalog, ana)
    dob = next(c for c in view.conflicts if c.attribute == "dob")
    assert dob.values["1990-03-02"] == ["cbp_i94:I94-4"]
    assert "conflicting_birth_dates" in {s.flag for s in view.safeguards}


def test_timeline_is_in_time_order_with_status_reasons_and_history(
    ana: int, store: Store, catalog: Catalog
) -> None:
    view = _view(store, catalog, ana)
    dates = [e.date for e in view.timeline]
    assert dates == sorted(dates)
    assert view.status.status == "in_removal_proceedings"
    assert view.status.rule == "case_pending_in_court"
    used = {e["fact"]: e for e in view.status.evidence}
    assert used["proceedings_at"]["record"] == "eoir_court:EOI-1"
    assert [p.status.value for p in view.history] == [
        "nonimmigrant_in_status",  # admitted 2024-03-01
        "departed",  # exit 2024-06-01
        "nonimmigrant_in_status",  # re-admitted 2025-01-10
        "overstay",  # admit-until 2025-07-09 passed
        "in_removal_proceedings",  # notice to appear 2026-02-01
    ]


def test_status_before_the_notice_to_appear(ana: int, store: Store, catalog: Catalog) -> None:
    view = _view(store, catalog, ana, as_of=date(2026, 1, 20))
    assert view.status.status == "overstay"
    assert all(e.date is not None and e.date <= date(2026, 1, 20) for e in view.timeline)
    assert "NTA_FILED" not in {e.kind for e in view.timeline}


def test_unknown_person_is_a_clear_error(store: Store, catalog: Catalog) -> None:
    with pytest.raises(NotFoundError, match="no person 999"):
        _view(store, catalog, 999)


def test_a_mapping_naming_an_unknown_column_is_refused(catalog: Catalog) -> None:
    bad = EventCatalog(
        version=1,
        kinds={"ENCOUNTERED": "x"},
        sources={"ice_enforcement": (EventMapping(kind="ENCOUNTERED", date="event_day"),)},
    )
    with pytest.raises(ConfigurationError, match=r"unknown columns \['event_day'\]"):
        check_events(bad, catalog, "test")


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("no_such_fact IS NULL", "unknown facts"),
        ("sleep(order_at)", "unknown function"),
        ("order_at + 30 > as_of", "not supported"),
    ],
)
def test_a_rule_file_with_mistakes_is_refused(tmp_path: Path, condition: str, message: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "version: t\nstay_ends_with: [DEPARTED]\nfacts:\n  order_at: {kinds: [REMOVAL_ORDERED], description: x y z}\n"
        f'rules:\n  - {{name: r, status: final_order, when: "{condition}", description: x y z}}\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigurationError, match=message):
        load_rules(set(default_events().kinds), path)
