"""Who each person is: origin, sex, birth date, names, address history and strong identifiers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from faker import Faker

from immigrationos.statuses import Category
from immigrationos.synth.countries import COUNTRIES, WEAK_REGISTRATION_COUNTRIES
from immigrationos.synth.facts import DAY, Facts, bijective_codes, digits
from immigrationos.synth.names import NameBook
from immigrationos.synth.params import WorldParams

UNAUTHORIZED = {
    Category.UNAUTHORIZED_UNPROTECTED,
    Category.PENDING_ASYLUM,
    Category.PAROLE,
    Category.TPS,
    Category.DACA,
    Category.OTHER_DEFERRED,
}


@dataclass(frozen=True)
class Localities:
    """US street names and (city, state, postal code) triples to compose addresses from."""

    streets: np.ndarray
    cities: np.ndarray
    states: np.ndarray
    postal_codes: np.ndarray


def build_localities(seed: int, n_streets: int = 4000, n_places: int = 3000) -> Localities:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    streets = np.array([fake.street_name() for _ in range(n_streets)], dtype=object)
    places = [
        (fake.city(), fake.state_abbr(include_territories=False, include_freely_associated_states=False))
        for _ in range(n_places)
    ]
    zips = [fake.zipcode_in_state(state) for _, state in places]
    return Localities(
        streets=streets,
        cities=np.array([c for c, _ in places], dtype=object),
        states=np.array([s for _, s in places], dtype=object),
        postal_codes=np.array(zips, dtype=object),
    )


def draw_category(f: Facts, params: WorldParams) -> None:
    shares = params.mix.model_dump()
    names = list(shares)
    p = np.array([shares[k] for k in names], dtype=np.float64)
    f["category"] = np.array(names, dtype=object)[f.rng.choice(len(names), f.n, p=p / p.sum())]


def draw_country(f: Facts) -> None:
    """Country of origin by the block each category belongs to; US-born citizens get USA."""
    cat = f["category"]
    country = np.full(f.n, "USA", dtype=object)
    blocks = {
        "unauthorized": np.isin(cat, list(UNAUTHORIZED)),
        "refugee": cat == Category.REFUGEE_ASYLEE,
        "visitor": cat == Category.VISITOR,
        "lawful": np.isin(cat, [Category.LPR, Category.NATURALIZED, Category.NONIMMIGRANT]),
    }
    codes = np.array([c.code for c in COUNTRIES], dtype=object)
    for block, mask in blocks.items():
        w = np.array([getattr(c, block) for c in COUNTRIES])
        country[mask] = codes[f.rng.choice(len(codes), int(mask.sum()), p=w / w.sum())]
    f["country"] = country
    group_of = {c.code: c.group for c in COUNTRIES} | {"USA": "american"}
    f["group"] = np.array([group_of[c] for c in country], dtype=object)


def _age_days(f: Facts, lo_years: float, hi_years: float) -> np.ndarray:
    return (f.rng.uniform(lo_years, hi_years, f.n) * 365.25).astype(np.int64)


def draw_birth(f: Facts, params: WorldParams) -> None:
    """Sex, true birth date, and the birth date DHS documents (a 1 January placeholder for some)."""
    f["sex"] = np.where(f.rng.random(f.n) < 0.52, "M", "F").astype(object)
    age = _age_days(f, 18, 72)
    cat = f["category"]
    child = (cat == Category.US_CITIZEN_MIXED_HOUSEHOLD) & (f.rng.random(f.n) < 0.72)
    age[child] = _age_days(f, 0, 18)[child]
    minor_migrant = np.isin(cat, list(UNAUTHORIZED)) & (f.rng.random(f.n) < 0.06)
    age[minor_migrant] = _age_days(f, 5, 17.9)[minor_migrant]
    daca = cat == Category.DACA
    age[daca] = _age_days(f, 20, 42)[daca]
    student = (cat == Category.NONIMMIGRANT) & (f.rng.random(f.n) < 0.47)
    age[student] = _age_days(f, 18, 30)[student]
    f["dob"] = f.as_of - age * DAY
    noise = params.noise
    weak = np.isin(f["country"], list(WEAK_REGISTRATION_COUNTRIES)) & np.isin(
        cat, [Category.REFUGEE_ASYLEE, Category.PENDING_ASYLUM, Category.PAROLE, Category.TPS]
    )
    p = np.where(weak, noise.jan1_placeholder_weak_registration, noise.jan1_placeholder_elsewhere)
    placeholder = f.chance(p, cat != Category.US_CITIZEN_MIXED_HOUSEHOLD)
    years = f["dob"].astype("datetime64[Y]")
    f["doc_dob"] = np.where(placeholder, years.astype("datetime64[D]"), f["dob"])
    f["dob_placeholder"] = placeholder


def _sample(rng: np.random.Generator, pool: np.ndarray, p: np.ndarray, k: int) -> np.ndarray:
    return pool[rng.choice(len(pool), k, p=p)]


def draw_names(f: Facts, book: NameBook) -> None:
    """Given and family names from the origin group's pool; Spanish names carry two surnames."""
    f.strings("given", "family", "middle")
    for group, pool in book.pools.items():
        for sex, names, p in (("M", pool.given_male, pool.p_male), ("F", pool.given_female, pool.p_female)):
            mask = (f["group"] == group) & (f["sex"] == sex)
            f["given"][mask] = _sample(f.rng, names, p, int(mask.sum()))
        mask = f["group"] == group
        k = int(mask.sum())
        middle = _sample(f.rng, pool.given_male, pool.p_male, k)
        family = _sample(f.rng, pool.family, pool.p_family, k)
        if group == "hispanic":
            second = _sample(f.rng, pool.family, pool.p_family, k)
            family = np.array([f"{a} {b}" for a, b in zip(family, second, strict=True)], dtype=object)
        f["family"][mask] = family
        f["middle"][mask] = middle
    western = np.isin(f["group"], ["american", "british", "german", "french", "filipino", "brazilian"])
    f["middle"][~f.chance(0.35, western)] = None


