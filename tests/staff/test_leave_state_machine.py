"""hypothesis drives the leave service as a state machine that keeps its own model of every
request (DESIGN.md "Staff and time"). Before each call the model says what must happen:
accepted, with the exact next status, or refused, and with which error. After each call the
outcome must be that one, and after every step the stored requests (status, version, hours,
history) and the shifts they mark must be the model's.

The model is written from the rules, not from the service: it knows the center it built (who
holds which role, who leads which team) and never asks `leave` whose turn it is.
- An agent's leave: their team's lead approves, then a supervisor approves.
- Anyone else's (a lead's, an agent's without a team, a supervisor's, a QA reviewer's): a
  supervisor approves.
- Nobody approves or rejects their own request; a rejection says why.
- Only the requester withdraws, and only while the request is open.
- A decision or withdrawal made on a version other than the stored one is refused as stale;
  a decision on a closed request is too.
- Asking: the period must remove a shift, be asked in time and not overlap the person's open
  or approved leave.

Random steps (right and wrong people, right and stale versions, with and without a reason)
move the requests along; after every accepted step everyone the model refuses tries every step
on that request, so each refusal is checked at every state a request reaches."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import count

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from app.extensions import db
from app.people.models import Role, Team, User
from app.staff import leave
from app.staff.models import LeaveRequest, LeaveStatus, LeaveStep, Shift
from app.timeutil import center_tz
from app.workflow import NotYourTurnError, Refusal, StaleError
from tests.staff.model_check import call_as_modelled, differences

OPEN = (LeaveStatus.PENDING_LEAD, LeaveStatus.PENDING_SUPERVISOR)
FINAL = (LeaveStatus.APPROVED, LeaveStatus.REJECTED, LeaveStatus.WITHDRAWN)

# The model's center. Team A: lead_a with agents a1 and a2; team B: lead_b alone; c1 is an agent
# without a team; two supervisors and a QA reviewer.
ROLES = {"a1": Role.AGENT, "a2": Role.AGENT, "c1": Role.AGENT, "lead_a": Role.LEAD,
         "lead_b": Role.LEAD, "boss1": Role.SUPERVISOR, "boss2": Role.SUPERVISOR,
         "qa": Role.QA}
TEAM_OF = {"a1": "A", "a2": "A", "lead_a": "A", "lead_b": "B"}
LEAD_OF_TEAM = {"A": "lead_a", "B": "lead_b"}
PEOPLE = tuple(ROLES)
REQUESTERS = ("a1", "a2", "lead_a", "c1", "boss1", "qa")
# Each requester works 09:00-18:00 (center time) on these days counted from today. A request
# covers one whole day: today is too late for any kind; day 6 has no shift. Tomorrow is left
# out on purpose: whether annual leave for tomorrow may still be asked today is a notice
# question, where the service (a rolling 24 hours) and DESIGN.md's "N days ahead" (until the
# end of the day before) disagree; the boundary tests hold it as an expected failure.
SHIFT_DAYS = (0, 2, 3, 4, 5)
ASK_DAYS = (0, 2, 3, 4, 5, 6)
SHIFT_HOURS = 9.0
# Who tries a step, by what they are to the request (so that every kind of person meets every
# stage often): the one whose turn it is by the model, the requester, a lead, a supervisor, or
# anyone at all.
ACTORS = ("turn", "requester", "lead", "supervisor", "anyone")
_serial = count(1)


@dataclass
class Modelled:
    """What the model knows of one request."""

    id: int
    requester: str
    day: int
    status: str
    version: int = 1
    steps: list[tuple] = field(default_factory=list)  # (action, stage, actor key, reason)


def first_status(requester: str) -> str:
    """Where a new request of this person waits: an agent with a team lead goes to that lead."""
    team = TEAM_OF.get(requester)
    lead = LEAD_OF_TEAM.get(team) if team else None
    if ROLES[requester] == Role.AGENT and lead not in (None, requester):
        return LeaveStatus.PENDING_LEAD
    return LeaveStatus.PENDING_SUPERVISOR


def may_decide(request: Modelled, who: str) -> bool:
    """Whether it is this person's turn to approve or reject, by the model's own rules."""
    if who == request.requester:
        return False
    if request.status == LeaveStatus.PENDING_LEAD:
        return who == LEAD_OF_TEAM[TEAM_OF[request.requester]]
    if request.status == LeaveStatus.PENDING_SUPERVISOR:
        return ROLES[who] == Role.SUPERVISOR
    return False


def after_decision(status: str, approve: bool) -> str:
    if not approve:
        return LeaveStatus.REJECTED
    return (LeaveStatus.PENDING_SUPERVISOR if status == LeaveStatus.PENDING_LEAD
            else LeaveStatus.APPROVED)


def build_world(today: date) -> tuple[dict[str, User], dict[str, int], dict[tuple, int]]:
    """The model's center in the database, with fresh names for every example: the people,
    their ids, and the shift ids by (requester, day)."""
    n = next(_serial)
    teams = {key: Team(name=f"LSM{n}{key}") for key in LEAD_OF_TEAM}
    db.session.add_all(teams.values())
    db.session.flush()
    people = {}
    for key, role in ROLES.items():
        team = teams.get(TEAM_OF.get(key))
        people[key] = User(username=f"lsm{n}{key}", employee_no=f"LSM{n}-{key}",
                           name=f"{key}#{n}", role=role, team_id=team.id if team else None,
                           grade="junior" if role == Role.AGENT else None,
                           hire_date=date(2025, 1, 1), password_hash="-",
                           must_change_password=False)
    db.session.add_all(people.values())
    db.session.flush()
    for key, team in teams.items():
        team.lead_id = people[LEAD_OF_TEAM[key]].id
    tz, shifts = center_tz(), {}
    for key in REQUESTERS:
        for offset in SHIFT_DAYS:
            day = today + timedelta(days=offset)
            shift = Shift(user_id=people[key].id, day=day,
                          starts_at=datetime.combine(day, time(9), tz),
                          ends_at=datetime.combine(day, time(18), tz))
            db.session.add(shift)
            shifts[(key, offset)] = shift
    db.session.flush()
    # Read before the commit expires them (reading afterwards costs a query per object).
    ids = {key: user.id for key, user in people.items()}
    shift_ids = {where: shift.id for where, shift in shifts.items()}
    db.session.commit()
    return people, ids, shift_ids


class LeaveMachine(RuleBasedStateMachine):
    """Random people ask for leave, decide and withdraw, with right and stale versions."""

    now: datetime  # set by the test before it runs

    def __init__(self):
        super().__init__()
        self.today = self.now.astimezone(center_tz()).date()
        self.people, self.ids, self.shift_ids = build_world(self.today)
        self.requests: list[Modelled] = []

    def teardown(self):
        db.session.rollback()

    def pick(self, index: int, status: str) -> Modelled:
        """A request at this status, if there is one; else any."""
        some = [r for r in self.requests if r.status == status] or self.requests
        return some[index % len(some)]

    @staticmethod
    def person(request: Modelled, kind: str, nth: int) -> str:
        """One of ACTORS for this request."""
        turn = [p for p in PEOPLE if may_decide(request, p)]
        some = {"turn": turn or [request.requester], "requester": [request.requester],
                "lead": ["lead_a", "lead_b"], "supervisor": ["boss1", "boss2"],
                "anyone": PEOPLE}[kind]
        return some[nth % len(some)]

    @rule(requester=st.sampled_from(("a1", "a2", *REQUESTERS)), day=st.sampled_from(ASK_DAYS),
          kind=st.sampled_from(["annual", "sick"]), reason=st.sampled_from(["", "家里有事"]))
    def ask(self, requester, day, kind, reason):
        """Someone asks for a whole day off."""
        refusals = set()
        if day not in SHIFT_DAYS:
            refusals.add("starts_at")  # no shift to take leave from
        if day == 0:
            refusals.add("starts_at")  # today's shift started at 09:00: too late for any kind
        if any(r.requester == requester and r.day == day and r.status != LeaveStatus.REJECTED
               and r.status != LeaveStatus.WITHDRAWN for r in self.requests):
            refusals.add("starts_at")  # overlaps leave asked or approved
        start = datetime.combine(self.today + timedelta(days=day), time(0), center_tz())
        made = []

        def call():
            made.append(leave.ask(self.people[requester], kind, start,
                                  start + timedelta(days=1), reason, self.now))

        what = f"{requester} asks {kind} leave for day {day}"
        if call_as_modelled(call, {Refusal: refusals} if refusals else {}, what):
            status = first_status(requester)
            self.requests.append(Modelled(made[0].id, requester, day, status,
                                          steps=[("ask", status, requester, reason)]))
            self.nobody_else(self.requests[-1])

    def decide_as(self, request: Modelled, who: str, approve: bool, reason: str,
                  offset: int) -> None:
        """`who` approves or rejects having seen the model's version plus `offset`: predicted,
        done, then checked."""
        due = {}
        if offset != 0 or request.status in FINAL:
            due[StaleError] = None
        if not may_decide(request, who):
            due[NotYourTurnError] = None
        if not approve and not reason.strip():
            due[Refusal] = {"reason"}
        what = (f"{who} {'approves' if approve else 'rejects'} {request.requester}'s request "
                f"({request.status}, version {request.version}, seen "
                f"{request.version + offset}, reason {reason!r})")
        stored = db.session.get(LeaveRequest, request.id)
        if call_as_modelled(lambda: leave.decide(stored, self.people[who], approve, reason,
                                                 request.version + offset, self.now),
                            due, what):
            request.steps.append(("approve" if approve else "reject", request.status, who,
                                  reason.strip()))
            request.status = after_decision(request.status, approve)
            request.version += 1
            self.nobody_else(request)

    @precondition(lambda self: any(r.status in OPEN for r in self.requests))
    @rule(index=st.integers(0, 20), approve=st.sampled_from([True, True, True, False]))
    def advance(self, index, approve):
        """The person whose turn it is (by the model) decides one of the furthest open
        requests with the version they saw, so that runs get to the later steps."""
        open_ones = sorted((r for r in self.requests if r.status in OPEN),
                           key=lambda r: r.status != LeaveStatus.PENDING_SUPERVISOR)
        request = open_ones[index % min(len(open_ones), 2)]
        self.decide_as(request, self.person(request, "turn", index), approve, "人手不足", 0)

    @precondition(lambda self: self.requests)
    @rule(index=st.integers(0, 20), status=st.sampled_from(OPEN + OPEN + FINAL),
          who=st.sampled_from(ACTORS), nth=st.integers(0, 20), approve=st.booleans(),
          offset=st.sampled_from([0, 0, 0, -1, 1]), reason=st.sampled_from(["", " ", "人手不足"]))
    def decide(self, index, status, who, nth, approve, offset, reason):
        """Someone approves or rejects a request, at any stage, with the version they saw or
        another one."""
        request = self.pick(index, status)
        self.decide_as(request, self.person(request, who, nth), approve, reason, offset)

    @precondition(lambda self: self.requests)
    @rule(index=st.integers(0, 20), status=st.sampled_from(OPEN + FINAL),
          who=st.sampled_from(("requester", "requester", "turn", "anyone")),
          nth=st.integers(0, 20), offset=st.sampled_from([0, 0, 0, -1, 1]))
    def withdraw(self, index, status, who, nth, offset):
        """Mostly the requester, sometimes someone else, withdraws a request at any stage."""
        request = self.pick(index, status)
        self.withdraw_as(request, self.person(request, who, nth), offset)

    def withdraw_as(self, request: Modelled, who: str, offset: int) -> None:
        due = {}
        if who != request.requester:
            due[NotYourTurnError] = None
        if offset != 0 or request.status in FINAL:
            due[StaleError] = None
        what = (f"{who} withdraws {request.requester}'s request ({request.status}, version "
                f"{request.version}, seen {request.version + offset})")
        stored = db.session.get(LeaveRequest, request.id)
        if call_as_modelled(lambda: leave.withdraw(stored, self.people[who],
                                                   request.version + offset, self.now),
                            due, what):
            request.steps.append(("withdraw", request.status, who, ""))
            request.status = LeaveStatus.WITHDRAWN
            request.version += 1
            self.nobody_else(request)

    def nobody_else(self, request: Modelled) -> None:
        """Run after every accepted step, so on every state a request reaches: everyone the
        model refuses tries every step with the version they saw. Whoever's turn it is not
        approves and rejects (with a reason); anyone but the requester, or the requester once
        the request is closed, withdraws. Each must be refused and change nothing."""
        for who in PEOPLE:
            if not may_decide(request, who):
                self.decide_as(request, who, True, "", 0)
                self.decide_as(request, who, False, "人手不足", 0)
            if who != request.requester or request.status in FINAL:
                self.withdraw_as(request, who, 0)

    @invariant()
    def stored_as_modelled(self):
        """The requests, their histories and the marked shifts are the model's, exactly."""
        ids = [r.id for r in self.requests]
        key_of = {user_id: key for key, user_id in self.ids.items()}
        stored = {r.id: {"requester": key_of[r.user_id], "status": r.status,
                         "version": r.version, "hours": r.hours, "steps": []}
                  for r in db.session.execute(select(
                      LeaveRequest.id, LeaveRequest.user_id, LeaveRequest.status,
                      LeaveRequest.version, LeaveRequest.hours).where(LeaveRequest.id.in_(ids)))}
        for step in db.session.execute(select(
                LeaveStep.leave_id, LeaveStep.action, LeaveStep.stage, LeaveStep.actor_id,
                LeaveStep.reason).where(LeaveStep.leave_id.in_(ids)).order_by(LeaveStep.id)):
            stored[step.leave_id]["steps"].append(
                (step.action, step.stage, key_of[step.actor_id], step.reason))
        assert len(stored) == len(self.requests)
        for r in self.requests:
            modelled = {"requester": r.requester, "status": r.status, "version": r.version,
                        "hours": SHIFT_HOURS, "steps": r.steps}
            assert stored[r.id] == modelled, (
                f"{r.requester}'s request for day {r.day}: {differences(stored[r.id], modelled)}")
        # Approved leave marks the shifts it removes, and nothing else marks any.
        marked = dict(db.session.execute(select(Shift.id, Shift.leave_id).where(
            Shift.id.in_(list(self.shift_ids.values())))).all())
        expected = dict.fromkeys(self.shift_ids.values())
        for r in self.requests:
            if r.status == LeaveStatus.APPROVED:
                expected[self.shift_ids[(r.requester, r.day)]] = r.id
        wrong = {where: (marked[shift], expected[shift])
                 for where, shift in self.shift_ids.items() if marked[shift] != expected[shift]}
        assert not wrong, f"shifts marked by leave (stored, model): {wrong}"


def test_every_step_of_leave_is_the_one_the_model_predicts(app, clock):
    LeaveMachine.now = clock.now
    # Derandomized, so every run tries the same steps; no shrinking: each try replays a run on
    # the database (minutes), and the failing step's message already says who did what, at
    # which stage and version, and what the model expected.
    run_state_machine_as_test(LeaveMachine, settings=settings(
        max_examples=30, stateful_step_count=25, deadline=None, database=None, derandomize=True,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=[HealthCheck.too_slow]))
    # The runs got far: through both approvals, and into every other end.
    made = Counter(db.session.scalars(select(LeaveRequest.status)))
    assert all(made[status] for status in FINAL), made
