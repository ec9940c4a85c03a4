"""What happens on top of a journey: criminal history, enforcement, self-departure, other agencies.

Enforcement selects persons with a criminal record more often (the odds ratio of real arrest data),
and the ground-truth flags are computed last, from the facts, never from the records.
"""

from __future__ import annotations

import numpy as np

from immigrationos.statuses import Category as C
from immigrationos.statuses import ImmigrationStatus as S
from immigrationos.synth.facts import DAY, Facts
from immigrationos.synth.identity import UNAUTHORIZED
from immigrationos.synth.journeys import YEAR
from immigrationos.synth.names import NameBook
from immigrationos.synth.params import WorldParams

OFFENSES = np.array(["WEAPONS", "DRUG", "PROPERTY", "DUI", "FRAUD", "OTHER"], dtype=object)


def _adult(f: Facts) -> np.ndarray:
    return np.asarray((f.as_of - f["dob"]) >= 18 * YEAR * DAY)


def criminal_history(f: Facts, params: WorldParams) -> None:
    """Convictions, pending charges, violent offenses and criminal-organization membership."""
    e = params.enforcement
    unauth = np.isin(f["category"], list(UNAUTHORIZED)) & _adult(f)
    others = ~np.isin(f["category"], list(UNAUTHORIZED)) & _adult(f)
    draw = f.rng.random(f.n)
    conv_p = np.where(unauth, e.conviction_unauthorized, e.conviction_others)
    violent_p = np.where(unauth, e.violent_unauthorized, e.violent_others) / conv_p
    convicted = (unauth | others) & (draw < conv_p)
    pending = unauth & (draw >= conv_p) & (draw < conv_p + e.pending_charge_unauthorized)
    f.strings("crim_kind", "crim_category")
    f.put("crim_kind", convicted, "convicted")
    f.put("crim_kind", pending, "pending")
    f["crim_violent"] = f.chance(violent_p, convicted)
    f["crim_org"] = f.chance(e.criminal_org_share_of_convicted, convicted & unauth)
    f.put("crim_category", convicted | pending, OFFENSES[f.rng.integers(0, len(OFFENSES), f.n)])
    f.put("crim_category", f["crim_violent"], "VIOLENT")
    f.dates("crim_arrest_date", "crim_disposition_date")
    since = np.maximum(
        f["dob"] + 18 * YEAR * DAY, np.where(np.isnat(f["entry_date"]), f["dob"], f["entry_date"])
    )
    arrest = np.maximum(f.between(since, f.as_of - 60 * DAY), since)
    disposition = np.maximum(f.between(arrest + 60 * DAY, f.as_of - DAY), arrest)
    f.put("crim_arrest_date", convicted | pending, arrest)
    f.put("crim_disposition_date", convicted, disposition)
    f.put("fbi_number", convicted | pending, f["fbi_all"])
    f["gang_db_false_flag"] = f.chance(0.05, (convicted | pending) & ~f["crim_org"])


def _stage_weights(f: Facts, params: WorldParams) -> np.ndarray:
    e = params.enforcement
    criminal = f["crim_kind"] != None  # noqa: E711 - numpy elementwise
    k = np.where(criminal, e.criminal_odds_ratio_for_enforcement, 1.0)
    base = np.array(
        [1 - e.in_proceedings - e.final_order - e.removed, e.in_proceedings, e.final_order, e.removed]
    )
    w = np.column_stack([np.full(f.n, base[0]), base[1] * k, base[2] * k, base[3] * k])
    return np.asarray(w / w.sum(axis=1, keepdims=True))


def _notice_to_appear(f: Facts, mask: np.ndarray, lo: int, hi: int) -> None:
    earliest = np.where(
        np.isnat(f["admit_until"]), f["entry_date"], np.maximum(f["entry_date"], f["admit_until"])
    )
    nta = np.maximum(f.days_before(f.as_of, lo, hi), earliest + 30 * DAY)
    f.put("nta_date", mask, np.minimum(nta, f.as_of - 20 * DAY))
    f.put("a_number", mask, f["a_number_all"])
    f.put("fin", mask, f["fin_all"])


