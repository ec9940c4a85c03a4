"""The Splink model: comparisons and blocking rules fit for immigration records, trained without labels.

Kept as data-like builders so the same model runs on DuckDB or Spark and serves `immos link` on any
mapped file (fields missing from a file simply drop out of the model).
"""

from __future__ import annotations

import logging
from typing import Any

import splink.comparison_level_library as cll
from splink import SettingsCreator
from splink.comparison_library import CustomComparison

JW = "jaro_winkler_similarity"
logging.getLogger("splink").setLevel(logging.WARNING)  # training narrates every step at INFO


def _null(col: str) -> Any:
    return cll.NullLevel(col)


def given_name_comparison() -> CustomComparison:
    return CustomComparison(
        output_column_name="given_name",
        comparison_levels=[
            cll.NullLevel("given_joined"),
            cll.ExactMatchLevel("given_joined", term_frequency_adjustments=True),
            cll.CustomLevel(
                "given_joined_l = family_joined_r", label_for_charts="given equals other's family (swap)"
            ),
            cll.JaroWinklerLevel("given_joined", 0.92),
            cll.CustomLevel("given1_l = given1_r", label_for_charts="first given name equal"),
            cll.JaroWinklerLevel("given_joined", 0.80),
            cll.ElseLevel(),
        ],
    )


def family_name_comparison() -> CustomComparison:
    return CustomComparison(
        output_column_name="family_name",
        comparison_levels=[
            cll.NullLevel("family_joined"),
            cll.ExactMatchLevel("family_joined", term_frequency_adjustments=True),
            cll.CustomLevel(
                "family_joined_l = given_joined_r", label_for_charts="family equals other's given (swap)"
            ),
            cll.CustomLevel("family1_l = family1_r", label_for_charts="first surname equal (second dropped)"),
            cll.JaroWinklerLevel("family_joined", 0.92),
            cll.JaroWinklerLevel("family_joined", 0.80),
            cll.ElseLevel(),
        ],
    )


def dob_comparison(date_format: str = "%Y%m%d") -> CustomComparison:
    del date_format  # dates are DATE columns here; kept for text-date mappings
    return CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            _null("dob"),
            cll.ExactMatchLevel("dob", term_frequency_adjustments=True),
            cll.CustomLevel(
                "month(dob_l) = day(dob_r) AND day(dob_l) = month(dob_r) AND year(dob_l) = year(dob_r)",
                label_for_charts="day and month swapped",
            ),
            cll.CustomLevel(
                "damerau_levenshtein(strftime(dob_l, '%Y%m%d'), strftime(dob_r, '%Y%m%d')) <= 1",
                label_for_charts="one digit apart, or two adjacent digits swapped",
            ),
            cll.CustomLevel(
                "month(dob_l) = month(dob_r) AND day(dob_l) = day(dob_r) AND abs(year(dob_l) - year(dob_r)) = 1",
                label_for_charts="year off by one",
            ),
            cll.CustomLevel(
                "(month(dob_l) = 1 AND day(dob_l) = 1 OR month(dob_r) = 1 AND day(dob_r) = 1) AND year(dob_l) = year(dob_r)",
                label_for_charts="same year, one side a 1 January placeholder",
            ),
            cll.ElseLevel(),
        ],
    )


def exact_comparison(col: str) -> CustomComparison:
    return CustomComparison(
        output_column_name=col, comparison_levels=[_null(col), cll.ExactMatchLevel(col), cll.ElseLevel()]
    )


def identifier_comparison(col: str) -> CustomComparison:
    """Equal, one keystroke apart (a typo, not another person's number), or different."""
    return CustomComparison(
        output_column_name=col,
        comparison_levels=[
            _null(col),
            cll.ExactMatchLevel(col),
            cll.DamerauLevenshteinLevel(col, 1),
            cll.ElseLevel(),
        ],
    )


def address_comparison() -> CustomComparison:
    """Same street and postal code; same postal code with a similar street; a similar street elsewhere
    (a mistyped postal code); the same postal code only; anything else."""
    street_alike = "jaro_winkler_similarity(street_l, street_r) >= 0.9"
    return CustomComparison(
        output_column_name="address",
        comparison_levels=[
            cll.Or(cll.NullLevel("postal_code"), cll.NullLevel("street")),
            cll.And(cll.ExactMatchLevel("postal_code"), cll.ExactMatchLevel("street")),
            cll.CustomLevel(
                f"postal_code_l = postal_code_r AND {street_alike}",
                label_for_charts="same postal code, similar street",
            ),
            cll.CustomLevel(street_alike, label_for_charts="similar street, other postal code"),
            cll.ExactMatchLevel("postal_code"),
            cll.ElseLevel(),
        ],
    )


def blocking_rules(extra: str = "") -> list[Any]:
    """Rules that together reach the true pairs: birth date with either name, full name (birth-date
    typos), swapped names, address with name (sources without a birth date), and birth date with names
    that sound alike (two romanizations of one name)."""
    rules = [
        "l.dob = r.dob AND l.family1 = r.family1",
        "l.dob = r.dob AND l.given1 = r.given1",
        "l.family_joined = r.family_joined AND l.given_joined = r.given_joined",
        "l.dob = r.dob AND l.given1 = r.family1 AND l.family1 = r.given1",
        "l.postal_code = r.postal_code AND l.family1 = r.family1 AND substr(l.given1, 1, 1) = substr(r.given1, 1, 1)",
        "l.birth_year = r.birth_year AND l.family1 = r.family1 AND l.given1 = r.given1",
        "l.dob = r.dob AND l.given_sound = r.given_sound AND l.family_sound = r.family_sound",  # romanized
    ]
    return [f"{rule}{extra}" for rule in rules]


def settings(
    columns: set[str], *, unique_id: str = "profile_id", extra_blocking: str = ""
) -> SettingsCreator:
    """A Splink settings object using the comparisons whose columns the data has."""
    comparisons: list[Any] = []
    if {"given_joined", "family_joined"} <= columns:
        comparisons += [given_name_comparison(), family_name_comparison()]
    if "dob" in columns:
        comparisons.append(dob_comparison())
    for col in ("sex", "country"):
        if col in columns:
            comparisons.append(exact_comparison(col))
    for col in ("a_number", "ssn", "fin", "passport", "other_id"):
        if col in columns:
            comparisons.append(identifier_comparison(col))
    if {"postal_code", "street"} <= columns:
        comparisons.append(address_comparison())
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name=unique_id,
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking_rules(extra_blocking),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
