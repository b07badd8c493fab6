"""Schedule rules at their edges, without HTTP (issue 10, points 2 and 3).

DESIGN.md, Staff and time: "Times are stored in UTC and shown in the center's time zone";
"A night shift belongs to the day it starts" (the Shift model); "Enough people on the floor: a
minimum head count per team and hour ... A minimum rest between two shifts of one person.";
"Leave is counted in the shift hours it actually removes".

SECURITY.md: "Every field validated on the server (type, range, length, enum, date order)",
"nothing is half-saved", and "Every change of state writes its audit row in the same
transaction: who, role, what, which object, before/after, when (UTC)".
"""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app.audit import AuditEvent
from app.extensions import db
from app.people.models import Role, Status
from app.staff import schedule
from app.staff.models import LeaveRequest, LeaveStatus, Shift, ShiftSwap, SwapStatus
from app.timeutil import center_tz
from app.workflow import Refusal

TODAY = date(2026, 11, 20)  # Friday
MONDAY = date(2026, 11, 16)
SUNDAY_BEFORE = MONDAY - timedelta(days=1)
NEXT_MONDAY = date(2026, 11, 23)
DAY_RANGE = "请选择 2000-01-01 至 2099-12-31 之间的日期。"
SAME_TIMES = "结束时间不能与开始时间相同。"
TOO_LONG = "一个班次最长 16 小时。"
LABEL_TOO_LONG = "班次名称超过 32 个字符。"


def local(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """The UTC moment of a local (center) time."""
    return datetime.combine(day, time(hour, minute, second), center_tz()).astimezone(UTC)


def shift_count() -> int:
    return db.session.scalar(select(func.count(Shift.id)))


def audits(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


def refusal(call, *args, **kwargs) -> tuple[str, str]:
    """(field, message) of the Refusal the call raises."""
    with pytest.raises(Refusal) as refused:
        call(*args, **kwargs)
    return refused.value.field, refused.value.message


def rows(shifts) -> list[tuple]:
    return [(s.user_id, s.day, s.starts_at, s.ends_at, s.label) for s in shifts]


@pytest.fixture
def center(app, make_user, make_team, clock):
    """One team with a lead and two agents, another team with one agent, and a supervisor."""
    lead = make_user(role=Role.LEAD, name="刘组长", employee_no="L0001")
    team = make_team("一组", lead=lead)
    other = make_team("二组")
    return {"lead": lead, "team": team, "other": other,
            "agent": make_user(team=team, name="张伟", employee_no="A0002"),
            "agent2": make_user(team=team, name="李娜", employee_no="A0001"),
            "stranger": make_user(team=other, name="赵磊"),
            "boss": make_user(role=Role.SUPERVISOR), "clock": clock}


def on_leave(shift: Shift) -> LeaveRequest:
    leave = LeaveRequest(user_id=shift.user_id, kind="annual", starts_at=shift.starts_at,
                         ends_at=shift.ends_at, hours=shift.hours, status=LeaveStatus.APPROVED)
    db.session.add(leave)
    db.session.flush()
    shift.leave_id = leave.id
    db.session.commit()
    return leave


# --- times ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "end", "next_day"), [
    (time(9), time(18), False),
    (time(9), time(9, 1), False),       # one minute after the start: the same day
    (time(9), time(9), True),           # at the start: the next day
    (time(9), time(8, 59), True),       # one minute before the start: the next day
    (time(22), time(6), True),
    (time(16), time(0), True),          # ends at midnight: 00:00 of the next day
])
def test_an_end_at_or_before_the_start_is_on_the_next_day(app, start, end, next_day):
    """Rule: "A night shift belongs to the day it starts" and ends the next morning; times are
    given in the center's time and stored in UTC."""
    starts, ends = schedule.span(TODAY, start, end)
    end_day = TODAY + timedelta(days=1) if next_day else TODAY
    assert starts == local(TODAY, start.hour, start.minute)
    assert ends == datetime.combine(end_day, end, center_tz())
    assert starts.utcoffset() == ends.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(("day", "ok"), [
    (date(1999, 12, 31), False), (date(2000, 1, 1), True), (date(2000, 1, 2), True),
    (date(2099, 12, 30), True), (date(2099, 12, 31), True), (date(2100, 1, 1), False),
])
def test_a_day_lies_between_2000_and_2099(app, day, ok):
    """SECURITY.md: "Every field validated on the server (type, range, ...)": a shift's day
    lies in 2000-01-01 .. 2099-12-31, both ends included."""
    if ok:
        schedule.check_day(day)
    else:
        assert refusal(schedule.check_day, day) == ("day", DAY_RANGE)
        assert refusal(schedule.check_day, day, "last_day") == ("last_day", DAY_RANGE)


