"""Each safeguard on hand-built persons: it excludes the person with its reason, and without it (the
same policy minus that safeguard) the person would be on the worklist, so each test fails if its
safeguard is removed. Categories, scores, the identity queue and deprioritisation likewise."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from immigrationos.context import make_context
from immigrationos.errors import ConfigurationError
from immigrationos.priority.models import Category, PriorityPolicy, default_policy, load_policy
from immigrationos.priority.worklist import build_worklist
from immigrationos.store.engine import Store
from tests.priority.conftest import AS_OF, PersonFn

CTX = make_context("analyst-1", "enforcement", roles=frozenset({"analyst"}))
VIOLENT = ("2020-05-01", "CONVICTION", "VIOLENT:FELONY")
MISDEMEANOR = ("2021-05-01", "CONVICTION", "DUI:MISDEMEANOR")


def _policy(drop: str | None = None, extra_misdemeanor: bool = False) -> PriorityPolicy:
    """The shipping policy, optionally without one safeguard (model_copy bypasses the validator that
    refuses a policy without the citizenship safeguard: exactly what these tests need to show)."""
    policy = default_policy()
    categories = policy.categories
    if extra_misdemeanor:
        categories += (
            Category(
                name="misdemeanor",
                tier=6,
                weight=5,
                description="any misdemeanor",
                events="kind = 'CONVICTION' AND code LIKE '%:MISDEMEANOR'",
            ),
        )
    safeguards = tuple(g for g in policy.safeguards if g.name != drop)
    return policy.model_copy(update={"categories": categories, "safeguards": safeguards})


def _entries(store: Store) -> dict[int, str]:
    return {int(p): str(s) for p, s in store.rows("SELECT person_id, state FROM pri_entries")}


def _excluded(store: Store) -> dict[int, str]:
    return {int(p): str(s) for p, s in store.rows("SELECT person_id, safeguard FROM pri_exclusions")}


CASES = [
    # (safeguard, status, flags, events, dob, extra category needed to reach the safeguard)
    ("possible_us_citizen", "overstay", ("citizenship_evidence",), (), "1985-01-01", False),
    ("possible_us_citizen", "us_citizen", (), (VIOLENT,), "1985-01-01", False),
    ("protected_lpr", "lpr", (), (MISDEMEANOR,), "1985-01-01", True),
    ("pending_protection", "pending_protection", (), (VIOLENT,), "1985-01-01", False),
    ("pending_protection", "in_removal_proceedings", (), (VIOLENT,), "1985-01-01", False),
    ("lawful_status", "temporary_protection", (), (MISDEMEANOR,), "1985-01-01", True),
    ("absent_or_unknown", "departed", (), (VIOLENT,), "1985-01-01", False),
    ("absent_or_unknown", "unknown", (), (VIOLENT,), "1985-01-01", False),
    ("minor", "overstay", (), (), "2012-03-03", False),
    ("minor", "overstay", (), (), None, False),
]


@pytest.mark.parametrize(
    ("safeguard", "status", "flags", "events", "dob", "extra"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES]
)
def test_safeguard_excludes_and_is_what_excludes(
    store: Store,
    person: PersonFn,
    safeguard: str,
    status: str,
    flags: tuple[str, ...],
    events: tuple[tuple[str, str, str], ...],
    dob: str | None,
    extra: bool,
) -> None:
    from datetime import date

    pid = person(status, flags=flags, events=events, dob=date.fromisoformat(dob) if dob else None)
    build_worklist(CTX, store, _policy(extra_misdemeanor=extra), AS_OF)
    assert pid not in _entries(store)
    assert _excluded(store)[pid] == safeguard
    reason = store.scalar("SELECT reason FROM pri_exclusions WHERE person_id = ?", [pid])
    assert len(reason) > 20
    build_worklist(CTX, store, _policy(drop=safeguard, extra_misdemeanor=extra), AS_OF)
    assert pid in _entries(store), "without the safeguard the person would be proposed"


def test_removable_convictions_lift_the_lpr_and_lawful_status_protection(
    store: Store, person: PersonFn
) -> None:
    lpr = person("lpr", events=(VIOLENT,))
    student = person("nonimmigrant_in_status", events=(("2024-01-01", "CONVICTION", "DRUG:FELONY"),))
    build_worklist(CTX, store, default_policy(), AS_OF)
    assert _entries(store) == {lpr: "candidate", student: "candidate"}


def test_categories_tiers_scores_and_reasons(store: Store, person: PersonFn) -> None:
    org = person(
        "final_order",
        events=(VIOLENT, ("2020-05-01", "CRIMINAL_ORGANIZATION", "CONVICTION_ENHANCEMENT:CONVICTION")),
    )
    gang_db_only = person(
        "overstay", events=(("2022-01-01", "CRIMINAL_ORGANIZATION", "GANG_DATABASE:ARREST"),)
    )
    old_felony = person("overstay", events=(("2001-01-01", "CONVICTION", "PROPERTY:FELONY"),))
    build_worklist(CTX, store, default_policy(), AS_OF)
    rows = {
        int(p): (int(t), float(s), list(c), list(r))
        for p, t, s, c, r in store.rows("SELECT person_id, tier, score, categories, reasons FROM pri_entries")
    }
    assert rows[org][:3] == (1, 210.0, ["criminal_organization", "violent_conviction", "final_order"])
    assert any("CONVICTION 2020-05-01" in r for r in rows[org][3])
    assert rows[gang_db_only][:3] == (5, 10.0, ["overstay"])  # a gang-database flag alone is not membership
    assert rows[old_felony][2] == ["overstay"]  # outside the ten-year window


def test_identity_doubt_goes_to_the_identity_queue_until_an_analyst_verifies(
    store: Store, person: PersonFn
) -> None:
    from immigrationos.priority import workflow

    pid = person("overstay", flags=("low_identity_confidence",))
    build_worklist(CTX, store, default_policy(), AS_OF)
    assert _entries(store)[pid] == "identity_queue"
    entry = int(store.scalar("SELECT entry_id FROM pri_entries WHERE person_id = ?", [pid]))
    workflow.verify_identity(CTX, store, default_policy(), entry, reason="documents checked", on=AS_OF)
    assert _entries(store)[pid] == "identity_verified"
    build_worklist(CTX, store, default_policy(), AS_OF)
    assert _entries(store)[pid] == "identity_verified"  # a rebuild does not undo the analyst's work


def test_open_self_departure_case_deprioritises_visibly(store: Store, person: PersonFn) -> None:
    leaving, staying = person("overstay"), person("overstay")
    store.execute(
        "INSERT INTO dep_cases (case_id, person_id, state, registration_ids, policy_version) VALUES (1, ?, 'matched', ['SD-1'], 't')",
        [leaving],
    )
    build_worklist(CTX, store, default_policy(), AS_OF)
    scores = {
        int(p): (float(s), d)
        for p, s, d in store.rows("SELECT person_id, score, deprioritised FROM pri_entries")
    }
    assert scores[staying] == (10.0, None)
    assert scores[leaving][0] == pytest.approx(1.0)
    assert "self-departure" in scores[leaving][1]


def test_build_is_idempotent_and_records_the_policy_version(store: Store, person: PersonFn) -> None:
    person("final_order")
    first = build_worklist(CTX, store, default_policy(), AS_OF)
    second = build_worklist(CTX, store, default_policy(), AS_OF)
    assert (first.created, second.created, second.withdrawn) == (1, 0, 0)
    assert store.scalar("SELECT DISTINCT policy_version FROM pri_entries") == default_policy().version


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda p: p["categories"][0].update(events="kind = 'CONVICTION' AND nonsense = 1"),
            "unknown event columns",
        ),
        (lambda p: p["safeguards"][1].update(unless_categories=["no_such"]), "unknown categories"),
        (
            lambda p: p.update(safeguards=[g for g in p["safeguards"] if g["name"] != "possible_us_citizen"]),
            "citizenship",
        ),
        (lambda p: p["categories"][1].update(name=p["categories"][0]["name"]), "unique"),
        (lambda p: p.update(contest_days=0), "contest_days"),
    ],
)
def test_policy_file_mistakes_are_refused(tmp_path: Path, edit: object, message: str) -> None:
    raw = yaml.safe_load((Path(__file__).parents[2] / "src/immigrationos/priority/policy.yaml").read_text())
    edit(raw)  # type: ignore[operator]
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigurationError, match=message):
        load_policy(path)
