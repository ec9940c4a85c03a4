"""Generate a synthetic multi-agency world with its ground truth, chunk by chunk.

Memory is bounded by the chunk size: each chunk of persons is drawn, observed by every agency, and
streamed to disk before the next one starts. A chunk's random stream depends only on (seed, chunk),
so a world is deterministic for a seed and its parameters.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from immigrationos.errors import GenerationError
from immigrationos.sources.catalog import default_catalog
from immigrationos.sources.models import Catalog, FieldType, SourceSpec
from immigrationos.synth import identity, journeys, overlays
from immigrationos.synth.countries import COUNTRIES
from immigrationos.synth.facts import Facts
from immigrationos.synth.identity_fields import attach_identity
from immigrationos.synth.names import NameBook, build_name_book
from immigrationos.synth.observe import BUILDERS, concat
from immigrationos.synth.params import WorldParams
from immigrationos.synth.writer import ARROW_TYPES, OutputFormat, TableSink, arrow_schema, file_name

GENERATOR_VERSION = "1"
PREFIXES = {
    "cbp_i94": "I94",
    "state_visas": "VIS",
    "uscis_benefits": "USC",
    "eoir_court": "EOI",
    "ice_enforcement": "ICE",
    "biometric_encounters": "BIO",
    "ssa_numident": "SSA",
    "irs_filings": "IRS",
    "hhs_enrollment": "HHS",
    "dol_labor": "DOL",
    "hud_assistance": "HUD",
    "criminal_history": "CRI",
    "self_departure_app": "SDA",
    "destination_arrivals": "DST",
}
TRUTH_PERSON_COLUMNS = (
    "category",
    "status",
    "country",
    "sex",
    "given",
    "family",
    "dob",
    "doc_dob",
    "dob_placeholder",
    "household_head",
    "alias",
    "crim_kind",
    "sd_registered",
    "sd_departed",
    "sd_departure_date",
    "sd_false_claim",
    "sd_reentry_date",
    "sd_planned",
    "sd_withdrawn_date",
    "sd_second_registered",
    "sd_travel_arranged",
    "sd_exit_recorded",
    "sd_destination_reported",
    "sd_app_confirmed",
    "sd_lawful",
    "entry_kind",
    "admit_until",
    "old_overstay",
    "ext_pending",
)


@dataclass
class WorldSummary:
    """What a generation run produced."""

    out_dir: Path
    persons: int
    records: dict[str, int] = field(default_factory=dict)

    @property
    def total_records(self) -> int:
        return sum(self.records.values())


@dataclass
class WorldContext:
    params: WorldParams
    catalog: Catalog
    book: NameBook
    localities: identity.Localities


def draw_facts(ctx: WorldContext, chunk: int, offset: int, n: int) -> Facts:
    """All true facts of one chunk of persons."""
    p = ctx.params
    f = Facts(n=n, as_of=np.datetime64(p.as_of, "D"), rng=np.random.default_rng([p.seed, chunk]), params=p)
    gi = np.arange(offset, offset + n, dtype=np.int64)
    f["_gi"] = gi
    identity.draw_category(f, p)
    identity.draw_country(f)
    identity.draw_birth(f, p)
    identity.draw_names(f, ctx.book)
    identity.draw_addresses(f, ctx.localities, p)
    identity.share_households(f)
    identity.add_doppelgangers(f, p)
    identity.assign_identifiers(f, gi, p.seed)
    journeys.draw_journeys(f, p.enforcement.overstay_share_of_unprotected, p.enforcement.ewi_encountered)
    overlays.criminal_history(f, p)
    overlays.enforcement(f, p)
    overlays.self_departures(f, p)
    overlays.other_agencies(f)
    overlays.aliases(f, p, ctx.book)
    overlays.truth_flags(f)
    f["_state"] = ctx.localities.states[f["locality"]]
    return f


def source_records(
    f: Facts, spec: SourceSpec, ctx: WorldContext, chunk: int
) -> tuple[pa.Table, pd.DataFrame]:
    """One source's records for a chunk (shuffled, with ids) and their true persons."""
    df = concat(BUILDERS[spec.name](f))
    df = attach_identity(df, f, spec, ctx.localities, ctx.book)
    df = df.iloc[f.rng.permutation(len(df))].reset_index(drop=True)
    df["record_id"] = [f"{PREFIXES[spec.name]}-{chunk:04d}-{k:07d}" for k in range(len(df))]
    truth = pd.DataFrame(
        {"source": spec.name, "record_id": df["record_id"], "person_id": f["_gi"][df["_pi"].to_numpy()] + 1}
    )
    for name in spec.field_names:
        if name not in df.columns:
            df[name] = None
    table = pa.Table.from_pandas(df[list(spec.field_names)], preserve_index=False)
    return table, truth


