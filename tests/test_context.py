from __future__ import annotations

from pathlib import Path

import pytest

from immigrationos.context import Purpose, make_context, require_context
from immigrationos.errors import ContextError
from immigrationos.sources.catalog import default_catalog
from immigrationos.sources.ingest import ingest_file
from immigrationos.store.engine import Store


def test_context_needs_a_named_user() -> None:
    with pytest.raises(ContextError, match="named user"):
        make_context("  ", "enforcement")


def test_context_refuses_an_undeclared_purpose() -> None:
    with pytest.raises(ContextError, match="unknown purpose 'curiosity'"):
        make_context("analyst1", "curiosity")


def test_context_carries_actor_and_purpose() -> None:
    ctx = make_context("analyst1", "redress")
    assert ctx.actor.user == "analyst1"
    assert ctx.purpose is Purpose.REDRESS
    assert require_context(ctx) is ctx


def test_personal_data_service_refuses_a_call_without_context(store: Store, world: Path) -> None:
    with pytest.raises(ContextError):
        ingest_file(None, store, world / "cbp_i94.parquet", catalog=default_catalog(), batch_rows=100)  # type: ignore[arg-type]
    assert store.scalar("SELECT count(*) FROM ingest_files") == 0
