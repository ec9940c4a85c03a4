"""Identity profiles: what Splink compares instead of raw records.

One row per deterministic component and distinct (name, birth date, sex, country, address): the many
records of one person that say the same thing become one row, and records already linked by an
identifier are never compared again. Each profile carries its component's strong identifiers (where
the component has exactly one value of a kind), so two profiles with different A-numbers, SSNs or FINs
count as strong evidence against a match.
"""

from __future__ import annotations

from immigrationos.resolution.records import RECORDS, sound
from immigrationos.store.engine import Store

PROFILES = "res_profiles"
RECORD_PROFILE = "res_record_profile"
COMPONENTS = "res_components"
PROFILE_COLUMNS = (
    "given_name",
    "family_name",
    "given_joined",
    "family_joined",
    "given1",
    "family1",
    "dob",
    "birth_year",
    "sex",
    "country",
    "postal_code",
    "street",
)


def _unique(kind: str) -> str:
    return f"CASE WHEN count(DISTINCT {kind}) = 1 THEN min({kind}) END AS comp_{kind}"


def build_profiles(store: Store) -> int:
    """Profiles from records and their deterministic components (table res_components: node, comp)."""
    cols = ", ".join(f"r.{c}" for c in PROFILE_COLUMNS)
    store.execute(f"""
        CREATE OR REPLACE TABLE res_component_ids AS
        SELECT c.comp, {_unique("a_number")}, {_unique("ssn")}, {_unique("fin")}, {_unique("passport")}
        FROM {COMPONENTS} c JOIN {RECORDS} r USING (node) GROUP BY c.comp""")
    content = (
        "md5(concat_ws('|', " + ", ".join(f"coalesce(r.{c}::VARCHAR, '')" for c in PROFILE_COLUMNS) + "))"
    )
    store.execute(f"""
        CREATE OR REPLACE TABLE {RECORD_PROFILE} AS
        SELECT r.node, c.comp, dense_rank() OVER (ORDER BY c.comp, {content}) AS profile_id
        FROM {RECORDS} r JOIN {COMPONENTS} c USING (node)""")
    store.execute(f"""
        CREATE OR REPLACE TABLE {PROFILES} AS
        SELECT DISTINCT ON (rp.profile_id) rp.profile_id, rp.comp, {cols}, i.comp_a_number AS a_number,
               i.comp_ssn AS ssn, i.comp_fin AS fin, i.comp_passport AS passport,
               coalesce(r.given_joined, '') || ' ' || coalesce(r.family_joined, '') AS full_name,
               {sound("r.given1")} AS given_sound, {sound("r.family1")} AS family_sound
        FROM {RECORD_PROFILE} rp JOIN {RECORDS} r USING (node) JOIN res_component_ids i ON i.comp = rp.comp
        ORDER BY rp.profile_id, r.node""")
    return int(store.scalar(f"SELECT count(*) FROM {PROFILES}"))
