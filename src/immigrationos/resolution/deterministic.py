"""Deterministic tier: links on strong identifiers, each corroborated by birth date or name.

A fingerprint (FIN) needs no corroboration: it is biometric. Any other shared identifier must agree with
the biographic data (birth date equal or a known error pattern away, or both names similar), because
identifiers are mistyped and, rarely, collide: such a pair goes to review instead of being linked.
"""

from __future__ import annotations

from immigrationos.resolution.records import RECORDS
from immigrationos.store.engine import Store

IDENTIFIER_KINDS = ("fin", "a_number", "ssn", "itin", "passport", "fbi_number", "local_key")
EDGES = "res_id_edges"


def dob_compatible(left: str, right: str) -> str:
    """Birth dates equal, or one typical error apart (day/month swap, a digit, two adjacent digits
    swapped, a year)."""
    return (
        f"({left} = {right} OR (month({left}) = day({right}) AND day({left}) = month({right}) AND year({left}) = year({right})) "
        f"OR damerau_levenshtein(strftime({left}, '%Y%m%d'), strftime({right}, '%Y%m%d')) <= 1 "
        f"OR (month({left}) = month({right}) AND day({left}) = day({right}) AND abs(year({left}) - year({right})) = 1))"
    )


def names_compatible(l: str, r: str) -> str:  # noqa: E741 - l/r are SQL table aliases
    """At least one name similar, in either order: with an exact identifier that is the usual
    verification rule (identifier plus name or birth date)."""
    pairs = [
        ("family_name", "family_name"),
        ("given_name", "given_name"),
        ("family_name", "given_name"),
        ("given_name", "family_name"),
        ("family1", "family1"),
    ]
    similar = " OR ".join(f"jaro_winkler_similarity({l}.{a}, {r}.{b}) >= 0.88" for a, b in pairs)
    return f"({similar})"


def build_identifier_edges(store: Store) -> int:
    """Star edges from every record to the first record holding the same identifier value."""
    parts = []
    for kind in IDENTIFIER_KINDS:
        parts.append(f"""
            SELECT '{kind}' AS kind, node, first_value(node) OVER (PARTITION BY {kind} ORDER BY node) AS anchor
            FROM {RECORDS} WHERE {kind} IS NOT NULL""")
    corroborated = (
        f"(a.dob IS NOT NULL AND b.dob IS NOT NULL AND {dob_compatible('a.dob', 'b.dob')}) "
        f"OR {names_compatible('a', 'b')}"
    )
    store.execute(f"""
        CREATE OR REPLACE TABLE {EDGES} AS
        SELECT e.kind, e.node AS l, e.anchor AS r,
               e.kind = 'fin' OR coalesce({corroborated}, false) AS corroborated
        FROM ({" UNION ALL ".join(parts)}) e
        JOIN {RECORDS} a ON a.node = e.node JOIN {RECORDS} b ON b.node = e.anchor
        WHERE e.node <> e.anchor""")
    return int(store.scalar(f"SELECT count(*) FROM {EDGES}"))