@pytest.mark.parametrize(("start", "end", "error"), [
    (time(9), time(9), SAME_TIMES),
    (time(0), time(0), SAME_TIMES),
    (time(6), time(22), None),              # exactly 16 hours
    (time(6), time(22, 1), TOO_LONG),       # one minute more
    (time(6, 1), time(22), None),           # one minute less
    (time(18), time(10), None),             # 16 hours across midnight
    (time(18), time(10, 1), TOO_LONG),
    (time(17, 59), time(10), TOO_LONG),
    (time(9), time(9, 1), None),            # the shortest shift
    (time(23, 59), time(0), None),
    (time(9, 1), time(9), TOO_LONG),        # a minute short of a whole day
    (time(6), time(22, 0, 1), TOO_LONG),    # one second over
])
def test_a_shift_lasts_at_most_16_hours_and_its_end_differs_from_its_start(app, start, end,
                                                                           error):
    """Rule (the center's regulation on shifts, as the form says): "A shift lasts at most 16
    hours" and "The end must differ from the start"; at 16 hours it is within."""
    if error is None:
        schedule.check_times(start, end)
    else:
        assert refusal(schedule.check_times, start, end) == ("end", error)


@pytest.mark.parametrize(("length", "ok"), [(0, True), (31, True), (32, True), (33, False)])
def test_a_shift_name_is_at_most_32_characters(app, length, ok):
    """SECURITY.md: "Every field validated on the server (type, range, length ...)": the shift
    name has at most 32 characters."""
    label = "班" * length
    if ok:
        schedule.check_times(time(9), time(18), label)
    else:
        assert refusal(schedule.check_times, time(9), time(18), label) == (
            "label", LABEL_TOO_LONG)


# --- one shift ------------------------------------------------------------------------------

@pytest.mark.parametrize("actor", ["lead", None])
def test_adding_a_shift_stores_every_column_and_an_audit_row(center, actor):
    """SECURITY.md: "Every change of state writes its audit row ...: who, role, what, which
    object, before/after, when (UTC)"; a night shift belongs to the day it starts."""
    who = center[actor] if actor else None
    shift = schedule.add_shift(center["agent"], TODAY, time(22), time(6), "夜班", who)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.scalar(select(Shift))
    assert stored.id == shift.id
    assert (stored.user_id, stored.day, stored.starts_at, stored.ends_at, stored.label,
            stored.leave_id, stored.created_by_id, stored.hours) == (
        center["agent"].id, TODAY, local(TODAY, 22), local(TODAY + timedelta(days=1), 6),
        "夜班", None, who.id if who else None, 8)
    [row] = audits("shift.create")
    assert (row.actor_id, row.actor_role) == ((who.id, "lead") if who else (None, ""))
    assert (row.object_type, row.object_id, row.at) == ("shift", str(shift.id),
                                                        center["clock"].now)
    assert row.before_dict() == {}
    assert row.after_dict() == {
        "user_id": center["agent"].id, "day": "2026-11-20",
        "starts_at": "2026-11-20T22:00:00+08:00", "ends_at": "2026-11-21T06:00:00+08:00",
        "label": "夜班"}


def test_someone_who_left_gets_no_shift_but_retraining_does(center, make_user):
    """Rule: people who have left are no longer scheduled (retraining off post is still
    employment)."""
    gone = make_user(team=center["team"], name="离职者", status=Status.LEFT)
    assert refusal(schedule.add_shift, gone, TODAY, time(9), time(18), "", None) == (
        "user_id", "离职者已离职。")
    assert shift_count() == 0 and audits("shift.create") == []
    back = make_user(team=center["team"], name="待岗者", status=Status.RETRAINING)
    assert schedule.add_shift(back, TODAY, time(9), time(18), "", None).user_id == back.id


