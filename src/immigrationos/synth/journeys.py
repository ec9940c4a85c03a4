"""What happened to each person: entry, status changes and protections, by population category.

Dates are drawn backwards from anchors (naturalization before the as-of date, LPR before
naturalization, entry before adjustment) so every journey is consistent in time by construction.
"""

from __future__ import annotations

import numpy as np

from immigrationos.statuses import Category as C
from immigrationos.statuses import ImmigrationStatus as S
from immigrationos.synth.countries import LAND_BORDER_COUNTRIES, VISA_WAIVER_COUNTRIES
from immigrationos.synth.facts import DAY, Facts

YEAR = 365
DATE_COLUMNS = (
    "entry_date",
    "admit_until",
    "visa_issue",
    "visa_expiry",
    "departure_date",
    "ext_filed",
    "ext_until",
    "adj_filed",
    "lpr_date",
    "nat_filed",
    "nat_date",
    "asylum_filed",
    "asylum_granted",
    "tp_filed",
    "tp_start",
    "tp_end",
    "tp_initial_filed",
    "ead_filed",
    "nta_date",
    "hearing_date",
    "outcome_date",
    "appeal_date",
    "appeal_decided",
    "reopened_date",
    "encounter_date",
    "arrest_date",
    "detention_date",
    "release_date",
    "removal_date",
    "ssn_issue_date",
    "labor_cert_date",
)
STRING_COLUMNS = (
    "entry_kind",
    "entry_class",
    "entry_mode",
    "visa_class",
    "lpr_via",
    "asylum_venue",
    "tp_kind",
    "court_outcome",
    "ssa_code",
    "labor_program",
    "status",
)
FLAG_COLUMNS = (
    "departure_recorded",
    "ext_approved",
    "ext_pending",
    "asylum_in_court",
    "old_overstay",
    "pending_protection",
)


def init_journeys(f: Facts) -> None:
    f.dates(*DATE_COLUMNS)
    f.strings(*STRING_COLUMNS)
    f.flags(*FLAG_COLUMNS)
    f["prior_trips"] = np.zeros(f.n, dtype=np.int64)


def _admit(f: Facts, mask: np.ndarray, kind: str, klass: np.ndarray | str, when: np.ndarray) -> None:
    """Record a lawful admission (or an entry without inspection when ``kind`` is 'ewi')."""
    f.put("entry_kind", mask, kind)
    f.put("entry_class", mask, klass)
    f.put("entry_date", mask, when)
    land = np.isin(f["country"], list(LAND_BORDER_COUNTRIES)) & (f.rng.random(f.n) < 0.4)
    f.put("entry_mode", mask, np.where(land, "LAND", "AIR").astype(object))


def _visa(f: Facts, mask: np.ndarray, klass: np.ndarray | str, valid_years: int) -> None:
    """A visa issued shortly before the entry it was used for."""
    f.put("visa_class", mask, klass)
    issue = np.maximum(f["entry_date"] - f.rng.integers(10, 121, f.n) * DAY, f.after_birth(0.01))
    f.put("visa_issue", mask, issue)
    f.put("visa_expiry", mask, issue + valid_years * YEAR * DAY)


def _fin(f: Facts, mask: np.ndarray) -> None:
    f.put("fin", mask, f["fin_all"])


def _a_number(f: Facts, mask: np.ndarray) -> None:
    f.put("a_number", mask, f["a_number_all"])


def _ssn(f: Facts, mask: np.ndarray, code: str, issued: np.ndarray) -> None:
    f.put("ssn", mask, f["ssn_all"])
    f.put("ssa_code", mask, code)
    f.put("ssn_issue_date", mask, np.maximum(np.minimum(issued, f.as_of - DAY), f["dob"]))


def _nonimmigrant_entry(f: Facts, mask: np.ndarray, when: np.ndarray) -> None:
    """A visitor-visa (or visa-waiver) admission for 180 (90) days: the door to later adjustment."""
    vwp = np.isin(f["country"], list(VISA_WAIVER_COUNTRIES))
    klass = np.where(vwp, "WT", "B2").astype(object)
    _admit(f, mask, "visa", klass, when)
    f.put("admit_until", mask, when + np.where(vwp, 90, 180) * DAY)
    _visa(f, mask & ~vwp & (f["country"] != "CAN"), "B1/B2", 10)
    _fin(f, mask)


def us_citizens(f: Facts) -> None:
    m = f["category"] == C.US_CITIZEN_MIXED_HOUSEHOLD
    _ssn(f, m, "A", f["dob"] + f.rng.integers(5, 90, f.n) * DAY)
    f.put("status", m, S.US_CITIZEN)