def _final_order(f: Facts, mask: np.ndarray) -> None:
    _notice_to_appear(f, mask, 2 * YEAR, 8 * YEAR)
    order = np.minimum(f["nta_date"] + f.rng.integers(120, 3 * YEAR, f.n) * DAY, f.as_of - 200 * DAY)
    order = np.maximum(order, f["nta_date"] + 30 * DAY)
    f.put("outcome_date", mask, order)
    absentia = f.rng.random(f.n) < 0.55
    f.put("court_outcome", mask, np.where(absentia, "IN_ABSENTIA_ORDER", "REMOVAL_ORDERED").astype(object))
    appealed = f.chance(0.15, mask & ~absentia)
    f.put("appeal_date", appealed, order + f.rng.integers(10, 30, f.n) * DAY)
    f.put(
        "appeal_decided",
        appealed,
        np.minimum(f["appeal_date"] + f.rng.integers(90, 500, f.n) * DAY, f.as_of - DAY),
    )
    f.put("status", mask, S.FINAL_ORDER)


def enforcement(f: Facts, params: WorldParams) -> None:
    """Proceedings, final orders (some reopened) and removals among the unprotected."""
    m = f["category"] == C.UNAUTHORIZED_UNPROTECTED
    w = _stage_weights(f, params)
    cum = w.cumsum(axis=1)
    u = f.rng.random(f.n)[:, None]
    stage = (u > cum).sum(axis=1)
    in_proc, final, removed = m & (stage == 1), m & (stage == 2), m & (stage == 3)
    _notice_to_appear(f, in_proc, 30, 4 * YEAR)
    f.put("hearing_date", in_proc, f.days_after(f.as_of, 20, 2 * YEAR))
    f.put("status", in_proc, S.IN_REMOVAL_PROCEEDINGS)
    _final_order(f, final | removed)
    reopened = f.chance(params.enforcement.reopened_share_of_final_orders, final)
    f.put(
        "reopened_date",
        reopened,
        np.minimum(f["outcome_date"] + f.rng.integers(60, 700, f.n) * DAY, f.as_of - DAY),
    )
    f.put("hearing_date", reopened, f.days_after(f.as_of, 20, YEAR))
    f.put("status", reopened, S.IN_REMOVAL_PROCEEDINGS)
    after_order = np.maximum(f["outcome_date"], f["appeal_decided"].astype("datetime64[D]"))
    after_order = np.where(np.isnat(f["appeal_decided"]), f["outcome_date"], after_order)
    arrest = np.minimum(after_order + f.rng.integers(20, 900, f.n) * DAY, f.as_of - 100 * DAY)
    f.put("arrest_date", removed, arrest)
    f.put("detention_date", removed, arrest)
    f.put("removal_date", removed, arrest + f.rng.integers(10, 90, f.n) * DAY)
    f.put("status", removed, S.REMOVED)
    arrested_in_proc = f.chance(0.4, in_proc)
    f.put("arrest_date", arrested_in_proc, f["nta_date"])
    f.put("detention_date", arrested_in_proc, f["nta_date"])
    f.put("release_date", arrested_in_proc, f["nta_date"] + f.rng.integers(3, 120, f.n) * DAY)


ENFORCEMENT_DATES = (
    "nta_date",
    "arrest_date",
    "detention_date",
    "release_date",
    "outcome_date",
    "appeal_date",
    "appeal_decided",
    "reopened_date",
)


def _last_us_event(f: Facts) -> np.ndarray:
    """The latest dated event of a person's stay so far (a registration, and a departure, come after it)."""
    last = f["entry_date"] + 30 * DAY
    for col in ENFORCEMENT_DATES:
        last = np.where(np.isnat(f[col]), last, np.maximum(last, f[col]))
    return np.asarray(last)


def _registrants(f: Facts, params: WorldParams) -> tuple[np.ndarray, np.ndarray]:
    """Who registers: unprotected unauthorized adults, and a few lawful residents who need not leave."""
    e = params.enforcement
    eligible = np.isin(
        f["status"], [S.OVERSTAY, S.PRESENT_WITHOUT_ADMISSION, S.FINAL_ORDER, S.IN_REMOVAL_PROCEEDINGS]
    )
    share = f["category"] == C.UNAUTHORIZED_UNPROTECTED
    p = (
        e.self_departure_registration
        * np.isin(f["category"], list(UNAUTHORIZED)).mean()
        / max(share.mean(), 1e-9)
    )
    room = _last_us_event(f) < f.as_of - 21 * DAY
    reg = f.chance(min(p, 1.0), eligible & share & _adult(f) & room)
    lawful_pool = np.isin(f["category"], [C.LPR, C.NONIMMIGRANT, C.NATURALIZED]) & _adult(f) & room
    expected = (
        reg.sum() * e.self_departure_lawful_registrants / max(1 - e.self_departure_lawful_registrants, 1e-9)
    )
    lawful = f.chance(min(expected / max(lawful_pool.sum(), 1), 1.0), lawful_pool)
    return reg, lawful


