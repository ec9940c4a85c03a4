"""Parameters of the synthetic world, with defaults taken from public base rates.

Each default names its basis; ``../shared/BASE_RATES.md`` (kept with the project's reference material)
gives the sources. Changing a rate means passing a parameter file, not editing code.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from immigrationos.errors import GenerationError


class PopulationMix(BaseModel):
    """Share of persons by ground-truth category (normalised to 1); BASE_RATES section 7.1."""

    model_config = ConfigDict(extra="forbid")

    us_citizen_mixed_household: float = Field(
        default=0.14, description="FWD.us: 0.47 USC per unauthorized person"
    )
    naturalized: float = Field(default=0.10, description="~0.85 M naturalizations a year over ten years")
    lpr: float = Field(default=0.265, description="lawful permanent residents: OHSS estimate 12.9 M")
    nonimmigrant: float = Field(default=0.075, description="OHSS 3.6 M resident nonimmigrants")
    refugee_asylee: float = Field(default=0.02, description="assumption (L)")
    visitor: float = Field(default=0.11, description="I-94-only visitors, heavily down-sampled")
    unauthorized_unprotected: float = Field(default=0.165, description="Pew: 8 of 14 M without protection")
    pending_asylum: float = Field(default=0.062, description="pending asylum applicants: Pew 2.6 M")
    parole: float = Field(default=0.016, description="parolees (CHNV, CBP One, U4U, OAW): Pew 0.7 M")
    tps: float = Field(default=0.015, description="TPS holders: Pew 0.65 M")
    daca: float = Field(default=0.015, description="DACA recipients: Pew 0.6 M")
    other_deferred: float = Field(default=0.016, description="U/T/SIJ and other deferred action, Pew 0.7 M")


class EnforcementRates(BaseModel):
    """Stages reached by unprotected unauthorized persons, and criminal history rates."""

    model_config = ConfigDict(extra="forbid")

    overstay_share_of_unprotected: float = Field(
        default=0.40, description="unprotected: 60% EWI / 40% overstay"
    )
    in_proceedings: float = Field(default=0.15, description="NTA receipts concentrate on recent arrivals")
    final_order: float = Field(default=0.10, description="in absentia and after-hearing orders accumulate")
    reopened_share_of_final_orders: float = Field(
        default=0.04,
        description="share of final orders later reopened (motion to reopen granted); assumption (L)",
    )
    removed: float = Field(default=0.05, description="interior removals ~1.5-2.5% a year, accumulated")
    self_departure_registration: float = Field(
        default=0.005, description="CBP Home: 0.2-0.5% of the unauthorized"
    )
    self_departure_departs: float = Field(
        default=0.60, description="assumption: 60% +- 20 of registrants leave"
    )
    self_departure_withdraws: float = Field(
        default=0.10, description="registrants who withdraw before leaving; assumption (L)"
    )
    self_departure_reenters: float = Field(
        default=0.03,
        description="departed registrants who come back (an encounter after the exit); assumption (L)",
    )
    self_departure_lawful_registrants: float = Field(
        default=0.03,
        description="registrations by persons who need not leave (LPRs, nonimmigrants in status, "
        "naturalized citizens), as a share of all registrations; assumption (L)",
    )
    self_departure_duplicate_registration: float = Field(
        default=0.05, description="registrants who register a second time under a new id; assumption (L)"
    )
    self_departure_exit_recorded: float = Field(
        default=0.90,
        description="CBP exit record for a registrant who travels on their own (arranged travel always "
        "leaves a carrier manifest); land exits are not recorded by CBP",
    )
    self_departure_destination_reported: float = Field(
        default=0.20,
        description="destination-country arrival report for a departure CBP did record; every departure "
        "CBP missed is reported by the destination country (bilateral entry/exit sharing); assumption (L)",
    )
    criminal_odds_ratio_for_enforcement: float = Field(default=12.0, description="late-2025 arrest selection")
    conviction_unauthorized: float = Field(
        default=0.057, description="unauthorized adults with a conviction (non-detained docket, 5.7%)"
    )
    pending_charge_unauthorized: float = Field(
        default=0.030, description="unauthorized adults with a pending charge (3.0%)"
    )
    violent_unauthorized: float = Field(
        default=0.013,
        description="unauthorized adults with a violent conviction (1.3%), a subset of convictions",
    )
    conviction_others: float = Field(
        default=0.030, description="assumption for LPRs, nonimmigrants and citizens"
    )
    violent_others: float = Field(
        default=0.008,
        description="LPRs, nonimmigrants and citizens with a violent conviction; assumption (L)",
    )
    criminal_org_share_of_convicted: float = Field(
        default=0.08, description="flag asserted on about 0.5% of unauthorized"
    )
    ewi_encountered: float = Field(
        default=1.0, description="every EWI person has a border encounter on record"
    )


class NoiseRates(BaseModel):
    """Per record, per field noise; BASE_RATES section 7.4."""

    model_config = ConfigDict(extra="forbid")

    name_typo_dhs: float = Field(
        default=0.02, description="character typo per name field per record, DHS feeds (Luo: 2%)"
    )
    name_typo_other: float = Field(
        default=0.04,
        description="character typo per name field per record, other agencies (Winkler planning value ~4-5%)",
    )
    romanization_variant: float = Field(
        default=0.30, description="non-Latin-script names, per cross-agency record"
    )
    second_surname_dropped: float = Field(
        default=0.20, description="second Spanish/Portuguese surname dropped per record; assumption (L)"
    )
    name_order_swap: float = Field(
        default=0.02, description="given and family name swapped per record; assumption (L)"
    )
    name_order_swap_east_asian: float = Field(
        default=0.08,
        description="given/family swap for Chinese, Korean, Vietnamese and Japanese names; assumption (L)",
    )
    hyphen_space_change: float = Field(
        default=0.10, description="compound name written with a hyphen or without the space; assumption (L)"
    )
    diacritics_stripped: float = Field(
        default=0.60,
        description="accents stripped per record by systems without Unicode support; assumption (L)",
    )
    nickname: float = Field(
        default=0.03,
        description="given name recorded as a nickname or short form where one exists; assumption (L)",
    )
    dob_error_dhs: float = Field(
        default=0.005, description="wrong birth date per record, DHS feeds (HES 0.11%; planning 0.5%)"
    )
    dob_error_other: float = Field(
        default=0.015, description="wrong birth date per record, other agencies (Luo 1.5%)"
    )
    jan1_placeholder_weak_registration: float = Field(
        default=0.14, description="refugee channel, weak-registration countries"
    )
    jan1_placeholder_elsewhere: float = Field(
        default=0.01, description="1 January placeholder birth date outside the refugee channel (1%)"
    )
    ssn_missing_non_ssa: float = Field(
        default=0.20, description="SSN absent on a non-SSA record of a holder (registry 22.5%)"
    )
    a_number_missing_non_dhs: float = Field(
        default=0.85, description="A-number absent on a record outside DHS and EOIR; assumption (L)"
    )
    a_number_typo_dhs: float = Field(
        default=0.003, description="A-number mistyped on a DHS record; assumption (L)"
    )
    alias_overall: float = Field(
        default=0.003, description="one fingerprint, two or more biographic identities"
    )
    alias_repeat_encounters: float = Field(
        default=0.03, description="aliases among persons with two or more enforcement encounters (3%)"
    )
    departure_missing_air: float = Field(
        default=0.02, description="real departure with no exit record, air (2%)"
    )
    departure_missing_land: float = Field(
        default=0.70, description="real departure with no exit record, southwest land border (70%)"
    )
    eoir_garbled: float = Field(
        default=0.01, description="EOIR record with a garbled field (TRAC findings, 1%)"
    )
    address_moved: float = Field(
        default=0.45, description="with stale copies this gives ~50% cross-agency disagreement"
    )
    address_stale: float = Field(
        default=0.20,
        description="non-DHS record that keeps the previous address of a person who moved; assumption (L)",
    )
    doppelganger: float = Field(
        default=0.0015, description="extra persons sharing a common name and DOB with another"
    )


class WorldParams(BaseModel):
    """Everything that determines a generated world, besides the seed."""

    model_config = ConfigDict(extra="forbid")

    persons: int = Field(default=10_000, ge=100)
    seed: int = 42
    as_of: date = date(2026, 9, 30)
    chunk_persons: int = Field(default=100_000, ge=1_000)
    mix: PopulationMix = Field(default_factory=PopulationMix)
    enforcement: EnforcementRates = Field(default_factory=EnforcementRates)
    noise: NoiseRates = Field(default_factory=NoiseRates)

    @model_validator(mode="after")
    def _rates_are_probabilities(self) -> WorldParams:
        for group in (self.mix, self.enforcement, self.noise):
            for name, value in group.model_dump().items():
                if name.endswith("odds_ratio_for_enforcement"):
                    continue
                if not 0.0 <= value <= 1.0:
                    raise ValueError(f"{name} must be a probability, got {value}")
        stages = self.enforcement
        if stages.in_proceedings + stages.final_order + stages.removed >= 1.0:
            raise ValueError("enforcement stage shares must leave room for persons never encountered")
        return self


def load_params(path: Path | None, **overrides: object) -> WorldParams:
    """Read a YAML parameter file (optional) and apply command-line overrides."""
    data: dict[str, object] = {}
    if path is not None:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise GenerationError(f"cannot read parameter file {path}: {exc}") from exc
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return WorldParams.model_validate(data)
    except ValueError as exc:
        raise GenerationError(f"invalid world parameters: {exc}") from exc


def describe_params(params: WorldParams | None = None) -> list[tuple[str, object, str]]:
    """Every rate as (dotted name, value, basis): what ``immos params`` prints."""
    params = params or WorldParams()
    rows: list[tuple[str, object, str]] = []
    for group_name in ("mix", "enforcement", "noise"):
        group = getattr(params, group_name)
        for name, info in type(group).model_fields.items():
            rows.append((f"{group_name}.{name}", getattr(group, name), info.description or ""))
    return rows
