"""Each agency's view of the true facts: the records it would hold, before noise.

A source builder lists events (person index, date, event columns); ``attach_identity`` then fills the
catalog fields that carry a person attribute (name, birth date, address at that date, identifiers) the
way that agency records them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from immigrationos.statuses import Category as C
from immigrationos.synth.facts import DAY, NAT, Facts, bijective_codes, choose, digits
from immigrationos.synth.identity import Localities

Part = dict[str, np.ndarray]
DHS_GRADE = frozenset(
    {
        "cbp_i94",
        "state_visas",
        "uscis_benefits",
        "eoir_court",
        "ice_enforcement",
        "biometric_encounters",
        "self_departure_app",
    }
)
ALIAS_SOURCES = frozenset({"ice_enforcement", "biometric_encounters"})


def part(f: Facts, mask: np.ndarray, date: np.ndarray | str, **cols: np.ndarray | str | None) -> Part:
    """Rows for the persons in ``mask``: their index, the record date and the given columns."""
    idx = np.flatnonzero(mask)
    out: Part = {"_pi": idx}
    dates = f[date] if isinstance(date, str) else date
    out["_date"] = dates[idx]
    for name, value in cols.items():
        out[name] = value[idx] if isinstance(value, np.ndarray) else np.full(len(idx), value, dtype=object)
    return out


def has(f: Facts, col: str) -> np.ndarray:
    return np.asarray(~np.isnat(f[col]))


def notnull(f: Facts, col: str) -> np.ndarray:
    return np.asarray(f[col] != None)  # noqa: E711 - numpy elementwise


def concat(parts: list[Part]) -> pd.DataFrame:
    frames = [pd.DataFrame(p) for p in parts if len(p["_pi"])]
    if not frames:
        return pd.DataFrame(
            {"_pi": np.array([], dtype=np.int64), "_date": np.array([], dtype="datetime64[D]")}
        )
    return pd.concat(frames, ignore_index=True)


def unique_numbers(
    gi: np.ndarray, slot: int | np.ndarray, width: int, global_offset: int, seed: int
) -> np.ndarray:
    """Distinct numbers per (person, slot < 16) that do not reveal the person."""
    key = (gi.astype(np.int64) + global_offset) * 16 + slot
    return digits(bijective_codes(key, 10**width, 3**21 if width > 9 else 387_420_489, seed * 104_729), width)


# --- CBP I-94 -------------------------------------------------------------------------------------------


def cbp_i94(f: Facts) -> list[Part]:
    admitted = np.isin(f["entry_kind"], ["visa", "immigrant_visa", "refugee", "parole"])
    no_until = np.isin(f["entry_kind"], ["immigrant_visa", "refugee"])
    until = np.where(no_until, NAT, f["admit_until"])
    parts = [
        part(
            f,
            admitted,
            "entry_date",
            event_type="ARRIVAL",
            class_of_admission=f["entry_class"],
            admit_until=until,
            travel_mode=f["entry_mode"],
            _slot=np.zeros(f.n, dtype=np.int64),
        )
    ]
    parts += prior_trips(f)
    left = f["sd_exit_recorded"]
    mode = np.where(np.isin(f["country"], ["MEX"]) & (f.rng.random(f.n) < 0.3), "LAND", "AIR").astype(object)
    parts.append(
        part(
            f,
            left,
            "sd_departure_date",
            event_type="DEPARTURE",
            travel_mode=mode,
            _slot=np.full(f.n, 9, dtype=np.int64),
        )
    )
    return parts


def prior_trips(f: Facts) -> list[Part]:
    """Earlier visits that ended in a departure (recorded unless the exit was missed)."""
    parts: list[Part] = []
    anchor = f["entry_date"].copy()
    for trip in range(1, int(f["prior_trips"].max(initial=0)) + 1):
        m = f["prior_trips"] >= trip
        arrive = anchor - f.rng.integers(200, 500, f.n) * DAY
        leave = arrive + f.rng.integers(5, 150, f.n) * DAY
        land = f["entry_mode"] == "LAND"
        missing = f.rng.random(f.n) < np.where(
            land, f.params.noise.departure_missing_land, f.params.noise.departure_missing_air
        )
        until = arrive + np.where(f["entry_class"] == "WT", 90, 180) * DAY
        parts.append(
            part(
                f,
                m,
                arrive,
                event_type="ARRIVAL",
                class_of_admission=f["entry_class"],
                admit_until=until,
                travel_mode=f["entry_mode"],
                _slot=np.full(f.n, 2 * trip - 1),
            )
        )
        parts.append(
            part(
                f,
                m & ~missing,
                leave,
                event_type="DEPARTURE",
                travel_mode=f["entry_mode"],
                _slot=np.full(f.n, 2 * trip),
            )
        )
        anchor = np.where(m, arrive, anchor)
    return parts


def state_visas(f: Facts) -> list[Part]:
    m = notnull(f, "visa_class")
    posts = np.char.add(f["country"].astype(str), "-CONSULATE").astype(object)
    return [
        part(
            f,
            m,
            "visa_issue",
            visa_class=f["visa_class"],
            issue_date=f["visa_issue"],
            expiration_date=f["visa_expiry"],
            issuing_post=posts,
        )
    ]


# --- USCIS ----------------------------------------------------------------------------------------------


def _application(
    f: Facts,
    form: str,
    slot: int,
    filed: np.ndarray,
    decided: np.ndarray | None,
    valid_until: np.ndarray | None = None,
    decision: str = "APPROVED",
) -> list[Part]:
    m = ~np.isnat(filed)
    slots = np.full(f.n, slot, dtype=np.int64)
    parts = [part(f, m, filed, form_type=form, event_type="FILED", _slot=slots)]
    if decided is not None:
        d = m & ~np.isnat(decided)
        vu = valid_until if valid_until is not None else np.full(f.n, NAT, dtype="datetime64[D]")
        parts.append(part(f, d, decided, form_type=form, event_type=decision, valid_until=vu, _slot=slots))
    return parts


def uscis_benefits(f: Facts) -> list[Part]:
    ext_decided = np.where(f["ext_approved"], f["ext_filed"] + 90 * DAY, NAT)
    affirmative = np.where(f["asylum_venue"] == "affirmative", f["asylum_filed"], NAT)
    daca = f["tp_kind"] == "DACA"
    tps = np.where(f["tp_kind"] == "TPS", f["tp_filed"], NAT)
    deferred = np.where(f["tp_kind"] == "DEFERRED", f["tp_filed"], NAT)
    renewal = np.where(daca, f["tp_filed"], NAT)
    initial_decided = f["tp_initial_filed"] + 120 * DAY
    ead_decided = f["ead_filed"] + 75 * DAY
    return [
        *_application(f, "I-485", 1, f["adj_filed"], f["lpr_date"]),
        *_application(f, "N-400", 2, f["nat_filed"], f["nat_date"]),
        *_application(f, "I-589", 3, affirmative, f["asylum_granted"]),
        *_application(f, "I-539", 4, f["ext_filed"], ext_decided, f["ext_until"]),
        *_application(f, "I-821", 5, tps, f["tp_start"], f["tp_end"]),
        *_application(f, "I-821D", 6, f["tp_initial_filed"], initial_decided, initial_decided + 730 * DAY),
        *_application(f, "I-821D", 7, renewal, f["tp_start"], f["tp_end"]),
        *_application(f, "I-918", 8, deferred, f["tp_start"], f["tp_end"]),
        *_application(f, "I-765", 9, f["ead_filed"], ead_decided, ead_decided + 730 * DAY),
    ]


# --- EOIR and ICE ---------------------------------------------------------------------------------------


def eoir_court(f: Facts) -> list[Part]:
    court = has(f, "nta_date")
    first_hearing = np.where(has(f, "outcome_date"), f["outcome_date"], f["hearing_date"])
    reopened = has(f, "reopened_date")
    return [
        part(f, court, "nta_date", event_type="NTA_FILED"),
        part(f, court, f["nta_date"] + 20 * DAY, event_type="HEARING_SCHEDULED", hearing_date=first_hearing),
        part(f, court & f["asylum_in_court"], "asylum_filed", event_type="ASYLUM_APPLICATION"),
        part(f, has(f, "outcome_date"), "outcome_date", event_type=f["court_outcome"]),
        part(f, has(f, "appeal_date"), "appeal_date", event_type="APPEAL_FILED"),
        part(f, has(f, "appeal_decided"), "appeal_decided", event_type="APPEAL_DISMISSED"),
        part(f, reopened, "reopened_date", event_type="REOPENED"),
        part(
            f,
            reopened,
            f["reopened_date"] + 15 * DAY,
            event_type="HEARING_SCHEDULED",
            hearing_date=f["hearing_date"],
        ),
    ]


def ice_enforcement(f: Facts) -> list[Part]:
    return [
        part(
            f,
            has(f, "encounter_date") & (f["entry_kind"] != "parole"),
            "encounter_date",
            event_type="ENCOUNTER",
        ),
        part(f, has(f, "sd_reentry_date"), "sd_reentry_date", event_type="ENCOUNTER"),
        part(f, has(f, "arrest_date"), "arrest_date", event_type="ARREST"),
        part(f, has(f, "detention_date"), "detention_date", event_type="DETENTION"),
        part(f, has(f, "release_date"), "release_date", event_type="RELEASE"),
        part(f, has(f, "removal_date"), "removal_date", event_type="REMOVAL", removal_country=f["country"]),
    ]


def biometric_encounters(f: Facts) -> list[Part]:
    fin = notnull(f, "fin")
    refugee_processing = f["entry_date"] - f.rng.integers(60, 300, f.n) * DAY
    benefit = np.fmin(np.fmin(f["adj_filed"], f["nat_filed"]), np.fmin(f["tp_filed"], f["asylum_filed"]))
    benefit = np.where(f["asylum_venue"] == "defensive", np.fmin(f["adj_filed"], f["tp_filed"]), benefit)
    return [
        part(
            f,
            fin & has(f, "encounter_date"),
            "encounter_date",
            encounter_type="BORDER",
            collecting_agency="CBP",
        ),
        part(
            f,
            fin & has(f, "sd_reentry_date"),
            "sd_reentry_date",
            encounter_type="BORDER",
            collecting_agency="CBP",
        ),
        part(
            f, fin & has(f, "arrest_date"), "arrest_date", encounter_type="INTERIOR", collecting_agency="ICE"
        ),
        part(
            f,
            fin & has(f, "visa_issue"),
            "visa_issue",
            encounter_type="VISA_ENROLLMENT",
            collecting_agency="DOS",
        ),
        part(
            f,
            fin & ~np.isnat(benefit),
            benefit + 30 * DAY,
            encounter_type="BENEFIT_BIOMETRICS",
            collecting_agency="USCIS",
        ),
        part(
            f,
            fin & (f["entry_kind"] == "refugee"),
            refugee_processing,
            encounter_type="REFUGEE_PROCESSING",
            collecting_agency="USCIS",
        ),
    ]


# --- other agencies -------------------------------------------------------------------------------------


def ssa_numident(f: Facts) -> list[Part]:
    m = notnull(f, "ssn")
    birth_state = choose(f["category"] == C.US_CITIZEN_MIXED_HOUSEHOLD, f["_state"], None)
    return [
        part(
            f,
            m,
            "ssn_issue_date",
            ssn=f["ssn"],
            citizenship_code=f["ssa_code"],
            card_issue_date=f["ssn_issue_date"],
            birth_state=birth_state,
        )
    ]


def irs_filings(f: Facts) -> list[Part]:
    parts: list[Part] = []
    year = int(str(f.as_of.astype("datetime64[Y]")))
    tin = np.where(notnull(f, "ssn"), f["ssn"], f["itin"])
    tin_type = np.where(notnull(f, "ssn"), "SSN", "ITIN").astype(object)
    for k in range(1, 4):
        m = f["tax_filer"] & (f["tax_years"] >= k)
        filed = np.datetime64(f"{year - k + 1}-04-15") - f.rng.integers(0, 80, f.n) * DAY
        parts.append(
            part(
                f,
                m,
                filed,
                tin=tin,
                tin_type=tin_type,
                tax_year=np.full(f.n, year - k),
                filing_date=filed,
            )
        )
    return parts


def hhs_enrollment(f: Facts) -> list[Part]:
    child = (f.as_of - f["dob"]) < 18 * 365 * DAY
    program = np.where(child & (f.rng.random(f.n) < 0.5), "CHIP", "MEDICAID").astype(object)
    return [part(f, f["hhs"], "hhs_date", program=program, enrollment_date=f["hhs_date"])]


def dol_labor(f: Facts) -> list[Part]:
    m = notnull(f, "labor_program")
    visa = choose(f["labor_program"] == "LCA", "H1B", None)
    employers = np.array(
        [
            "Acme Analytics LLC",
            "Northwind Systems Inc",
            "Blue Ridge Health",
            "Sunrise Farms",
            "Lakeside University",
            "Pioneer Software Corp",
        ],
        dtype=object,
    )
    case = np.char.add("DOL-", unique_numbers(f["_gi"], 1, 9, 0, 3).astype(str)).astype(object)
    return [
        part(
            f,
            m,
            "labor_cert_date",
            case_number=case,
            program=f["labor_program"],
            decision="CERTIFIED",
            decision_date=f["labor_cert_date"],
            employer_name=employers[f.rng.integers(0, 6, f.n)],
            visa_class=visa,
        )
    ]


def hud_assistance(f: Facts) -> list[Part]:
    citizen = f["status"] == "us_citizen"
    eligible = np.isin(f["status"], ["lpr", "refugee_asylee"])
    eligibility = np.select([citizen, eligible], ["CITIZEN", "ELIGIBLE_NONCITIZEN"], "INELIGIBLE").astype(
        object
    )
    program = np.where(f.rng.random(f.n) < 0.5, "PUBLIC_HOUSING", "HOUSING_CHOICE_VOUCHER").astype(object)
    return [
        part(f, f["hud"], "hud_date", program=program, eligibility=eligibility, effective_date=f["hud_date"])
    ]


def criminal_history(f: Facts) -> list[Part]:
    crim = notnull(f, "crim_kind")
    charge = f["crim_arrest_date"] + f.rng.integers(1, 4, f.n) * DAY
    severe = np.isin(f["crim_category"], ["VIOLENT", "WEAPONS", "DRUG"])
    severity = np.where(severe | (f.rng.random(f.n) < 0.3), "FELONY", "MISDEMEANOR").astype(object)
    basis = np.where(f.rng.random(f.n) < 0.6, "CONVICTION_ENHANCEMENT", "SELF_ADMISSION").astype(object)
    common = {"offense_category": f["crim_category"], "offense_severity": severity}
    convicted = f["crim_kind"] == "convicted"
    return [
        part(
            f,
            crim,
            "crim_arrest_date",
            event_type="ARREST",
            criminal_org_flag=f["gang_db_false_flag"],
            criminal_org_basis=choose(f["gang_db_false_flag"], "GANG_DATABASE", None),
            **common,
        ),
        part(f, crim, charge, event_type="CHARGE", **common),
        part(
            f,
            convicted,
            "crim_disposition_date",
            event_type="CONVICTION",
            criminal_org_flag=f["crim_org"],
            criminal_org_basis=choose(f["crim_org"], basis, None),
            **common,
        ),
    ]


def self_departure_app(f: Facts) -> list[Part]:
    reg = has(f, "sd_registered")
    reg_id = np.char.add("SD-", unique_numbers(f["_gi"], 2, 10, 0, 5).astype(str)).astype(object)
    second_id = np.char.add("SD-", unique_numbers(f["_gi"], 3, 10, 0, 5).astype(str)).astype(object)
    common = {"registration_id": reg_id}
    return [
        part(
            f,
            reg,
            "sd_registered",
            event_type="REGISTERED",
            planned_departure_date=f["sd_planned"],
            destination_country=f["country"],
            **common,
        ),
        part(
            f,
            has(f, "sd_second_registered"),
            "sd_second_registered",
            event_type="REGISTERED",
            planned_departure_date=f["sd_planned"],
            destination_country=f["country"],
            registration_id=second_id,
        ),
        part(
            f,
            has(f, "sd_travel_arranged"),
            "sd_travel_arranged",
            event_type="TRAVEL_ARRANGED",
            planned_departure_date=f["sd_planned"],
            **common,
        ),
        part(
            f,
            has(f, "sd_confirmed_date") & f["sd_app_confirmed"],
            "sd_confirmed_date",
            event_type="CONFIRMED_ABROAD",
            destination_country=f["country"],
            **common,
        ),
        part(f, has(f, "sd_withdrawn_date"), "sd_withdrawn_date", event_type="WITHDRAWN", **common),
    ]


def destination_arrivals(f: Facts) -> list[Part]:
    """A partner country's record of a registrant arriving there after leaving the United States."""
    m = f["sd_destination_reported"]
    mode = np.where(f["sd_exit_recorded"], "AIR", "LAND").astype(object)
    return [
        part(
            f,
            m,
            f["sd_departure_date"] + f.rng.integers(0, 3, f.n) * DAY,
            reporting_country=f["country"],
            travel_mode=mode,
        )
    ]