@pytest.mark.parametrize(("day", "start", "end", "label", "field", "message"), [
    (date(1999, 12, 31), time(9), time(18), "", "day", DAY_RANGE),
    (date(2100, 1, 1), time(9), time(18), "", "day", DAY_RANGE),
    (TODAY, time(9), time(9), "", "end", SAME_TIMES),
    (TODAY, time(6), time(22, 1), "", "end", TOO_LONG),
    (TODAY, time(9), time(18), "班" * 33, "label", LABEL_TOO_LONG),
])
def test_a_bad_shift_is_refused_beside_its_field_and_nothing_is_stored(center, day, start, end,
                                                                      label, field, message):
    """SECURITY.md: "Bad input gets a clear message next to the field ...; nothing is
    half-saved."""
    assert refusal(schedule.add_shift, center["agent"], day, start, end, label, None) == (
        field, message)
    assert shift_count() == 0 and audits("shift.create") == []


@pytest.mark.parametrize(("start", "end"), [
    (time(17, 59), time(22)),     # one minute into the shift
    (time(5), time(9, 1)),        # ends one minute into the shift
    (time(10), time(12)),         # inside it
    (time(8), time(19)),          # around it
    (time(9), time(18)),          # the same times
])
def test_an_overlapping_shift_is_refused(center, start, end):
    """Rule: one person works one shift at a time; an overlap by even a minute is refused and
    nothing is stored."""
    agent = center["agent"]
    schedule.add_shift(agent, TODAY, time(9), time(18), "", None)
    db.session.commit()
    assert refusal(schedule.add_shift, agent, TODAY, start, end, "", None) == (
        "start", "张伟在该时段已有班次。")
    db.session.rollback()
    assert shift_count() == 1


def test_overlap_is_half_open_and_per_person(center):
    """Rule: a shift covers [start, end): one ending at 09:00 and one starting at 18:00 do not
    overlap a 09:00-18:00 shift; another person's shift never does."""
    agent = center["agent"]
    day = schedule.add_shift(agent, TODAY, time(9), time(18), "", None)
    db.session.commit()
    assert schedule.overlapping(agent.id, local(TODAY, 18), local(TODAY, 22)) == []
    assert schedule.overlapping(agent.id, local(TODAY, 5), local(TODAY, 9)) == []
    assert schedule.overlapping(agent.id, local(TODAY, 17, 59), local(TODAY, 22)) == [day]
    assert schedule.overlapping(agent.id, local(TODAY, 5), local(TODAY, 9, 1)) == [day]
    assert schedule.overlapping(center["agent2"].id, local(TODAY, 9), local(TODAY, 18)) == []
    assert schedule.overlapping(agent.id, local(TODAY, 9), local(TODAY, 18),
                                exclude=day.id) == []
    assert schedule.overlapping(agent.id, local(TODAY, 9), local(TODAY, 18),
                                exclude=day.id + 1) == [day]
    other = schedule.add_shift(center["agent2"], TODAY, time(9), time(18), "", None)
    assert other.user_id == center["agent2"].id


def test_a_night_shift_overlaps_the_next_mornings_shift(center):
    """Rule: a night shift belongs to the day it starts but runs into the next morning."""
    agent = center["agent"]
    schedule.add_shift(agent, TODAY, time(22), time(6), "夜班", None)
    tomorrow = TODAY + timedelta(days=1)
    assert refusal(schedule.add_shift, agent, tomorrow, time(5, 59), time(12), "", None)[0] == (
        "start")
    assert schedule.overlapping(agent.id, local(tomorrow, 6), local(tomorrow, 14)) == []


@pytest.mark.xfail(strict=True, reason="DESIGN.md: 'A minimum rest between two shifts of one "
                                       "person.'")
def test_a_shift_straight_after_another_leaves_no_rest(center):
    """Rule: "A minimum rest between two shifts of one person": a shift that starts the moment
    the person's previous shift ends leaves no rest at all, so it is refused."""
    agent = center["agent"]
    schedule.add_shift(agent, TODAY, time(22), time(6), "夜班", None)
    db.session.commit()
    with pytest.raises(Refusal):
        schedule.add_shift(agent, TODAY + timedelta(days=1), time(6), time(14), "早班", None)
    db.session.rollback()
    assert shift_count() == 1


# --- a weekly pattern -----------------------------------------------------------------------

def plan(center, first, last, weekdays, start=time(9), end=time(18), members=None):
    people = members if members is not None else [center["agent"], center["agent2"]]
    return schedule.plan_pattern(people, first, last, set(weekdays), start, end)


