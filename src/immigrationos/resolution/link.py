"""`immos link`: match any file of person records (bring your own data) with the same model.

A mapping file says which column holds which person field; the file is normalised exactly as agency
feeds are, the model is trained without labels on the file itself, and two outputs are written:
pairs.parquet (record_id_l, record_id_r, match_probability, match_weight) and clusters.parquet
(record_id, source, cluster_id).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from splink import DuckDBAPI, Linker

from immigrationos.errors import ImmosError
from immigrationos.resolution import model
from immigrationos.resolution.records import a_number, clean_name, digits, valid_ssn

PERSON_FIELDS = (
    "given_name",
    "family_name",
    "dob",
    "sex",
    "street",
    "city",
    "state",
    "postal_code",
    "country",
)
IDENTIFIER_FIELDS = ("ssn", "a_number", "fin", "passport", "other_id")


class MappingError(ImmosError):
    """The mapping file is invalid or names columns the data does not have."""


class DateField(BaseModel):
    model_config = ConfigDict(extra="forbid")
    column: str
    format: str | None = None  # strptime format, e.g. "%Y%m%d" or "%d/%m/%Y"; None: ISO dates


class LinkMapping(BaseModel):
    """Which column of the input holds which person field."""

    model_config = ConfigDict(extra="forbid")
    record_id: str | None = None
    fields: dict[str, str | list[str] | DateField]
    identifiers: dict[str, str] = {}

    @field_validator("fields")
    @classmethod
    def _known_fields(
        cls, value: dict[str, str | list[str] | DateField]
    ) -> dict[str, str | list[str] | DateField]:
        unknown = set(value) - set(PERSON_FIELDS)
        if unknown:
            raise ValueError(f"unknown person fields {sorted(unknown)}; use {', '.join(PERSON_FIELDS)}")
        if not {"given_name", "family_name"} & set(value):
            raise ValueError("map at least given_name or family_name")
        return value

    @field_validator("identifiers")
    @classmethod
    def _known_identifiers(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = set(value) - set(IDENTIFIER_FIELDS)
        if unknown:
            raise ValueError(f"unknown identifiers {sorted(unknown)}; use {', '.join(IDENTIFIER_FIELDS)}")
        return value

    def columns(self) -> set[str]:
        cols: set[str] = set()
        for v in self.fields.values():
            cols |= {v.column} if isinstance(v, DateField) else set(v) if isinstance(v, list) else {v}
        return cols | set(self.identifiers.values()) | ({self.record_id} if self.record_id else set())


def load_mapping(path: Path) -> LinkMapping:
    try:
        return LinkMapping.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise MappingError(f"{path}: invalid mapping: {exc}") from exc


def _read(conn: duckdb.DuckDBPyConnection, path: Path) -> duckdb.DuckDBPyRelation:
    if path.suffix.lower() == ".parquet":
        return conn.read_parquet(str(path))
    return conn.sql(f"SELECT * FROM read_csv('{path}', header=true, all_varchar=true)")


def _field_sql(mapping: LinkMapping, name: str) -> str:
    spec = mapping.fields.get(name)
    if spec is None:
        return "NULL"
    if isinstance(spec, DateField) or name == "dob":
        col, fmt = (spec.column, spec.format) if isinstance(spec, DateField) else (str(spec), None)
        quoted = f'"{col}"'
        return f"try_strptime({quoted}::VARCHAR, '{fmt}')::DATE" if fmt else f"TRY_CAST({quoted} AS DATE)"
    col = (
        f"concat_ws(' ', {', '.join(chr(34) + c + chr(34) for c in spec)})"
        if isinstance(spec, list)
        else f'"{spec}"::VARCHAR'
    )
    if name in ("given_name", "family_name", "street", "city"):
        return clean_name(col)
    if name == "postal_code":
        return f"substr({digits(col)}, 1, 5)"
    return f"nullif(upper(trim({col})), '')"


def _identifier_sql(mapping: LinkMapping, name: str) -> str:
    if name not in mapping.identifiers:
        return "NULL"
    col = f'"{mapping.identifiers[name]}"::VARCHAR'
    if name == "ssn":
        d = digits(col)
        return f"CASE WHEN {valid_ssn(d)} THEN {d} END"
    if name == "a_number":
        return a_number(col)
    return f"nullif(upper(regexp_replace({col}, '[^A-Za-z0-9]', '', 'g')), '')"


@dataclass
class LinkResult:
    records: int
    pairs: int
    clusters: int
    out_dir: Path


def _prepare(
    conn: duckdb.DuckDBPyConnection, path: Path, mapping: LinkMapping, source: str, table: str
) -> None:
    relation = _read(conn, path)
    missing = sorted(mapping.columns() - set(relation.columns))
    if missing:
        raise MappingError(
            f"{path}: the mapping names columns the file lacks: {', '.join(missing)} "
            f"(it has: {', '.join(relation.columns)})"
        )
    conn.register("_raw_input", relation)
    rid = f'"{mapping.record_id}"::VARCHAR' if mapping.record_id else "(row_number() OVER ())::VARCHAR"
    cols = ", ".join(f"{_field_sql(mapping, f)} AS {f}" for f in PERSON_FIELDS)
    ids = ", ".join(f"{_identifier_sql(mapping, i)} AS {i}" for i in IDENTIFIER_FIELDS)
    conn.execute(f"""
        CREATE OR REPLACE TABLE {table} AS
        WITH base AS (SELECT {rid} AS record_id, {cols}, {ids} FROM _raw_input)
        SELECT '{source}:' || record_id AS profile_id, *,
               split_part(family_name, ' ', 1) AS family1, split_part(given_name, ' ', 1) AS given1,
               replace(given_name, ' ', '') AS given_joined, replace(family_name, ' ', '') AS family_joined,
               year(dob) AS birth_year
        FROM base""")
    conn.unregister("_raw_input")


def _available(conn: duckdb.DuckDBPyConnection, tables: list[str]) -> set[str]:
    present: set[str] = set()
    for col in (
        *PERSON_FIELDS,
        *IDENTIFIER_FIELDS,
        "given_joined",
        "family_joined",
        "given1",
        "family1",
        "birth_year",
    ):
        if all(conn.execute(f"SELECT count({col}) FROM {t}").fetchall()[0][0] > 0 for t in tables):
            present.add(col)
    return present


def _usable_rules(rules: list[Any], columns: set[str]) -> list[str]:
    needed = {"dob", "family1", "given1", "postal_code", "birth_year", "family_joined", "given_joined"}
    needed |= {"given_sound", "family_sound"}  # profiles only: a file's records are blocked without them
    return [r for r in rules if all(c in columns or f"l.{c}" not in r for c in needed)]


def link_blocking_rules(columns: set[str]) -> list[str]:
    """The model's rules plus, with no identifier tier in front, the identifiers themselves and the birth
    date alone (they reach pairs whose names both changed)."""
    rules = _usable_rules(model.blocking_rules(), columns)
    rules += [f"l.{i} = r.{i}" for i in IDENTIFIER_FIELDS if i in columns]
    if "dob" in columns:  # a file's own birth dates spread pairs thinly enough at bring-your-own sizes
        rules.append("l.dob = r.dob")
    if {"postal_code", "family1"} <= columns:  # a given name replaced outright: same surname, same place
        rules.append("l.postal_code = r.postal_code AND l.family1 = r.family1")
        rules.append("l.postal_code = r.postal_code AND l.family1 = r.given1")  # swapped, birth date unusable
    return rules


def _train(linker: Linker, columns: set[str]) -> None:
    rules = [f"l.{i} = r.{i}" for i in IDENTIFIER_FIELDS if i in columns]
    if "dob" in columns:
        rules.append("l.dob = r.dob")
    rules.append("l.family_joined = r.family_joined AND l.given_joined = r.given_joined")
    deterministic = "l.given_joined = r.given_joined AND l.family_joined = r.family_joined" + (
        " AND l.dob = r.dob" if "dob" in columns else ""
    )
    linker.training.estimate_probability_two_random_records_match([deterministic], recall=0.6)
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    for rule in rules:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )


def link_files(
    files: list[Path], mapping_path: Path, out_dir: Path, *, threshold: float = 0.95
) -> LinkResult:
    """Dedupe one file or link two; write pairs.parquet and clusters.parquet to ``out_dir``."""
    if not 1 <= len(files) <= 2:
        raise MappingError("give one file to dedupe or two to link")
    mapping = load_mapping(mapping_path)
    conn = duckdb.connect()
    tables = [f"_input_{i}" for i in range(len(files))]
    for i, (path, table) in enumerate(zip(files, tables, strict=True)):
        _prepare(conn, path, mapping, f"file{i + 1}", table)
    columns = _available(conn, tables)
    settings = model.settings(columns)
    settings.link_type = "dedupe_only" if len(files) == 1 else "link_only"
    settings.blocking_rules_to_generate_predictions = cast(Any, link_blocking_rules(columns))
    db = DuckDBAPI(connection=conn)
    linker = Linker([db.register(cast(Any, conn.table(t))) for t in tables], settings)
    _train(linker, columns)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold)
    out_dir.mkdir(parents=True, exist_ok=True)
    conn.execute(f"""COPY (SELECT split_part(profile_id_l, ':', 2) AS record_id_l, split_part(profile_id_r, ':', 2) AS record_id_r,
                     match_probability, match_weight FROM {predictions.physical_name} ORDER BY 1, 2)
                     TO '{out_dir / "pairs.parquet"}' (FORMAT parquet)""")
    conn.execute(f"""COPY (SELECT split_part(profile_id, ':', 2) AS record_id, split_part(profile_id, ':', 1) AS source,
                     cluster_id FROM {clusters.physical_name} ORDER BY 2, 1)
                     TO '{out_dir / "clusters.parquet"}' (FORMAT parquet)""")
    result = LinkResult(
        records=sum(int(conn.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]) for t in tables),
        pairs=int(conn.execute(f"SELECT count(*) FROM {predictions.physical_name}").fetchall()[0][0]),
        clusters=int(
            conn.execute(f"SELECT count(DISTINCT cluster_id) FROM {clusters.physical_name}").fetchall()[0][0]
        ),
        out_dir=out_dir,
    )
    conn.close()
    return result