def _lawful_permanent(f: Facts, m: np.ndarray, lpr_date: np.ndarray) -> None:
    """LPR status by adjustment (57%: an earlier nonimmigrant entry) or by immigrant visa (43%)."""
    adjusted = f.chance(0.57, m)
    consular = m & ~adjusted
    f.put("lpr_date", m, lpr_date)
    f.put("lpr_via", adjusted, "adjustment")
    f.put("lpr_via", consular, "consular")
    entry = np.maximum(lpr_date - f.rng.integers(YEAR, 6 * YEAR, f.n) * DAY, f.after_birth(0.1))
    _nonimmigrant_entry(f, adjusted, entry)
    old_overstay = f.chance(0.10, adjusted)
    f.put("old_overstay", old_overstay, True)
    earliest = np.where(old_overstay, f["admit_until"] + 30 * DAY, entry + 30 * DAY)
    filed = np.maximum(lpr_date - f.rng.integers(200, 900, f.n) * DAY, earliest)
    f.put("adj_filed", adjusted, np.minimum(filed, lpr_date - 60 * DAY))
    employment = f.chance(0.16, adjusted & (f["adj_filed"] > f.after_birth(22)))
    f.put("labor_program", employment, "PERM")
    f.put("labor_cert_date", employment, f["adj_filed"] - f.rng.integers(60, 400, f.n) * DAY)
    iv_class = np.array(["IR1", "CR1", "F21", "F41", "E21", "IR5"], dtype=object)[f.rng.integers(0, 6, f.n)]
    _admit(f, consular, "immigrant_visa", iv_class, lpr_date)
    _visa(f, consular, iv_class, 0)
    f.put("visa_expiry", consular, lpr_date + f.rng.integers(30, 180, f.n) * DAY)
    _fin(f, m)
    _a_number(f, m)
    _ssn(f, f.chance(0.95, m), "B", lpr_date + f.rng.integers(20, 200, f.n) * DAY)


def naturalized(f: Facts) -> None:
    m = f["category"] == C.NATURALIZED
    nat = f.between(np.maximum(f.after_birth(18), f.as_of - 9 * YEAR * DAY), f.as_of - 30 * DAY)
    wait = np.where(f.rng.random(f.n) < 0.3, 3 * YEAR, 5 * YEAR)
    lpr = f.between(np.maximum(nat - (wait + 10 * YEAR) * DAY, f.after_birth(1)), nat - (wait + 180) * DAY)
    _lawful_permanent(f, m, lpr)
    f.put("nat_date", m, nat)
    f.put("nat_filed", m, np.maximum(nat - f.rng.integers(150, 400, f.n) * DAY, lpr + (wait - 90) * DAY))
    updated = f.chance(0.60, m & (f["ssn"] != None))  # noqa: E711 - numpy elementwise
    f.put("ssa_code", updated, "A")
    f.put("status", m, S.US_CITIZEN)


def lprs(f: Facts) -> None:
    m = f["category"] == C.LPR
    earliest = np.maximum(f.as_of - 30 * YEAR * DAY, f.after_birth(1))
    _lawful_permanent(f, m, f.between(earliest, f.as_of - 60 * DAY))
    f.put("status", m, S.LPR)


NONIMMIGRANT_CLASSES = np.array(["F1", "H1B", "H4", "J1", "L1", "O1", "H2B", "E2"], dtype=object)
NONIMMIGRANT_P = np.array([0.467, 0.2, 0.093, 0.133, 0.04, 0.02, 0.027, 0.02])


def nonimmigrants(f: Facts) -> None:
    """Students and workers in status; some with an extension pending past their admit-until date."""
    m = f["category"] == C.NONIMMIGRANT
    klass = NONIMMIGRANT_CLASSES[f.rng.choice(len(NONIMMIGRANT_CLASSES), f.n, p=NONIMMIGRANT_P)]
    entry = f.days_before(f.as_of, 20, 3 * YEAR)
    _admit(f, m, "visa", klass, entry)
    _visa(f, m, klass, 5)
    f.put("admit_until", m, np.maximum(entry + 3 * YEAR * DAY, f.as_of + f.rng.integers(30, 900, f.n) * DAY))
    f.put("prior_trips", m, f.rng.integers(0, 3, f.n))
    pending = f.chance(0.05, m)
    lapsed = f.as_of - f.rng.integers(10, 200, f.n) * DAY
    f.put("admit_until", pending, lapsed)
    f.put("ext_filed", pending, lapsed - f.rng.integers(10, 120, f.n) * DAY)
    f.put("ext_pending", pending, True)
    approved = f.chance(0.05, m & ~pending)
    f.put("ext_filed", approved, f.between(f["entry_date"] + 30 * DAY, f.as_of - 100 * DAY))
    f.put("ext_until", approved, f["admit_until"] + YEAR * DAY)
    f.put("ext_approved", approved, True)
    h1b = m & (klass == "H1B")
    f.put("labor_program", h1b, "LCA")
    f.put("labor_cert_date", h1b, f["visa_issue"] - f.rng.integers(30, 200, f.n) * DAY)
    works = f.chance(np.where(klass == "F1", 0.2, 0.8), m)
    _ssn(f, works, "B", entry + f.rng.integers(20, 200, f.n) * DAY)
    f.put("status", m, S.NONIMMIGRANT_IN_STATUS)


