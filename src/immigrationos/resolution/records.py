"""The unified, normalised person-record view every matching tier reads.

Built from the source tables through the catalog's roles, so a new source needs no code here. Names
are upper-cased, accent-free and punctuation-free; identifiers are reduced to their digits (A-numbers
padded to nine), so that 'A-012-345-678', '012345678' and 'A12345678' compare equal.
"""

from __future__ import annotations

from immigrationos.sources.models import Catalog, SourceSpec
from immigrationos.sources.storage import ensure_source_tables, table_name
from immigrationos.store.engine import Store

RECORDS = "res_records"
LOCAL_KINDS = ("receipt_number", "registration_id")
ROLE_COLUMNS = (
    "given_name",
    "middle_name",
    "family_name",
    "dob",
    "sex",
    "country",
    "street",
    "city",
    "postal_code",
    "a_number",
    "fin",
    "ssn",
    "itin",
    "passport",
    "fbi_number",
    "local_key",
)


def clean_name(expr: str) -> str:
    """Upper case, no accents, letters and single spaces only (hyphens become spaces)."""
    letters = f"regexp_replace(upper(strip_accents(coalesce({expr}, ''))), '[^A-Z]+', ' ', 'g')"
    return f"nullif(trim({letters}), '')"


def sound(expr: str) -> str:
    """A name's sound: its first letter, then its consonants' Soundex classes with repeats collapsed.
    LAYLA, LEILA and LAILA sound alike, as RAHMAN and REHMAN, FAISAL and FAYSAL, SULEIMAN and SOLIMAN
    do: romanizations of one name mostly differ in vowels. Plain SQL, so it runs on any engine."""
    classes = (
        f"translate(regexp_replace(substr({expr}, 2), '[^BFPVCGJKQSXZDTLMNR]', '', 'g'), "
        "'BFPVCGJKQSXZDTLMNR', '111122222222334556')"
    )
    for digit in "123456":
        classes = f"regexp_replace({classes}, '{digit}+', '{digit}', 'g')"
    return f"CASE WHEN coalesce({expr}, '') <> '' THEN substr({expr}, 1, 1) || {classes} END"


def digits(expr: str) -> str:
    return f"nullif(regexp_replace(coalesce({expr}, ''), '[^0-9]', '', 'g'), '')"


def a_number(expr: str) -> str:
    d = digits(expr)
    return f"CASE WHEN length({d}) BETWEEN 7 AND 9 THEN lpad({d}, 9, '0') END"


def valid_ssn(d: str) -> str:
    """An SSN shape that SSA could have issued (area not 000/666/9xx, group and serial not zero)."""
    return (
        f"(length({d}) = 9 AND substr({d}, 1, 3) NOT IN ('000', '666') AND substr({d}, 1, 1) <> '9' "
        f"AND substr({d}, 4, 2) <> '00' AND substr({d}, 6, 4) <> '0000')"
    )


def _role_expressions(spec: SourceSpec) -> dict[str, str]:
    roles = {f.role: f"t.{f.name}" for f in spec.fields if f.role}
    col = roles.get
    out: dict[str, str] = {}
    for role in ("given_name", "middle_name", "family_name"):
        if role in roles:
            out[role] = clean_name(col(role) or "")
    if "dob" in roles:
        out["dob"] = str(col("dob"))
    if "sex" in roles:
        out["sex"] = str(col("sex"))
    country = col("birth_country") or col("citizenship_country")
    if country:
        out["country"] = country
    if "street" in roles:
        out["street"] = clean_name(col("street") or "")
        out["city"] = clean_name(col("city") or "")
        out["postal_code"] = f"substr({digits(col('postal_code') or '')}, 1, 5)"
    if "a_number" in roles:
        out["a_number"] = a_number(col("a_number") or "")
    if "fin" in roles:
        out["fin"] = digits(col("fin") or "")
    tin = col("ssn") or col("tin")
    if tin:
        d = digits(tin)
        out["ssn"] = f"CASE WHEN {valid_ssn(d)} THEN {d} END"
        out["itin"] = f"CASE WHEN length({d}) = 9 AND substr({d}, 1, 1) = '9' THEN {d} END"
    if "passport_number" in roles:
        number = (
            f"nullif(regexp_replace(upper(coalesce({col('passport_number')}, '')), '[^A-Z0-9]', '', 'g'), '')"
        )
        out["passport"] = (
            f"CASE WHEN {number} IS NOT NULL THEN coalesce({col('passport_country')}, '?') || ':' || {number} END"
        )
    local = [f.name for f in spec.fields if f.identifier is not None and f.identifier.value in LOCAL_KINDS]
    if local:  # a key that only ties records of one source together (one application, one registration)
        out["local_key"] = f"'{spec.name}:' || t.{local[0]}"
    if "fbi_number" in roles:
        out["fbi_number"] = f"nullif(upper(trim({col('fbi_number')})), '')"
    return out


def _select_for(spec: SourceSpec, after_file: int | None) -> str:
    exprs = _role_expressions(spec)
    cols = [f"{exprs.get(c, 'NULL')}::{'DATE' if c == 'dob' else 'VARCHAR'} AS {c}" for c in ROLE_COLUMNS]
    rid = f"t.{spec.record_id_field}"
    where = f" WHERE t._file_id > {int(after_file)}" if after_file is not None else ""
    return (
        f"SELECT '{spec.name}' || ':' || {rid} AS rec, '{spec.name}' AS source, "
        f"{rid} AS record_id, {', '.join(cols)} FROM {table_name(spec)} t{where}"
    )


def records_select(
    catalog: Catalog,
    *,
    first_node: int = 0,
    after_file: int | None = None,
    whole: frozenset[str] = frozenset(),
) -> str:
    """The normalised records (all, or only those of files ingested after ``after_file`` except for the
    sources named in ``whole``), numbered from ``first_node`` in record order."""
    union = "\nUNION ALL\n".join(
        _select_for(s, None if s.name in whole else after_file)
        for s in catalog.sources
        if any(f.role for f in s.fields)
    )
    return f"""
        SELECT row_number() OVER (ORDER BY rec) - 1 + {int(first_node)} AS node, *, split_part(family_name, ' ', 1) AS family1, split_part(given_name, ' ', 1) AS given1,
               replace(given_name, ' ', '') AS given_joined, replace(family_name, ' ', '') AS family_joined,
               year(dob) AS birth_year
        FROM ({union}) ORDER BY rec"""


def build_records(store: Store, catalog: Catalog) -> int:
    """(Re)build the record view; returns the number of records."""
    ensure_source_tables(store, catalog)
    store.execute(f"CREATE OR REPLACE TABLE {RECORDS} AS {records_select(catalog)}")
    return int(store.scalar(f"SELECT count(*) FROM {RECORDS}"))
