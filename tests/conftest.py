"""Shared fixtures: a small generated world (made once per session), that world ingested and resolved,
a fresh store per test."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from immigrationos.access.agreements import ensure_standard_agreements
from immigrationos.config import Settings
from immigrationos.context import RequestContext, make_context
from immigrationos.resolution.pipeline import ResolveOptions, ResolveReport, resolve
from immigrationos.sources.catalog import default_catalog
from immigrationos.sources.ingest import ingest_directory, ingest_file
from immigrationos.sources.models import Catalog
from immigrationos.store.engine import Store, store_session
from immigrationos.synth.params import WorldParams
from immigrationos.synth.world import generate_world

WORLD_PERSONS = 6_000


@pytest.fixture(scope="session")
def world_params() -> WorldParams:
    return WorldParams(persons=WORLD_PERSONS, seed=7, chunk_persons=2_000)


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory, world_params: WorldParams) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate_world(world_params, out)
    return out


@pytest.fixture(scope="session")
def big_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Large enough for rates to settle within tolerances (still seconds to make)."""
    out = tmp_path_factory.mktemp("big_world")
    generate_world(WorldParams(persons=60_000, seed=11, chunk_persons=20_000), out)
    return out


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return default_catalog()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", ingest_batch_rows=1_000)


@pytest.fixture
def ctx() -> RequestContext:
    return make_context("test-operator", "data_management")


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    with store_session(settings) as s:
        yield s


@pytest.fixture(scope="session")
def db() -> Iterator[duckdb.DuckDBPyConnection]:
    """A scratch DuckDB connection for reading generated files in assertions."""
    conn = duckdb.connect()
    yield conn
    conn.close()


def ingest_and_resolve(home: Path, files: list[Path], model: Path | None = None) -> ResolveReport:
    settings = Settings(home=home)
    ctx = make_context("test-operator", "data_management", roles=frozenset({"data_steward"}))
    with store_session(settings) as store:
        for path in files:
            if path.is_dir():
                ingest_directory(ctx, store, path, catalog=default_catalog(), batch_rows=50_000)
            else:
                ingest_file(ctx, store, path, catalog=default_catalog(), batch_rows=50_000)
        ensure_standard_agreements(ctx, store, default_catalog(), date.today())
        return resolve(
            ctx, store, catalog=default_catalog(), home=home, options=ResolveOptions(model_path=model)
        )


@pytest.fixture(scope="session")
def resolved(tmp_path_factory: pytest.TempPathFactory, world: Path) -> Path:
    """The installation folder of the test world, ingested and resolved once per session."""
    home = tmp_path_factory.mktemp("resolved")
    ingest_and_resolve(home, [world])
    return home
