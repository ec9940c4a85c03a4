"""The tamper-evident audit log: an append-only table whose entries are the leaves of an RFC 9162 Merkle
tree, with signed checkpoints (tree heads) as Certificate Transparency logs publish them.

- Every entry's leaf hash covers all its columns (its sequence number included), so editing, deleting,
  inserting or reordering an entry, or cutting the log short, breaks a leaf, the sequence or a signed
  root; ``verify`` names the first bad entry.
- Fail closed: ``record`` raises when the entry cannot be written, and callers record before they
  disclose, so a read that cannot be audited does not happen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from immigrationos.audit import merkle
from immigrationos.audit.storage import CHECKPOINTS, LOG
from immigrationos.context import RequestContext
from immigrationos.errors import AuditError
from immigrationos.store.engine import Store

COLUMNS = (
    "seq",
    "logged_at",
    "actor",
    "purpose",
    "event",
    "outcome",
    "subject_person",
    "sources",
    "fields",
    "justification",
)

NEXT_SEQ = "audit.next_seq"
INSERT = f"INSERT INTO {LOG} ({', '.join(COLUMNS)}, leaf) VALUES ({', '.join('?' * (len(COLUMNS) + 1))})"


def canonical(entry: dict[str, Any]) -> bytes:
    """The bytes a leaf hashes: every column, in a fixed order and form."""
    values = {c: (entry[c].isoformat() if isinstance(entry[c], datetime) else entry[c]) for c in COLUMNS}
    values["sources"] = list(values["sources"] or [])
    values["fields"] = list(values["fields"] or [])
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str).encode()


def record(
    ctx: RequestContext,
    store: Store,
    event: str,
    *,
    outcome: str = "granted",
    subject_person: int | None = None,
    sources: tuple[str, ...] = (),
    fields: tuple[str, ...] = (),
    justification: str | None = None,
) -> int:
    """Append one entry; raises AuditError (and the caller must not proceed) if it cannot be written."""
    args = (ctx, store, event, outcome, subject_person, sources, fields, justification)
    try:
        try:
            return _append(*args)
        except Exception:
            if NEXT_SEQ not in store.memo or store.in_transaction:
                raise
            store.memo.pop(NEXT_SEQ)  # another connection of this process wrote since: read the log again
            return _append(*args)
    except Exception as exc:  # any failure to write is a refusal: fail closed
        store.memo.pop(NEXT_SEQ, None)
        raise AuditError(f"the audit log could not record {event!r}: {exc}; the request is refused") from exc


def _append(
    ctx: RequestContext,
    store: Store,
    event: str,
    outcome: str,
    subject_person: int | None,
    sources: tuple[str, ...],
    fields: tuple[str, ...],
    justification: str | None,
) -> int:
    """Insert the entry at the next sequence number. The number is remembered by the connection (the
    embedded store has one writer), saving a scan of the log per entry; a failed write forgets it."""
    seq = store.memo.get(NEXT_SEQ) or int(store.scalar(f"SELECT coalesce(max(seq), 0) + 1 FROM {LOG}"))
    entry = {
        "seq": seq,
        "logged_at": datetime.now(UTC).replace(microsecond=0),
        "actor": ctx.actor.user,
        "purpose": ctx.purpose.value,
        "event": event,
        "outcome": outcome,
        "subject_person": subject_person,
        "sources": sorted(sources),
        "fields": sorted(fields),
        "justification": justification or ctx.justification or None,
    }
    leaf = merkle.leaf_hash(canonical(entry)).hex()
    store.execute(INSERT, [*(entry[c] for c in COLUMNS), leaf])
    store.memo[NEXT_SEQ] = seq + 1
    return seq


# --- signing ----------------------------------------------------------------------------------------


def signing_key(home: Path) -> Ed25519PrivateKey:
    """The installation's checkpoint key (created on first use, readable by the owner only)."""
    path = home / "audit" / "checkpoint_key.pem"
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise AuditError(f"{path} is not an Ed25519 key")
        return key
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    path.chmod(0o600)
    return key


