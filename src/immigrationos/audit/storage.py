"""All SQL of the audit domain's tables: the log and its signed tree heads (no updates, no deletes)."""

from __future__ import annotations

from immigrationos.store.engine import Store, migration

LOG = "audit_log"
CHECKPOINTS = "audit_checkpoints"


@migration("audit_001_log")
def _tables(store: Store) -> None:
    store.execute(f"""CREATE TABLE {LOG} (seq BIGINT PRIMARY KEY, logged_at TIMESTAMPTZ NOT NULL, actor VARCHAR NOT NULL,
        purpose VARCHAR NOT NULL, event VARCHAR NOT NULL, outcome VARCHAR NOT NULL, subject_person BIGINT,
        sources VARCHAR[], fields VARCHAR[], justification VARCHAR, leaf VARCHAR NOT NULL)""")
    store.execute(f"""CREATE TABLE {CHECKPOINTS} (tree_size BIGINT PRIMARY KEY, root VARCHAR NOT NULL,
        signed_at VARCHAR NOT NULL, signature VARCHAR NOT NULL, public_key VARCHAR NOT NULL)""")
