"""Every person's life is consistent in time: checked on the true facts (property-based, over seeds)
and on the records every agency reports (against the ground truth)."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import duckdb
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from immigrationos.synth.facts import Facts
from immigrationos.synth.params import WorldParams
from immigrationos.synth.world import WorldContext, draw_facts, world_context

DAY = np.timedelta64(1, "D")
ORDERED = [  # (earlier, later): wherever both exist, the first is not after the second
    ("dob", "entry_date"),
    ("entry_date", "adj_filed"),
    ("adj_filed", "lpr_date"),
    ("entry_date", "lpr_date"),
    ("lpr_date", "nat_filed"),
    ("nat_filed", "nat_date"),
    ("entry_date", "nta_date"),
    ("nta_date", "outcome_date"),
    ("outcome_date", "appeal_date"),
    ("appeal_date", "appeal_decided"),
    ("outcome_date", "reopened_date"),
    ("outcome_date", "arrest_date"),
    ("arrest_date", "removal_date"),
    ("entry_date", "asylum_filed"),
    ("asylum_filed", "asylum_granted"),
    ("tp_filed", "tp_start"),
    ("tp_start", "tp_end"),
    ("sd_registered", "sd_planned"),
    ("sd_registered", "sd_departure_date"),
    ("entry_date", "sd_departure_date"),
    ("sd_departure_date", "sd_reentry_date"),
    ("crim_arrest_date", "crim_disposition_date"),
    ("dob", "crim_arrest_date"),
    ("dob", "ssn_issue_date"),
    ("entry_date", "encounter_date"),
    ("visa_issue", "entry_date"),
    ("ext_filed", "ext_until"),
    ("lpr_date", "nat_date"),
    ("dob", "visa_issue"),
    ("entry_date", "tp_filed"),
    ("entry_date", "ead_filed"),
    ("asylum_filed", "ead_filed"),
    ("entry_date", "arrest_date"),
    ("sd_departure_date", "sd_confirmed_date"),
    ("labor_cert_date", "adj_filed"),
    ("dob", "hhs_date"),
    ("dob", "hud_date"),
    ("arrest_date", "release_date"),
    ("entry_date", "sd_registered"),
    ("sd_registered", "sd_second_registered"),
    *(
        (event, "sd_registered")
        for event in ("nta_date", "arrest_date", "detention_date", "release_date", "outcome_date")
    ),
]
PAST = [
    "entry_date",
    "lpr_date",
    "nat_date",
    "nta_date",
    "outcome_date",
    "removal_date",
    "asylum_filed",
    "sd_registered",
    "sd_departure_date",
    "crim_arrest_date",
    "crim_disposition_date",
    "encounter_date",
    "tp_start",
    "ext_filed",
    "arrest_date",
    "detention_date",
    "appeal_decided",
    "reopened_date",
    "sd_confirmed_date",
    "sd_withdrawn_date",
    "sd_reentry_date",
    "labor_cert_date",
    "ssn_issue_date",
    "visa_issue",
    "adj_filed",
    "nat_filed",
    "hhs_date",
    "hud_date",
    "asylum_granted",
    "sd_second_registered",
]


@functools.cache
def _pools() -> WorldContext:
    """Name pools and localities are costly and irrelevant here: built once, reused for every seed."""
    return world_context(WorldParams(persons=1_000, seed=0))


def _facts(seed: int, n: int) -> Facts:
    params = WorldParams(persons=n, seed=seed, chunk_persons=max(n, 1_000))
    return draw_facts(dataclasses.replace(_pools(), params=params), 0, 0, n)


def assert_consistent(f: Facts) -> None:
    for earlier, later in ORDERED:
        a, b = f[earlier], f[later]
        both = ~np.isnat(a) & ~np.isnat(b)
        bad = np.flatnonzero(both & (a > b))
        assert len(bad) == 0, f"{earlier} after {later} for {len(bad)} persons, e.g. {f['category'][bad[0]]}"
    for col in PAST:
        assert not (f[col][~np.isnat(f[col])] > f.as_of).any(), f"{col} after the as-of date"
    naturalized = ~np.isnat(f["nat_date"])
    assert ((f["nat_filed"] - f["lpr_date"])[naturalized] >= (3 * 365 - 90) * DAY).all(), (
        "naturalized too early"
    )
    citizen = f["status"] == "us_citizen"
    assert set(f["category"][citizen]) <= {"us_citizen_mixed_household", "naturalized"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**31), n=st.integers(min_value=1_000, max_value=2_500))
def test_true_facts_are_consistent_in_time(seed: int, n: int) -> None:
    assert_consistent(_facts(seed, n))


def test_records_are_consistent_with_each_person_life(world: Path, db: duckdb.DuckDBPyConnection) -> None:
    truth = f"'{world}/ground_truth/records.parquet'"
    persons = f"'{world}/ground_truth/persons.parquet'"
    events = " UNION ALL ".join(
        f"SELECT '{s}' AS source, record_id, {d} AS d FROM '{world}/{s}.parquet'"
        for s, d in [
            ("cbp_i94", "event_date"),
            ("uscis_benefits", "event_date"),
            ("eoir_court", "event_date"),
            ("ice_enforcement", "event_date"),
            ("biometric_encounters", "encounter_date"),
            ("criminal_history", "event_date"),
            ("self_departure_app", "event_date"),
            ("hhs_enrollment", "enrollment_date"),
            ("hud_assistance", "effective_date"),
            ("ssa_numident", "card_issue_date"),
            ("dol_labor", "decision_date"),
            ("state_visas", "issue_date"),
            ("irs_filings", "filing_date"),
        ]
    )
    before_birth = db.execute(f"""
        SELECT count(*) FROM ({events}) e JOIN {truth} t USING (source, record_id) JOIN {persons} p USING (person_id)
        WHERE e.d < p.dob""").fetchall()[0][0]
    assert before_birth == 0
    departures_first = db.execute(f"""
        SELECT count(*) FROM (
            SELECT person_id, first(event_type ORDER BY event_date, event_type) AS first_event
            FROM '{world}/cbp_i94.parquet' JOIN {truth} USING (record_id) GROUP BY person_id)
        JOIN {persons} USING (person_id)
        WHERE first_event = 'DEPARTURE' AND entry_kind <> 'ewi'""").fetchall()[0][0]
    assert departures_first == 0  # who entered without inspection has no arrival: the exit comes first
    naturalized_before_lpr = db.execute(f"""
        SELECT count(*) FROM (
            SELECT person_id, max(event_date) FILTER (form_type = 'N-400' AND event_type = 'APPROVED') AS nat,
                   max(event_date) FILTER (form_type = 'I-485' AND event_type = 'APPROVED') AS lpr
            FROM '{world}/uscis_benefits.parquet' JOIN {truth} USING (record_id) GROUP BY person_id)
        WHERE nat < lpr""").fetchall()[0][0]
    assert naturalized_before_lpr == 0
    removal_without_order = db.execute(f"""
        SELECT count(*) FROM '{world}/ice_enforcement.parquet' i JOIN {truth} t USING (record_id)
        WHERE i.event_type = 'REMOVAL' AND NOT EXISTS (
            SELECT 1 FROM '{world}/eoir_court.parquet' e JOIN {truth} t2 USING (record_id)
            WHERE t2.person_id = t.person_id AND e.event_type IN ('REMOVAL_ORDERED', 'IN_ABSENTIA_ORDER')
              AND e.event_date <= i.event_date)""").fetchall()[0][0]
    assert removal_without_order == 0
