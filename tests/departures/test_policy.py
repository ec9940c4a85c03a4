"""The case state machine and the programme policy file."""

from __future__ import annotations

from pathlib import Path

import pytest

from immigrationos.departures.cases import path
from immigrationos.departures.models import ALLOWED, CaseState, default_policy, load_policy
from immigrationos.errors import ConfigurationError

S = CaseState


@pytest.mark.parametrize(("a", "b"), [(a, b) for a, targets in ALLOWED.items() for b in targets])
def test_every_allowed_transition_is_one_step(a: CaseState, b: CaseState) -> None:
    assert path(a, b) == [b]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (S.DEPARTED, S.OVERDUE),
        (S.STIPEND_PAID, S.DEPARTED),
        (S.CLOSED, S.REGISTERED),
        (S.REENTERED, S.DEPARTED),
    ],
)
def test_refused_transitions_have_no_path(a: CaseState, b: CaseState) -> None:
    assert path(a, b) is None


def test_a_registration_reaches_payment_through_match_and_departure() -> None:
    assert path(S.REGISTERED, S.STIPEND_PAID) == [S.MATCHED, S.DEPARTED, S.STIPEND_PAID]
    assert path(S.OVERDUE, S.REENTERED) == [S.DEPARTED, S.REENTERED]


def test_policy_grades_and_amount() -> None:
    policy = default_policy()
    assert str(policy.stipend_amount) == "1000.00"
    assert policy.evidence_grades["SELF_DEPARTURE_CONFIRMED_ABROAD"] == "weak"
    assert "weak" not in policy.releases_stipend


def test_a_policy_paying_on_unconfirmed_evidence_is_refused(tmp_path: Path) -> None:
    text = (Path(__file__).parents[2] / "src/immigrationos/departures/policy.yaml").read_text()
    bad = tmp_path / "policy.yaml"
    bad.write_text(text.replace("releases_stipend: [strong, medium]", "releases_stipend: [strong, weak]"))
    with pytest.raises(ConfigurationError, match="must also confirm"):
        load_policy(bad)
