"""The due-process workflow: each step and the refused ones, roles, the contest period, independent
approval, re-evaluation on new evidence, and a randomized search for a shortcut to 'actionable'."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from immigrationos.config import Settings
from immigrationos.context import make_context
from immigrationos.errors import TransitionError
from immigrationos.priority import workflow as wf
from immigrationos.priority.models import default_policy
from immigrationos.priority.worklist import build_worklist
from immigrationos.store.engine import Store, open_store
from tests.priority.conftest import AS_OF, PersonFn

POLICY = default_policy()
REACHED: list[int] = []  # entries the random search brought to 'actionable' (checked below)
ANALYST = make_context("analyst-1", "enforcement", roles=frozenset({"analyst"}))
ANALYST2 = make_context("analyst-2", "enforcement", roles=frozenset({"analyst"}))
SUPERVISOR = make_context("supervisor-1", "enforcement", roles=frozenset({"supervisor"}))
PERSON = make_context("person-counsel", "redress")


def _entry_of(store: Store, pid: int) -> int:
    return int(store.scalar("SELECT entry_id FROM pri_entries WHERE person_id = ?", [pid]))


def _state(store: Store, entry: int) -> str:
    return str(store.scalar("SELECT state FROM pri_entries WHERE entry_id = ?", [entry]))


@pytest.fixture
def entry(store: Store, person: PersonFn) -> int:
    pid = person("final_order")
    build_worklist(ANALYST, store, POLICY, AS_OF)
    return _entry_of(store, pid)


def test_the_whole_path_to_actionable(store: Store, entry: int) -> None:
    wf.verify_identity(ANALYST, store, POLICY, entry, reason="fingerprint and A-number match", on=AS_OF)
    wf.record_notice(ANALYST, store, POLICY, entry, reason="letter sent", on=AS_OF)
    with pytest.raises(TransitionError, match="contest period runs until"):
        wf.approve(SUPERVISOR, store, POLICY, entry, reason="ok", on=AS_OF + timedelta(days=29))
    wf.approve(SUPERVISOR, store, POLICY, entry, reason="no contest", on=AS_OF + timedelta(days=31))
    assert _state(store, entry) == "actionable"
    steps = wf.entry_view(SUPERVISOR, store, entry)["transitions"]
    assert [s["to"] for s in steps] == ["candidate", "identity_verified", "notice_recorded", "actionable"]
    assert [s["actor"] for s in steps[1:]] == ["analyst-1", "analyst-1", "supervisor-1"]


def test_refused_steps_say_why(store: Store, entry: int) -> None:
    with pytest.raises(TransitionError, match="candidate: it cannot become notice_recorded"):
        wf.record_notice(ANALYST, store, POLICY, entry, reason="skip", on=AS_OF)
    with pytest.raises(TransitionError, match="candidate: it cannot become actionable"):
        wf.approve(SUPERVISOR, store, POLICY, entry, reason="skip", on=AS_OF)
    with pytest.raises(TransitionError, match="needs one of the roles"):
        wf.verify_identity(PERSON, store, POLICY, entry, reason="x", on=AS_OF)
    with pytest.raises(TransitionError, match="a reason is required"):
        wf.verify_identity(ANALYST, store, POLICY, entry, reason=" ", on=AS_OF)
    wf.verify_identity(SUPERVISOR, store, POLICY, entry, reason="checked", on=AS_OF)
    wf.record_notice(ANALYST, store, POLICY, entry, reason="letter", on=AS_OF)
    with pytest.raises(TransitionError, match="another person must approve"):
        wf.approve(SUPERVISOR, store, POLICY, entry, reason="mine", on=AS_OF + timedelta(days=40))
    with pytest.raises(TransitionError, match="needs one of the roles"):
        wf.approve(ANALYST2, store, POLICY, entry, reason="not a supervisor", on=AS_OF + timedelta(days=40))
    wf.dismiss(ANALYST, store, POLICY, entry, reason="duplicate of another case", on=AS_OF)
    with pytest.raises(TransitionError, match="dismissed: it cannot become"):
        wf.verify_identity(ANALYST, store, POLICY, entry, reason="again", on=AS_OF)


def test_a_contest_stops_the_clock(store: Store, entry: int) -> None:
    wf.verify_identity(ANALYST, store, POLICY, entry, reason="ok", on=AS_OF)
    wf.record_notice(ANALYST, store, POLICY, entry, reason="letter", on=AS_OF)
    wf.contest(PERSON, store, POLICY, entry, reason="I am not this person", on=AS_OF + timedelta(days=10))
    with pytest.raises(TransitionError, match="contested: it cannot become actionable"):
        wf.approve(SUPERVISOR, store, POLICY, entry, reason="ok", on=AS_OF + timedelta(days=60))
    later = AS_OF + timedelta(days=20)
    wf.answer_contest(ANALYST, store, POLICY, entry, upheld=False, reason="prints match", on=later)
    with pytest.raises(TransitionError, match="contest period runs until"):
        wf.approve(SUPERVISOR, store, POLICY, entry, reason="ok", on=later + timedelta(days=15))
    wf.approve(SUPERVISOR, store, POLICY, entry, reason="ok", on=later + timedelta(days=31))
    assert _state(store, entry) == "actionable"


def test_an_upheld_contest_dismisses(store: Store, entry: int) -> None:
    wf.verify_identity(ANALYST, store, POLICY, entry, reason="ok", on=AS_OF)
    wf.record_notice(ANALYST, store, POLICY, entry, reason="letter", on=AS_OF)
    wf.contest(PERSON, store, POLICY, entry, reason="the order was vacated", on=AS_OF)
    wf.answer_contest(ANALYST, store, POLICY, entry, upheld=True, reason="court record confirms", on=AS_OF)
    assert _state(store, entry) == "dismissed"


def test_new_citizenship_evidence_withdraws_open_entries(store: Store, person: PersonFn) -> None:
    pid = person("overstay")
    build_worklist(ANALYST, store, POLICY, AS_OF)
    entry = _entry_of(store, pid)
    wf.verify_identity(ANALYST, store, POLICY, entry, reason="ok", on=AS_OF)
    store.execute(
        "INSERT INTO life_flags VALUES (?, 'citizenship_evidence', 'SSA citizenship indicator', ?)",
        [pid, AS_OF],
    )
    with pytest.raises(TransitionError, match="withdrawn instead: safeguard possible_us_citizen"):
        wf.record_notice(ANALYST, store, POLICY, entry, reason="letter", on=AS_OF)
    assert _state(store, entry) == "withdrawn"


def test_rebuild_withdraws_when_a_court_case_appears(store: Store, person: PersonFn) -> None:
    pid = person("overstay", events=(("2020-05-01", "CONVICTION", "VIOLENT:FELONY"),))
    build_worklist(ANALYST, store, POLICY, AS_OF)
    entry = _entry_of(store, pid)
    store.execute("UPDATE life_status SET status = 'pending_protection' WHERE person_id = ?", [pid])
    report = build_worklist(ANALYST, store, POLICY, AS_OF)
    assert report.withdrawn == 1
    assert _state(store, entry) == "withdrawn"
    reason = store.scalar(
        "SELECT reason FROM pri_transitions WHERE entry_id = ? AND to_state = 'withdrawn'", [entry]
    )
    assert "pending_protection" in reason


def test_an_unmerge_sends_the_entry_back_to_identity_verification(store: Store, person: PersonFn) -> None:
    pid = person("overstay", events=(("2020-05-01", "CONVICTION", "VIOLENT:FELONY"),))
    build_worklist(ANALYST, store, POLICY, AS_OF)
    entry = _entry_of(store, pid)
    wf.verify_identity(ANALYST, store, POLICY, entry, reason="ok", on=AS_OF)
    store.execute(
        "UPDATE res_membership SET person_id = 9999 WHERE rec = ?", [f"hand:p{pid}-e0"]
    )  # the split
    report = build_worklist(ANALYST, store, POLICY, AS_OF)
    assert report.back_to_identity == 1
    assert _state(store, entry) == "identity_queue"


class Workflow(RuleBasedStateMachine):
    """Random steps by random actors on random days: 'actionable' is reached only through identity
    verification, a notice, a full uncontested contest period and another person's approval."""

    def __init__(self) -> None:
        super().__init__()
        self.folder: Path | None = None

    @initialize()
    def setup(self) -> None:
        import tempfile

        self.folder = Path(tempfile.mkdtemp())
        self.store = open_store(Settings(home=self.folder))
        self.store.execute(
            "INSERT INTO life_status (person_id, as_of, status, rule, rules_version, evidence) VALUES (1, ?, 'final_order', 'r', 't', ['x:1'])",
            [AS_OF],
        )
        self.store.execute("INSERT INTO res_membership VALUES ('x:1', 1, 1)")
        self.store.execute("INSERT INTO life_identity VALUES (1, 'x:1', DATE '1980-01-01', 'M', 'MEX')")
        build_worklist(ANALYST, self.store, POLICY, AS_OF)
        self.entry = _entry_of(self.store, 1)
        self.day = AS_OF

    def teardown(self) -> None:
        if self.folder is not None:
            self.store.close()

    def _try(self, fn: object, ctx: object, **kw: object) -> None:
        with contextlib.suppress(TransitionError):
            fn(ctx, self.store, POLICY, self.entry, on=self.day, **kw)  # type: ignore[operator]

    actors = st.sampled_from([ANALYST, ANALYST2, SUPERVISOR, PERSON])

    @rule(days=st.integers(min_value=0, max_value=40))
    def wait(self, days: int) -> None:
        self.day += timedelta(days=days)

    @rule(ctx=actors)
    def verify(self, ctx: object) -> None:
        self._try(wf.verify_identity, ctx, reason="r")

    @rule(ctx=actors)
    def notice(self, ctx: object) -> None:
        self._try(wf.record_notice, ctx, reason="r")

    @rule(ctx=actors)
    def contest(self, ctx: object) -> None:
        self._try(wf.contest, ctx, reason="r")

    @rule(ctx=actors, upheld=st.booleans())
    def answer(self, ctx: object, upheld: bool) -> None:
        self._try(wf.answer_contest, ctx, upheld=upheld, reason="r")

    @rule(ctx=actors)
    def approve(self, ctx: object) -> None:
        self._try(wf.approve, ctx, reason="r")

    @rule(staff=st.sampled_from([ANALYST, SUPERVISOR]), patient=st.booleans())
    def proper_next_step(self, staff: object, patient: bool) -> None:
        """What staff would do next, so the search also reaches 'actionable' the right way."""
        state = _state(self.store, self.entry)
        if state == "candidate":
            self._try(wf.verify_identity, staff, reason="r")
        elif state == "identity_verified":
            self._try(wf.record_notice, ANALYST, reason="r")
        elif state == "contested":
            self._try(wf.answer_contest, ANALYST, upheld=False, reason="r")
        elif state == "notice_recorded":
            if patient:  # an impatient supervisor tries at once, and is refused inside the contest period
                self.day += timedelta(days=POLICY.contest_days + 1)
            self._try(wf.approve, SUPERVISOR, reason="r")

    @invariant()
    def actionable_only_through_due_process(self) -> None:
        steps = self.store.rows(
            "SELECT to_state, actor, on_date FROM pri_transitions WHERE entry_id = ? ORDER BY moved_at, rowid",
            [self.entry],
        )
        for i, (to, actor, on) in enumerate(steps):
            if to != "actionable":
                continue
            before = steps[:i]
            verified = [a for t, a, _ in before if t == "identity_verified"]
            assert verified, "actionable without identity verification"
            assert actor not in verified, "approved by the verifier"
            last_notice = max(d for t, _, d in before if t == "notice_recorded")
            assert on > last_notice + timedelta(days=POLICY.contest_days), (
                "approved inside the contest period"
            )
            assert before[-1][0] == "notice_recorded", "approved while contested"
            REACHED.append(self.entry)


TestWorkflowStateMachine = Workflow.TestCase
TestWorkflowStateMachine.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_the_random_search_did_reach_actionable() -> None:
    """Guards against a vacuous search: the state machine above must have reached 'actionable'."""
    assert REACHED


def test_reading_an_entry_is_purpose_checked_and_audited(store: Store, entry: int) -> None:
    from immigrationos.errors import AccessDeniedError

    officer = make_context("dora", "departure_assistance", roles=frozenset({"departure_officer"}))
    with pytest.raises(AccessDeniedError, match="serves"):
        wf.entry_view(officer, store, entry)
    with pytest.raises(AccessDeniedError):
        wf.list_entries(officer, store)
    wf.entry_view(ANALYST, store, entry)
    assert store.scalar("SELECT actor FROM audit_log WHERE event = 'worklist.show'") == "analyst-1"
