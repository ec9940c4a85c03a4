"""Data-use agreements: the term the law allows (18 months, one renewal of 12), matching only with the
sources and fields an agreement in force lists, and outside disclosures accounted for, refused outside
an agreement's terms, and carrying the person's statements of disagreement."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from immigrationos.access.agreements import (
    Agreement,
    agreements,
    end_agreement,
    matching_catalog,
    record_agreement,
    renew,
    standard_agreements,
)
from immigrationos.cli.main import app
from immigrationos.config import Settings
from immigrationos.context import make_context
from immigrationos.errors import AccessDeniedError, ConfigurationError
from immigrationos.lifecycle.disclosure import accounting, disclose_person
from immigrationos.lifecycle.pipeline import run_lifecycle
from immigrationos.priority.models import default_policy
from immigrationos.redress.service import decide_contest, file_contest
from immigrationos.resolution.incremental import attach_new_records
from immigrationos.resolution.pipeline import resolve
from immigrationos.sources.catalog import default_catalog
from immigrationos.store.engine import Store, store_session
from immigrationos.synth.world import world_as_of

STEWARD = make_context("steward", "data_management", roles=frozenset({"data_steward"}))
ANALYST = make_context("analyst", "enforcement", roles=frozenset({"analyst"}))
START = date(2026, 1, 1)


def _agreement(**changes: object) -> Agreement:
    base: dict[str, object] = {
        "agreement_id": "CMA-SSA-1",
        "parties": ("DHS/ICE", "SSA"),
        "purpose": "verify identities common to SSA's Numident and immigration records",
        "purposes": ("enforcement", "benefits_adjudication"),
        "fields": {"ssa_numident": ("given_name", "family_name", "dob")},
        "recipients": ("SSA",),
        "disclosable": ("given_name", "family_name", "status"),
        "start": START,
        "end": date(2027, 7, 1),
    }
    return Agreement.model_validate(base | changes)


def test_a_term_runs_at_most_eighteen_months() -> None:
    assert _agreement().end == date(2027, 7, 1)
    with pytest.raises(ValidationError, match="at most 18 months"):
        _agreement(end=date(2027, 7, 2))
    with pytest.raises(ValidationError, match="before it starts"):
        _agreement(end=date(2025, 12, 31))


def test_one_renewal_of_at_most_twelve_months(store: Store) -> None:
    record_agreement(STEWARD, store, default_catalog(), _agreement())
    with pytest.raises(ConfigurationError, match="at most 12 months"):
        renew(STEWARD, store, "CMA-SSA-1", date(2028, 7, 2))
    renewed = renew(STEWARD, store, "CMA-SSA-1", date(2028, 7, 1))
    assert renewed.last_day == date(2028, 7, 1)
    assert renewed.active_on(date(2028, 7, 1))
    assert not renewed.active_on(date(2028, 7, 2))
    with pytest.raises(ConfigurationError, match="already renewed once"):
        renew(STEWARD, store, "CMA-SSA-1", date(2028, 6, 1))
    ended = end_agreement(STEWARD, store, "CMA-SSA-1", date(2027, 1, 31), "SSA withdrew")
    assert ended.last_day == date(2027, 1, 31)
    events = [e for (e,) in store.rows("SELECT event FROM audit_log ORDER BY seq")]
    assert events == ["agreement.record", "agreement.renew", "agreement.end"]


def test_agreements_are_checked_against_the_catalog_and_the_role(store: Store) -> None:
    with pytest.raises(ConfigurationError, match="no field passport_number"):
        record_agreement(
            STEWARD, store, default_catalog(), _agreement(fields={"ssa_numident": ("passport_number",)})
        )
    with pytest.raises(ConfigurationError, match="the agency's own source"):
        record_agreement(STEWARD, store, default_catalog(), _agreement(fields={"cbp_i94": ("given_name",)}))
    with pytest.raises(AccessDeniedError, match="may not manage agreements"):
        record_agreement(ANALYST, store, default_catalog(), _agreement())
    record_agreement(STEWARD, store, default_catalog(), _agreement())
    with pytest.raises(ConfigurationError, match="already recorded"):
        record_agreement(STEWARD, store, default_catalog(), _agreement())


def test_matching_reads_only_sources_and_fields_under_an_agreement_in_force(store: Store) -> None:
    catalog = default_catalog()
    bare = matching_catalog(store, catalog, START)
    outside = {s.name for s in catalog.sources if s.external_agency}
    assert outside <= set(bare.excluded)
    assert not outside & {s.name for s in bare.catalog.sources}
    record_agreement(STEWARD, store, catalog, _agreement())
    scope = matching_catalog(store, catalog, START + timedelta(days=10))
    ssa = scope.catalog.source("ssa_numident")
    assert {f.name for f in ssa.fields if f.role} == {"given_name", "family_name", "dob"}
    assert not ssa.identifiers  # the SSN is outside the agreement: matching never reads it
    assert "ssn" in scope.excluded["ssa_numident"]
    after = matching_catalog(store, catalog, date(2027, 7, 2))  # the day after the term
    assert "ssa_numident" not in {s.name for s in after.catalog.sources}
    for agreement in standard_agreements(catalog, START):
        assert agreement.end == date(2027, 6, 30)
        assert set(agreement.fields) <= outside


@pytest.fixture(scope="module")
def home(resolved: Path, world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("agreements") / "home"
    shutil.copytree(resolved, copy)
    with store_session(Settings(home=copy)) as store:
        run_lifecycle(STEWARD, store, catalog=default_catalog(), as_of=world_as_of(world))
    return copy


def test_a_run_after_an_agreement_ends_leaves_its_source_out_and_a_new_one_brings_it_back(
    home: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    with store_session(Settings(home=copy)) as store:
        before = int(store.scalar("SELECT count(*) FROM res_membership WHERE rec LIKE 'hud_assistance:%'"))
        hud = next(
            s.agreement.agreement_id for s in agreements(store) if "hud_assistance" in s.agreement.fields
        )
        end_agreement(STEWARD, store, hud, date.today() - timedelta(days=1), "the agreement was not renewed")
        report = resolve(STEWARD, store, catalog=default_catalog(), home=copy)
        after = int(store.scalar("SELECT count(*) FROM res_membership WHERE rec LIKE 'hud_assistance:%'"))
        logged = str(
            store.scalar(
                "SELECT justification FROM audit_log WHERE event = 'resolution.run' ORDER BY seq DESC LIMIT 1"
            )
        )
    assert before > 0
    assert after == 0
    assert "no data-use agreement" in report.excluded["hud_assistance"]
    assert "hud_assistance" in logged
    with store_session(
        Settings(home=copy)
    ) as store:  # a new agreement: the near-real-time path reads HUD whole
        renewed = next(
            a for a in standard_agreements(default_catalog(), date.today()) if "hud_assistance" in a.fields
        )
        record_agreement(
            STEWARD, store, default_catalog(), renewed.model_copy(update={"agreement_id": "CMA-HUD-NEW"})
        )
        attached = attach_new_records(STEWARD, store, default_catalog())
        back = int(store.scalar("SELECT count(*) FROM res_membership WHERE rec LIKE 'hud_assistance:%'"))
        again = attach_new_records(STEWARD, store, default_catalog())
    assert back == before
    assert attached.new_records == before
    assert again.new_records == 0


def test_outside_disclosures_are_accounted_for_and_carry_statements(home: Path, tmp_path: Path) -> None:
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    officer = make_context("redress-officer", "redress", roles=frozenset({"redress_officer"}))
    with store_session(Settings(home=copy)) as store:
        person = int(store.scalar("SELECT min(person_id) FROM life_status"))
        ssa = next(s.agreement for s in agreements(store) if "ssa_numident" in s.agreement.fields)
        today = date.today()
        sent = disclose_person(
            ANALYST,
            store,
            person,
            recipient="SSA",
            agreement_id=ssa.agreement_id,
            attributes=("given_name", "status"),
            on=today,
        )
        assert set(sent["data"]) == {"given_name", "status"}
        assert sent["data"]["status"]
        assert sent["statements_of_disagreement"] == []
        for recipient, attributes, on, why in (
            ("HUD", ("given_name",), today, "does not name HUD"),
            ("SSA", ("given_name", "a_number"), today, "does not cover the fields a_number"),
            ("SSA", ("given_name",), ssa.end + timedelta(days=1), "not in force"),
        ):
            with pytest.raises(AccessDeniedError, match=why):
                disclose_person(
                    ANALYST,
                    store,
                    person,
                    recipient=recipient,
                    agreement_id=ssa.agreement_id,
                    attributes=attributes,
                    on=on,
                )
        contest = file_contest(
            make_context("counsel", "redress"),
            store,
            person_id=person,
            subject="status",
            reference="overstay",
            statement="I filed for an extension in time",
        )
        again = disclose_person(
            ANALYST,
            store,
            person,
            recipient="SSA",
            agreement_id=ssa.agreement_id,
            attributes=("status",),
            on=today,
        )
        assert again["statements_of_disagreement"]
        assert "extension" in again["statements_of_disagreement"][0]
        ledger = accounting(officer, store, person)
        with pytest.raises(AccessDeniedError, match="accounting of disclosures"):
            accounting(ANALYST, store, person)  # not for enforcement
        decision = decide_contest(
            officer,
            store,
            contest,
            accept=True,
            reason="a US passport shows the person is a citizen",
            policy=default_policy(),
            on=today,
            document="US passport 500000001",
        )
        outcomes = store.rows(
            "SELECT outcome, count(*) FROM audit_log WHERE event = 'disclosure.outside' GROUP BY 1 ORDER BY 1"
        )
    assert [(d["recipient"], d["statements_sent"]) for d in ledger] == [("SSA", 0), ("SSA", 1)]
    assert ledger[0]["purpose"] == "enforcement"
    assert ledger[0]["attributes"] == ["given_name", "status"]
    assert "SSA (outside recipient)" in decision.notify  # the correction is owed to SSA too
    assert outcomes == [("denied", 3), ("granted", 2)]


def test_agreement_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    home = ["--home", str(tmp_path / "home")]
    bad = tmp_path / "too-long.yaml"
    bad.write_text(
        "agreement_id: CMA-X\nparties: [DHS/ICE, SSA]\npurpose: a purpose stated at length\n"
        "purposes: [enforcement]\nfields: {ssa_numident: [given_name]}\nstart: 2026-01-01\nend: 2027-12-31\n"
    )
    result = runner.invoke(app, [*home, "agreements", "add", str(bad)])
    assert result.exit_code == 1
    assert "too-long.yaml" in result.output
    assert "18 months" in result.output
    result = runner.invoke(app, [*home, "agreements", "standard", "--start", "2026-12-01"])
    assert result.exit_code == 0, result.output
    assert "Recorded 9 standard" in result.output
    listed = runner.invoke(app, [*home, "agreements", "list", "--on", "2027-01-01"])
    assert listed.exit_code == 0
    assert listed.output.count("│ yes ") == 9  # all nine in force on that day