def test_a_pattern_of_one_day_and_the_days_in_order(center):
    """Rule: a pattern covers the days from the first to the last, both included, on the
    chosen weekdays; a one-day range (first = last) is the smallest."""
    agent, agent2 = center["agent"], center["agent2"]
    one = plan(center, NEXT_MONDAY, NEXT_MONDAY, {0})
    assert (one.shifts, one.conflicts) == ([(agent, NEXT_MONDAY), (agent2, NEXT_MONDAY)], [])
    week = plan(center, NEXT_MONDAY, NEXT_MONDAY + timedelta(days=6), {6, 2})
    wednesday, sunday = NEXT_MONDAY + timedelta(days=2), NEXT_MONDAY + timedelta(days=6)
    assert week.shifts == [(agent, wednesday), (agent2, wednesday), (agent, sunday),
                           (agent2, sunday)]


def test_nothing_to_plan_is_the_empty_case(center):
    """Rule: a pattern makes a shift for each chosen weekday in the range and each person;
    none of either makes none."""
    for result in (plan(center, NEXT_MONDAY, NEXT_MONDAY + timedelta(days=1), {5}),
                   plan(center, NEXT_MONDAY, NEXT_MONDAY, set()),
                   plan(center, NEXT_MONDAY, NEXT_MONDAY, {0}, members=[])):
        assert (result.shifts, result.conflicts) == ([], [])


@pytest.mark.parametrize(("days", "ok"), [(0, True), (1, True), (91, True), (92, False)])
def test_a_pattern_covers_at_most_92_days(center, days, ok):
    """Rule: "A pattern covers at most 92 days" (a quarter): the 92nd day is within, the 93rd
    is not."""
    last = NEXT_MONDAY + timedelta(days=days)
    if ok:
        result = plan(center, NEXT_MONDAY, last, {0, 1, 2, 3, 4, 5, 6}, members=[center["agent"]])
        assert len(result.shifts) == days + 1
        assert result.shifts[-1] == (center["agent"], last)
    else:
        assert refusal(plan, center, NEXT_MONDAY, last, {0}) == (
            "last_day", "一次排班最多覆盖 92 天。")


def test_the_last_day_may_not_come_before_the_first(center):
    """SECURITY.md: "Every field validated on the server (... date order)": one day before the
    first is refused, the first itself is fine."""
    assert refusal(plan, center, NEXT_MONDAY, NEXT_MONDAY - timedelta(days=1), {0}) == (
        "last_day", "结束日期早于开始日期。")
    assert plan(center, NEXT_MONDAY, NEXT_MONDAY, {0}).shifts


@pytest.mark.parametrize(("first", "last", "field"), [
    (date(1999, 12, 31), date(2000, 1, 1), "first_day"),
    (date(2099, 12, 31), date(2100, 1, 1), "last_day"),
])
def test_a_pattern_day_outside_the_years_is_refused_beside_it(center, first, last, field):
    """SECURITY.md: "Every field validated on the server (type, range ...)"."""
    assert refusal(plan, center, first, last, {0, 1, 2, 3, 4, 5, 6}) == (field, DAY_RANGE)


def test_a_pattern_checks_its_times(center):
    """Rule: a pattern's shifts obey the rules of a single shift."""
    assert refusal(plan, center, NEXT_MONDAY, NEXT_MONDAY, {0}, time(6), time(22, 1)) == (
        "end", TOO_LONG)
    assert refusal(plan, center, NEXT_MONDAY, NEXT_MONDAY, {0}, time(9), time(9)) == (
        "end", SAME_TIMES)


def test_pattern_conflicts_at_both_ends_of_the_range(center):
    """Rule: one shift at a time per person: an existing shift overlapping the first or the
    last day of a pattern (by a minute) is a conflict, one that only touches it is not."""
    agent, agent2 = center["agent"], center["agent2"]
    first, last = NEXT_MONDAY, NEXT_MONDAY + timedelta(days=4)
    schedule.add_shift(agent, first, time(18), time(20), "", None)        # starts at its end
    schedule.add_shift(agent2, first, time(6), time(9, 1), "", None)      # a minute in
    schedule.add_shift(agent, last, time(6), time(9), "", None)           # ends at its start
    schedule.add_shift(agent2, last, time(17, 59), time(20), "", None)    # a minute in
    db.session.commit()
    result = plan(center, first, last, {0, 4})
    assert result.conflicts == [(agent2, first), (agent2, last)]
    assert result.shifts == [(agent, first), (agent, last)]


