"""Hand-built persons in the lifecycle's tables (status, flags, events, identity), for the worklist."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from immigrationos.store.engine import Store

AS_OF = date(2026, 9, 30)
PersonFn = Callable[..., int]


@pytest.fixture
def person(store: Store) -> PersonFn:
    """Add a person: derived status, safeguard flags, events (date, kind, code) and a birth date."""
    counter = iter(range(1, 100_000))

    def add(
        status: str,
        *,
        flags: tuple[str, ...] = (),
        events: tuple[tuple[str, str, str | None], ...] = (),
        dob: date | None = date(1985, 1, 1),
    ) -> int:
        pid = next(counter)
        rec = f"hand:p{pid}-status"
        store.execute(
            "INSERT INTO life_status (person_id, as_of, status, rule, rules_version, evidence) VALUES (?, ?, ?, 'hand', 't', [?])",
            [pid, AS_OF, status, rec],
        )
        store.execute("INSERT INTO res_membership VALUES (?, ?, 1)", [rec, pid])
        store.execute("INSERT INTO life_identity VALUES (?, ?, ?, 'F', 'MEX')", [pid, rec, dob])
        for flag in flags:
            store.execute("INSERT INTO life_flags VALUES (?, ?, 'hand-made', ?)", [pid, flag, AS_OF])
        for i, (day, kind, code) in enumerate(events):
            event_rec = f"hand:p{pid}-e{i}"
            store.execute(
                "INSERT INTO life_events (person_id, event_date, kind, code, rec, source, record_id) VALUES (?, ?, ?, ?, ?, 'hand', ?)",
                [pid, date.fromisoformat(day), kind, code, event_rec, event_rec],
            )
            store.execute("INSERT INTO res_membership VALUES (?, ?, 1)", [event_rec, pid])
        return pid

    return add