def refugees(f: Facts) -> None:
    m = f["category"] == C.REFUGEE_ASYLEE
    refugee = f.chance(0.7, m)
    asylee = m & ~refugee
    _admit(f, refugee, "refugee", "RE", f.days_before(f.as_of, 30, 360))
    _nonimmigrant_entry(f, asylee, f.days_before(f.as_of, 2 * YEAR, 6 * YEAR))
    f.put("asylum_venue", asylee, "affirmative")
    f.put(
        "asylum_filed",
        asylee,
        np.minimum(f["entry_date"] + f.rng.integers(30, 360, f.n) * DAY, f.as_of - YEAR * DAY),
    )
    f.put("asylum_granted", asylee, f.days_before(f.as_of, 30, 360))
    _fin(f, m)
    _a_number(f, m)
    _ssn(f, f.chance(0.95, m), "B", np.maximum(f["entry_date"], f["asylum_granted"]) + 30 * DAY)
    f.put("status", m, S.REFUGEE_ASYLEE)


def visitors(f: Facts) -> None:
    """Visitors in status now, many with earlier trips that ended in a departure."""
    m = f["category"] == C.VISITOR
    _nonimmigrant_entry(f, m, f.days_before(f.as_of, 1, 85))
    f.put("prior_trips", m, f.rng.integers(0, 4, f.n))
    f.put("status", m, S.NONIMMIGRANT_IN_STATUS)


def _ewi(f: Facts, mask: np.ndarray, when: np.ndarray, encountered: float) -> None:
    """Entry without inspection; an encounter at the border gives a FIN and an A-number."""
    f.put("entry_kind", mask, "ewi")
    f.put("entry_date", mask, when)
    seen = f.chance(encountered, mask)
    f.put("encounter_date", seen, when)
    _fin(f, seen)
    _a_number(f, f.chance(0.7, seen))


def _unlawful_entry(
    f: Facts, mask: np.ndarray, overstay_share: float, when: np.ndarray, encountered: float
) -> tuple[np.ndarray, np.ndarray]:
    overstay = f.chance(overstay_share, mask)
    _nonimmigrant_entry(f, overstay, when)
    ewi = mask & ~overstay
    _ewi(f, ewi, when, encountered)
    return overstay, ewi


def unauthorized(f: Facts, overstay_share: float, encountered: float) -> None:
    m = f["category"] == C.UNAUTHORIZED_UNPROTECTED
    overstay, ewi = _unlawful_entry(
        f,
        m,
        overstay_share,
        f.between(np.maximum(f.as_of - 20 * YEAR * DAY, f.after_birth(0.1)), f.as_of - YEAR * DAY),
        encountered,
    )
    f.put("status", overstay, S.OVERSTAY)
    f.put("status", ewi, S.PRESENT_WITHOUT_ADMISSION)
    _ssn(f, f.chance(0.45, overstay), "B", f["entry_date"] + 60 * DAY)


