"""Access decisions: every role x purpose x source x field against the catalog's rules, the legal rules
named by the law, and the person view masked and audited for each reader."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from immigrationos.access.policy import default_policy
from immigrationos.config import Settings
from immigrationos.context import Purpose, make_context
from immigrationos.errors import AccessDeniedError
from immigrationos.lifecycle.pipeline import run_lifecycle
from immigrationos.lifecycle.rules import default_events, default_rules
from immigrationos.lifecycle.timeline import view_person
from immigrationos.sources.catalog import default_catalog
from immigrationos.store.engine import store_session
from immigrationos.synth.world import world_as_of


def test_the_access_matrix_follows_the_catalog_and_the_roles() -> None:
    policy = default_policy()
    catalog = default_catalog()
    checked = 0
    for role, spec in policy.roles.roles.items():
        for purpose in Purpose:
            ctx = make_context(f"user-{role}", purpose.value, roles=frozenset({role}))
            for source in catalog.sources:
                expected = (
                    purpose in spec.purposes
                    and purpose in source.allowed_purposes
                    and not source.purpose_conditions.get(purpose)
                )
                assert policy.decide(ctx, source.name).allowed == expected, (role, purpose, source.name)
                for field in source.fields:
                    visible = expected and (field.role is None or spec.sees_identity)
                    assert policy.field_visible(ctx, source.name, field.name) == visible
                    checked += 1
    assert checked > 2_000


@pytest.mark.parametrize("role", ["analyst", "supervisor", "admin"])
def test_health_data_is_never_for_enforcement(role: str) -> None:
    ctx = make_context("u", "enforcement", roles=frozenset({role, "analyst"}))
    decision = default_policy().decide(ctx, "hhs_enrollment")
    assert not decision.allowed
    assert "may not be used for enforcement" in decision.reason


def test_tax_data_for_enforcement_needs_a_per_person_request() -> None:
    ctx = make_context("u", "enforcement", roles=frozenset({"analyst"}))
    decision = default_policy().decide(ctx, "irs_filings")
    assert not decision.allowed
    assert "per-person request" in decision.reason
    assert default_policy().decide(ctx, "irs_filings", "read_by_request").allowed


def test_criminal_history_is_not_for_departure_assistance() -> None:
    ctx = make_context("u", "departure_assistance", roles=frozenset({"departure_officer"}))
    assert not default_policy().decide(ctx, "criminal_history").allowed
    assert default_policy().decide(ctx, "cbp_i94").allowed


@pytest.fixture(scope="module")
def home(resolved: Path, world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("access") / "home"
    shutil.copytree(resolved, copy)
    with store_session(Settings(home=copy)) as store:
        run_lifecycle(
            make_context("op", "data_management"), store, catalog=default_catalog(), as_of=world_as_of(world)
        )
    return copy


def test_the_person_view_is_masked_and_audited_for_each_reader(home: Path, world: Path) -> None:
    args = {
        "catalog": default_catalog(),
        "events": default_events(),
        "rules": default_rules(),
        "as_of": world_as_of(world),
    }
    with store_session(Settings(home=home)) as store:
        person = int(
            store.scalar("""SELECT person_id FROM life_events GROUP BY person_id
            HAVING bool_or(source = 'criminal_history') AND bool_or(source = 'irs_filings') AND bool_or(source = 'cbp_i94')
            ORDER BY person_id LIMIT 1""")
        )
        officer = make_context("dana", "departure_assistance", roles=frozenset({"departure_officer"}))
        view = view_person(officer, store, person, **args)
        shown = {p.source for e in view.timeline for p in e.provenance}
        assert "cbp_i94" in shown
        assert not shown & {"criminal_history", "irs_filings", "hhs_enrollment"}
        assert any(w.startswith("criminal_history:") for w in view.withheld)
        analyst = make_context("al", "enforcement", roles=frozenset({"analyst"}))
        seen = {p.source for e in view_person(analyst, store, person, **args).timeline for p in e.provenance}
        assert "criminal_history" in seen
        assert "irs_filings" not in seen  # tax data only through a per-person request
        stranger = make_context("eve", "enforcement", roles=frozenset({"departure_officer"}))
        with pytest.raises(AccessDeniedError):
            view_person(stranger, store, person, **args)
        log = store.rows(
            "SELECT actor, outcome, sources FROM audit_log WHERE subject_person = ? ORDER BY seq", [person]
        )
    assert [(a, o) for a, o, _ in log] == [("dana", "partial"), ("al", "partial"), ("eve", "denied")]
    assert "criminal_history" not in log[0][2]


def test_irs_data_only_per_person_on_the_agreement_terms(home: Path, world: Path) -> None:
    from datetime import timedelta

    from immigrationos.access.irs import IrsRequest, request_irs_data

    policy = default_policy()
    as_of = world_as_of(world)
    officer = make_context("oscar", "enforcement", roles=frozenset({"analyst"}))
    with store_session(Settings(home=home)) as store:
        person, ordered = store.rows("""
            SELECT e.person_id, max(e.event_date) FROM life_events e JOIN life_status s USING (person_id)
            WHERE e.kind = 'REMOVAL_ORDERED' AND s.status = 'final_order'
              AND e.person_id IN (SELECT person_id FROM life_events WHERE source = 'irs_filings')
            GROUP BY 1 ORDER BY 1 LIMIT 1""")[0]
        no_order = int(
            store.scalar("""SELECT person_id FROM life_status WHERE status = 'overstay'
            AND person_id IN (SELECT person_id FROM life_events WHERE source = 'irs_filings') LIMIT 1""")
        )
        request = IrsRequest(int(person), "CASE-1", "26 U.S.C. 6103(i)(2)", "locate for removal")
        disclosure = request_irs_data(officer, store, policy, request, as_of=as_of)
        assert disclosure.tax_periods
        assert disclosure.last_known_address
        assert set(vars(disclosure)) == {
            "person_id",
            "officer",
            "case",
            "given_name",
            "family_name",
            "last_known_address",
            "tax_periods",
            "ground",
            "statements",
        }  # name, last-known address and tax periods: nothing else
        refusals = [
            (officer, request, as_of + timedelta(days=0), True, "switched off"),
            (officer, request, ordered + timedelta(days=30), False, "not yet 90 days old"),
            (
                officer,
                IrsRequest(no_order, "CASE-2", "26 U.S.C. 6103(i)(2)", "locate"),
                as_of,
                False,
                "no final order",
            ),
            (officer, IrsRequest(int(person), "CASE-3", "8 U.S.C. 1357", "locate"), as_of, False, "statute"),
            (
                make_context("al", "oversight", roles=frozenset({"supervisor"})),
                request,
                as_of,
                False,
                "enforcement only",
            ),
            (
                make_context("dd", "enforcement", roles=frozenset({"departure_officer"})),
                request,
                as_of,
                False,
                "no role",
            ),
        ]
        for ctx, req, day, off, message in refusals:
            with pytest.raises(AccessDeniedError, match=message):
                request_irs_data(ctx, store, policy, req, as_of=day, disabled=off)
        named = IrsRequest(no_order, "CASE-4", "26 U.S.C. 6103(i)(2)", "fraud ring", investigation="OP-NORTH")
        assert "OP-NORTH" in request_irs_data(officer, store, policy, named, as_of=as_of).ground
        log = store.rows("SELECT event, outcome FROM audit_log WHERE event LIKE 'irs.%' ORDER BY seq")
    assert log == [
        ("irs.disclosure", "granted"),
        *[("irs.request", "denied")] * 6,
        ("irs.disclosure", "granted"),
    ]


def test_data_derived_from_tax_records_carries_the_tax_label(home: Path, world: Path) -> None:
    from immigrationos.resolution.explain import explain_person

    analyst = make_context("al", "enforcement", roles=frozenset({"analyst"}))
    args = {
        "catalog": default_catalog(),
        "events": default_events(),
        "rules": default_rules(),
        "as_of": world_as_of(world),
    }
    with store_session(Settings(home=home)) as store:
        taxed, untaxed = (
            int(
                store.scalar(
                    f"""SELECT min(person_id) FROM res_membership GROUP BY person_id
                        HAVING {"" if has else "NOT "}bool_or(rec LIKE 'irs_filings:%') AND count(*) > 1
                        ORDER BY 1 LIMIT 1"""
                )
            )
            for has in (True, False)
        )
        view = view_person(analyst, store, taxed, **args)
        plain = view_person(analyst, store, untaxed, **args)
        explained = explain_person(analyst, store, taxed)
    assert not {p.source for e in view.timeline for p in e.provenance} & {"irs_filings"}  # fields withheld...
    assert view.labels
    assert "federal tax information (irs_filings)" in view.labels[0]
    assert plain.labels == []
    assert explained["labels"] == view.labels
