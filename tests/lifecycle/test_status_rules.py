"""Each status rule on hand-built lifecycles, edge cases included; both engines must agree."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from immigrationos.lifecycle.rules import default_rules
from tests.lifecycle.conftest import Judged, Spec

VISIT = ("2026-03-01", "ADMITTED", "B2", "2026-08-28")  # admit-until passed by the as-of date 2026-09-30
CURRENT_VISIT = ("2026-08-01", "ADMITTED", "B2", "2027-01-28")

CASES: list[tuple[str, list[Spec], str, str | None]] = [
    (
        "naturalized",
        [("2015-01-01", "ADJUSTED_TO_LPR", "I-485"), ("2021-05-01", "NATURALIZED", "N-400")],
        "us_citizen",
        "naturalized_or_born_in_us",
    ),
    (
        "naturalized person with an old overstay",
        [
            ("2005-01-01", "ADMITTED", "B2", "2005-07-01"),
            ("2009-03-01", "BENEFIT_FILED", "I-485"),
            ("2010-01-01", "ADJUSTED_TO_LPR", "I-485"),
            ("2016-02-01", "NATURALIZED", "N-400"),
        ],
        "us_citizen",
        "naturalized_or_born_in_us",
    ),
    (
        "born in the US",
        [("1990-04-02", "US_BIRTH_RECORD", "TX"), ("1990-05-01", "SSN_ISSUED", "A")],
        "us_citizen",
        "naturalized_or_born_in_us",
    ),
    (
        "SSA citizenship indicator only",
        [("2001-01-01", "SSN_ISSUED", "A")],
        "us_citizen",
        "ssa_citizenship_indicator",
    ),
    (
        "citizenship evidence outranks a removal order",
        [("2010-01-01", "ENCOUNTERED"), ("2012-01-01", "REMOVAL_ORDERED"), ("2013-01-01", "SSN_ISSUED", "A")],
        "us_citizen",
        "ssa_citizenship_indicator",
    ),
    ("SSA code B is not citizenship", [("2001-01-01", "SSN_ISSUED", "B")], "unknown", None),
    (
        "lawful permanent resident by adjustment",
        [
            ("2012-01-01", "ADMITTED", "B2", "2012-07-01"),
            ("2012-05-01", "BENEFIT_FILED", "I-485"),
            ("2013-06-01", "ADJUSTED_TO_LPR", "I-485"),
        ],
        "lpr",
        "permanent_resident",
    ),
    (
        "lawful permanent resident by immigrant visa",
        [("2014-01-01", "ADMITTED_IMMIGRANT", "IR1")],
        "lpr",
        "permanent_resident",
    ),
    ("refugee", [("2026-01-01", "ADMITTED_REFUGEE", "RE")], "refugee_asylee", "refugee_or_asylee"),
    (
        "asylee",
        [
            ("2020-01-01", "ADMITTED", "B2", "2020-07-01"),
            ("2020-03-01", "ASYLUM_FILED", "I-589"),
            ("2026-01-01", "ASYLUM_GRANTED", "I-589"),
        ],
        "refugee_asylee",
        "refugee_or_asylee",
    ),
    ("nonimmigrant in status", [CURRENT_VISIT], "nonimmigrant_in_status", "admission_in_force"),
    ("overstay", [VISIT], "overstay", "admission_expired"),
    (
        "overstay with a timely extension pending",
        [VISIT, ("2026-08-01", "EXTENSION_FILED", "I-539")],
        "nonimmigrant_in_status",
        "timely_extension_pending",
    ),
    (
        "extension filed after the admit-until date does not protect",
        [VISIT, ("2026-09-10", "EXTENSION_FILED", "I-539")],
        "overstay",
        "admission_expired",
    ),
    (
        "extension approved",
        [
            VISIT,
            ("2026-07-01", "EXTENSION_FILED", "I-539"),
            ("2026-09-01", "EXTENSION_APPROVED", "I-539", "2027-08-28"),
        ],
        "nonimmigrant_in_status",
        "admission_in_force",
    ),
    (
        "extension denied",
        [VISIT, ("2026-07-01", "EXTENSION_FILED", "I-539"), ("2026-09-01", "BENEFIT_DENIED", "I-539")],
        "overstay",
        "admission_expired",
    ),
    (
        "pending asylum protects an overstay",
        [VISIT, ("2026-09-01", "ASYLUM_FILED", "I-589")],
        "pending_protection",
        "protective_application_pending",
    ),
    (
        "denied asylum does not",
        [VISIT, ("2026-09-01", "ASYLUM_FILED", "I-589"), ("2026-09-20", "BENEFIT_DENIED", "I-589")],
        "overstay",
        "admission_expired",
    ),
    (
        "pending adjustment",
        [VISIT, ("2026-08-01", "BENEFIT_FILED", "I-485")],
        "pending_protection",
        "protective_application_pending",
    ),
    (
        "TPS in force",
        [("2015-01-01", "ENCOUNTERED"), ("2024-01-01", "PROTECTION_GRANTED", "I-821", "2027-01-01")],
        "temporary_protection",
        "temporary_protection_in_force",
    ),
    (
        "TPS expired",
        [("2015-01-01", "ENCOUNTERED"), ("2022-01-01", "PROTECTION_GRANTED", "I-821", "2024-01-01")],
        "present_without_admission",
        "present_without_admission_record",
    ),
    (
        "DACA renewed after the first grant lapsed",
        [
            ("2013-01-01", "PROTECTION_GRANTED", "I-821D", "2015-01-01"),
            ("2025-06-01", "BENEFIT_FILED", "I-821D"),
            ("2025-10-01", "PROTECTION_GRANTED", "I-821D", "2027-10-01"),
        ],
        "temporary_protection",
        "temporary_protection_in_force",
    ),
    (
        "parole in force",
        [("2025-01-01", "PAROLED", "PAROL", "2027-01-01")],
        "temporary_protection",
        "parole_in_force",
    ),
    ("parole expired", [("2023-01-01", "PAROLED", "PAROL", "2025-01-01")], "overstay", "admission_expired"),
    (
        "entry without admission",
        [("2019-01-01", "ENCOUNTERED")],
        "present_without_admission",
        "present_without_admission_record",
    ),
    (
        "in removal proceedings",
        [("2019-01-01", "ENCOUNTERED"), ("2019-02-01", "NTA_FILED")],
        "in_removal_proceedings",
        "case_pending_in_court",
    ),
    (
        "proceedings terminated",
        [
            ("2019-01-01", "ENCOUNTERED"),
            ("2019-02-01", "NTA_FILED"),
            ("2020-02-01", "PROCEEDINGS_ENDED", "TERMINATED"),
        ],
        "present_without_admission",
        "present_without_admission_record",
    ),
    (
        "final order",
        [("2019-01-01", "ENCOUNTERED"), ("2019-02-01", "NTA_FILED"), ("2021-02-01", "REMOVAL_ORDERED")],
        "final_order",
        "removal_order_stands",
    ),
    (
        "order under appeal is not final",
        [("2019-02-01", "NTA_FILED"), ("2021-02-01", "REMOVAL_ORDERED"), ("2021-02-20", "APPEAL_FILED")],
        "in_removal_proceedings",
        "case_pending_in_court",
    ),
    (
        "appeal dismissed: the order stands",
        [
            ("2019-02-01", "NTA_FILED"),
            ("2021-02-01", "REMOVAL_ORDERED"),
            ("2021-02-20", "APPEAL_FILED"),
            ("2022-01-01", "APPEAL_DISMISSED"),
        ],
        "final_order",
        "removal_order_stands",
    ),
    (
        "final order later reopened",
        [("2019-02-01", "NTA_FILED"), ("2021-02-01", "REMOVAL_ORDERED"), ("2023-05-01", "REOPENED")],
        "in_removal_proceedings",
        "case_pending_in_court",
    ),
    (
        "final order survives a departure and re-entry",
        [
            ("2019-02-01", "NTA_FILED"),
            ("2021-02-01", "REMOVAL_ORDERED"),
            ("2023-01-01", "DEPARTED"),
            ("2024-01-01", "ENCOUNTERED"),
        ],
        "final_order",
        "removal_order_stands",
    ),
    (
        "removed",
        [
            ("2019-01-01", "ENCOUNTERED"),
            ("2021-02-01", "REMOVAL_ORDERED"),
            ("2022-01-01", "ARRESTED"),
            ("2022-01-01", "DETAINED"),
            ("2022-02-01", "REMOVED"),
        ],
        "removed",
        "removed_and_not_returned",
    ),
    (
        "removed then re-entered",
        [("2021-02-01", "REMOVAL_ORDERED"), ("2022-02-01", "REMOVED"), ("2023-02-01", "ENCOUNTERED")],
        "final_order",
        "removal_order_stands",
    ),
    ("departed", [VISIT, ("2026-09-01", "DEPARTED")], "departed", "exit_recorded_not_returned"),
    (
        "self-reported departure is not an exit record",
        [VISIT, ("2026-09-05", "SELF_DEPARTURE_CONFIRMED_ABROAD", "SD-1")],
        "overstay",
        "admission_expired",
    ),
    (
        "departure followed by a re-admission",
        [("2025-01-01", "ADMITTED", "B2", "2025-06-01"), ("2025-05-01", "DEPARTED"), CURRENT_VISIT],
        "nonimmigrant_in_status",
        "admission_in_force",
    ),
    (
        "departure followed by an entry without admission",
        [VISIT, ("2026-09-01", "DEPARTED"), ("2026-09-20", "ENCOUNTERED")],
        "present_without_admission",
        "present_without_admission_record",
    ),
    (
        "proceedings of an earlier stay end with the departure",
        [
            ("2024-01-01", "ENCOUNTERED"),
            ("2024-02-01", "NTA_FILED"),
            ("2025-01-01", "DEPARTED"),
            ("2026-01-01", "ENCOUNTERED"),
        ],
        "present_without_admission",
        "present_without_admission_record",
    ),
    (
        "an LPR's trip abroad does not end residence",
        [("2014-01-01", "ADMITTED_IMMIGRANT", "IR1"), ("2026-09-01", "DEPARTED")],
        "lpr",
        "permanent_resident",
    ),
    ("nothing said", [("2024-04-15", "TAX_FILING", "ITIN")], "unknown", None),
]


@pytest.mark.parametrize(("specs", "status", "rule"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(judge: Callable[..., Judged], specs: list[Spec], status: str, rule: str | None) -> None:
    judged = judge(specs)
    assert (judged.status, judged.rule) == (status, rule)
    assert (judged.sql_status, judged.sql_rule) == (status, rule)


def test_every_rule_is_exercised() -> None:
    fired = {c[3] for c in CASES}
    assert {r.name for r in default_rules().rules} <= fired


def test_status_at_an_earlier_date_ignores_later_events(judge: Callable[..., Judged]) -> None:
    specs: list[Spec] = [VISIT, ("2026-09-01", "DEPARTED")]
    assert judge(specs, as_of=date(2026, 5, 1)).sql_status == "nonimmigrant_in_status"
    assert judge(specs, as_of=date(2026, 8, 30)).status == "overstay"
    assert judge(specs, as_of=date(2026, 9, 30)).status == "departed"