def _public_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def _head(size: int, root: str, signed_at: str) -> bytes:
    return f"immigrationos-audit-v1\n{size}\n{root}\n{signed_at}\n".encode()


def _leaves(store: Store) -> list[tuple[int, bytes, bytes]]:
    """(seq, stored leaf, leaf recomputed from the row's content) in sequence order."""
    cursor = store.conn.execute(f"SELECT {', '.join(COLUMNS)}, leaf FROM {LOG} ORDER BY seq")
    names = [c[0] for c in cursor.description]
    out = []
    for row in cursor.fetchall():
        entry = dict(zip(names, row, strict=True))
        out.append((int(entry["seq"]), bytes.fromhex(entry["leaf"]), merkle.leaf_hash(canonical(entry))))
    return out


def checkpoint(store: Store, key: Ed25519PrivateKey) -> tuple[int, str]:
    """Sign the current tree head (size and root) and keep it."""
    leaves = [stored for _seq, stored, _again in _leaves(store)]
    root = merkle.root(leaves).hex()
    signed_at = datetime.now(UTC).isoformat(timespec="seconds")
    signature = key.sign(_head(len(leaves), root, signed_at)).hex()
    store.execute(
        f"INSERT OR REPLACE INTO {CHECKPOINTS} VALUES (?, ?, ?, ?, ?)",
        [len(leaves), root, signed_at, signature, _public_hex(key.public_key())],
    )
    return len(leaves), root


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    checkpoints: int
    first_bad_seq: int | None = None
    problem: str | None = None


def verify(store: Store, public_key: Ed25519PublicKey) -> Verification:
    """Check every entry against its leaf, the sequence, and every signed tree head."""
    leaves = _leaves(store)
    heads = store.rows(
        f"SELECT tree_size, root, signed_at, signature, public_key FROM {CHECKPOINTS} ORDER BY tree_size"
    )
    for position, (seq, stored, again) in enumerate(leaves, start=1):
        if seq != position:
            return Verification(
                False,
                len(leaves),
                len(heads),
                min(seq, position),
                f"entry {position} is missing or out of order (found {seq})",
            )
        if stored != again:
            return Verification(
                False,
                len(leaves),
                len(heads),
                seq,
                f"entry {seq} does not match its leaf hash: it was altered",
            )
    hashes = [stored for _seq, stored, _again in leaves]
    for size, root, signed_at, signature, public in heads:
        if public != _public_hex(public_key):
            return Verification(
                False,
                len(leaves),
                len(heads),
                None,
                f"the tree head of size {size} was signed by another key",
            )
        try:
            public_key.verify(bytes.fromhex(signature), _head(int(size), root, signed_at))
        except InvalidSignature:
            return Verification(
                False,
                len(leaves),
                len(heads),
                None,
                f"the signature of the tree head of size {size} is invalid",
            )
        if size > len(hashes):
            return Verification(
                False,
                len(leaves),
                len(heads),
                len(hashes) + 1,
                f"the log was cut short: a signed head covers {size} entries, {len(hashes)} remain",
            )
        if merkle.root(hashes[: int(size)]).hex() != root:
            first = _first_changed(hashes, heads, int(size))
            return Verification(
                False,
                len(leaves),
                len(heads),
                first,
                f"entries up to {size} no longer give the signed root: rewritten",
            )
    return Verification(True, len(leaves), len(heads))


def _first_changed(hashes: list[bytes], heads: list[tuple[Any, ...]], size: int) -> int:
    """The first entry after the last tree head that still verifies (where the rewrite begins)."""
    good = 0
    for s, root, *_ in heads:
        if int(s) < size and merkle.root(hashes[: int(s)]).hex() == root:
            good = max(good, int(s))
    return good + 1