def test_a_night_pattern_clashes_with_the_morning_after_its_last_night(center):
    """Rule: a night shift belongs to the day it starts and runs into the next morning, so the
    morning after the last night can clash."""
    agent, agent2 = center["agent"], center["agent2"]
    last = NEXT_MONDAY + timedelta(days=2)
    after = last + timedelta(days=1)
    schedule.add_shift(agent, after, time(5, 59), time(9), "", None)
    schedule.add_shift(agent2, after, time(6), time(9), "", None)
    schedule.add_shift(agent2, NEXT_MONDAY, time(21), time(22), "", None)  # ends at the start
    db.session.commit()
    result = plan(center, NEXT_MONDAY, last, {0, 1, 2}, time(22), time(6))
    assert result.conflicts == [(agent, last)]
    assert len(result.shifts) == 5


def test_apply_pattern_stores_every_shift_and_one_audit_row(center):
    """SECURITY.md: "Every change of state writes its audit row ...: who, role, what, which
    object, before/after, when"; the pattern's shifts are those it planned."""
    agent, agent2, boss = center["agent"], center["agent2"], center["boss"]
    first, last = NEXT_MONDAY, NEXT_MONDAY + timedelta(days=6)
    created = schedule.apply_pattern(center["team"], [agent, agent2], first, last, {4, 0},
                                     time(22), time(6), "夜班", boss)
    db.session.commit()
    assert created == 4
    friday = first + timedelta(days=4)
    stored = db.session.scalars(select(Shift).order_by(Shift.starts_at, Shift.user_id)).all()
    assert [(s.user_id, s.day, s.starts_at, s.ends_at, s.label, s.created_by_id, s.leave_id)
            for s in stored] == [
        (person.id, day, local(day, 22), local(day + timedelta(days=1), 6), "夜班", boss.id,
         None)
        for day in (first, friday) for person in sorted((agent, agent2), key=lambda p: p.id)]
    [row] = audits("shift.pattern")
    assert (row.actor_id, row.actor_role, row.object_type, row.object_id, row.at) == (
        boss.id, "supervisor", "team", str(center["team"].id), center["clock"].now)
    assert row.before_dict() == {}
    assert row.after_dict() == {
        "first": "2026-11-23", "last": "2026-11-29", "weekdays": [0, 4], "start": "22:00:00",
        "end": "06:00:00", "label": "夜班", "shifts": 4}


def test_apply_pattern_without_an_actor_records_no_creator(center):
    """Rule: the audit names who made the change; a change by the system names nobody."""
    assert schedule.apply_pattern(center["team"], [center["agent"]], NEXT_MONDAY, NEXT_MONDAY,
                                  {0}, time(9), time(18), "", None) == 1
    assert db.session.scalar(select(Shift.created_by_id)) is None
    assert audits("shift.pattern")[0].actor_id is None


@pytest.mark.parametrize(("members", "weekdays", "label", "field", "message"), [
    ([], {0}, "", "team_id", "该班组没有可排班的人员。"),
    ([], {5}, "", "team_id", "该班组没有可排班的人员。"),
    (None, {5}, "", "weekdays", "所选的星期几都不在第一天和最后一天之间。"),
    (None, set(), "", "weekdays", "所选的星期几都不在第一天和最后一天之间。"),
    (None, {0}, "班" * 33, "label", LABEL_TOO_LONG),
])
def test_apply_pattern_refusals_store_nothing(center, members, weekdays, label, field,
                                              message):
    """SECURITY.md: "Bad input gets a clear message next to the field ...; nothing is
    half-saved."""
    people = [center["agent"]] if members is None else members
    assert refusal(schedule.apply_pattern, center["team"], people, NEXT_MONDAY,
                   NEXT_MONDAY + timedelta(days=1), weekdays, time(9), time(18), label,
                   center["boss"]) == (field, message)
    db.session.rollback()
    assert shift_count() == 0 and audits("shift.pattern") == []


def test_apply_pattern_names_the_count_and_the_first_conflict(center):
    """Rule: a pattern is all or nothing: a clash stops it, and the refusal counts the clashes
    and names the first (by day, then person)."""
    agent, agent2 = center["agent"], center["agent2"]
    wednesday, friday = NEXT_MONDAY + timedelta(days=2), NEXT_MONDAY + timedelta(days=4)
    schedule.add_shift(agent, friday, time(10), time(12), "", None)
    schedule.add_shift(agent2, wednesday, time(10), time(12), "", None)
    db.session.commit()
    assert refusal(schedule.apply_pattern, center["team"], [agent, agent2], NEXT_MONDAY, friday,
                   {0, 2, 4}, time(9), time(18), "", None) == (
        "first_day", "有 2 个班次与已有班次冲突，例如李娜在 2026-11-25。")
    db.session.rollback()
    assert shift_count() == 2 and audits("shift.pattern") == []


