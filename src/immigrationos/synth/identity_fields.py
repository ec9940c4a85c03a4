"""Fill each record's person fields (names, birth date, address, identifiers) as its agency would."""

from __future__ import annotations

import numpy as np
import pandas as pd

from immigrationos.sources.models import SourceSpec
from immigrationos.synth import noise
from immigrationos.synth.facts import Facts, choose
from immigrationos.synth.identity import Localities
from immigrationos.synth.names import NameBook
from immigrationos.synth.observe import ALIAS_SOURCES, DHS_GRADE, address_columns, unique_numbers

RECEIPT_PREFIXES = np.array(["EAC", "WAC", "LIN", "SRC", "IOE", "MSC", "NBC"], dtype=object)


def _names(df: pd.DataFrame, f: Facts, pi: np.ndarray, source: str) -> None:
    given, family, dob = f["given"][pi].copy(), f["family"][pi].copy(), f["doc_dob"][pi].copy()
    if source in ALIAS_SOURCES:
        use_alias = f["alias"][pi] & (f.rng.random(len(pi)) < 0.5)
        given[use_alias], family[use_alias] = (
            f["alias_given"][pi][use_alias],
            f["alias_family"][pi][use_alias],
        )
        dob[use_alias] = f["alias_dob"][pi][use_alias]
    if source not in DHS_GRADE:
        true_dob = ~f["dob_placeholder"][pi] | (f.rng.random(len(pi)) < 0.5)
        dob = np.where(true_dob, f["dob"][pi], dob)
    df["given_name"], df["family_name"], df["_dob"] = given, family, dob


def _identifier(f: Facts, pi: np.ndarray, col: str, missing: float) -> np.ndarray:
    return noise.drop(f[col][pi], missing, f.rng)


def _format_a_number(values: np.ndarray, source: str, rng: np.random.Generator) -> np.ndarray:
    """Each agency writes A-numbers its own way; matching must normalise them."""

    def fmt(v: str, style: int) -> str:
        return [f"A{v}", v, f"A-{v[:3]}-{v[3:6]}-{v[6:]}", f"{v[:3]}-{v[3:6]}-{v[6:]}", f"A{v.lstrip('0')}"][
            style
        ]

    styles = {"eoir_court": 3, "criminal_history": 4, "cbp_i94": 0, "uscis_benefits": 0, "ice_enforcement": 0}
    pick = rng.integers(0, 5, len(values))
    out = values.copy()
    for i in np.flatnonzero(pd.notna(values)):
        out[i] = fmt(values[i], styles.get(source, int(pick[i])))
    return out


def _fields_by_role(df: pd.DataFrame, f: Facts, spec: SourceSpec, loc: Localities) -> None:
    pi = df["_pi"].to_numpy()
    at = df["_date"].to_numpy(dtype="datetime64[D]")
    dhs = spec.name in DHS_GRADE
    roles = {fs.role: fs.name for fs in spec.fields if fs.role and fs.name not in df.columns}
    if "street" in roles:
        for key, values in address_columns(f, loc, pi, at, 0.05 if dhs else 0.2).items():
            df[key] = values
    simple = {
        "sex": "sex",
        "citizenship_country": "country",
        "birth_country": "country",
        "passport_country": None,
        "middle_name": "middle",
    }
    for role, col in simple.items():
        if role in roles and col is not None:
            df[roles[role]] = f[col][pi]
    if "a_number" in roles:
        df["a_number"] = _identifier(
            f, pi, "a_number", 0.0 if dhs else f.params.noise.a_number_missing_non_dhs
        )
    if "ssn" in roles:
        held = f["ssn_issue_date"][pi] <= at
        ssn = choose(held, f["ssn"][pi], None)
        df["ssn"] = noise.drop(ssn, f.params.noise.ssn_missing_non_ssa, f.rng)
    if "fin" in roles:
        df["fin"] = f["fin"][pi]
    if "fbi_number" in roles:
        df["fbi_number"] = f["fbi_number"][pi]
    if "passport_number" in roles:
        carried = f.rng.random(len(pi)) < (0.7 if spec.name == "self_departure_app" else 0.97)
        df["passport_number"] = choose(carried, f["passport"][pi], None)
        df["passport_country"] = choose(df["passport_number"].notna(), f["country"][pi], None)


def _numbers(df: pd.DataFrame, f: Facts, spec: SourceSpec) -> None:
    gi = f["_gi"][df["_pi"].to_numpy()]
    slot = (
        df["_slot"].to_numpy(dtype=np.int64) if "_slot" in df.columns else np.zeros(len(df), dtype=np.int64)
    )
    names = spec.field_names
    if "admission_number" in names:
        df["admission_number"] = unique_numbers(gi, slot, 11, 0, f.params.seed)
        df.loc[df["event_type"] == "DEPARTURE", "admission_number"] = None
    if "visa_number" in names:
        df["visa_number"] = unique_numbers(gi, 3, 9, 0, f.params.seed)
    if "receipt_number" in names:
        num = unique_numbers(gi, slot, 10, 7, f.params.seed)
        df["receipt_number"] = RECEIPT_PREFIXES[(gi + slot) % len(RECEIPT_PREFIXES)] + num


def attach_identity(
    df: pd.DataFrame, f: Facts, spec: SourceSpec, loc: Localities, book: NameBook
) -> pd.DataFrame:
    """Identity fields for every record of ``spec``, with that agency's noise."""
    pi = df["_pi"].to_numpy()
    dhs = spec.name in DHS_GRADE
    rates = f.params.noise
    roles = {fs.role for fs in spec.fields}
    _names(df, f, pi, spec.name)
    for date_field in (
        "event_date",
        "encounter_date",
        "enrollment_date",
        "effective_date",
        "decision_date",
        "arrival_date",
    ):
        if date_field in spec.field_names and date_field not in df.columns:
            df[date_field] = df["_date"]
    _fields_by_role(df, f, spec, loc)
    _numbers(df, f, spec)
    noise.name_noise(df, f["group"][pi], rates, dhs, book.variants, f.rng)
    if spec.name == "eoir_court":
        garbled = f.rng.random(len(df)) < rates.eoir_garbled
        df.loc[garbled, "family_name"] = [noise.typo(s, f.rng) for s in df.loc[garbled, "family_name"]]
    if "dob" in roles:
        df["dob"] = noise.dob_noise(df["_dob"].to_numpy(dtype="datetime64[D]"), rates, dhs, f.rng)
        if "dob" in spec.field_names and spec.name == "irs_filings":
            df["dob"] = np.where(df["tin_type"] == "ITIN", df["dob"], np.datetime64("NaT"))
    if "a_number" in df.columns:
        typos = noise.a_number_typos(df["a_number"].to_numpy(dtype=object), rates.a_number_typo_dhs, f.rng)
        df["a_number"] = _format_a_number(typos, spec.name, f.rng)
    if "ssn" in df.columns and spec.name == "ssa_numident":
        df["ssn"] = df["ssn"].str.replace("-", "", regex=False)
    return df
