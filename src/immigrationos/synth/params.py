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

    us_citizen_mixed_household: float = 0.14  # FWD.us: 0.47 USC per unauthorized person
    naturalized: float = 0.10  # ~0.85 M naturalizations a year over ten years
    lpr: float = 0.265  # OHSS 12.9 M
    nonimmigrant: float = 0.075  # OHSS 3.6 M resident nonimmigrants
    refugee_asylee: float = 0.02  # assumption (L)
    visitor: float = 0.11  # I-94-only visitors, heavily down-sampled
    unauthorized_unprotected: float = 0.165  # Pew: 8 of 14 M without protection
    pending_asylum: float = 0.062  # Pew 2.6 M
    parole: float = 0.016  # Pew 0.7 M
    tps: float = 0.015  # Pew 0.65 M
    daca: float = 0.015  # Pew 0.6 M
    other_deferred: float = 0.016  # U/T/SIJ and other deferred action, Pew 0.7 M


class EnforcementRates(BaseModel):
    """Stages reached by unprotected unauthorized persons, and criminal history rates."""

    model_config = ConfigDict(extra="forbid")

    overstay_share_of_unprotected: float = 0.40  # unprotected: 60% EWI / 40% overstay
    in_proceedings: float = 0.15  # NTA receipts concentrate on recent arrivals
    final_order: float = 0.10  # in absentia and after-hearing orders accumulate
    reopened_share_of_final_orders: float = 0.04
    removed: float = 0.05  # interior removals ~1.5-2.5% a year, accumulated
    self_departure_registration: float = 0.005  # CBP Home: 0.2-0.5% of the unauthorized
    self_departure_departs: float = 0.60  # assumption: 60% +- 20 of registrants leave
    self_departure_withdraws: float = 0.10
    self_departure_reenters: float = 0.03
    criminal_odds_ratio_for_enforcement: float = 12.0  # late-2025 arrest selection
    conviction_unauthorized: float = 0.057
    pending_charge_unauthorized: float = 0.030
    violent_unauthorized: float = 0.013  # a subset of convictions
    conviction_others: float = 0.030  # assumption for LPRs, nonimmigrants and citizens
    violent_others: float = 0.008
    criminal_org_share_of_convicted: float = 0.08  # flag asserted on about 0.5% of unauthorized
    ewi_encountered: float = 1.0  # every EWI person has a border encounter on record


class NoiseRates(BaseModel):
    """Per record, per field noise; BASE_RATES section 7.4."""

    model_config = ConfigDict(extra="forbid")

    name_typo_dhs: float = 0.02
    name_typo_other: float = 0.04
    romanization_variant: float = 0.30  # non-Latin-script names, per cross-agency record
    second_surname_dropped: float = 0.20
    name_order_swap: float = 0.02
    name_order_swap_east_asian: float = 0.08
    hyphen_space_change: float = 0.10
    diacritics_stripped: float = 0.60
    nickname: float = 0.03
    dob_error_dhs: float = 0.005
    dob_error_other: float = 0.015
    jan1_placeholder_weak_registration: float = 0.14  # refugee channel, weak-registration countries
    jan1_placeholder_elsewhere: float = 0.01
    ssn_missing_non_ssa: float = 0.20
    a_number_missing_non_dhs: float = 0.85
    a_number_typo_dhs: float = 0.003
    alias_overall: float = 0.003  # one fingerprint, two or more biographic identities
    alias_repeat_encounters: float = 0.03
    departure_missing_air: float = 0.02
    departure_missing_land: float = 0.70
    eoir_garbled: float = 0.01
    address_moved: float = 0.45  # with stale copies this gives ~50% cross-agency disagreement
    address_stale: float = 0.20
    doppelganger: float = 0.0015  # extra persons sharing a common name and DOB with another


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