def draw_addresses(f: Facts, loc: Localities, params: WorldParams) -> None:
    """A current address and, for movers, the previous one with the move date."""
    for prefix in ("", "prev_"):
        f[f"{prefix}house"] = f.rng.integers(1, 9999, f.n)
        f[f"{prefix}street"] = f.rng.integers(0, len(loc.streets), f.n)
        f[f"{prefix}locality"] = f.rng.integers(0, len(loc.cities), f.n)
    f["moved"] = f.chance(params.noise.address_moved)
    f["move_date"] = np.where(f["moved"], f.days_before(f.as_of, 30, 2500), f.as_of)


def share_households(f: Facts) -> None:
    """US-citizen members of mixed-status households live with, and carry the surname of, an
    unauthorized adult of the same chunk (the kind of near-duplicate matching must not merge)."""
    head_pool = np.flatnonzero(np.isin(f["category"], list(UNAUTHORIZED)))
    members = np.flatnonzero(f["category"] == Category.US_CITIZEN_MIXED_HOUSEHOLD)
    f["household_head"] = np.full(f.n, -1, dtype=np.int64)
    if len(head_pool) == 0 or len(members) == 0:
        return
    heads = f.rng.choice(head_pool, len(members))
    f["household_head"][members] = heads
    for col in (
        "family",
        "house",
        "street",
        "locality",
        "prev_house",
        "prev_street",
        "prev_locality",
        "moved",
        "move_date",
    ):
        f[col][members] = f[col][heads]
    f["group"][members] = f["group"][heads]


def add_doppelgangers(f: Facts, params: WorldParams) -> None:
    """Copy the name and birth date of another person of the same origin onto a few persons.

    The peer comes from the same category, so the copied birth date still fits the journey drawn for
    that category later (a DACA recipient stays born before 2007, an adult stays an adult)."""
    chosen = np.flatnonzero(
        f.chance(params.noise.doppelganger, f["category"] != Category.US_CITIZEN_MIXED_HOUSEHOLD)
    )
    for i in chosen:
        peers = np.flatnonzero(
            (f["group"] == f["group"][i]) & (f["sex"] == f["sex"][i]) & (f["category"] == f["category"][i])
        )
        j = int(f.rng.choice(peers))
        if j != i:
            f["given"][i], f["family"][i] = f["given"][j], f["family"][j]
            f["dob"][i], f["doc_dob"][i] = f["dob"][j], f["doc_dob"][j]


IDENTIFIER_SPACES = {  # modulus, multiplier (coprime), offset salt
    "a_number": (10**9, 387_420_489, 200_000_000),
    "fin": (10**10, 6_103_515_627, 1_234_567),
    "ssn": (898 * 99 * 9999, 7_368_787, 11),
    "itin": (100 * 19 * 10_000, 1_030_301, 7),
    "passport": (10**8, 48_828_127, 3),
    "fbi": (10**8, 1_953_125_1, 5),
}


def identifier_codes(kind: str, person_index: np.ndarray, seed: int) -> np.ndarray:
    modulus, multiplier, salt = IDENTIFIER_SPACES[kind]
    return bijective_codes(person_index, modulus, multiplier, (salt + seed * 7919) % modulus)


def format_ssn(codes: np.ndarray) -> np.ndarray:
    area = codes // (99 * 9999) + 1
    area = np.where(area >= 666, area + 1, area)
    group = (codes // 9999) % 99 + 1
    serial = codes % 9999 + 1
    return np.array(
        [f"{a:03d}-{g:02d}-{s:04d}" for a, g, s in zip(area, group, serial, strict=True)], dtype=object
    )


def format_itin(codes: np.ndarray) -> np.ndarray:
    area = codes // (19 * 10_000) + 900
    group = (codes // 10_000) % 19 + 70
    serial = codes % 10_000
    return np.array(
        [f"{a:03d}-{g:02d}-{s:04d}" for a, g, s in zip(area, group, serial, strict=True)], dtype=object
    )


def assign_identifiers(f: Facts, person_index: np.ndarray, seed: int) -> None:
    """Draw every identifier a person could hold; journeys decide which ones they really hold."""
    f["a_number_all"] = digits(identifier_codes("a_number", person_index, seed), 9)
    f["fin_all"] = digits(identifier_codes("fin", person_index, seed), 10)
    f["ssn_all"] = format_ssn(np.asarray(identifier_codes("ssn", person_index, seed), dtype=np.int64))
    f["itin_all"] = format_itin(np.asarray(identifier_codes("itin", person_index, seed), dtype=np.int64))
    letters = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"), dtype=object)
    pcodes = identifier_codes("passport", person_index, seed)
    f["passport_all"] = letters[person_index % len(letters)] + digits(pcodes, 8)
    fcodes = identifier_codes("fbi", person_index, seed)
    f["fbi_all"] = digits(fcodes, 8) + letters[(person_index // 7) % len(letters)]
    f.strings("a_number", "fin", "ssn", "itin", "passport", "fbi_number")
