"""One typed settings object for the whole system (environment variables ``IMMOS_*``).

Every tunable lives here so that an operator can see, in one place, what an installation runs with.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Installation settings; each folder is its own installation by default."""

    model_config = SettingsConfigDict(env_prefix="IMMOS_", env_file=".env", extra="ignore")

    home: Path = Field(
        default=Path(".immos"),
        description="Folder holding the embedded store and local state (relative to the cwd).",
    )
    store_path: Path | None = Field(
        default=None, description="DuckDB file of the embedded store; default: <home>/store.duckdb."
    )
    ingest_batch_rows: int = Field(
        default=250_000,
        ge=1,
        description="Rows committed per ingest transaction: a crash loses at most one batch.",
    )
    duckdb_threads: int | None = Field(
        default=None, ge=1, description="DuckDB worker threads; default: DuckDB's own (all cores)."
    )
    duckdb_memory_limit: str | None = Field(
        default=None, description="DuckDB memory limit, e.g. '8GB'; default: DuckDB's own."
    )
    actor: str = Field(default="local-admin", description="User the CLI acts as.")
    purpose: str = Field(default="data_management", description="Purpose the CLI declares.")
    roles: str = Field(
        default="admin,analyst,supervisor",
        description="Comma-separated roles of the CLI's user (until users and authentication exist).",
    )
    spark_master: str = Field(
        default="local[2]",
        description="Spark master for 'immos resolve --engine spark' (a cluster URL there).",
    )
    as_of: date | None = Field(
        default=None,
        description="The date statuses are derived at; default: the last lifecycle run's date, else today. "
        "Set it to a synthetic world's as-of date to replay that world.",
    )
    bulk_rows: int = Field(
        default=100,
        ge=1,
        description="A listing of more rows is a bulk selection: it needs a supervisor's approval.",
    )
    irs_disabled: bool = Field(
        default=False, description="The operator's switch that stops every use of IRS data at once."
    )
    generate_chunk_persons: int = Field(
        default=100_000, ge=1_000, description="Persons generated per chunk (bounds memory)."
    )

    @property
    def resolved_store_path(self) -> Path:
        """The DuckDB file, under ``home`` unless set explicitly."""
        return self.store_path if self.store_path is not None else self.home / "store.duckdb"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings read once per process; tests build their own ``Settings`` instead."""
    return Settings()
