"""Safeguard signals every later layer must respect, computed set-based from the derived facts.

- citizenship_evidence: naturalization, a US birth record, SSA's citizenship indicator, or citizenship
  verified on redress;
- conflicting_status_evidence: citizenship evidence together with evidence that, without it, would
  make the person removable (an order, an overstay, an entry without admission, ...);
- low_identity_confidence: resolution held a link of this person for review, found conflicting strong
  identifiers, or an oversized cluster;
- conflicting_birth_dates: the person's records give different birth dates.
"""

from __future__ import annotations

ADVERSE = (
    "final_order",
    "removed",
    "overstay",
    "present_without_admission",
    "in_removal_proceedings",
)


def flags_sql(derived: str) -> str:
    """SELECT person_id, flag, detail for the persons of a derived-status table (with its facts)."""
    adverse = ", ".join(f"'{s}'" for s in ADVERSE)
    persons = f"(SELECT DISTINCT person_id FROM {derived})"
    return f"""
        SELECT person_id, 'citizenship_evidence' AS flag,
               concat_ws('; ', CASE WHEN naturalized_at IS NOT NULL THEN 'naturalized ' || naturalized_at END,
                               CASE WHEN us_birth_at IS NOT NULL THEN 'US birth record' END,
                               CASE WHEN ssa_citizen_at IS NOT NULL THEN 'SSA citizenship indicator' END,
                               CASE WHEN verified_citizen_at IS NOT NULL THEN 'verified on redress ' || verified_citizen_at END) AS detail
        FROM {derived}
        WHERE naturalized_at IS NOT NULL OR us_birth_at IS NOT NULL OR ssa_citizen_at IS NOT NULL
           OR verified_citizen_at IS NOT NULL
        UNION ALL
        SELECT person_id, 'conflicting_status_evidence',
               'citizenship evidence, yet the other records alone would make the status ' || status_without_citizenship
        FROM {derived}
        WHERE status = 'us_citizen' AND status_without_citizenship IN ({adverse})
        UNION ALL
        SELECT person_id, 'low_identity_confidence', string_agg(DISTINCT reason, '; ' ORDER BY reason)
        FROM (
            SELECT m.person_id, 'a link of this person awaits review: ' || r.reason AS reason
            FROM (SELECT rec_l AS rec, reason FROM res_review WHERE status = 'open'
                  UNION ALL SELECT rec_r, reason FROM res_review WHERE status = 'open') r
            JOIN res_membership m USING (rec)
            WHERE m.person_id IN {persons}
            UNION ALL
            SELECT person_id, flag || coalesce(': ' || detail, '') FROM res_person_flags WHERE person_id IN {persons})
        GROUP BY person_id
        UNION ALL
        SELECT r.person_id, 'conflicting_birth_dates',
               'records give ' || count(DISTINCT r.dob) || ' birth dates: ' || string_agg(DISTINCT r.dob::VARCHAR, ', ' ORDER BY r.dob::VARCHAR)
        FROM life_identity r
        WHERE r.dob IS NOT NULL AND r.person_id IN {persons}
        GROUP BY r.person_id HAVING count(DISTINCT r.dob) > 1"""