def pending_asylum(f: Facts) -> None:
    """Defensive claims in court (70%), affirmative claims after parole (15%) or a visa (15%)."""
    m = f["category"] == C.PENDING_ASYLUM
    draw = f.rng.random(f.n)
    defensive, paroled, visa = m & (draw < 0.7), m & (draw >= 0.7) & (draw < 0.85), m & (draw >= 0.85)
    entry = f.between(np.maximum(f.as_of - 4 * YEAR * DAY, f.after_birth(0.1)), f.as_of - 90 * DAY)
    _ewi(f, defensive, entry, 1.0)
    _a_number(f, defensive)
    f.put("nta_date", defensive, entry + f.rng.integers(5, 60, f.n) * DAY)
    filed = np.minimum(f["nta_date"] + f.rng.integers(30, 365, f.n) * DAY, f.as_of - DAY)
    f.put("asylum_in_court", defensive, True)
    f.put("hearing_date", defensive, f.days_after(f.as_of, 30, 3 * YEAR))
    f.put("status", defensive, S.IN_REMOVAL_PROCEEDINGS)
    _parole(f, paroled, entry)
    _nonimmigrant_entry(f, visa, entry)
    f.put("status", paroled | visa, S.PENDING_PROTECTION)
    f.put("asylum_venue", m, np.where(defensive, "defensive", "affirmative").astype(object))
    affirmative_filed = np.minimum(entry + f.rng.integers(30, 360, f.n) * DAY, f.as_of - DAY)
    f.put("asylum_filed", m, np.where(defensive, filed, affirmative_filed))
    f.put("pending_protection", m, True)
    _a_number(f, m)
    ead = f.chance(0.6, m & (f["asylum_filed"] < f.as_of - 200 * DAY))
    f.put("ead_filed", ead, f["asylum_filed"] + 160 * DAY)
    _ssn(f, f.chance(0.7, ead), "B", f["asylum_filed"] + 200 * DAY)


def _parole(f: Facts, mask: np.ndarray, when: np.ndarray) -> None:
    _admit(f, mask, "parole", "PAROL", when)
    f.put("entry_mode", mask, "AIR")
    f.put("admit_until", mask, when + 2 * YEAR * DAY)
    f.put("encounter_date", mask, when)
    _fin(f, mask)
    _a_number(f, mask)


def parolees(f: Facts) -> None:
    m = f["category"] == C.PAROLE
    _parole(f, m, f.days_before(f.as_of, 60, 3 * YEAR))
    expired = m & (f["admit_until"] < f.as_of)
    valid = m & ~expired
    f.put("tp_kind", valid, "PAROLE")
    f.put("tp_start", valid, f["entry_date"])
    f.put("tp_end", valid, f["admit_until"])
    f.put("status", valid, S.TEMPORARY_PROTECTION)
    f.put("status", expired, S.OVERSTAY)
    _ssn(f, f.chance(0.5, m), "B", f["entry_date"] + 120 * DAY)


def _protection(f: Facts, mask: np.ndarray, kind: str, filed: np.ndarray) -> None:
    """A granted temporary protection (TPS, DACA, deferred action) still in force at the as-of date."""
    f.put("tp_kind", mask, kind)
    f.put("tp_filed", mask, filed)
    f.put("tp_start", mask, np.minimum(filed + f.rng.integers(60, 300, f.n) * DAY, f.as_of - DAY))
    f.put("tp_end", mask, f.days_after(f.as_of, 30, 540))
    f.put("status", mask, S.TEMPORARY_PROTECTION)
    _a_number(f, mask)
    _fin(f, mask)
    _ssn(f, f.chance(0.9, mask), "B", f["tp_start"] + 30 * DAY)


def protected(f: Facts, overstay_share: float) -> None:
    for cat, kind in ((C.TPS, "TPS"), (C.OTHER_DEFERRED, "DEFERRED")):
        m = f["category"] == cat
        earliest = np.maximum(f.as_of - 15 * YEAR * DAY, f.after_birth(0.1))
        _unlawful_entry(f, m, overstay_share, f.between(earliest, f.as_of - 3 * YEAR * DAY), 0.8)
        filed = np.minimum(f["entry_date"] + f.rng.integers(200, 5 * YEAR, f.n) * DAY, f.as_of - YEAR * DAY)
        _protection(f, m, kind, filed)
    m = f["category"] == C.DACA
    entry = np.minimum(f["dob"] + f.rng.integers(2 * YEAR, 15 * YEAR, f.n) * DAY, np.datetime64("2007-06-01"))
    _ewi(f, m, entry, 0.0)
    initial = np.datetime64("2012-09-01") + f.rng.integers(0, 5 * YEAR, f.n) * DAY
    f.put("tp_initial_filed", m, initial)
    _protection(f, m, "DACA", f.days_before(f.as_of, 200, 700))


def draw_journeys(f: Facts, overstay_share: float, ewi_encountered: float) -> None:
    """Every category's journey; overlays (crime, enforcement, departures) come after."""
    init_journeys(f)
    us_citizens(f)
    naturalized(f)
    lprs(f)
    nonimmigrants(f)
    refugees(f)
    visitors(f)
    unauthorized(f, overstay_share, ewi_encountered)
    pending_asylum(f)
    parolees(f)
    protected(f, overstay_share)
    f.put("passport", f["country"] != "USA", f["passport_all"])
