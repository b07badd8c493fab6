"""Away-from-seat rules at their edges, without HTTP (issue 10, points 2 and 3).

DESIGN.md, Staff and time: "Away from seat (离席): at most 5 minutes, asked of the lead; an
overrun is recorded and reported." The 5 is the `away_minutes` setting ("Each is a default a
supervisor can change in settings, and each is enforced by the server").

SECURITY.md: "Every change of state writes its audit row in the same transaction: who, role,
what, which object, before/after, when (UTC)" and "nothing is half-saved".
"""

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app.audit import AuditEvent
from app.extensions import db
from app.people.models import Role
from app.settings import save as save_settings
from app.staff import away, schedule
from app.staff.models import AwayRequest, AwayStatus, LeaveRequest, LeaveStatus
from app.timeutil import center_today
from app.workflow import NotYourTurnError, Refusal, StaleError

OFF_SHIFT = "只有在班时才能申请离席。"
ALREADY_OPEN = "您已有一个未结束的离席申请。"
SHIFT_START = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
SHIFT_END = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai
SECOND = timedelta(seconds=1)


@pytest.fixture
def floor(app, make_user, make_team, clock):
    """Team A's agents work 08:00-18:00 today (it is 10:00); team B's agent too; one colleague
    is off today."""
    lead = make_user(role=Role.LEAD, name="甲组长")
    team = make_team(lead=lead)
    other_lead = make_user(role=Role.LEAD, name="乙组长")
    other_team = make_team(lead=other_lead)
    people = {"agent": make_user(team=team, name="在班人"),
              "agent2": make_user(team=team, name="在班人二"),
              "elsewhere": make_user(team=other_team, name="乙组员")}
    today = center_today()
    for person in people.values():
        schedule.add_shift(person, today, time(8), time(18), "白班", None)
    schedule.add_shift(lead, today, time(8), time(18), "白班", None)
    db.session.commit()
    return {**people, "lead": lead, "other_lead": other_lead, "team": team,
            "other_team": other_team, "off": make_user(team=team, name="休息人"),
            "boss": make_user(role=Role.SUPERVISOR), "qa": make_user(role=Role.QA),
            "clock": clock}


def asked(floor, who="agent", at=None) -> AwayRequest:
    item = away.ask(floor[who], at or floor["clock"].now)
    db.session.commit()
    return item


def allowed(floor, who="agent", at=None) -> AwayRequest:
    item = asked(floor, who, at)
    away.decide(item, floor["lead"] if who != "elsewhere" else floor["other_lead"], True,
                item.version, at or floor["clock"].now)
    db.session.commit()
    return item


def audits(action: str | None = None) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    return list(db.session.scalars(stmt))


def away_count() -> int:
    return db.session.scalar(select(func.count(AwayRequest.id)))


def state(item: AwayRequest) -> tuple:
    db.session.refresh(item)
    return (item.status, item.requested_at, item.left_at, item.back_at, item.decided_by_id,
            item.version)


def check_audit(row: AuditEvent, action, actor, item, after, clock) -> None:
    """The audit row names who (and in which role), what, which object, before/after and when."""
    assert row.action == action
    assert (row.actor_id, row.actor_role) == (actor.id, str(actor.role))
    assert (row.object_type, row.object_id) == ("away_request", str(item.id))
    assert row.before_dict() == {}
    assert row.after_dict() == after
    assert row.at == clock.now


# --- on shift -------------------------------------------------------------------------------

@pytest.mark.parametrize(("at", "on"), [
    (SHIFT_START - SECOND, False), (SHIFT_START, True), (SHIFT_START + SECOND, True),
    (SHIFT_END - SECOND, True), (SHIFT_END, False), (SHIFT_END + SECOND, False),
], ids=["before-start", "at-start", "after-start", "before-end", "at-end", "after-end"])
def test_on_shift_from_its_first_second_until_before_its_end(floor, at, on):
    """Rule: an agent asks to step away while on shift: from the shift's start (included) to
    its end (excluded)."""
    found = away.current_shift(floor["agent"], at)
    assert (found is not None) is on
    if on:
        assert (found.user_id, found.starts_at, found.ends_at) == (
            floor["agent"].id, SHIFT_START, SHIFT_END)


