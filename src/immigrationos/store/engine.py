"""The embedded store: one DuckDB file per installation, opened by a factory from settings.

Nothing connects at import time. Each domain keeps its own SQL in its ``storage`` module and registers
its migrations here, so the schema has one version history.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from immigrationos.config import Settings
from immigrationos.errors import StoreError

Migration = Callable[["Store"], None]
_MIGRATIONS: list[tuple[str, Migration]] = []


def migration(name: str) -> Callable[[Migration], Migration]:
    """Register a schema step; steps run once each, in registration order."""

    def register(fn: Migration) -> Migration:
        if any(existing == name for existing, _ in _MIGRATIONS):
            raise StoreError(f"migration {name!r} registered twice")
        _MIGRATIONS.append((name, fn))
        return fn

    return register


class Store:
    """A DuckDB connection plus the transaction discipline the services rely on."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, path: Path | None) -> None:
        self.conn = conn
        self.path = path
        self.memo: dict[str, Any] = {}  # values this connection derived from the store; a rollback clears it
        self.in_transaction = False

    def execute(
        self, sql: str, params: list[Any] | tuple[Any, ...] | None = None
    ) -> duckdb.DuckDBPyConnection:
        return self.conn.execute(sql, params or [])

    def rows(self, sql: str, params: list[Any] | tuple[Any, ...] | None = None) -> list[tuple[Any, ...]]:
        """All rows of a query (fetchall: DuckDB 2 keeps a connection busy after fetchone)."""
        return self.conn.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: list[Any] | tuple[Any, ...] | None = None) -> Any:
        result = self.rows(sql, params)
        return result[0][0] if result else None

    def record(self, sql: str, params: list[Any] | tuple[Any, ...] | None = None) -> dict[str, Any] | None:
        """The first row as a dict of column name to value, or None when there is no row."""
        cursor = self.conn.execute(sql, params or [])
        names = [c[0] for c in cursor.description]
        rows = cursor.fetchall()
        return dict(zip(names, rows[0], strict=True)) if rows else None

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Commit on success, roll back on any error: the unit a crash can never split."""
        self.conn.execute("BEGIN TRANSACTION")
        self.in_transaction = True
        try:
            yield self
        except BaseException:
            self.memo.clear()
            self.conn.execute("ROLLBACK")
            raise
        finally:
            self.in_transaction = False
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            self.memo.clear()
            raise

    def close(self) -> None:
        self.conn.close()

    def migrate(self) -> list[str]:
        """Apply pending migrations; returns the names applied."""
        self.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ DEFAULT now())"
        )
        done = {r[0] for r in self.rows("SELECT name FROM schema_migrations")}
        applied = []
        for name, fn in _MIGRATIONS:
            if name in done:
                continue
            with self.transaction():
                fn(self)
                self.execute("INSERT INTO schema_migrations (name) VALUES (?)", [name])
            applied.append(name)
        return applied


def _register_domain_migrations() -> None:
    """Import the storage modules whose migrations make up the schema."""
    import immigrationos.access.agreements
    import immigrationos.access.bulk
    import immigrationos.access.users
    import immigrationos.audit.storage
    import immigrationos.departures.storage
    import immigrationos.lifecycle.storage
    import immigrationos.priority.storage
    import immigrationos.redress.storage
    import immigrationos.resolution.storage
    import immigrationos.sources.storage  # noqa: F401


def open_store(settings: Settings, *, read_only: bool = False) -> Store:
    """Open (creating if needed) the installation's store and bring its schema up to date."""
    path = settings.resolved_store_path
    if read_only and not path.exists():
        raise StoreError(f"no store at {path}: run 'immos ingest' first")
    path.parent.mkdir(parents=True, exist_ok=True)
    config: dict[str, str | bool | int | float | list[str]] = {}
    if settings.duckdb_threads:
        config["threads"] = settings.duckdb_threads
    if settings.duckdb_memory_limit:
        config["memory_limit"] = settings.duckdb_memory_limit
    try:
        conn = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        raise StoreError(f"cannot open store {path}: {exc}") from exc
    conn.execute("SET enable_progress_bar = false")
    store = Store(conn, path)
    if not read_only:
        _register_domain_migrations()
        store.migrate()
    return store


@contextmanager
def store_session(settings: Settings, *, read_only: bool = False) -> Iterator[Store]:
    """Open the store for one unit of work and always close it (releasing the file lock)."""
    store = open_store(settings, read_only=read_only)
    try:
        yield store
    finally:
        store.close()