BUILDERS: dict[str, Callable[[Facts], list[Part]]] = {
    "cbp_i94": cbp_i94,
    "state_visas": state_visas,
    "uscis_benefits": uscis_benefits,
    "eoir_court": eoir_court,
    "ice_enforcement": ice_enforcement,
    "biometric_encounters": biometric_encounters,
    "ssa_numident": ssa_numident,
    "irs_filings": irs_filings,
    "hhs_enrollment": hhs_enrollment,
    "dol_labor": dol_labor,
    "hud_assistance": hud_assistance,
    "criminal_history": criminal_history,
    "self_departure_app": self_departure_app,
    "destination_arrivals": destination_arrivals,
}


def address_columns(
    f: Facts, loc: Localities, pi: np.ndarray, at: np.ndarray, stale_p: float
) -> dict[str, np.ndarray]:
    """The address the person had at each record's date; non-DHS agencies keep stale ones more."""
    use_prev = (at < f["move_date"][pi]) | (f["moved"][pi] & (f.rng.random(len(pi)) < stale_p))
    house = np.where(use_prev, f["prev_house"][pi], f["house"][pi])
    street = np.where(use_prev, f["prev_street"][pi], f["street"][pi])
    place = np.where(use_prev, f["prev_locality"][pi], f["locality"][pi])
    streets = np.char.add(np.char.add(house.astype(str), " "), loc.streets[street].astype(str)).astype(object)
    return {
        "street": streets,
        "city": loc.cities[place],
        "state": loc.states[place],
        "postal_code": loc.postal_codes[place],
    }