def test_nobody_is_on_someone_elses_shift_or_a_shift_on_leave(floor):
    """Rule: away from seat is asked by the person on shift, and a shift taken by leave is not
    worked."""
    assert away.current_shift(floor["off"], floor["clock"].now) is None  # the empty case
    shift = away.current_shift(floor["agent2"], floor["clock"].now)
    leave = LeaveRequest(user_id=floor["agent2"].id, kind="annual", starts_at=shift.starts_at,
                         ends_at=shift.ends_at, hours=10, status=LeaveStatus.APPROVED)
    db.session.add(leave)
    db.session.flush()
    shift.leave_id = leave.id
    db.session.commit()
    assert away.current_shift(floor["agent2"], floor["clock"].now) is None
    assert away.current_shift(floor["agent"], floor["clock"].now).user_id == floor["agent"].id


@pytest.mark.parametrize("at", [SHIFT_START - SECOND, SHIFT_END], ids=["before", "at-end"])
def test_asking_off_shift_is_refused_and_nothing_is_stored(floor, at):
    """Rule: away from seat is asked of the lead while on shift."""
    with pytest.raises(Refusal) as refused:
        away.ask(floor["agent"], at)
    assert (refused.value.field, refused.value.message) == ("away", OFF_SHIFT)
    db.session.rollback()
    assert away_count() == 0 and audits("away.ask") == []


# --- ask ------------------------------------------------------------------------------------

@pytest.mark.parametrize("at", [SHIFT_START, SHIFT_END - SECOND], ids=["first", "last"])
def test_asking_stores_the_request_and_an_audit_row(floor, at):
    """Rule: away from seat is asked of the lead: the request waits for the lead's answer."""
    floor["clock"].set(at)
    item = asked(floor)
    assert state(item) == (AwayStatus.REQUESTED, at, None, None, None, 1)
    assert (item.user_id, item.team_id) == (floor["agent"].id, floor["team"].id)
    [row] = audits("away.ask")
    check_audit(row, "away.ask", floor["agent"], item, {"status": "requested"}, floor["clock"])


@pytest.mark.parametrize("allow", [False, True], ids=["waiting", "away"])
def test_one_open_request_at_a_time(floor, allow):
    """Rule: away from seat is at most one stretch at a time: a second request while one waits
    or runs is refused, and nothing is stored."""
    first = allowed(floor) if allow else asked(floor)
    with pytest.raises(Refusal) as refused:
        away.ask(floor["agent"], floor["clock"].now)
    assert (refused.value.field, refused.value.message) == ("away", ALREADY_OPEN)
    db.session.rollback()
    assert away_count() == 1 and len(audits("away.ask")) == 1
    assert state(first)[0] == (AwayStatus.AWAY if allow else AwayStatus.REQUESTED)


def test_a_finished_or_refused_request_or_a_colleagues_does_not_block(floor):
    """Rule: one open request at a time per person: refused and finished ones are closed."""
    refused = asked(floor)
    away.decide(refused, floor["lead"], False, refused.version, floor["clock"].now)
    db.session.commit()
    back = asked(floor)
    away.decide(back, floor["lead"], True, back.version, floor["clock"].now)
    away.come_back(back, floor["agent"], back.version, floor["clock"].now)
    db.session.commit()
    asked(floor, "agent2")
    third = asked(floor)
    assert third.status == AwayStatus.REQUESTED and away_count() == 4


# --- who decides ----------------------------------------------------------------------------

def test_who_may_allow(floor, make_user):
    """Rule: away from seat is asked of the lead (or a supervisor); never the person asking."""
    item = asked(floor)
    assert away.can_decide(floor["lead"], item) is True
    assert away.can_decide(floor["boss"], item) is True
    assert away.can_decide(floor["agent"], item) is False
    assert away.can_decide(floor["agent2"], item) is False
    assert away.can_decide(floor["other_lead"], item) is False
    assert away.can_decide(floor["qa"], item) is False
    # A lead's own request goes to a supervisor: they are not their own lead.
    own = asked(floor, "lead")
    assert away.can_decide(floor["lead"], own) is False
    assert away.can_decide(floor["boss"], own) is True
    # A supervisor's own request: not even a supervisor decides for themselves.
    boss = floor["boss"]
    schedule.add_shift(boss, center_today(), time(8), time(18), "", None)
    db.session.commit()
    theirs = away.ask(boss, floor["clock"].now)
    assert away.can_decide(boss, theirs) is False
    assert away.can_decide(make_user(role=Role.SUPERVISOR), theirs) is True


