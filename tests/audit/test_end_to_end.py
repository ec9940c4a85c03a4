"""Every read and write of an end-to-end session is in the audit log: each service call below, granted
or refused, by each kind of user, adds at least one entry naming its actor; and the log still verifies."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from immigrationos.access.agreements import agreements
from immigrationos.access.bulk import decide_bulk, request_bulk
from immigrationos.access.irs import IrsRequest, request_irs_data
from immigrationos.access.policy import default_policy as access_policy
from immigrationos.audit.log import checkpoint, signing_key, verify
from immigrationos.config import Settings
from immigrationos.context import RequestContext, make_context
from immigrationos.departures import workflow as departures
from immigrationos.departures.cases import sync_cases
from immigrationos.departures.models import default_policy as departure_policy
from immigrationos.errors import ImmosError
from immigrationos.lifecycle.disclosure import accounting, disclose_person
from immigrationos.lifecycle.pipeline import run_lifecycle
from immigrationos.lifecycle.rules import default_events, default_rules
from immigrationos.lifecycle.timeline import view_person
from immigrationos.priority import workflow as worklist
from immigrationos.priority.models import default_policy as priority_policy
from immigrationos.priority.worklist import build_worklist
from immigrationos.redress.service import decide_contest, file_contest, list_contests
from immigrationos.resolution.explain import explain_pair, explain_person
from immigrationos.resolution.service import decide as steward
from immigrationos.resolution.service import review_queue
from immigrationos.sources.catalog import default_catalog
from immigrationos.sources.ingest import quarantine_listing
from immigrationos.store.engine import Store, store_session
from immigrationos.synth.world import world_as_of

OPS = make_context("ops", "data_management", roles=frozenset({"data_steward"}))
ANALYST = make_context("ana", "enforcement", roles=frozenset({"analyst"}))
SUPERVISOR = make_context("sam", "enforcement", roles=frozenset({"supervisor"}))
OFFICER = make_context("dana", "departure_assistance", roles=frozenset({"departure_officer"}))
STRANGER = make_context("eve", "enforcement", roles=frozenset({"departure_officer"}))
COUNSEL = make_context("counsel", "redress")
REDRESS = make_context("rita", "redress", roles=frozenset({"redress_officer"}))


@pytest.fixture(scope="module")
def home(resolved: Path, world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("e2e") / "home"
    shutil.copytree(resolved, copy)
    return copy


def _session(store: Store, as_of: date) -> list[tuple[RequestContext, str, Callable[[], Any]]]:
    """(actor, what, call) for a day of work across every function of the system."""
    catalog, events, rules = default_catalog(), default_events(), default_rules()
    policy = priority_policy()
    view = {"catalog": catalog, "events": events, "rules": rules, "as_of": as_of}

    def entry() -> int:
        return int(store.scalar("SELECT min(entry_id) FROM pri_entries WHERE state = 'candidate'"))

    def person_of_entry() -> int:
        return int(store.scalar("SELECT person_id FROM pri_entries WHERE entry_id = ?", [entry()]))

    def case(state: str) -> int:
        return int(store.scalar("SELECT min(case_id) FROM dep_cases WHERE state = ?", [state]))

    def two_records() -> tuple[str, str]:
        a, b = store.rows(
            "SELECT rec FROM res_membership WHERE person_id = ? ORDER BY rec LIMIT 2", [person_of_entry()]
        )
        return str(a[0]), str(b[0])

    ssa = next(s.agreement.agreement_id for s in agreements(store) if "ssa_numident" in s.agreement.fields)
    contest: list[int] = []
    bulk: list[int] = []
    return [
        (OPS, "lifecycle run", lambda: run_lifecycle(OPS, store, catalog=catalog, as_of=as_of)),
        (ANALYST, "worklist build", lambda: build_worklist(ANALYST, store, policy, as_of)),
        (OFFICER, "case sync", lambda: sync_cases(OFFICER, store, departure_policy(), as_of)),
        (OPS, "quarantine", lambda: quarantine_listing(OPS, store, limit=10)),
        (ANALYST, "person view", lambda: view_person(ANALYST, store, person_of_entry(), **view)),
        (STRANGER, "person view refused", lambda: view_person(STRANGER, store, person_of_entry(), **view)),
        (ANALYST, "explain person", lambda: explain_person(ANALYST, store, person_of_entry())),
        (
            ANALYST,
            "explain pair",
            lambda: explain_pair(ANALYST, store, *two_records(), model_path=Path("none")),
        ),
        (OPS, "review queue", lambda: review_queue(OPS, store, limit=5)),
        (ANALYST, "review queue refused", lambda: review_queue(ANALYST, store, limit=5)),
        (
            OPS,
            "steward",
            lambda: steward(
                OPS,
                store,
                rec_a=two_records()[0],
                rec_b=two_records()[1],
                decision="link",
                reason="confirmed",
            ),
        ),
        (ANALYST, "worklist", lambda: worklist.list_entries(ANALYST, store)),
        (ANALYST, "entry", lambda: worklist.entry_view(ANALYST, store, entry())),
        (
            ANALYST,
            "verify",
            lambda: worklist.verify_identity(
                ANALYST, store, policy, entry(), reason="fingerprints match", on=as_of
            ),
        ),
        (
            OFFICER,
            "verify refused",
            lambda: worklist.verify_identity(OFFICER, store, policy, entry(), reason="x", on=as_of),
        ),
        (
            ANALYST,
            "irs request",
            lambda: request_irs_data(
                ANALYST,
                store,
                access_policy(),
                IrsRequest(person_of_entry(), "C-1", "26 U.S.C. 6103(i)(2)", "locate"),
                as_of=as_of,
            ),
        ),
        (OFFICER, "cases", lambda: departures.list_cases(OFFICER, store)),
        (OFFICER, "case", lambda: departures.case_view(OFFICER, store, case("departed"))),
        (
            OFFICER,
            "arrange travel",
            lambda: departures.arrange_travel(
                OFFICER, store, departure_policy(), case("overdue"), cost=Decimal(420), itinerary="TK-34"
            ),
        ),
        (
            OFFICER,
            "withdraw",
            lambda: departures.withdraw(OFFICER, store, case("overdue"), "the registrant asked"),
        ),
        (
            OFFICER,
            "pay",
            lambda: departures.pay_stipend(OFFICER, store, departure_policy(), case("departed")),
        ),
        (
            COUNSEL,
            "contest",
            lambda: contest.append(
                file_contest(
                    COUNSEL,
                    store,
                    person_id=person_of_entry(),
                    subject="status",
                    reference="overstay",
                    statement="I hold a visa",
                )
            ),
        ),
        (REDRESS, "contests", lambda: list_contests(REDRESS, store)),
        (
            REDRESS,
            "decide",
            lambda: decide_contest(
                REDRESS, store, contest[0], accept=False, reason="the visa expired in 2019"
            ),
        ),
        (
            ANALYST,
            "disclose",
            lambda: disclose_person(
                ANALYST,
                store,
                person_of_entry(),
                recipient="SSA",
                agreement_id=ssa,
                attributes=("status",),
                on=date.today(),
            ),
        ),
        (
            ANALYST,
            "disclose refused",
            lambda: disclose_person(
                ANALYST,
                store,
                person_of_entry(),
                recipient="HUD",
                agreement_id=ssa,
                attributes=("status",),
                on=date.today(),
            ),
        ),
        (REDRESS, "accounting", lambda: accounting(REDRESS, store, person_of_entry())),
        (ANALYST, "bulk refused", lambda: worklist.list_entries(ANALYST, store, limit=1000)),
        (
            ANALYST,
            "bulk request",
            lambda: bulk.append(
                request_bulk(
                    ANALYST,
                    store,
                    selection="worklist",
                    filters={"limit": 1000},
                    reason="tier review for the quarter",
                )
            ),
        ),
        (
            SUPERVISOR,
            "bulk approve",
            lambda: decide_bulk(SUPERVISOR, store, bulk[0], approve=True, reason="agreed"),
        ),
        (
            ANALYST,
            "bulk listing",
            lambda: worklist.list_entries(ANALYST, store, limit=1000, approval=bulk[0]),
        ),
    ]


def test_every_read_and_write_of_a_session_is_logged(home: Path, world: Path, tmp_path: Path) -> None:
    as_of = world_as_of(world)
    missing, refused = [], []
    with store_session(Settings(home=home)) as store:
        for actor, what, call in _session(store, as_of):
            before = int(store.scalar("SELECT coalesce(max(seq), 0) FROM audit_log"))
            try:
                call()
            except ImmosError:
                refused.append(what)
            actors = {a for (a,) in store.rows("SELECT actor FROM audit_log WHERE seq > ?", [before])}
            if actor.actor.user not in actors:
                missing.append(what)
        key = signing_key(tmp_path)
        checkpoint(store, key)
        result = verify(store, key.public_key())
    assert missing == []  # 100% of the session's reads and writes
    assert (
        {  # refused by design (the IRS request may be refused too: it depends on the person's order)
            "person view refused",
            "review queue refused",
            "verify refused",
            "disclose refused",
            "bulk refused",
        }
        <= set(refused)
        <= {
            "person view refused",
            "review queue refused",
            "verify refused",
            "disclose refused",
            "bulk refused",
            "irs request",
        }
    )
    assert result.ok
