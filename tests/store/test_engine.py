from __future__ import annotations

from pathlib import Path

import pytest

from immigrationos.config import Settings
from immigrationos.errors import StoreError
from immigrationos.store.engine import Store, store_session


def test_store_lives_under_the_installation_folder(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "inst")
    with store_session(settings):
        pass
    assert (tmp_path / "inst" / "store.duckdb").exists()


def test_migrations_run_once(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    with store_session(settings) as store:
        first = store.scalar("SELECT count(*) FROM schema_migrations")
        assert store.migrate() == []
    with store_session(settings) as store:
        assert store.scalar("SELECT count(*) FROM schema_migrations") == first


def _insert_then_fail(store: Store) -> None:
    with store.transaction():
        store.execute("INSERT INTO t VALUES (1)")
        raise RuntimeError("boom")


def test_a_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    with store_session(Settings(home=tmp_path)) as store:
        store.execute("CREATE TABLE t (x INTEGER)")
        with pytest.raises(RuntimeError):
            _insert_then_fail(store)
        assert store.scalar("SELECT count(*) FROM t") == 0


def test_reading_a_missing_store_says_what_to_do(tmp_path: Path) -> None:
    with (
        pytest.raises(StoreError, match="immos ingest"),
        store_session(Settings(home=tmp_path), read_only=True),
    ):
        pass
