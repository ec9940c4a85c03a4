"""The rules that hold a probable link for a person instead of merging it, on hand-built profiles.
Each test fails if its rule is removed from ``_candidates_sql``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from immigrationos.config import Settings
from immigrationos.resolution.pipeline import ResolveOptions
from immigrationos.resolution.records import sound
from immigrationos.resolution.splink_engine import CANDIDATES, candidates_from
from immigrationos.store.engine import Store, store_session

BASE: dict[str, Any] = {
    "given_name": "JUAN",
    "family_name": "PEREZ",
    "given_joined": "JUAN",
    "family_joined": "PEREZ",
    "given1": "JUAN",
    "family1": "PEREZ",
    "dob": date(1980, 5, 17),
    "birth_year": 1980,
    "sex": "M",
    "country": "MEX",
    "postal_code": None,
    "street": None,
    "a_number": None,
    "ssn": None,
    "fin": None,
    "passport": None,
    "itin": None,
    "fbi_number": None,
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with store_session(Settings(home=tmp_path)) as s:
        yield s


def hold_reasons(
    store: Store, profiles: list[dict[str, Any]], scored: list[tuple[int, int, float]]
) -> dict[tuple[int, int], str | None]:
    """Load profiles (numbered from 1, each its own identifier group unless it names one, ``comp``)
    and scored pairs (left, right, match weight); return each pair's hold reason."""
    rows = [{**BASE, "comp": (i + 1) * 10, **p, "profile_id": i + 1} for i, p in enumerate(profiles)]
    store.conn.register("_p", pd.DataFrame(rows))
    sounds = f"{sound('given1')} AS given_sound, {sound('family1')} AS family_sound"
    store.execute(
        f"CREATE OR REPLACE TABLE res_profiles AS SELECT * EXCLUDE (itin, fbi_number), {sounds} FROM _p"
    )
    store.execute(
        "CREATE OR REPLACE TABLE res_record_profile AS SELECT profile_id AS node, comp, profile_id FROM _p"
    )
    store.execute(
        "CREATE OR REPLACE TABLE res_records AS "
        "SELECT profile_id AS node, 'src:' || profile_id AS rec, * EXCLUDE (profile_id, comp) FROM _p"
    )
    store.conn.register(
        "_scored", pd.DataFrame(scored, columns=["profile_id_l", "profile_id_r", "match_weight"])
    )
    store.execute(
        "CREATE OR REPLACE TABLE _pred AS SELECT *, 1 / (1 + pow(2, -match_weight)) AS match_probability FROM _scored"
    )
    candidates_from(store, "_pred", ResolveOptions())
    rows = store.rows(f"SELECT profile_id_l, profile_id_r, hold_reason FROM {CANDIDATES}")
    return {(int(a), int(b)): None if r is None else str(r) for a, b, r in rows}


def hold_reason(
    store: Store, left: dict[str, Any], right: dict[str, Any], *others: dict[str, Any]
) -> str | None:
    """The hold reason of one scored pair, left (1) ~ right (2), among other profiles (3, 4...)."""
    return hold_reasons(store, [left, right, *others], [(1, 2, 20.0)])[(1, 2)]


def test_an_unremarkable_probable_link_is_not_held(store: Store) -> None:
    assert hold_reason(store, {"fin": "1"}, {"ssn": "123456789"}) is None


def test_a_contradicting_country_holds_the_link(store: Store) -> None:
    assert "contradicting country" in str(hold_reason(store, {}, {"country": "COL"}))


NO_BIRTH_DATE: dict[str, Any] = {"dob": None, "birth_year": None, "comp": 99}


@pytest.mark.parametrize(
    ("right", "group", "held"),
    [
        ({"dob": date(1993, 2, 2)}, None, True),  # thirteen years apart
        ({"dob": date(1981, 8, 1)}, None, True),  # a year and a season
        ({"dob": date(1980, 9, 30)}, None, False),  # months apart: one person's spread
        ({"dob": date(1990, 5, 17)}, None, False),  # one digit: a typing error
        ({"dob": date(1908, 5, 17)}, None, False),  # two digits swapped
        (NO_BIRTH_DATE, {"dob": date(1961, 3, 3), "comp": 99}, True),  # the record's group says 1961
        (NO_BIRTH_DATE, {"dob": date(1980, 5, 18), "comp": 99}, False),
        (NO_BIRTH_DATE, None, False),  # nothing says when the right one was born
    ],
)
def test_birth_dates_years_apart_hold_the_link(
    store: Store, right: dict[str, Any], group: dict[str, Any] | None, held: bool
) -> None:
    reason = hold_reason(store, {}, right, *([group] if group else []))
    assert ("birth dates over a year apart" in str(reason)) is held
    assert held or reason is None


def test_a_country_contradicted_through_the_group_holds_the_link(store: Store) -> None:
    """An HHS enrollment has no country, but the SSN it shares with an SSA record says USA."""
    no_country = {"country": None, "comp": 99}
    reason = hold_reason(store, {}, no_country, {"country": "USA", "comp": 99})
    assert "contradicting country (of the records each side is already linked to)" in str(reason)
    assert hold_reason(store, {}, no_country, {"country": "MEX", "comp": 99}) is None


def test_a_contradicting_identifier_holds_the_link(store: Store) -> None:
    assert "contradicting ssn" in str(hold_reason(store, {"ssn": "123456789"}, {"ssn": "987654321"}))


def test_a_one_digit_a_number_difference_is_called_a_likely_typo(store: Store) -> None:
    assert "likely a typo" in str(hold_reason(store, {"a_number": "012345678"}, {"a_number": "012345679"}))