# --- delete ---------------------------------------------------------------------------------

def swap_on(center, shift: Shift, status: str, side: str) -> ShiftSwap:
    """A swap of `status` in which `shift` is the requester's or the counterpart's."""
    theirs = schedule.add_shift(center["agent2"], shift.day + timedelta(days=1), time(9),
                                time(18), "", None)
    pair = (shift, theirs) if side == "requester" else (theirs, shift)
    swap = ShiftSwap(requester_id=pair[0].user_id, counterpart_id=pair[1].user_id,
                     requester_shift_id=pair[0].id, counterpart_shift_id=pair[1].id,
                     month=shift.day.replace(day=1), status=status)
    db.session.add(swap)
    db.session.commit()
    return swap


def test_deleting_a_shift_removes_it_with_an_audit_row(center):
    """SECURITY.md: "Every change of state writes its audit row ...: before/after"."""
    shift = schedule.add_shift(center["agent"], TODAY, time(9), time(18), "早班", None)
    db.session.commit()
    shift_id = shift.id
    schedule.delete_shift(shift, center["lead"])
    db.session.commit()
    assert shift_count() == 0
    [row] = audits("shift.delete")
    assert (row.actor_id, row.actor_role, row.object_type, row.object_id, row.at) == (
        center["lead"].id, "lead", "shift", str(shift_id), center["clock"].now)
    assert row.before_dict() == {"user_id": center["agent"].id, "day": "2026-11-20",
                                 "starts_at": "2026-11-20T01:00:00+00:00",
                                 "ends_at": "2026-11-20T10:00:00+00:00"}
    assert row.after_dict() == {}


def test_a_shift_on_approved_leave_is_not_deleted(center):
    """Rule: "Leave is counted in the shift hours it actually removes": the shift an approved
    leave removes stays, or the leave would lose its hours."""
    shift = schedule.add_shift(center["agent"], TODAY, time(9), time(18), "", None)
    db.session.commit()
    on_leave(shift)
    assert refusal(schedule.delete_shift, shift, center["lead"]) == (
        "shift", "该班次已有批准的请假。")
    db.session.rollback()
    assert shift_count() == 1 and audits("shift.delete") == []


@pytest.mark.parametrize("side", ["requester", "counterpart"])
@pytest.mark.parametrize("status", [SwapStatus.PENDING_COUNTERPART, SwapStatus.PENDING_LEADS,
                                    SwapStatus.PENDING_SUPERVISOR])
def test_a_shift_in_an_open_swap_is_not_deleted(center, status, side):
    """Rule: "On approval the two shifts are exchanged in one transaction": while a swap is
    open, both its shifts stay."""
    shift = schedule.add_shift(center["agent"], TODAY, time(9), time(18), "", None)
    swap_on(center, shift, status, side)
    assert refusal(schedule.delete_shift, shift, center["lead"]) == (
        "shift", "该班次还有未结束的换班申请。")
    db.session.rollback()
    assert shift_count() == 2 and audits("shift.delete") == []


@pytest.mark.parametrize("status", [SwapStatus.APPROVED, SwapStatus.REJECTED,
                                    SwapStatus.DECLINED, SwapStatus.WITHDRAWN])
def test_a_shift_whose_swaps_are_over_may_be_deleted(center, status):
    """Rule: only an open swap holds the shift; a decided or withdrawn one does not."""
    shift = schedule.add_shift(center["agent"], TODAY, time(9), time(18), "", None)
    swap_on(center, shift, status, "requester")
    schedule.delete_shift(shift, center["lead"])
    db.session.commit()
    assert shift_count() == 1


def test_another_shifts_open_swap_does_not_hold_this_one(center):
    """Rule: an open swap holds its own two shifts, no other."""
    shift = schedule.add_shift(center["agent"], TODAY, time(9), time(18), "", None)
    other = schedule.add_shift(center["agent"], TODAY + timedelta(days=3), time(9), time(18), "",
                               None)
    swap_on(center, other, SwapStatus.PENDING_LEADS, "requester")
    schedule.delete_shift(shift, center["lead"])
    db.session.commit()
    assert shift_count() == 2


# --- reading shifts -------------------------------------------------------------------------

