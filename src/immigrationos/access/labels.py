"""Handling labels that travel with derived data: a merged profile, a match score or an explanation
built in part from federal tax information is itself tax data (IRS Publication 1075), whether or not the
reader sees the tax fields."""

from __future__ import annotations

from collections.abc import Iterable

from immigrationos.sources.models import Catalog, Sensitivity

FTI_LABEL = (
    "FTI: derived in part from federal tax information ({sources}); handle, keep and disclose it as tax "
    "data (26 U.S.C. 6103, IRS Publication 1075)"
)


def tax_sources(catalog: Catalog) -> frozenset[str]:
    """Sources with at least one field of federal tax information."""
    return frozenset(
        s.name for s in catalog.sources if any(f.sensitivity is Sensitivity.FTI for f in s.fields)
    )


def data_labels(catalog: Catalog, recs: Iterable[str]) -> list[str]:
    """The labels derived data carries, from the records (``source:record_id``) it was built from."""
    taxed = sorted({r.split(":", 1)[0] for r in recs} & tax_sources(catalog))
    return [FTI_LABEL.format(sources=", ".join(taxed))] if taxed else []