def person_truth(f: Facts) -> pa.Table:
    """Per person: the true status and flags later layers are measured against."""
    cols: dict[str, np.ndarray] = {"person_id": f["_gi"] + 1}
    for name in TRUTH_PERSON_COLUMNS:
        cols[name] = f[name]
    cols["household_head"] = np.where(f["household_head"] >= 0, f["household_head"] + f["_gi"][0] + 1, -1)
    for name, values in f.cols.items():
        if name.startswith("flag_"):
            cols[name[5:]] = values
    return pa.Table.from_pandas(pd.DataFrame(cols), preserve_index=False)


def world_context(params: WorldParams) -> WorldContext:
    groups = {c.group for c in COUNTRIES} | {"american"}
    return WorldContext(
        params=params,
        catalog=default_catalog(),
        book=build_name_book(groups, params.seed),
        localities=identity.build_localities(params.seed),
    )


def generate_world(
    params: WorldParams,
    out_dir: Path,
    fmt: OutputFormat = "parquet",
    on_chunk: Callable[[int], None] | None = None,
) -> WorldSummary:
    """Write one file per source plus ``ground_truth/`` and ``manifest.json`` into ``out_dir``."""
    ctx = world_context(params)
    out_dir.mkdir(parents=True, exist_ok=True)
    feeds = ctx.catalog.feeds
    sinks = {s.name: TableSink(out_dir / file_name(s.name, fmt), arrow_schema(s), fmt) for s in feeds}
    truth_records = TableSink(out_dir / "ground_truth" / "records.parquet", _truth_schema(), "parquet")
    truth_persons: TableSink | None = None
    offset = 0
    for chunk, n in enumerate(_chunk_sizes(params)):
        f = draw_facts(ctx, chunk, offset, n)
        for spec in feeds:
            table, truth = source_records(f, spec, ctx, chunk)
            sinks[spec.name].write(table)
            truth_records.write(pa.Table.from_pandas(truth, schema=_truth_schema(), preserve_index=False))
        persons = person_truth(f)
        if truth_persons is None:
            truth_persons = TableSink(out_dir / "ground_truth" / "persons.parquet", persons.schema, "parquet")
        truth_persons.write(persons)
        offset += n
        if on_chunk is not None:
            on_chunk(n)
    for sink in (*sinks.values(), truth_records, *([truth_persons] if truth_persons else [])):
        sink.close()
    summary = WorldSummary(
        out_dir=out_dir, persons=params.persons, records={k: s.rows for k, s in sinks.items()}
    )
    _write_manifest(out_dir, params, fmt, summary)
    return summary


def _chunk_sizes(params: WorldParams) -> list[int]:
    full, rest = divmod(params.persons, params.chunk_persons)
    return [params.chunk_persons] * full + ([rest] if rest else [])


def _truth_schema() -> pa.Schema:
    columns = (
        ("source", FieldType.STRING),
        ("record_id", FieldType.STRING),
        ("person_id", FieldType.INTEGER),
    )
    return pa.schema([pa.field(name, ARROW_TYPES[kind]) for name, kind in columns])


def _write_manifest(out_dir: Path, params: WorldParams, fmt: str, summary: WorldSummary) -> None:
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "format": fmt,
        "persons": summary.persons,
        "records": summary.records,
        "params": params.model_dump(mode="json"),
        "synthetic": True,
        "notice": "Synthetic data generated by ImmigrationOS. Not real persons.",
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def world_as_of(out_dir: Path) -> date:
    """The as-of date a generated world was made for (its records describe the world on that day)."""
    path = out_dir / "manifest.json"
    try:
        return date.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["params"]["as_of"])
    except (OSError, KeyError, ValueError) as exc:
        raise GenerationError(f"{path}: no readable as-of date ({exc})") from exc
