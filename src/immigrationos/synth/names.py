"""Name pools by origin group, with realistic concentration and per-record variant tables.

Faker supplies the bulk of each pool; ``name_tables`` supplies romanized names Faker lacks. Surname
weights follow a Zipf law whose exponent is solved so that the top-10 share matches Census 2010
(16% among Hispanics), which is what makes name-and-birth-date collisions as common as in real data.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np
from faker import Faker

from immigrationos.synth import name_tables as t

LOCALES = {
    "hispanic": ("es_MX", "es_CO", "es_ES"),
    "brazilian": ("pt_BR",),
    "haitian": ("fr_FR",),
    "indian": ("en_IN",),
    "filipino": ("en_PH",),
    "vietnamese": ("vi_VN",),
    "west_african": ("yo_NG",),
    "british": ("en_GB",),
    "german": ("de_DE",),
    "french": ("fr_FR",),
    "american": ("en_US",),
    "russian": ("ru_RU",),
    "ukrainian": ("uk_UA",),
}
TOP10_SHARE = {"hispanic": 0.16, "american": 0.06, "filipino": 0.06, "indian": 0.10}
FORCED_SURNAMES = {"vietnamese": {"Nguyễn": 0.38, "Trần": 0.10}, "korean": {"Kim": 0.20}}


@dataclass(frozen=True)
class NamePool:
    """Given and family names of one origin group with their sampling probabilities."""

    given_male: np.ndarray
    given_female: np.ndarray
    family: np.ndarray
    p_male: np.ndarray
    p_female: np.ndarray
    p_family: np.ndarray


@dataclass
class NameBook:
    """All pools plus the variant tables used to add per-record spelling noise."""

    pools: dict[str, NamePool]
    variants: dict[str, tuple[str, ...]] = field(default_factory=dict)


def zipf_weights(n: int, top10_share: float) -> np.ndarray:
    """Probabilities over ranks 1..n following 1/r^s, with s solved for the requested top-10 share."""
    ranks = np.arange(1, n + 1, dtype=np.float64)
    if n <= 10:
        return np.full(n, 1.0 / n)
    lo, hi = 0.0, 4.0
    for _ in range(60):
        s = (lo + hi) / 2
        w = ranks**-s
        share = w[:10].sum() / w.sum()
        lo, hi = (s, hi) if share < top10_share else (lo, s)
    w = ranks ** -((lo + hi) / 2)
    return np.asarray(w / w.sum())


def strip_diacritics(text: str) -> str:
    """Remove accents the way systems without Unicode support do (José -> Jose)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("đ", "d").replace("Đ", "D")


def transliterate(text: str, scheme: int) -> str:
    """Romanize Cyrillic under one of the schemes in ``name_tables``."""
    table = t.CYRILLIC_SCHEMES[scheme]
    out = []
    for ch in text:
        low = ch.lower()
        latin = table.get(low, t.CYRILLIC_BASE.get(low, low))
        out.append(latin.capitalize() if ch.isupper() else latin)
    return "".join(out)


def _faker_names(locales: tuple[str, ...], seed: int) -> tuple[list[str], list[str], list[str]]:
    male: set[str] = set()
    female: set[str] = set()
    family: set[str] = set()
    for loc in locales:
        fake = Faker(loc)
        fake.seed_instance(seed)
        for _ in range(1500):
            male.add(fake.first_name_male().split(" ")[0])
            female.add(fake.first_name_female().split(" ")[0])
            family.add(fake.last_name())
    return sorted(male), sorted(female), sorted(family)


def _romanized_faker(locale: str, seed: int) -> tuple[list[str], list[str], list[str]]:
    fake = Faker(locale)
    fake.seed_instance(seed)
    syllables = sorted({fake.first_romanized_name() for _ in range(800)})
    family = sorted({fake.last_romanized_name() for _ in range(800)})
    if locale == "zh_CN":  # Chinese given names are mostly two syllables: Xiaoming, Jianguo
        given = sorted({a + b.lower() for a in syllables for b in syllables if a != b})
        return given[::3], given[1::3], family
    return syllables, syllables, family


def _compose(first: tuple[str, ...], second: tuple[str, ...], sep: str) -> list[str]:
    return [f"{a}{sep}{b}" for a in first for b in second]


VIET_MIDDLE_MALE = ("Văn", "Đức", "Minh", "Quốc", "Hữu")
VIET_MIDDLE_FEMALE = ("Thị", "Ngọc", "Thu", "Kim", "Thanh")
KOREAN_FIRST = (
    "Min",
    "Ji",
    "Seo",
    "Hyun",
    "Jae",
    "Dong",
    "Sung",
    "Young",
    "Jin",
    "Sang",
    "Kyung",
    "Tae",
    "Seung",
    "Eun",
    "Ye",
    "Hye",
    "Mi",
    "So",
    "Hae",
    "Yu",
    "Su",
    "Joon",
    "Da",
)
KOREAN_MALE_SECOND = ("jun", "hoon", "woo", "won", "hyun", "ho", "min", "seok", "sik", "chul")
KOREAN_FEMALE_SECOND = ("yeon", "bin", "ji", "jin", "kyung", "young", "eun", "na", "ah", "hee")


