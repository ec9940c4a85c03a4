"""Countries of origin: which name group each uses and how persons are spread over them.

Weights are rough shares of each population block (unauthorized from Pew/MPI origin figures; lawful
from OHSS LPR flows; refugees from recent admissions; visitors from I-94 admissions).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    code: str
    group: str
    unauthorized: float
    lawful: float
    refugee: float
    visitor: float


COUNTRIES: tuple[Country, ...] = (
    Country("MEX", "hispanic", 0.31, 0.15, 0.0, 0.20),
    Country("GTM", "hispanic", 0.09, 0.02, 0.0, 0.01),
    Country("HND", "hispanic", 0.08, 0.02, 0.0, 0.01),
    Country("SLV", "hispanic", 0.06, 0.03, 0.0, 0.01),
    Country("NIC", "hispanic", 0.03, 0.01, 0.0, 0.005),
    Country("VEN", "hispanic", 0.06, 0.02, 0.10, 0.02),
    Country("COL", "hispanic", 0.03, 0.02, 0.02, 0.04),
    Country("CUB", "hispanic", 0.03, 0.05, 0.05, 0.005),
    Country("DOM", "hispanic", 0.02, 0.05, 0.0, 0.02),
    Country("ECU", "hispanic", 0.04, 0.01, 0.0, 0.01),
    Country("PER", "hispanic", 0.01, 0.01, 0.0, 0.01),
    Country("BRA", "brazilian", 0.03, 0.02, 0.0, 0.06),
    Country("HTI", "haitian", 0.03, 0.02, 0.02, 0.005),
    Country("CHN", "chinese", 0.03, 0.08, 0.02, 0.08),
    Country("IND", "indian", 0.05, 0.10, 0.0, 0.08),
    Country("PHL", "filipino", 0.02, 0.06, 0.0, 0.03),
    Country("VNM", "vietnamese", 0.01, 0.04, 0.0, 0.02),
    Country("KOR", "korean", 0.01, 0.03, 0.0, 0.05),
    Country("RUS", "russian", 0.01, 0.01, 0.03, 0.01),
    Country("UKR", "ukrainian", 0.01, 0.02, 0.10, 0.01),
    Country("AFG", "persian", 0.005, 0.01, 0.20, 0.0),
    Country("IRN", "persian", 0.005, 0.01, 0.03, 0.005),
    Country("SYR", "arabic", 0.003, 0.005, 0.10, 0.0),
    Country("IRQ", "arabic", 0.003, 0.01, 0.08, 0.0),
    Country("EGY", "arabic", 0.003, 0.01, 0.0, 0.01),
    Country("SDN", "arabic", 0.002, 0.003, 0.05, 0.0),
    Country("SOM", "horn", 0.003, 0.005, 0.08, 0.0),
    Country("ETH", "horn", 0.005, 0.01, 0.05, 0.005),
    Country("ERI", "horn", 0.002, 0.003, 0.05, 0.0),
    Country("NGA", "west_african", 0.01, 0.02, 0.0, 0.02),
    Country("GBR", "british", 0.002, 0.02, 0.0, 0.10),
    Country("DEU", "german", 0.001, 0.01, 0.0, 0.06),
    Country("FRA", "french", 0.001, 0.01, 0.0, 0.05),
    Country("JPN", "japanese", 0.001, 0.01, 0.0, 0.06),
    Country("CAN", "american", 0.003, 0.02, 0.0, 0.08),
)

TPS_COUNTRIES = frozenset({"SLV", "HND", "NIC", "HTI", "VEN", "UKR", "SOM", "SYR", "AFG", "ETH", "SDN"})
PAROLE_COUNTRIES = frozenset({"CUB", "HTI", "NIC", "VEN", "UKR", "AFG"})
VISA_WAIVER_COUNTRIES = frozenset({"GBR", "DEU", "FRA", "JPN", "KOR"})
WEAK_REGISTRATION_COUNTRIES = frozenset({"AFG", "SOM", "ETH", "ERI", "SDN"})
EAST_ASIAN_GROUPS = frozenset({"chinese", "korean", "vietnamese", "japanese"})
NON_LATIN_GROUPS = frozenset(
    {"chinese", "korean", "japanese", "russian", "ukrainian", "persian", "arabic", "horn"}
)
LAND_BORDER_COUNTRIES = frozenset({"MEX", "CAN"})
COUNTRY_CODES: tuple[str, ...] = tuple(c.code for c in COUNTRIES)