@pytest.mark.parametrize(("allow", "status", "action"), [
    (True, AwayStatus.AWAY, "away.allow"), (False, AwayStatus.REFUSED, "away.refuse")])
def test_deciding_stores_the_answer_and_an_audit_row(floor, allow, status, action):
    """Rule: away from seat is asked of the lead: one tap allows (the clock starts) or
    refuses."""
    item = asked(floor)
    floor["clock"].advance(seconds=40)
    away.decide(item, floor["lead"], allow, item.version, floor["clock"].now)
    db.session.commit()
    left = floor["clock"].now if allow else None
    assert state(item) == (status, SHIFT_START + timedelta(hours=2), left, None,
                           floor["lead"].id, 2)
    [row] = audits(action)
    check_audit(row, action, floor["lead"], item, {"status": str(status)}, floor["clock"])


@pytest.mark.parametrize("who", ["other_lead", "agent", "agent2", "qa"])
def test_someone_else_cannot_decide(floor, who):
    """Rule: away from seat is asked of the person's lead."""
    item = asked(floor)
    before = state(item)
    with pytest.raises(NotYourTurnError):
        away.decide(item, floor[who], True, item.version, floor["clock"].now)
    db.session.rollback()
    assert state(item) == before
    assert audits("away.allow") == []


@pytest.mark.parametrize("offset", [-1, 1])
def test_a_decision_on_another_version_is_stale(floor, offset):
    """SECURITY.md: "Concurrent changes ...: exactly one wins, the other gets 409"."""
    item = asked(floor)
    before = state(item)
    with pytest.raises(StaleError):
        away.decide(item, floor["lead"], True, item.version + offset, floor["clock"].now)
    assert state(item) == before


def test_a_decided_request_is_not_decided_again(floor):
    """Rule: one tap decides; a second decision (a double click, the supervisor at the same
    time) is stale."""
    item = allowed(floor)
    with pytest.raises(StaleError):
        away.decide(item, floor["boss"], False, item.version, floor["clock"].now)
    assert (item.status, item.decided_by_id) == (AwayStatus.AWAY, floor["lead"].id)


# --- back -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("seconds", "minutes"), [(90, 1.5), (200, 3.3), (301, 5.0), (312, 5.2)])
def test_coming_back_records_the_minutes_away(floor, seconds, minutes):
    """Rule: "an overrun is recorded": the return records the minutes away (one decimal)."""
    item = allowed(floor)
    left = floor["clock"].now
    floor["clock"].advance(seconds=seconds)
    away.come_back(item, floor["agent"], item.version, floor["clock"].now)
    db.session.commit()
    assert state(item) == (AwayStatus.BACK, left, left, floor["clock"].now, floor["lead"].id, 3)
    [row] = audits("away.back")
    check_audit(row, "away.back", floor["agent"], item,
                {"status": "back", "minutes": minutes}, floor["clock"])


@pytest.mark.parametrize("who", ["lead", "boss"])
def test_the_lead_marks_the_return_for_the_agent(floor, who):
    """Rule: the lead the request was asked of may mark the return."""
    item = allowed(floor)
    away.come_back(item, floor[who], item.version, floor["clock"].now)
    assert item.status == AwayStatus.BACK
    assert audits("away.back")[0].actor_id == floor[who].id


@pytest.mark.parametrize("who", ["agent2", "other_lead", "qa"])
def test_someone_else_cannot_mark_the_return(floor, who):
    """Rule: the person away (or their lead) marks the return, nobody else."""
    item = allowed(floor)
    before = state(item)
    with pytest.raises(NotYourTurnError):
        away.come_back(item, floor[who], item.version, floor["clock"].now)
    db.session.rollback()
    assert state(item) == before
    assert audits("away.back") == []


