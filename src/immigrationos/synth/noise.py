"""Per-record noise: what real feeds do to names, birth dates and identifiers.

Each function draws a mask at its BASE_RATES rate and rewrites only the rows in it, so the cost is
proportional to the noise, not to the records.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from immigrationos.synth.countries import EAST_ASIAN_GROUPS, NON_LATIN_GROUPS
from immigrationos.synth.name_tables import NICKNAMES
from immigrationos.synth.names import strip_diacritics
from immigrationos.synth.params import NoiseRates

LETTERS = "abcdefghijklmnopqrstuvwxyz"
DAY = np.timedelta64(1, "D")


def typo(name: str, rng: np.random.Generator) -> str:
    """One keyboard-style edit: insert, delete, substitute or swap adjacent letters."""
    if len(name) < 2:
        return name
    i = int(rng.integers(0, len(name) - 1))
    op = int(rng.integers(0, 4))
    ch = LETTERS[int(rng.integers(0, 26))]
    if op == 0:
        return name[:i] + ch + name[i:]
    if op == 1:
        return name[:i] + name[i + 1 :]
    if op == 2:
        return name[:i] + (ch.upper() if name[i].isupper() else ch) + name[i + 1 :]
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def _rewrite(values: np.ndarray, mask: np.ndarray, fn: object) -> None:
    for i in np.flatnonzero(mask):
        if isinstance(values[i], str):
            values[i] = fn(values[i])  # type: ignore[operator]


def name_noise(
    df: pd.DataFrame,
    groups: np.ndarray,
    rates: NoiseRates,
    dhs: bool,
    variants: dict[str, tuple[str, ...]],
    rng: np.random.Generator,
) -> None:
    """Surname drops, hyphenation, romanization, nicknames, accents, order swaps and typos."""
    n = len(df)
    given = df["given_name"].to_numpy(dtype=object, copy=True)
    family = df["family_name"].to_numpy(dtype=object, copy=True)
    hispanic = groups == "hispanic"
    _rewrite(family, hispanic & (rng.random(n) < rates.second_surname_dropped), lambda s: s.split(" ")[0])
    _rewrite(family, rng.random(n) < rates.hyphen_space_change, lambda s: s.replace(" ", "-"))
    _rewrite(given, rng.random(n) < rates.hyphen_space_change, lambda s: s.replace("-", ""))
    roman = np.isin(groups, list(NON_LATIN_GROUPS))
    pick = rng.integers(0, 1000, n)
    for values in (given, family):
        m = roman & (rng.random(n) < rates.romanization_variant)
        for i in np.flatnonzero(m):
            options = variants.get(values[i]) if isinstance(values[i], str) else None
            if options:
                values[i] = options[pick[i] % len(options)]
    for i in np.flatnonzero(rng.random(n) < rates.nickname):
        options = NICKNAMES.get(given[i])
        if options:
            given[i] = options[pick[i] % len(options)]
    accents = rng.random(n) < rates.diacritics_stripped
    _rewrite(given, accents, strip_diacritics)
    _rewrite(family, accents, strip_diacritics)
    swap_p = np.where(
        np.isin(groups, list(EAST_ASIAN_GROUPS)), rates.name_order_swap_east_asian, rates.name_order_swap
    )
    swap = rng.random(n) < swap_p
    given[swap], family[swap] = family[swap], given[swap].copy()
    p_typo = rates.name_typo_dhs if dhs else rates.name_typo_other
    _rewrite(given, rng.random(n) < p_typo, lambda s: typo(s, rng))
    _rewrite(family, rng.random(n) < p_typo, lambda s: typo(s, rng))
    df["given_name"] = given
    df["family_name"] = family


def _one_digit(d: np.datetime64, rng: np.random.Generator) -> np.datetime64:
    text = list(str(d))
    pos = [0, 1, 2, 3, 5, 6, 8, 9][int(rng.integers(2, 8))]
    text[pos] = str(int(rng.integers(0, 10)))
    try:
        return np.datetime64("".join(text), "D")
    except ValueError:
        return d + DAY


def _day_month_swap(d: np.datetime64) -> np.datetime64:
    y, m, day = str(d).split("-")
    return np.datetime64(f"{y}-{day}-{m}", "D") if int(day) <= 12 else d


def dob_noise(dob: np.ndarray, rates: NoiseRates, dhs: bool, rng: np.random.Generator) -> np.ndarray:
    """Wrong birth dates: one-digit typos, day/month swaps, year off by one, other."""
    out = dob.copy()
    wrong = (rng.random(len(dob)) < (rates.dob_error_dhs if dhs else rates.dob_error_other)) & ~np.isnat(dob)
    kinds = rng.random(len(dob))
    for i in np.flatnonzero(wrong):
        k = kinds[i]
        if k < 0.35:
            out[i] = _one_digit(dob[i], rng)
        elif k < 0.60:
            out[i] = _day_month_swap(dob[i])
        elif k < 0.80:
            out[i] = dob[i] + np.timedelta64(365 if rng.random() < 0.5 else -365, "D")
        else:
            out[i] = dob[i] + int(rng.integers(-40, 40)) * DAY
    return out


def drop(values: np.ndarray, p: float, rng: np.random.Generator) -> np.ndarray:
    out = values.copy()
    out[rng.random(len(values)) < p] = None
    return out


def a_number_typos(values: np.ndarray, p: float, rng: np.random.Generator) -> np.ndarray:
    out = values.copy()
    for i in np.flatnonzero((rng.random(len(values)) < p) & pd.notna(values)):
        chars = list(out[i])
        j = int(rng.integers(0, len(chars) - 1))
        if rng.random() < 0.5:
            chars[j], chars[j + 1] = chars[j + 1], chars[j]
        else:
            chars[j] = str((int(chars[j]) + int(rng.integers(1, 10))) % 10)
        out[i] = "".join(chars)
    return out