def test_a_possible_twin_or_jr_sr_is_held(store: Store) -> None:
    home = {"postal_code": "78701", "street": "12 OAK ST"}
    junior = {**home, "given_name": "CARLOS", "given_joined": "CARLOS", "given1": "CARLOS"}
    assert "twin or Jr/Sr" in str(hold_reason(store, home, junior))


def test_a_name_and_birth_date_proven_shared_needs_more_evidence(store: Store) -> None:
    """Two other components with this name and birth date hold different A-numbers: two persons exist."""
    reason = hold_reason(store, {}, {}, {"a_number": "111111111"}, {"a_number": "222222222"})
    assert "shared by several persons" in str(reason)
    home = {"postal_code": "78701", "street": "12 OAK ST"}
    assert hold_reason(store, home, home, {"a_number": "111111111"}, {"a_number": "222222222"}) is None


def test_a_shared_description_is_proven_across_spellings_of_the_name(store: Store) -> None:
    """LAYLA RAHMAN and LEILA REHMAN, born the same day, with different A-numbers: two persons whose names
    sound alike, so a record that matches them on name and birth date alone proves nothing."""
    layla = {"given_name": "LAYLA", "given_joined": "LAYLA", "given1": "LAYLA", "family_name": "RAHMAN"}
    layla |= {"family_joined": "RAHMAN", "family1": "RAHMAN", "sex": "F", "country": "IRQ"}
    leila = layla | {"given_name": "LEILA", "given_joined": "LEILA", "given1": "LEILA"}
    leila |= {"family_name": "REHMAN", "family_joined": "REHMAN", "family1": "REHMAN"}
    reason = hold_reason(
        store,
        layla | {"fin": "5"},
        layla,
        leila | {"a_number": "111111111"},
        layla | {"a_number": "222222222"},
    )
    assert "shared by several persons" in str(reason)
    other = layla | {"given_name": "MARYAM", "given_joined": "MARYAM", "given1": "MARYAM"}
    assert (
        hold_reason(
            store,
            layla | {"fin": "5"},
            layla,
            other | {"a_number": "111111111"},
            layla | {"a_number": "222222222"},
        )
        is None
    )


LONE_VISA: dict[str, Any] = {"comp": 99}  # a visa application with a name, a birth date and nothing else


@pytest.mark.parametrize(
    ("near", "far", "runner_up", "held"),
    [
        ({"a_number": "111111111"}, {"a_number": "222222222"}, 17.0, True),  # 3 units apart: either
        ({"a_number": "111111111"}, {"a_number": "222222222"}, 12.0, False),  # 8 units: the first
        ({"ssn": "123456789"}, {"itin": "912345678"}, 17.0, True),  # an SSN and an ITIN: two persons
        ({"a_number": "111111111"}, {"ssn": "123456789"}, 17.0, False),  # may be one person: no contest
    ],
)
def test_a_record_fitting_two_persons_about_equally_is_held(
    store: Store, near: dict[str, Any], far: dict[str, Any], runner_up: float, held: bool
) -> None:
    """Profile 1 is the lone record; 2 and 3 are two identifier groups it fits, at weights 20 and
    ``runner_up`` (3 was born ten years later, a digit away). If 2 and 3 cannot be one person and the
    weights are close, neither link is made."""
    far |= {"dob": date(1990, 5, 17), "birth_year": 1990}  # one digit from the record's: a typo, or not
    reasons = hold_reasons(store, [LONE_VISA, near, far], [(1, 2, 20.0), (1, 3, runner_up)])
    contested = {pair: "fits two persons about equally well" in str(r) for pair, r in reasons.items()}
    assert contested == {(1, 2): held, (1, 3): held}
    if held:
        assert "records src:2 and src:3" in str(reasons[(1, 2)])
    else:
        assert reasons[(1, 2)] is None


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        (date(1990, 11, 11), date(1909, 11, 11), "two adjacent digits swapped"),  # 1990 keyed as 1909
        (date(1980, 5, 17), date(1980, 5, 18), "one digit apart"),
        (date(1980, 5, 17), date(1980, 7, 15), None),  # two digits apart, not adjacent: no typo level
    ],
)
def test_birth_date_typo_levels(store: Store, left: date, right: date, level: str | None) -> None:
    from immigrationos.resolution.model import dob_comparison

    levels = dob_comparison().get_comparison("duckdb").as_dict()["comparison_levels"]
    typo = next(lv for lv in levels if "digit" in str(lv.get("label_for_charts")))
    hit = store.scalar(
        f"SELECT {typo['sql_condition']} FROM (SELECT ?::DATE AS dob_l, ?::DATE AS dob_r)", [left, right]
    )
    assert bool(hit) == (level is not None)
    if level:
        assert level in typo["label_for_charts"]


@pytest.mark.parametrize(
    ("a", "b", "alike"),
    [
        ("LAYLA", "LEILA", True),
        ("SULEIMAN", "SOLIMAN", True),
        ("FAISAL", "FAYSAL", True),
        ("MOHAMMED", "MUHAMMAD", True),
        ("TESFAYE", "TESFAY", True),
        ("GARCIA", "GOMEZ", False),
        ("MINA", "NINA", False),
    ],
)
def test_names_that_sound_alike(store: Store, a: str, b: str, alike: bool) -> None:
    same = store.scalar(
        f"SELECT {sound('a')} = {sound('b')} FROM (SELECT ?::VARCHAR AS a, ?::VARCHAR AS b)", [a, b]
    )
    assert bool(same) == alike
