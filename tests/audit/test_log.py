"""The audit log: entries verify, a thousand random tamperings are all detected (and the first bad
entry named where the tampering leaves it visible), and a read that cannot be audited is refused."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from immigrationos.audit import merkle
from immigrationos.audit.log import canonical, checkpoint, record, signing_key, verify
from immigrationos.context import make_context
from immigrationos.errors import AccessDeniedError, AuditError
from immigrationos.store.engine import Store

USERS = [make_context(u, p) for u, p in (("ana", "enforcement"), ("ben", "oversight"), ("cy", "redress"))]
ENTRIES = 40


@pytest.fixture
def log(store: Store, tmp_path: Path) -> Store:
    rng = random.Random(4)
    key = signing_key(tmp_path)
    for i in range(1, ENTRIES + 1):
        record(
            rng.choice(USERS),
            store,
            rng.choice(["person.view", "worklist.verify", "departures.pay"]),
            subject_person=rng.randint(1, 500),
            sources=("cbp_i94", "eoir_court"),
            fields=("given_name", "dob"),
            justification=f"case {i}",
        )
        if i % 10 == 0:
            checkpoint(store, key)
    return store


def test_an_untouched_log_verifies(log: Store, tmp_path: Path) -> None:
    result = verify(log, signing_key(tmp_path).public_key())
    assert (result.ok, result.entries, result.checkpoints) == (True, ENTRIES, 4)


def _relead(store: Store, seq: int) -> None:
    """What a careful forger does after editing a row: recompute its leaf hash."""
    cursor = store.conn.execute("SELECT * FROM audit_log WHERE seq = ?", [seq])
    names = [c[0] for c in cursor.description]
    entry = dict(zip(names, cursor.fetchall()[0], strict=True))
    store.execute(
        "UPDATE audit_log SET leaf = ? WHERE seq = ?", [merkle.leaf_hash(canonical(entry)).hex(), seq]
    )


def _tamper(store: Store, rng: random.Random) -> tuple[str, int | None]:
    kind = rng.choice(["edit", "edit_and_rehash", "delete", "insert", "reorder", "truncate"])
    seq = rng.randint(1, ENTRIES)
    column, value = rng.choice(
        [
            ("actor", "mallory"),
            ("purpose", "benefits_adjudication"),
            ("event", "person.export"),
            ("outcome", "denied"),
            ("subject_person", 99999),
            ("justification", "nothing to see"),
        ]
    )
    if kind in ("edit", "edit_and_rehash"):
        store.execute(f"UPDATE audit_log SET {column} = ? WHERE seq = ?", [value, seq])
        if kind == "edit_and_rehash":
            _relead(store, seq)
        return kind, seq
    if kind == "delete":
        store.execute("DELETE FROM audit_log WHERE seq = ?", [seq])
        return kind, seq
    if kind == "insert":  # a forged entry slipped in before seq, the rest renumbered and rehashed
        for s in range(ENTRIES, seq - 1, -1):
            store.execute("UPDATE audit_log SET seq = seq + 1 WHERE seq = ?", [s])
            _relead(store, s + 1)
        store.execute(
            "INSERT INTO audit_log SELECT ?, logged_at, 'mallory', purpose, event, outcome, subject_person, sources, fields, "
            "justification, leaf FROM audit_log WHERE seq = ?",
            [seq, seq + 1],
        )
        _relead(store, seq)
        return kind, None
    if kind == "reorder":
        other = rng.choice([s for s in range(1, ENTRIES + 1) if s != seq])
        store.execute("UPDATE audit_log SET seq = -1 WHERE seq = ?", [seq])
        store.execute("UPDATE audit_log SET seq = ? WHERE seq = ?", [seq, other])
        store.execute("UPDATE audit_log SET seq = ? WHERE seq = -1", [other])
        return kind, min(seq, other)
    store.execute("DELETE FROM audit_log WHERE seq >= ?", [seq])
    return kind, None


def test_a_thousand_random_tamperings_are_all_detected(log: Store, tmp_path: Path) -> None:
    public = signing_key(tmp_path).public_key()
    rng = random.Random(1000)
    kinds: dict[str, int] = {}
    for _ in range(1000):
        log.execute("BEGIN TRANSACTION")
        kind, seq = _tamper(log, rng)
        result = verify(log, public)
        log.execute("ROLLBACK")
        assert not result.ok, f"{kind} of entry {seq} went unnoticed"
        if kind in ("edit", "delete", "reorder"):
            assert result.first_bad_seq == seq, (kind, seq, result)
        kinds[kind] = kinds.get(kind, 0) + 1
    assert set(kinds) == {"edit", "edit_and_rehash", "delete", "insert", "reorder", "truncate"}
    assert verify(log, public).ok  # every tampering was rolled back


def test_another_key_cannot_vouch_for_the_log(log: Store, tmp_path: Path) -> None:
    stranger = signing_key(tmp_path / "elsewhere").public_key()
    result = verify(log, stranger)
    assert not result.ok
    assert "another key" in str(result.problem)


def test_an_entry_that_cannot_be_written_refuses_the_request(store: Store) -> None:
    store.execute("DROP TABLE audit_log")
    with pytest.raises(AuditError, match="refused"):
        record(USERS[0], store, "person.view", subject_person=1)


def test_commands_sign_verify_and_name_the_first_bad_entry(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from immigrationos.cli.main import app
    from immigrationos.config import Settings
    from immigrationos.store.engine import store_session

    home = tmp_path / "home"
    with store_session(Settings(home=home)) as store:
        for i in range(5):
            record(USERS[i % 3], store, "person.view", subject_person=i)
    runner = CliRunner()
    signed = runner.invoke(app, ["--home", str(home), "audit", "checkpoint"])
    assert signed.exit_code == 0, signed.output
    assert "5 entries" in signed.output
    assert runner.invoke(app, ["--home", str(home), "audit", "verify"]).exit_code == 0
    with store_session(Settings(home=home)) as store:
        store.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
    bad = runner.invoke(app, ["--home", str(home), "audit", "verify"])
    assert bad.exit_code == 1
    assert "First bad entry: 3" in bad.output


def test_the_oversight_report_lists_accesses_denials_and_anomalies(store: Store) -> None:
    from datetime import UTC, datetime

    from immigrationos.audit.report import Thresholds, oversight_report

    snoop = make_context("snoop", "enforcement")
    for person in range(1, 6):
        record(snoop, store, "person.view", subject_person=person, sources=("cbp_i94", "irs_filings"))
    record(USERS[1], store, "person.view", outcome="denied", subject_person=9, justification="no role")
    hour = datetime.now(UTC).hour
    auditor = make_context("aud", "oversight", roles=frozenset({"auditor"}))
    report = oversight_report(
        auditor, store, Thresholds(persons_without_case_per_day=3, working_hours=(hour + 1, hour + 2))
    )
    assert report["entries"] == 6
    assert {(r["actor"], r["outcome"], r["n"]) for r in report["by_user_and_purpose"]} == {
        ("snoop", "granted", 5),
        ("ben", "denied", 1),
    }
    assert len(report["tax_data_accesses"]) == 5
    assert [d["subject_person"] for d in report["denied"]] == [9]
    assert [a["actor"] for a in report["anomalies"]["many_persons_without_a_case"]] == ["snoop"]
    assert len(report["anomalies"]["outside_working_hours"]) == 6
    assert store.scalar("SELECT event FROM audit_log ORDER BY seq DESC LIMIT 1") == "audit.report"
    with pytest.raises(AccessDeniedError):
        oversight_report(snoop, store)  # not for enforcement
