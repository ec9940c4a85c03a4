"""All SQL of the resolution domain's durable tables: persons, memberships, links, review, stewardship."""

from __future__ import annotations

from immigrationos.store.engine import Store, migration


@migration("resolution_001_tables")
def _tables(store: Store) -> None:
    store.execute("CREATE SEQUENCE IF NOT EXISTS res_person_ids START 1")
    store.execute("CREATE SEQUENCE IF NOT EXISTS res_event_ids START 1")
    store.execute("CREATE SEQUENCE IF NOT EXISTS res_steward_ids START 1")
    store.execute(
        """CREATE TABLE res_membership (rec VARCHAR PRIMARY KEY, person_id BIGINT NOT NULL, run_id BIGINT NOT NULL)"""
    )
    store.execute("""CREATE TABLE res_runs (run_id BIGINT PRIMARY KEY, started_at TIMESTAMPTZ DEFAULT now(),
        actor VARCHAR, purpose VARCHAR, records BIGINT, persons BIGINT, auto_threshold DOUBLE,
        review_threshold DOUBLE, model_version VARCHAR, engine VARCHAR)""")
    store.execute("""CREATE TABLE res_person_events (event_id BIGINT PRIMARY KEY, run_id BIGINT, kind VARCHAR,
        person_id BIGINT, other_person_id BIGINT, records BIGINT, occurred_at TIMESTAMPTZ DEFAULT now())""")
    store.execute("""CREATE TABLE res_steward (decision_id BIGINT PRIMARY KEY, rec_a VARCHAR NOT NULL,
        rec_b VARCHAR NOT NULL, decision VARCHAR NOT NULL CHECK (decision IN ('link', 'separate')),
        actor VARCHAR NOT NULL, reason VARCHAR NOT NULL, decided_at TIMESTAMPTZ DEFAULT now(), active BOOLEAN DEFAULT true)""")
    store.execute("""CREATE TABLE res_links (rec_l VARCHAR, rec_r VARCHAR, tier VARCHAR, rule VARCHAR,
        match_probability DOUBLE, match_weight DOUBLE, run_id BIGINT)""")
    store.execute("""CREATE TABLE res_review (rec_l VARCHAR, rec_r VARCHAR, tier VARCHAR, reason VARCHAR,
        match_probability DOUBLE, run_id BIGINT, status VARCHAR DEFAULT 'open')""")
    store.execute(
        """CREATE TABLE res_person_flags (person_id BIGINT, flag VARCHAR, detail VARCHAR, run_id BIGINT)"""
    )


@migration("resolution_002_watermark")
def _watermark(store: Store) -> None:
    """The last ingested file whose records are resolved: later files are the incremental path's."""
    store.execute("CREATE TABLE res_watermark (max_file_id BIGINT NOT NULL, run_id BIGINT NOT NULL)")


@migration("resolution_003_scope")
def _scope(store: Store) -> None:
    """The sources the last run resolved: one that enters the matching scope later (its agreement
    starts) has older files than the watermark, which the incremental path must read whole."""
    store.execute("CREATE TABLE res_scope (source VARCHAR PRIMARY KEY)")
    store.execute("INSERT INTO res_scope SELECT DISTINCT split_part(rec, ':', 1) FROM res_membership")


def resolved_sources(store: Store) -> set[str]:
    return {str(s) for (s,) in store.rows("SELECT source FROM res_scope")}


def set_resolved_sources(store: Store, sources: set[str]) -> None:
    store.execute("DELETE FROM res_scope")
    if sources:
        store.execute("INSERT INTO res_scope SELECT unnest(?::VARCHAR[])", [sorted(sources)])


def watermark(store: Store) -> int:
    rows = store.rows("SELECT max_file_id FROM res_watermark")
    return int(rows[0][0]) if rows else 0


def set_watermark(store: Store, max_file_id: int, run_id: int) -> None:
    store.execute("DELETE FROM res_watermark")
    store.execute("INSERT INTO res_watermark VALUES (?, ?)", [max_file_id, run_id])


def last_file_id(store: Store) -> int:
    return int(store.scalar("SELECT coalesce(max(file_id), 0) FROM ingest_files"))


def next_run_id(store: Store) -> int:
    return int(store.scalar("SELECT coalesce(max(run_id), 0) + 1 FROM res_runs"))


def steward_decisions(store: Store) -> list[tuple[str, str, str]]:
    return [
        (str(a), str(b), str(d))
        for a, b, d in store.rows(
            "SELECT rec_a, rec_b, decision FROM res_steward WHERE active ORDER BY decision_id"
        )
    ]


def add_steward_decision(
    store: Store, *, rec_a: str, rec_b: str, decision: str, actor: str, reason: str
) -> int:
    decision_id = int(store.scalar("SELECT nextval('res_steward_ids')"))
    store.execute(
        "INSERT INTO res_steward (decision_id, rec_a, rec_b, decision, actor, reason) VALUES (?, ?, ?, ?, ?, ?)",
        [decision_id, rec_a, rec_b, decision, actor, reason],
    )
    return decision_id


def drop_splink_tables(store: Store) -> int:
    """Splink leaves its working tables (blocked pairs, comparison vectors, predictions) in the database
    it is given; once a run has taken what it needs they only take space in the store."""
    names = [
        str(n)
        for (n,) in store.rows(
            "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '\\_\\_splink\\_\\_%' ESCAPE '\\' AND NOT temporary"
        )
    ]
    for name in names:
        store.execute(f'DROP TABLE IF EXISTS "{name}"')
    return len(names)