@pytest.mark.parametrize(("day", "monday"), [
    (MONDAY, MONDAY), (MONDAY + timedelta(days=1), MONDAY), (MONDAY + timedelta(days=6), MONDAY),
    (NEXT_MONDAY, NEXT_MONDAY), (SUNDAY_BEFORE, MONDAY - timedelta(days=7))])
def test_a_week_starts_on_monday(day, monday):
    """Rule: the week view runs Monday to Sunday (the Chinese week)."""
    assert schedule.week_start(day) == monday


def test_shift_rows_from_since_to_until_soonest_first(center):
    """Rule: an agent "sees own shifts": from a day (included) up to and including another,
    soonest first, at most `limit` of them."""
    agent = center["agent"]
    for offset in (4, 3, 2, 1, 0):  # stored latest first
        schedule.add_shift(agent, TODAY + timedelta(days=offset), time(13), time(21, 30), "",
                           None)
    schedule.add_shift(center["agent2"], TODAY + timedelta(days=1), time(9), time(18), "", None)
    db.session.commit()
    days = [TODAY + timedelta(days=n) for n in range(5)]
    found = schedule.shift_rows(agent, days[1], limit=60, until=days[3])
    assert [(r.user_id, r.day, r.starts_at, r.label, r.leave_id) for r in found] == [
        (agent.id, d, local(d, 13), "", None) for d in days[1:4]]
    assert found[0].hours == 8.5
    assert [r.day for r in schedule.shift_rows(agent, days[1], limit=60)] == days[1:]
    assert [r.day for r in schedule.shift_rows(agent, days[0], limit=2)] == days[:2]
    assert [r.day for r in schedule.shift_rows(agent, days[4], limit=60, until=days[4])] == [
        days[4]]
    assert schedule.shift_rows(agent, days[4] + timedelta(days=1), limit=60) == []


def test_my_shifts_are_mine_from_since_soonest_first_sixty_at_most(center):
    """Rule: an agent "sees own shifts", soonest first; one page holds at most 60."""
    agent = center["agent"]
    first = TODAY - timedelta(days=1)
    for offset in range(61, -1, -1):  # 62 shifts, stored latest first
        day = first + timedelta(days=offset)
        starts, ends = schedule.span(day, time(9), time(18))
        db.session.add(Shift(user_id=agent.id, day=day, starts_at=starts, ends_at=ends))
    schedule.add_shift(center["agent2"], TODAY, time(9), time(18), "", None)
    db.session.commit()
    mine = schedule.my_shifts(agent, TODAY)
    assert len(mine) == 60
    assert [s.day for s in mine] == [TODAY + timedelta(days=n) for n in range(60)]
    assert {s.user_id for s in mine} == {agent.id}
    assert [s.day for s in schedule.my_shifts(agent, TODAY, limit=2)] == [
        TODAY, TODAY + timedelta(days=1)]
    assert schedule.my_shifts(center["stranger"], TODAY) == []


# --- the week view --------------------------------------------------------------------------

def test_the_week_lists_the_teams_scheduled_people_lead_first(center, make_user):
    """Rule: a lead "runs one team": the week shows the team's current agents and its lead (the
    lead first, then by employee number), not QA, supervisors, leavers or other teams."""
    team = center["team"]
    make_user(role=Role.QA, team=team)
    make_user(role=Role.SUPERVISOR, team=team)
    make_user(team=team, status=Status.LEFT, employee_no="A0000")
    retraining = make_user(team=team, status=Status.RETRAINING, employee_no="A0003")
    view = schedule.week_view(team, MONDAY)
    assert view.members == [center["lead"], center["agent2"], center["agent"], retraining]
    assert view.days == [MONDAY + timedelta(days=n) for n in range(7)]
    assert (view.team, view.monday) == (team, MONDAY)
    assert dict(view.cells) == {}
    assert view.head_count == {d: [0] * 24 for d in view.days}  # the empty case


