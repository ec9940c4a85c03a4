"""Reading the project's reviewable YAML files (rules, policies, mappings) into typed models.

Each file ships inside its domain's package and may be replaced by an operator's own copy; either way a
mistake is reported with the file's name, never as a stack trace.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from immigrationos.errors import ConfigurationError

M = TypeVar("M", bound=BaseModel)


def read_yaml(package: str, filename: str, path: Path | None = None) -> tuple[dict[str, Any], str]:
    """The parsed document and a name for it: ``path`` if given, else the file shipped in ``package``."""
    origin = str(path) if path else f"{package.rsplit('.', 1)[-1]}/{filename}"
    try:
        text = (
            path.read_text("utf-8")
            if path
            else resources.files(package).joinpath(filename).read_text("utf-8")
        )
        raw = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"{origin}: cannot read it: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{origin}: expected a mapping at the top level")
    return raw, origin


def load_model(model: type[M], package: str, filename: str, path: Path | None = None) -> tuple[M, str]:
    """Read and validate a YAML file as ``model``; returns it with the file's name for later messages."""
    raw, origin = read_yaml(package, filename, path)
    try:
        return model.model_validate(raw), origin
    except (ValidationError, ConfigurationError) as exc:
        raise ConfigurationError(f"{origin}: {exc}") from exc
