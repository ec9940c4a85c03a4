"""A generated world, ingested and resolved once for the resolution tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from immigrationos.config import Settings
from immigrationos.context import make_context
from immigrationos.resolution.pipeline import ResolveOptions, ResolveReport, resolve
from immigrationos.sources.catalog import default_catalog
from immigrationos.sources.ingest import ingest_directory, ingest_file
from immigrationos.store.engine import store_session


def ingest_and_resolve(home: Path, files: list[Path], model: Path | None = None) -> ResolveReport:
    settings = Settings(home=home)
    ctx = make_context("test-operator", "data_management")
    with store_session(settings) as store:
        for path in files:
            if path.is_dir():
                ingest_directory(ctx, store, path, catalog=default_catalog(), batch_rows=50_000)
            else:
                ingest_file(ctx, store, path, catalog=default_catalog(), batch_rows=50_000)
        return resolve(
            ctx, store, catalog=default_catalog(), home=home, options=ResolveOptions(model_path=model)
        )


@pytest.fixture(scope="session")
def resolved(tmp_path_factory: pytest.TempPathFactory, world: Path) -> Path:
    home = tmp_path_factory.mktemp("resolved")
    ingest_and_resolve(home, [world])
    return home
