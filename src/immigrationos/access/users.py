"""Users, roles, argon2 password hashes and expiring API tokens.

The CLI (and later the API) acts as a named user whose roles come from here. A fresh embedded
installation creates a local administrator, so the quick start still runs in one command, and says so;
its password is written once to a file only its owner can read. An external identity provider (OIDC) can
later vouch for the user instead of the password; roles stay here.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from immigrationos.context import Actor
from immigrationos.errors import AccessDeniedError, ConfigurationError
from immigrationos.store.engine import Store, migration

USERS = "acc_users"
TOKENS = "acc_tokens"
LOCAL_ADMIN = "local-admin"
LOCAL_ADMIN_ROLES = ("admin", "analyst", "supervisor")
HASHER = PasswordHasher()


@migration("access_001_users")
def _tables(store: Store) -> None:
    store.execute(f"""CREATE TABLE {USERS} (name VARCHAR PRIMARY KEY, roles VARCHAR[] NOT NULL,
        password_hash VARCHAR NOT NULL, disabled BOOLEAN NOT NULL DEFAULT false, created_at TIMESTAMPTZ DEFAULT now())""")
    store.execute(f"""CREATE TABLE {TOKENS} (token_hash VARCHAR PRIMARY KEY, name VARCHAR NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL, created_at TIMESTAMPTZ DEFAULT now())""")


@dataclass(frozen=True)
class User:
    name: str
    roles: tuple[str, ...]
    disabled: bool


def add_user(store: Store, name: str, roles: tuple[str, ...], password: str, known_roles: set[str]) -> User:
    unknown = set(roles) - known_roles
    if unknown:
        raise ConfigurationError(f"unknown roles {sorted(unknown)}; roles.yaml defines {sorted(known_roles)}")
    if len(password) < 12:
        raise ConfigurationError("a password has at least 12 characters")
    if store.scalar(f"SELECT count(*) FROM {USERS} WHERE name = ?", [name]):
        raise ConfigurationError(f"user {name} exists")
    store.execute(
        f"INSERT INTO {USERS} (name, roles, password_hash) VALUES (?, ?, ?)",
        [name, list(roles), HASHER.hash(password)],
    )
    return User(name, roles, False)


def get_user(store: Store, name: str) -> User | None:
    row = store.record(f"SELECT name, roles, disabled FROM {USERS} WHERE name = ?", [name])
    return User(str(row["name"]), tuple(row["roles"]), bool(row["disabled"])) if row else None


def list_users(store: Store) -> list[User]:
    return [
        User(str(n), tuple(r), bool(d))
        for n, r, d in store.rows(f"SELECT name, roles, disabled FROM {USERS} ORDER BY name")
    ]


def disable_user(store: Store, name: str) -> None:
    if get_user(store, name) is None:
        raise ConfigurationError(f"no user {name}")
    store.execute(f"UPDATE {USERS} SET disabled = true WHERE name = ?", [name])
    store.execute(f"DELETE FROM {TOKENS} WHERE name = ?", [name])


def check_password(store: Store, name: str, password: str) -> Actor:
    row = store.record(f"SELECT password_hash, roles, disabled FROM {USERS} WHERE name = ?", [name])
    try:
        if row is None or row["disabled"] or not HASHER.verify(str(row["password_hash"]), password):
            raise AccessDeniedError(f"{name}: unknown user, wrong password, or disabled")
    except VerificationError as exc:
        raise AccessDeniedError(f"{name}: unknown user, wrong password, or disabled") from exc
    return Actor(user=name, roles=frozenset(row["roles"]))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(store: Store, name: str, days: int = 1, now: datetime | None = None) -> str:
    """A new API token for ``name``, valid ``days`` days; only its hash is stored, it is shown once."""
    user = get_user(store, name)
    if user is None or user.disabled:
        raise AccessDeniedError(f"{name}: no such active user")
    token = secrets.token_urlsafe(32)
    expires = (now or datetime.now(UTC)) + timedelta(days=days)
    store.execute(
        f"INSERT INTO {TOKENS} (token_hash, name, expires_at) VALUES (?, ?, ?)",
        [_digest(token), name, expires],
    )
    return token


def authenticate_token(store: Store, token: str, now: datetime | None = None) -> Actor:
    row = store.record(
        f"""SELECT u.name, u.roles, u.disabled, t.expires_at FROM {TOKENS} t JOIN {USERS} u USING (name)
            WHERE t.token_hash = ?""",
        [_digest(token)],
    )
    if row is None or row["disabled"]:
        raise AccessDeniedError("unknown or revoked token")
    if row["expires_at"] <= (now or datetime.now(UTC)):
        raise AccessDeniedError(f"the token of {row['name']} expired at {row['expires_at']}")
    return Actor(user=str(row["name"]), roles=frozenset(row["roles"]))


def ensure_local_admin(store: Store, home: Path) -> str | None:
    """On a fresh installation, create the local administrator; returns where its password was written."""
    if store.scalar(f"SELECT count(*) FROM {USERS}"):
        return None
    password = secrets.token_urlsafe(18)
    store.execute(
        f"INSERT INTO {USERS} (name, roles, password_hash) VALUES (?, ?, ?)",
        [LOCAL_ADMIN, list(LOCAL_ADMIN_ROLES), HASHER.hash(password)],
    )
    path = home / "local-admin-password"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(password + "\n", encoding="utf-8")
    path.chmod(0o600)
    return str(path)