def self_departures(f: Facts, params: WorldParams) -> None:
    """App registrants: most leave (an exit record, a destination-country report, an app confirmation),
    some withdraw, some stay past their planned date, a few return after leaving, a few register twice,
    and a few lawful residents register who need not leave at all."""
    e = params.enforcement
    reg, lawful = _registrants(f, params)
    f.dates(
        "sd_registered",
        "sd_planned",
        "sd_travel_arranged",
        "sd_departure_date",
        "sd_confirmed_date",
        "sd_withdrawn_date",
        "sd_reentry_date",
        "sd_second_registered",
    )
    f.flags("sd_exit_recorded", "sd_app_confirmed", "sd_departed", "sd_destination_reported")
    f["sd_lawful"] = lawful
    registered = f.between(np.maximum(f.as_of - 540 * DAY, _last_us_event(f) + DAY), f.as_of - 20 * DAY)
    registered = np.where(
        lawful,
        f.between(np.maximum(f.as_of - 300 * DAY, _last_us_event(f) + DAY), f.as_of - 20 * DAY),
        registered,
    )
    f.put("sd_registered", reg | lawful, registered)
    f.put("sd_planned", reg | lawful, registered + f.rng.integers(7, 60, f.n) * DAY)
    twice = f.chance(e.self_departure_duplicate_registration, reg | lawful)
    f.put(
        "sd_second_registered",
        twice,
        np.minimum(registered + f.rng.integers(2, 30, f.n) * DAY, f.as_of - DAY),
    )
    outcome = f.rng.random(f.n)
    withdrawal = registered + f.rng.integers(3, 60, f.n) * DAY
    withdrawn = (reg | lawful) & (outcome < e.self_departure_withdraws) & (withdrawal < f.as_of)
    departure = f["sd_planned"] + f.rng.integers(-3, 21, f.n) * DAY
    leaves = (
        reg
        & ~withdrawn
        & (outcome < e.self_departure_withdraws + e.self_departure_departs)
        & (departure < f.as_of)
    )
    f.put("sd_withdrawn_date", withdrawn, withdrawal)
    f.put("sd_departed", leaves, True)
    f.put("sd_departure_date", leaves, departure)
    arranged = f.chance(0.85, leaves) | f.chance(0.3, (reg | lawful) & ~withdrawn & ~leaves)
    f.put("sd_travel_arranged", arranged, registered + f.rng.integers(1, 6, f.n) * DAY)
    exit_seen = (leaves & arranged) | f.chance(e.self_departure_exit_recorded, leaves)
    f.put("sd_exit_recorded", exit_seen, True)
    reported = (leaves & ~exit_seen) | f.chance(e.self_departure_destination_reported, leaves)
    f.put("sd_destination_reported", reported, True)
    app = f.chance(0.8, leaves) | (leaves & ~exit_seen)
    false_claim = f.chance(0.03, (reg | lawful) & ~leaves & ~withdrawn & (f["sd_planned"] < f.as_of))
    f.put("sd_app_confirmed", app | false_claim, True)
    f.put("sd_confirmed_date", app, departure + f.rng.integers(1, 14, f.n) * DAY)
    f.put("sd_confirmed_date", false_claim, f["sd_planned"] + f.rng.integers(1, 14, f.n) * DAY)
    f["sd_false_claim"] = false_claim
    f["sd_confirmed_date"] = np.minimum(f["sd_confirmed_date"], f.as_of - DAY)
    back = f.chance(e.self_departure_reenters, leaves & (departure < f.as_of - 60 * DAY))
    f.put("sd_reentry_date", back, np.minimum(departure + f.rng.integers(30, 200, f.n) * DAY, f.as_of - DAY))
    f.put("fin", back, f["fin_all"])
    had_order = f["status"] == S.FINAL_ORDER
    f.put("status", leaves & ~back, S.DEPARTED)
    f.put("status", back & ~had_order, S.PRESENT_WITHOUT_ADMISSION)
    f.put("departure_date", leaves, departure)
    f.put("departure_recorded", exit_seen, True)


