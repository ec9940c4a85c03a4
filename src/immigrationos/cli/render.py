"""Rich tables for what commands report."""

from __future__ import annotations

from rich.table import Table

from immigrationos.sources.ingest import IngestReport
from immigrationos.sources.models import Catalog
from immigrationos.synth.world import WorldSummary


def world_table(summary: WorldSummary) -> Table:
    table = Table(title=f"Synthetic world: {summary.persons:,} persons -> {summary.out_dir}")
    table.add_column("source")
    table.add_column("records", justify="right")
    for name, rows in summary.records.items():
        table.add_row(name, f"{rows:,}")
    table.add_row("[bold]total", f"[bold]{summary.total_records:,}")
    return table


def ingest_table(report: IngestReport) -> Table:
    table = Table(title="Ingest")
    for col in ("file", "source", "status", "loaded", "duplicates", "quarantined", "error"):
        table.add_column(col, justify="right" if col in ("loaded", "duplicates", "quarantined") else "left")
    colors = {"complete": "green", "skipped": "cyan", "rejected": "red"}
    for f in report.files:
        table.add_row(
            f.path.rsplit("/", 1)[-1],
            f.source or "-",
            f"[{colors[f.status]}]{f.status}",
            f"{f.loaded:,}",
            f"{f.duplicates:,}",
            f"{f.quarantined:,}",
            f.error or "",
        )
    table.add_row(
        "[bold]total",
        "",
        "",
        f"[bold]{report.total('loaded'):,}",
        f"{report.total('duplicates'):,}",
        f"{report.total('quarantined'):,}",
        f"{len(report.rejected)} file(s) rejected" if report.rejected else "",
    )
    return table


def summary_table(records: dict[str, int], quarantined: dict[str, int], catalog: Catalog) -> Table:
    table = Table(title="Store")
    for col in ("source", "agency", "records", "quarantined"):
        table.add_column(col, justify="right" if col in ("records", "quarantined") else "left")
    for spec in catalog.sources:
        table.add_row(
            spec.name, spec.agency, f"{records.get(spec.name, 0):,}", f"{quarantined.get(spec.name, 0):,}"
        )
    table.add_row("[bold]total", "", f"[bold]{sum(records.values()):,}", f"{sum(quarantined.values()):,}")
    return table


def catalog_table(catalog: Catalog) -> Table:
    table = Table(title=f"Source catalog v{catalog.version}")
    for col in ("source", "agency", "identifiers", "purposes", "legal authority"):
        table.add_column(col, overflow="fold")
    for s in catalog.sources:
        table.add_row(
            s.name,
            s.agency,
            ", ".join(sorted({k.value for k in s.identifiers.values()})),
            ", ".join(p.value for p in s.allowed_purposes),
            s.legal_authority,
        )
    return table