def _cyrillic(locale: str, seed: int, variants: dict[str, tuple[str, ...]]) -> tuple[list[str], ...]:
    raw = _faker_names((locale,), seed)
    out: list[list[str]] = []
    for names in raw:
        canon = []
        for native in names:
            forms = [transliterate(native, s) for s in range(len(t.CYRILLIC_SCHEMES))]
            canon.append(forms[0])
            others = tuple(dict.fromkeys(f for f in forms[1:] if f != forms[0]))
            if others:
                variants[forms[0]] = others
        out.append(sorted(set(canon)))
    return tuple(out)


def _table_names(
    male: dict[str, tuple[str, ...]],
    female: dict[str, tuple[str, ...]],
    family: dict[str, tuple[str, ...]],
    variants: dict[str, tuple[str, ...]],
) -> tuple[list[str], list[str], list[str]]:
    for table in (male, female, family):
        variants.update(table)
    return list(male), list(female), list(family)


def _raw_pool(group: str, seed: int, variants: dict[str, tuple[str, ...]]) -> tuple[list[str], ...]:
    tables = {
        "arabic": (t.ARABIC_GIVEN_MALE, t.ARABIC_GIVEN_FEMALE, t.ARABIC_FAMILY),
        "persian": (t.PERSIAN_GIVEN_MALE, t.PERSIAN_GIVEN_FEMALE, t.PERSIAN_FAMILY),
        "horn": (t.HORN_GIVEN_MALE, t.HORN_GIVEN_FEMALE, t.HORN_FAMILY),
        "korean": (t.KOREAN_GIVEN_MALE, t.KOREAN_GIVEN_FEMALE, t.KOREAN_FAMILY),
    }
    if group == "korean":
        male, female, family = _table_names(*tables[group], variants)
        male += _compose(KOREAN_FIRST, KOREAN_MALE_SECOND, "-")
        female += _compose(KOREAN_FIRST, KOREAN_FEMALE_SECOND, "-")
        return sorted(set(male)), sorted(set(female)), family
    if group in tables:
        return _table_names(*tables[group], variants)
    if group == "vietnamese":
        male, female, family = _faker_names(LOCALES[group], seed)
        male = _compose(VIET_MIDDLE_MALE, tuple(male), " ")
        female = _compose(VIET_MIDDLE_FEMALE, tuple(female), " ")
        return male, female, family
    if group in ("chinese", "japanese"):
        return _romanized_faker("zh_CN" if group == "chinese" else "ja_JP", seed)
    if group in ("russian", "ukrainian"):
        return _cyrillic(LOCALES[group][0], seed, variants)
    return _faker_names(LOCALES[group], seed)


def _family_probabilities(group: str, family: list[str]) -> tuple[np.ndarray, np.ndarray]:
    forced = FORCED_SURNAMES.get(group, {})
    names = [n for n in family if n not in forced]
    p = zipf_weights(len(names), TOP10_SHARE.get(group, 0.12)) * (1 - sum(forced.values()))
    return np.array([*forced, *names], dtype=object), np.concatenate([list(forced.values()), p])


def build_pool(group: str, seed: int, variants: dict[str, tuple[str, ...]]) -> NamePool:
    """One group's pool; name order is shuffled by seed so rank (and so frequency) is seeded too."""
    rng = np.random.default_rng([seed, len(group), sum(map(ord, group))])
    male, female, family = (
        list(rng.permutation(np.array(x, dtype=object))) for x in _raw_pool(group, seed, variants)
    )
    fam, p_fam = _family_probabilities(group, family)
    given_top10 = 0.30 if group == "hispanic" else 0.20
    return NamePool(
        given_male=np.array(male, dtype=object),
        given_female=np.array(female, dtype=object),
        family=fam,
        p_male=zipf_weights(len(male), given_top10),
        p_female=zipf_weights(len(female), given_top10),
        p_family=p_fam,
    )


def build_name_book(groups: set[str], seed: int) -> NameBook:
    """Pools for every group in use, plus the shared variant tables."""
    variants: dict[str, tuple[str, ...]] = {}
    variants.update(t.CHINESE_FAMILY_VARIANTS)
    variants.update(t.JAPANESE_VARIANTS)
    pools = {g: build_pool(g, seed, variants) for g in sorted(groups)}
    return NameBook(pools=pools, variants=variants)