def test_only_someone_away_comes_back(floor):
    """Rule: the clock runs only once the lead allowed: a request still waiting (or a stale
    version) cannot come back."""
    waiting = asked(floor)
    with pytest.raises(StaleError):
        away.come_back(waiting, floor["agent"], waiting.version, floor["clock"].now)
    assert waiting.status == AwayStatus.REQUESTED
    item = allowed(floor, "agent2")
    for offset in (-1, 1):
        with pytest.raises(StaleError):
            away.come_back(item, floor["agent2"], item.version + offset, floor["clock"].now)
    away.come_back(item, floor["agent2"], item.version, floor["clock"].now)
    db.session.commit()
    with pytest.raises(StaleError):
        away.come_back(item, floor["agent2"], item.version, floor["clock"].now)


# --- the live list and the limit ------------------------------------------------------------

@pytest.mark.parametrize(("seconds", "overdue"), [
    (0, False), (299, False), (300, False), (301, True), (3600, True)])
def test_overdue_only_past_the_limit(floor, seconds, overdue):
    """Rule: "at most 5 minutes": exactly 5 minutes away is within the limit, one second more is
    an overrun."""
    item = allowed(floor)
    now = floor["clock"].now + timedelta(seconds=seconds)
    [row] = away.live(floor["team"].id, now)
    assert (row.away, row.minutes, row.overdue) == (item, seconds / 60, overdue)


def test_the_clock_starts_when_the_lead_allows(floor):
    """Rule: at most 5 minutes away, counted from when the lead allows (a wait for the answer
    is not time away)."""
    item = asked(floor)
    allowed_at = floor["clock"].now + timedelta(minutes=3)
    away.decide(item, floor["lead"], True, item.version, allowed_at)
    db.session.commit()
    [row] = away.live(None, allowed_at + timedelta(minutes=5))
    assert (row.minutes, row.overdue) == (5.0, False)
    [row] = away.live(None, allowed_at + timedelta(minutes=5, seconds=1))
    assert row.overdue is True


def test_a_request_waiting_for_the_lead_is_never_overdue(floor):
    """Rule: at most 5 minutes away from the seat: someone still waiting for the answer is in
    the seat, however long the wait."""
    item = asked(floor)
    [row] = away.live(floor["team"].id, floor["clock"].now + timedelta(minutes=20))
    assert (row.away, row.minutes, row.overdue) == (item, 20.0, False)


@pytest.mark.parametrize("limit", [1, 10, 60])
def test_the_limit_is_the_setting(floor, limit):
    """Rule: the 5 minutes is a default a supervisor can change in settings, enforced by the
    server."""
    save_settings({"away_minutes": limit}, floor["boss"])
    db.session.commit()
    allowed(floor)
    at_limit = floor["clock"].now + timedelta(minutes=limit)
    assert away.live(None, at_limit)[0].overdue is False
    assert away.live(None, at_limit + SECOND)[0].overdue is True


def test_the_live_list_is_the_open_requests_of_the_team_in_asking_order(floor):
    """Rule: the lead sees who is away or waiting to go, in the order they asked; finished and
    refused requests leave the list, other teams' are on their own lead's list."""
    now = floor["clock"].now
    assert away.live(floor["team"].id, now) == []  # the empty case
    late = asked(floor, "agent2", at=now + timedelta(seconds=2))
    early = asked(floor, "agent", at=now + timedelta(seconds=1))
    theirs = asked(floor, "elsewhere", at=now)
    gone = asked(floor, "lead", at=now + timedelta(seconds=3))
    away.decide(gone, floor["boss"], False, gone.version, now)
    db.session.commit()
    later = now + timedelta(minutes=1)
    assert [row.away for row in away.live(floor["team"].id, later)] == [early, late]
    assert [row.away for row in away.live(floor["other_team"].id, later)] == [theirs]
    assert [row.away for row in away.live(None, later)] == [theirs, early, late]
    away.decide(early, floor["lead"], True, early.version, now)
    away.come_back(early, floor["agent"], early.version, now)
    db.session.commit()
    assert [row.away for row in away.live(None, later)] == [theirs, late]
