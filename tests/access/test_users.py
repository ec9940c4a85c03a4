"""Users, argon2 passwords, expiring tokens, and the local administrator of a fresh installation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from immigrationos.access.users import (
    add_user,
    authenticate_token,
    check_password,
    disable_user,
    ensure_local_admin,
    issue_token,
)
from immigrationos.cli.main import app
from immigrationos.config import Settings
from immigrationos.errors import AccessDeniedError, ConfigurationError
from immigrationos.store.engine import Store, store_session

ROLES = {"analyst", "supervisor", "auditor"}


def test_passwords_are_argon2_hashed_and_checked(store: Store) -> None:
    add_user(store, "ana", ("analyst",), "correct horse battery", ROLES)
    stored = str(store.scalar("SELECT password_hash FROM acc_users WHERE name = 'ana'"))
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert check_password(store, "ana", "correct horse battery").roles == frozenset({"analyst"})
    with pytest.raises(AccessDeniedError):
        check_password(store, "ana", "wrong password!!")
    with pytest.raises(ConfigurationError, match="unknown roles"):
        add_user(store, "bo", ("pope",), "long enough password", ROLES)
    with pytest.raises(ConfigurationError, match="12 characters"):
        add_user(store, "bo", ("auditor",), "short", ROLES)


def test_tokens_expire_and_are_revoked_with_the_user(store: Store) -> None:
    add_user(store, "ana", ("analyst", "supervisor"), "correct horse battery", ROLES)
    now = datetime.now(UTC)
    token = issue_token(store, "ana", days=1, now=now)
    assert authenticate_token(store, token, now=now + timedelta(hours=23)).user == "ana"
    with pytest.raises(AccessDeniedError, match="expired"):
        authenticate_token(store, token, now=now + timedelta(days=2))
    assert store.scalar("SELECT count(*) FROM acc_tokens WHERE token_hash = ?", [token]) == 0  # only the hash
    disable_user(store, "ana")
    with pytest.raises(AccessDeniedError):
        authenticate_token(store, token, now=now)
    with pytest.raises(AccessDeniedError):
        check_password(store, "ana", "correct horse battery")


def test_a_fresh_installation_creates_the_local_administrator_once(store: Store, tmp_path: Path) -> None:
    written = ensure_local_admin(store, tmp_path)
    assert written is not None
    password = Path(written).read_text().strip()
    assert Path(written).stat().st_mode & 0o777 == 0o600
    assert "admin" in check_password(store, "local-admin", password).roles
    assert ensure_local_admin(store, tmp_path) is None


def test_users_commands(tmp_path: Path) -> None:
    runner = CliRunner(env={"COLUMNS": "160"})
    home = ["--home", str(tmp_path / "home")]
    listed = runner.invoke(app, [*home, "users", "list"])
    assert "Created the local administrator" in listed.output
    secret = tmp_path / "pw"
    secret.write_text("a long initial password")
    added = runner.invoke(
        app, [*home, "users", "add", "ana", "--role", "analyst", "--password-file", str(secret)]
    )
    assert added.exit_code == 0, added.output
    token = runner.invoke(app, [*home, "users", "token", "ana", "--days", "2"])
    assert "valid 2 day(s)" in token.output
    bad = runner.invoke(app, [*home, "users", "add", "bo", "--role", "pope", "--password-file", str(secret)])
    assert bad.exit_code == 1
    assert "unknown roles" in bad.output


def test_users_add_prompts_for_the_password_twice_and_keeps_it_off_screen(tmp_path: Path) -> None:
    runner = CliRunner(env={"COLUMNS": "160"})
    home = ["--home", str(tmp_path / "home")]
    typed = "typed at the prompt, twice"
    mismatch = runner.invoke(
        app, [*home, "users", "add", "eve", "--role", "analyst"], input=f"{typed}\nsomething else\n" * 2
    )
    assert "do not match" in mismatch.output  # asked again after the mismatch
    added = runner.invoke(
        app, [*home, "users", "add", "cy", "--role", "analyst"], input=f"{typed}\n{typed}\n"
    )
    assert added.exit_code == 0, added.output
    assert typed not in added.output
    with store_session(Settings(home=tmp_path / "home")) as store:
        assert "analyst" in check_password(store, "cy", typed).roles