def test_the_week_holds_its_own_days_shifts_in_order(center, make_user):
    """Rule: "A night shift belongs to the day it starts": the cells hold the shifts of Monday
    to Sunday, soonest first; the Sunday before and the Monday after belong to other weeks, and
    the shifts of QA or leavers are not the team's schedule."""
    agent, agent2 = center["agent"], center["agent2"]
    sunday = MONDAY + timedelta(days=6)
    late = schedule.add_shift(agent, MONDAY, time(14), time(18), "", None)
    early = schedule.add_shift(agent, MONDAY, time(8), time(12), "", None)
    last = schedule.add_shift(agent2, sunday, time(22), time(6), "", None)
    schedule.add_shift(agent2, SUNDAY_BEFORE, time(22), time(6), "", None)
    schedule.add_shift(agent, NEXT_MONDAY, time(8), time(12), "", None)
    schedule.add_shift(center["stranger"], MONDAY, time(8), time(12), "", None)
    qa = make_user(role=Role.QA, team=center["team"])
    schedule.add_shift(qa, MONDAY, time(8), time(12), "", None)
    gone = make_user(team=center["team"])
    schedule.add_shift(gone, MONDAY, time(8), time(12), "", None)
    gone.status = Status.LEFT
    db.session.commit()
    view = schedule.week_view(center["team"], MONDAY)
    assert {key: [s.id for s in shifts] for key, shifts in view.cells.items()} == {
        (agent.id, MONDAY): [early.id, late.id], (agent2.id, sunday): [last.id]}
    [row] = view.cells[(agent2.id, sunday)]
    assert row == (last.id, agent2.id, sunday, local(sunday, 22), local(NEXT_MONDAY, 6), "",
                   None)
    assert row.hours == 8
    head = view.head_count
    # The Sunday-before night is on the floor in Monday's first hours; qa and leavers are not.
    assert head[MONDAY] == [1] * 6 + [0, 0] + [1] * 4 + [0, 0] + [1] * 4 + [0] * 6
    assert head[sunday] == [0] * 22 + [1, 1]


@pytest.mark.parametrize(("start", "end", "hours"), [
    (time(9), time(11), [9, 10]),
    (time(9, 30), time(11), [9, 10]),
    (time(9), time(11, 1), [9, 10, 11]),
    (time(9), time(10, 0, 1), [9, 10]),       # one second into an hour touches it
    (time(9), time(10, 0, 0, 1), [9, 10]),    # and so does one microsecond
    (time(9, 30), time(11, 1), [9, 10, 11]),
    (time(9, 0, 30), time(10, 0, 10), [9, 10]),
    (time(9, 0, 0, 500), time(10, 0, 0, 100), [9, 10]),
    (time(9, 59, 59), time(10), [9]),
    (time(23), time(1), [23, 24]),            # 24: the next day's hour 0
])
def test_each_hour_a_shift_touches_counts_once(center, start, end, hours):
    """Rule: "a minimum head count per team and hour": a person counts in every hour of the
    center's clock their shift touches, even by a second."""
    tuesday = MONDAY + timedelta(days=1)
    schedule.add_shift(center["agent"], tuesday, start, end, "", None)
    db.session.commit()
    head = schedule.week_view(center["team"], MONDAY).head_count
    floor = head[tuesday] + head[tuesday + timedelta(days=1)]
    assert [hour for hour, people in enumerate(floor) if people] == hours
    assert set(floor) == {0, 1}
    assert all(head[d] == [0] * 24 for d in head
               if d not in (tuesday, tuesday + timedelta(days=1)))


def test_head_count_adds_people_and_skips_leave(center):
    """Rule: "a minimum head count per team and hour": people on leave are not on the floor;
    their shift stays in the week, shown as a gap."""
    agent, agent2, lead = center["agent"], center["agent2"], center["lead"]
    schedule.add_shift(agent, TODAY, time(9), time(12), "", None)
    schedule.add_shift(lead, TODAY, time(10), time(11), "", None)
    taken = schedule.add_shift(agent2, TODAY, time(9), time(12), "", None)
    db.session.commit()
    leave = on_leave(taken)
    view = schedule.week_view(center["team"], MONDAY)
    assert view.head_count[TODAY][8:13] == [0, 1, 2, 1, 0]
    assert [s.leave_id for s in view.cells[(agent2.id, TODAY)]] == [leave.id]


def test_a_night_shift_on_the_last_sunday_counts_only_its_own_weeks_hours(center):
    """Rule: a night shift belongs to the day it starts; the hours after midnight belong to
    Monday, outside this week's head count."""
    sunday = MONDAY + timedelta(days=6)
    schedule.add_shift(center["agent"], sunday, time(20), time(4), "", None)
    db.session.commit()
    head = schedule.week_view(center["team"], MONDAY).head_count
    assert head[sunday] == [0] * 20 + [1] * 4
    assert sorted(head) == [MONDAY + timedelta(days=n) for n in range(7)]