def other_agencies(f: Facts) -> None:
    """ITINs, tax filing, health enrollment and assisted housing at the coverage rates in
    BASE_RATES section 7.3."""
    adult = _adult(f)
    no_ssn = f["ssn"] == None  # noqa: E711
    unauth = np.isin(f["category"], list(UNAUTHORIZED))
    itin = f.chance(0.5, unauth & adult & no_ssn)
    f.put("itin", itin, f["itin_all"])
    has_tin = (f["ssn"] != None) | itin  # noqa: E711
    lawful_adult = adult & ~unauth & (f["category"] != C.VISITOR)
    f["tax_filer"] = f.chance(np.where(unauth, 0.55, 0.8), has_tin & (adult & (unauth | lawful_adult)))
    f["tax_years"] = f.rng.integers(1, 4, f.n)
    child_usc = (f["category"] == C.US_CITIZEN_MIXED_HOUSEHOLD) & ~adult
    p_hhs = np.select(
        [child_usc, f["category"] == C.REFUGEE_ASYLEE, f["category"] == C.LPR], [0.4, 0.3, 0.05], 0.0
    )
    f["hhs"] = f.chance(p_hhs)
    heads = np.unique(f["household_head"][f["household_head"] >= 0])
    hud_heads = heads[f.rng.random(len(heads)) < 0.005]
    f["hud"] = np.isin(np.arange(f.n), hud_heads) | np.isin(f["household_head"], hud_heads)
    f["hud"] |= f.chance(0.01, np.isin(f["category"], [C.LPR, C.NATURALIZED, C.REFUGEE_ASYLEE]))
    f.dates("hhs_date", "hud_date")
    old_enough = f["dob"] < f.as_of - 30 * DAY  # a newborn has no enrollment on record yet
    f["hhs"] &= old_enough
    f["hud"] &= old_enough
    for col, flag, years in (("hhs_date", "hhs", 3), ("hud_date", "hud", 5)):
        earliest = np.maximum(f.as_of - years * YEAR * DAY, f.after_birth(0.02))
        f.put(col, f[flag], f.between(earliest, f.as_of - 10 * DAY))


def aliases(f: Facts, params: WorldParams, book: NameBook) -> None:
    """One fingerprint under a second biographic identity (deliberate aliases at encounters)."""
    repeat = ~np.isnat(f["arrest_date"]) & ~np.isnat(f["encounter_date"])
    has_fin = f["fin"] != None  # noqa: E711
    p = np.where(repeat, params.noise.alias_repeat_encounters, params.noise.alias_overall)
    alias = f.chance(p, has_fin)
    f["alias"] = alias
    f.strings("alias_given", "alias_family")
    for group, pool in book.pools.items():
        m = alias & (f["group"] == group)
        k = int(m.sum())
        if k:
            f["alias_given"][m] = pool.given_male[f.rng.integers(0, len(pool.given_male), k)]
            f["alias_family"][m] = pool.family[f.rng.integers(0, len(pool.family), k)]
    f["alias_dob"] = np.where(
        alias & (f.rng.random(f.n) < 0.5), f["doc_dob"] + f.rng.integers(-900, 900, f.n) * DAY, f["doc_dob"]
    )


def truth_flags(f: Facts) -> None:
    """The flags later layers are measured against, from facts alone."""
    status = f["status"]
    f["flag_citizen"] = status == S.US_CITIZEN
    f["flag_lpr"] = status == S.LPR
    f["flag_overstay"] = status == S.OVERSTAY
    f["flag_violent_conviction"] = f["crim_violent"].copy()
    f["flag_criminal_org"] = f["crim_org"].copy()
    f["flag_pending_protection"] = f["pending_protection"] | np.isin(status, [S.PENDING_PROTECTION])
    f["flag_final_order"] = np.isin(status, [S.FINAL_ORDER]) | (
        (status == S.DEPARTED) & ~np.isnat(f["outcome_date"]) & np.isnat(f["reopened_date"])
    )
    f["flag_departed"] = status == S.DEPARTED
    f["flag_removed"] = status == S.REMOVED
    f["flag_minor"] = ~_adult(f)
    f["flag_self_departure_registrant"] = ~np.isnat(f["sd_registered"])
    f["flag_self_departure_lawful"] = f["sd_lawful"].copy()
