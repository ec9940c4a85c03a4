"""Load and validate the source catalog (``catalog.yaml`` beside this file)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from immigrationos.errors import CatalogError
from immigrationos.sources.models import Catalog

FieldList = list[dict[str, Any]]


def _expand_fields(fields: FieldList, groups: dict[str, FieldList], seen: tuple[str, ...]) -> FieldList:
    """Replace ``{group: name}`` entries by the group's fields, recursively, refusing cycles."""
    expanded: FieldList = []
    for entry in fields:
        group = entry.get("group")
        if group is None:
            expanded.append(entry)
            continue
        if group not in groups:
            raise CatalogError(f"unknown field group {group!r}")
        if group in seen:
            raise CatalogError(f"field group cycle through {group!r}")
        expanded.extend(_expand_fields(groups[group], groups, (*seen, group)))
    return expanded


def parse_catalog(raw: dict[str, Any]) -> Catalog:
    """Validate a catalog document (already parsed from YAML)."""
    groups = raw.get("field_groups", {})
    sources = [
        {**src, "fields": _expand_fields(src.get("fields", []), groups, ())} for src in raw.get("sources", [])
    ]
    try:
        return Catalog.model_validate({"version": raw.get("version"), "sources": sources})
    except ValidationError as exc:
        raise CatalogError(f"invalid source catalog: {exc}") from exc


def load_catalog_file(path: Path) -> Catalog:
    """Load a catalog from a file (operators may point at their own)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"cannot read catalog {path}: {exc}") from exc
    return parse_catalog(raw)


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The catalog shipped with the package."""
    text = resources.files("immigrationos.sources").joinpath("catalog.yaml").read_text("utf-8")
    return parse_catalog(yaml.safe_load(text))
