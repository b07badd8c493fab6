"""hypothesis drives the leave state machine with random actors, decisions and stale versions
and finds no invalid state."""

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from app.extensions import db
from app.staff import leave, schedule
from app.staff.models import LeaveRequest, LeaveStatus, Shift
from app.staff.services import NotYourTurnError, RuleError, StaleError

FINAL = {LeaveStatus.APPROVED, LeaveStatus.REJECTED, LeaveStatus.WITHDRAWN}
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@pytest.fixture
def people(app, make_user, make_team):
    lead = make_user(role="lead")
    team = make_team(lead=lead)
    agent = make_user(team=team)
    boss, boss2 = make_user(role="supervisor"), make_user(role="supervisor")
    outsider = make_user(role="lead")
    for offset in range(2, 12):
        schedule.add_shift(agent, NOW.date() + timedelta(days=offset), time(9), time(18), "", None)
    db.session.commit()
    return [agent, lead, boss, boss2, outsider]


def test_leave_state_machine(people):
    class LeaveMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            # Every example starts from the same database: no leave, no marked shifts.
            db.session.rollback()
            db.session.query(Shift).update({Shift.leave_id: None})
            for old in db.session.scalars(db.select(LeaveRequest)):
                db.session.delete(old)
            db.session.commit()
            self.request: LeaveRequest | None = None
            self.history: list[str] = []
            self.day = 2

        @precondition(lambda self: self.request is None or self.request.status in FINAL)
        @rule()
        def ask(self):
            if self.day > 11:
                return
            start = datetime.combine(NOW.date() + timedelta(days=self.day), time(0), UTC)
            self.day += 1
            self.request = leave.ask(people[0], "annual", start, start + timedelta(hours=23),
                                     "", NOW)
            db.session.commit()
            self.history = [self.request.status]

        @precondition(lambda self: self.request is not None)
        @rule(actor=st.integers(0, 4), approve=st.booleans(), stale=st.booleans(),
              reason=st.sampled_from(["", "人手不足"]))
        def decide(self, actor, approve, stale, reason):
            request = self.request
            before = request.status
            version = request.version - (1 if stale else 0)
            try:
                leave.decide(request, people[actor], approve, reason, version, NOW)
            except (StaleError, NotYourTurnError, RuleError):
                db.session.rollback()
                assert request.status == before
                return
            db.session.commit()
            assert not stale, "a stale version must never decide"
            assert before not in FINAL, "a final state never changes"
            assert people[actor].id != request.user_id, "nobody decides their own request"
            self.history.append(request.status)

        @precondition(lambda self: self.request is not None)
        @rule(actor=st.integers(0, 4), stale=st.booleans())
        def withdraw(self, actor, stale):
            request = self.request
            before = request.status
            try:
                leave.withdraw(request, people[actor], request.version - (1 if stale else 0), NOW)
            except (StaleError, NotYourTurnError):
                db.session.rollback()
                assert request.status == before
                return
            db.session.commit()
            assert actor == 0 and before not in FINAL
            self.history.append(request.status)

        @invariant()
        def consistent(self):
            if self.request is None:
                return
            request = self.request
            assert request.status in set(LeaveStatus)
            marked = db.session.query(Shift).filter(Shift.leave_id == request.id).count()
            assert (marked > 0) == (request.status == LeaveStatus.APPROVED)
            if request.status == LeaveStatus.APPROVED:
                # An agent's leave passed the lead and then the supervisor, in that order.
                assert self.history[:3] == [LeaveStatus.PENDING_LEAD,
                                            LeaveStatus.PENDING_SUPERVISOR,
                                            LeaveStatus.APPROVED]
            assert len(request.steps) == len(self.history)

    LeaveMachine.TestCase.settings = settings(
        max_examples=25, stateful_step_count=15, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    LeaveMachine.TestCase().runTest()
