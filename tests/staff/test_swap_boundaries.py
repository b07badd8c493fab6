"""Shift swap rules at their boundaries (issue 10): every number and comparison of
app/staff/swaps.py just inside, at and just outside its limit, plus the empty case, on the
services without HTTP.

The rules, as DESIGN.md "Staff and time" writes them:
- 'Shift swap (换班): only between people of the same level (agent with agent, lead with lead;
  grades do not matter); asked at least one day before; the other person agrees, both leads
  sign, the supervisor approves; at most 3 swaps per person per calendar month (a swap counts
  in every month whose shift it moves). On approval the two shifts are exchanged in one
  transaction.'
- '"N days ahead" means one thing everywhere (leave, swaps, sampling rules): asked no later
  than the end of the calendar day N days before the first affected day, in the center's time.'
Messages are checked whole, in Chinese (the default language outside a request)."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app.audit import AuditEvent
from app.extensions import db
from app.people.models import Role, Status
from app.settings import save as save_settings
from app.staff import schedule, swaps
from app.staff.models import LeaveRequest, Shift, ShiftSwap, SwapStatus, SwapStep
from app.timeutil import center_tz
from app.workflow import NotYourTurnError, Refusal, StaleError
from tests.conftest import login

TZ_DAY = date(2026, 11, 20)  # a Friday; the clock fixture stands at 10:00 on it in Shanghai
NOVEMBER = date(2026, 11, 1)
DAYS_AHEAD = ('"N days ahead" means one thing everywhere (leave, swaps, sampling rules): asked '
              "no later than the end of the calendar day N days before the first affected day, "
              "in the center's time. Leave for Thursday can be asked until Wednesday 23:59.")
GRADES = ("Shift swap (换班): only between people of the same level (agent with agent, lead with "
          "lead; grades do not matter)")
EVERY_MONTH = ("at most 3 swaps per person per calendar month (a swap counts in every month "
               "whose shift it moves)")

MSG_NOT_MINE = "请选择您自己的班次。"
MSG_NOT_THEIRS = "请选择其他人的班次。"
MSG_SAME_START = "两个班次开始时间相同，无需换班。"
MSG_LEVEL = "换班只能在同级人员之间进行"  # the rest of the sentence names grades: see GRADES
MSG_ON_LEAVE = "已批准请假的班次不能换班。"
MSG_MINE_BUSY = "您的这个班次已在进行中的换班申请里。"
MSG_DOWN = "请填写不同意换班的原因。"
MSG_STARTED = "其中一个班次已经开始，这次换班只能驳回。"
OPEN = [SwapStatus.PENDING_COUNTERPART, SwapStatus.PENDING_LEADS, SwapStatus.PENDING_SUPERVISOR]
CLOSED = [SwapStatus.APPROVED, SwapStatus.REJECTED, SwapStatus.DECLINED, SwapStatus.WITHDRAWN]


def at(offset: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A moment in the center's time, `offset` days after TZ_DAY, as UTC."""
    day = TZ_DAY + timedelta(days=offset)
    return datetime.combine(day, time(hour, minute, second), center_tz()).astimezone(UTC)


def notice(days: int) -> str:
    return f"换班需提前 {days} 天申请。"


def full(person, n: int, month: str = "2026-11") -> str:
    return f"{person.name}在 {month} 已有 {n} 次换班，已达上限。"


def clash(person) -> str:
    return f"换班后{person.name}会在同一时间有两个班次。"


@pytest.fixture
def center(app, make_user, make_team, clock):
    """Teams A and B with their leads, two agents each (all junior), a supervisor. a1 and b2
    work 09:00-17:00 on even days from TZ_DAY (day 0) to day 10, a2 and b1 on odd days;
    lead_a works day 4 and lead_b day 5."""
    lead_a, lead_b = make_user(role="lead"), make_user(role="lead")
    team_a, team_b = make_team(lead=lead_a), make_team(lead=lead_b)
    people = {"a1": make_user(team=team_a), "a2": make_user(team=team_a),
              "b1": make_user(team=team_b), "b2": make_user(team=team_b),
              "lead_a": lead_a, "lead_b": lead_b, "boss": make_user(role="supervisor")}
    shifts = {}
    plan = [("a1", range(0, 11, 2)), ("b2", range(0, 11, 2)), ("a2", range(1, 11, 2)),
            ("b1", range(1, 11, 2)), ("lead_a", (4,)), ("lead_b", (5,))]
    for key, offsets in plan:
        for offset in offsets:
            shifts[(key, offset)] = schedule.add_shift(
                people[key], TZ_DAY + timedelta(days=offset), time(9), time(17), "", None)
    db.session.commit()
    return {**people, "shifts": shifts, "clock": clock, "team_a": team_a, "team_b": team_b}


def shift(center, who: str, offset: int) -> Shift:
    return center["shifts"][(who, offset)]


def ask(center, requester, mine, counterpart, theirs, reason="家里有事") -> ShiftSwap:
    swap = swaps.ask(center[requester], shift(center, requester, mine),
                     shift(center, counterpart, theirs), reason, center["clock"].now)
    db.session.commit()
    return swap


def rows() -> tuple[int, int, int]:
    """How many swaps, swap steps and swap audit rows are stored."""
    return (db.session.scalar(select(func.count(ShiftSwap.id))),
            db.session.scalar(select(func.count(SwapStep.id))),
            db.session.scalar(select(func.count(AuditEvent.id)).where(
                AuditEvent.object_type == "shift_swap")))


def refused(call, *args) -> tuple[str, str]:
    """Call, expect a Refusal, and give its field and message."""
    with pytest.raises(Refusal) as error:
        call(*args)
    return error.value.field, error.value.message


def ask_refused(requester, mine, theirs, now) -> tuple[str, str]:
    """swaps.ask must refuse and store nothing."""
    before = rows()
    outcome = refused(swaps.ask, requester, mine, theirs, "家里有事", now)
    db.session.rollback()
    assert rows() == before
    return outcome


def accepted(requester, mine, theirs, now) -> ShiftSwap:
    swap = swaps.ask(requester, mine, theirs, "", now)
    db.session.commit()
    assert swap.status == SwapStatus.PENDING_COUNTERPART
    return swap


def stored_swap(requester, counterpart, mine, theirs, status, month=NOVEMBER,
                **fields) -> ShiftSwap:
    """A swap row as the workflow leaves it (for counts, queues and turns)."""
    swap = ShiftSwap(requester_id=requester.id, counterpart_id=counterpart.id,
                     requester_shift_id=mine.id, counterpart_shift_id=theirs.id, month=month,
                     status=status, **fields)
    db.session.add(swap)
    db.session.commit()
    return swap


def steps(swap) -> list[tuple]:
    db.session.expire_all()
    return [(s.action, s.actor_id, s.reason, s.at) for s in db.session.scalars(
        select(SwapStep).where(SwapStep.swap_id == swap.id).order_by(SwapStep.id))]


def events() -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "shift_swap").order_by(AuditEvent.id)).all()


def state(status, requester_signed=False, counterpart_signed=False) -> dict:
    """The audit snapshot of a swap (swaps.FIELDS)."""
    return {"status": str(status), "requester_lead_signed": requester_signed,
            "counterpart_lead_signed": counterpart_signed}


def put_on_leave(person, piece: Shift) -> None:
    request = LeaveRequest(user_id=person.id, kind="annual", starts_at=piece.starts_at,
                           ends_at=piece.ends_at, status="approved", hours=8)
    db.session.add(request)
    db.session.flush()
    piece.leave_id = request.id
    db.session.commit()


# --- who may swap with whom ------------------------------------------------------------------


def test_my_shift_must_be_mine(center):
    """The person asking gives one of their own shifts."""
    a1 = center["a1"]
    assert ask_refused(a1, shift(center, "a2", 5), shift(center, "b2", 4),
                       center["clock"].now) == ("my_shift", MSG_NOT_MINE)


def test_their_shift_must_be_another_persons(center):
    """A swap is between two people: my own other shift is refused."""
    a1 = center["a1"]
    assert ask_refused(a1, shift(center, "a1", 4), shift(center, "a1", 6),
                       center["clock"].now) == ("their_shift", MSG_NOT_THEIRS)


def test_two_shifts_starting_together_are_nothing_to_swap(center):
    """Shifts that start at the same moment are refused; one minute apart they can be
    swapped."""
    a1, a2, clock = center["a1"], center["a2"], center["clock"]
    assert ask_refused(a1, shift(center, "a1", 4), shift(center, "b2", 4), clock.now) == (
        "their_shift", MSG_SAME_START)
    later = schedule.add_shift(a2, TZ_DAY + timedelta(days=4), time(9, 1), time(17, 1), "",
                               None)
    db.session.commit()
    accepted(a1, shift(center, "a1", 4), later, clock.now)


@pytest.mark.parametrize(("status", "ok"), [(Status.LEFT, False), (Status.RETRAINING, True)])
def test_nobody_swaps_with_someone_who_has_left(center, status, ok):
    """A person who has left the center takes no swap; one in retraining is still staff."""
    a1, b1, clock = center["a1"], center["b1"], center["clock"]
    b1.status = status
    db.session.commit()
    mine, theirs = shift(center, "a1", 4), shift(center, "b1", 5)
    if ok:
        accepted(a1, mine, theirs, clock.now)
    else:
        assert ask_refused(a1, mine, theirs, clock.now) == ("their_shift",
                                                            f"{b1.name}已离职。")


@pytest.fixture
def others(center, make_user):
    """Two QA reviewers and two supervisors, each with a shift on day 4 or day 5."""
    people = {"qa1": make_user(role="qa"), "qa2": make_user(role="qa"),
              "sup1": make_user(role="supervisor"), "sup2": make_user(role="supervisor")}
    for key, offset in (("qa1", 4), ("qa2", 5), ("sup1", 4), ("sup2", 5)):
        center["shifts"][(key, offset)] = schedule.add_shift(
            people[key], TZ_DAY + timedelta(days=offset), time(9), time(17), "", None)
    db.session.commit()
    center.update(people)
    return people


@pytest.mark.parametrize(("one", "other"), [("a1", "lead_b"), ("lead_a", "b1"),
                                            ("qa1", "qa2"), ("sup1", "sup2"), ("qa1", "b1"),
                                            ("a1", "sup2")])
def test_swaps_are_between_people_of_the_same_level_only(center, others, one, other):
    """Only between people of the same level (agent with agent, lead with lead): an agent and
    a lead are refused, and so are QA reviewers and supervisors, who are neither."""
    field, message = ask_refused(center[one], shift(center, one, 4),
                                 shift(center, other, 5), center["clock"].now)
    assert field == "their_shift" and message.startswith(MSG_LEVEL)
    assert swaps.same_level(center[one], center[other]) is False


def test_agents_of_the_same_grade_swap(center):
    """Agent with agent: two junior agents."""
    assert swaps.same_level(center["a1"], center["b1"]) is True
    accepted(center["a1"], shift(center, "a1", 4), shift(center, "b1", 5), center["clock"].now)


@pytest.mark.parametrize("grades", [(None, None), ("senior", None), ("junior", "senior")])
def test_leads_swap_whatever_their_grades(center, grades):
    """Lead with lead; grades do not matter."""
    lead_a, lead_b = center["lead_a"], center["lead_b"]
    lead_a.grade, lead_b.grade = grades
    db.session.commit()
    assert swaps.same_level(lead_a, lead_b) is True
    accepted(lead_a, shift(center, "lead_a", 4), shift(center, "lead_b", 5), center["clock"].now)


@pytest.mark.xfail(strict=True, reason=GRADES)
def test_agents_of_different_grades_swap(center):
    """Agent with agent, grades do not matter: a junior and a senior agent may swap (the
    service asks for the same grade)."""
    center["b1"].grade = "senior"
    db.session.commit()
    assert swaps.same_level(center["a1"], center["b1"]) is True
    accepted(center["a1"], shift(center, "a1", 4), shift(center, "b1", 5), center["clock"].now)


# --- notice ----------------------------------------------------------------------------------


def test_a_swap_asked_exactly_a_day_before_the_earlier_shift_is_accepted(center):
    """Asked at least one day before: the first affected day is that of the earlier of the
    two shifts (here theirs, tomorrow at 09:00); today at 09:00 is in time."""
    clock = center["clock"]
    clock.set(at(0, 9))
    accepted(center["a1"], shift(center, "a1", 4), shift(center, "b1", 1), clock.now)


@pytest.mark.parametrize(("mine", "theirs"), [(4, 1), (2, 5)])
def test_a_swap_asked_on_the_first_affected_day_is_refused(center, mine, theirs):
    """Asked at least one day before: on the day of the earlier shift (from 00:00 in the
    center's time, 16:00 the evening before in UTC) it is too late, whichever shift it is."""
    clock = center["clock"]
    earlier = min(mine, theirs)
    clock.set(at(earlier))
    assert ask_refused(center["a1"], shift(center, "a1", mine), shift(center, "b1", theirs),
                       clock.now) == ("my_shift", notice(1))
    clock.set(at(earlier, 8, 59, 59))
    assert ask_refused(center["a1"], shift(center, "a1", mine), shift(center, "b1", theirs),
                       clock.now) == ("my_shift", notice(1))
    clock.set(at(earlier - 1, 9))
    accepted(center["a1"], shift(center, "a1", mine), shift(center, "b1", theirs), clock.now)


@pytest.mark.xfail(strict=True, reason=DAYS_AHEAD)
@pytest.mark.parametrize("asked", [(9, 0, 1), (23, 59, 59)])
def test_a_swap_for_tomorrow_can_be_asked_until_midnight(center, asked):
    """Asked no later than the end of the calendar day before: a swap touching tomorrow's
    09:00 shift may be asked until 23:59 today (the service counts a rolling 24 hours)."""
    clock = center["clock"]
    clock.set(at(0, *asked))
    accepted(center["a1"], shift(center, "a1", 4), shift(center, "b1", 1), clock.now)


def test_the_notice_in_days_comes_from_the_settings(center):
    """A shift swap must be asked this many days ahead (a setting): with 2, a swap touching
    day 5 may be asked on day 3 at 09:00, not on day 4; the message gives the number."""
    clock = center["clock"]
    save_settings({"swap_notice_days": 2}, center["boss"])
    db.session.commit()
    clock.set(at(4))
    assert ask_refused(center["a1"], shift(center, "a1", 6), shift(center, "b1", 5),
                       clock.now) == ("my_shift", notice(2))
    clock.set(at(3, 9))
    accepted(center["a1"], shift(center, "a1", 6), shift(center, "b1", 5), clock.now)


# --- shifts that cannot be given -------------------------------------------------------------


@pytest.mark.parametrize("on_leave", ["mine", "theirs"])
def test_a_shift_on_approved_leave_cannot_be_swapped(center, on_leave):
    """A shift covered by approved leave is not there to give, on either side."""
    a1, b1, clock = center["a1"], center["b1"], center["clock"]
    mine, theirs = shift(center, "a1", 4), shift(center, "b1", 5)
    put_on_leave(*((a1, mine) if on_leave == "mine" else (b1, theirs)))
    field, message = ask_refused(a1, mine, theirs, clock.now)
    assert message == MSG_ON_LEAVE
    if on_leave == "mine":
        assert field == "my_shift"


@pytest.mark.parametrize("side", ["requester_shift", "counterpart_shift"])
@pytest.mark.parametrize("status", OPEN)
def test_a_shift_in_an_open_swap_cannot_be_offered_again(center, side, status):
    """A shift already in an open swap (on either side of it) is held until that swap ends:
    mine is refused beside my shift, theirs beside theirs, with their name."""
    a1, a2, b1, b2, clock = (center[k] for k in ("a1", "a2", "b1", "b2", "clock"))
    mine, theirs = shift(center, "a1", 4), shift(center, "b1", 5)
    spare = shift(center, "b2", 8)
    for held, owner in ((mine, a1), (theirs, b1)):
        if side == "requester_shift":
            stored_swap(owner, b2, held, spare, status)
        else:
            stored_swap(a2, owner, spare, held, status)
        expected = ("my_shift", MSG_MINE_BUSY) if held is mine else (
            "their_shift", f"{b1.name}的这个班次已在进行中的换班申请里。")
        assert ask_refused(a1, mine, theirs, clock.now) == expected
        db.session.execute(ShiftSwap.__table__.delete())
        db.session.commit()


@pytest.mark.parametrize("status", CLOSED)
def test_a_shift_of_a_closed_swap_can_be_offered_again(center, status):
    """A swap that is over no longer holds its shifts."""
    a1, a2, b1, b2, clock = (center[k] for k in ("a1", "a2", "b1", "b2", "clock"))
    mine, theirs = shift(center, "a1", 4), shift(center, "b1", 5)
    stored_swap(a1, b2, mine, shift(center, "b2", 8), status, month=date(2026, 10, 1))
    stored_swap(a2, b1, shift(center, "a2", 9), theirs, status, month=date(2026, 10, 1))
    accepted(a1, mine, theirs, clock.now)


# --- at most 3 a month -----------------------------------------------------------------------


def counted(center, person, n, status=SwapStatus.APPROVED, month=NOVEMBER):
    """n swaps of `person` that count (approved ones hold no shift) in `month`."""
    other = center["b2"] if person.id != center["b2"].id else center["a2"]
    for _ in range(n):
        stored_swap(person, other, shift(center, "b2", 10), shift(center, "a2", 9), status,
                    month=month)


def test_the_third_swap_of_a_month_is_allowed_and_the_fourth_refused(center):
    """At most 3 swaps per person per calendar month: with 2 counted the third is asked; with
    3 the next is refused beside my shift, naming me, the month and the number."""
    a1, clock = center["a1"], center["clock"]
    counted(center, a1, 2)
    third = accepted(a1, shift(center, "a1", 4), shift(center, "b1", 5), clock.now)
    assert swaps.swaps_in_month(a1.id, NOVEMBER) == 3
    assert ask_refused(a1, shift(center, "a1", 6), shift(center, "b1", 7), clock.now) == (
        "my_shift", full(a1, 3))
    assert third.month == NOVEMBER


def test_the_counterparts_month_counts_too(center):
    """At most 3 swaps per person: the other person's full month refuses the swap beside
    their shift, with their name."""
    a1, b1, clock = center["a1"], center["b1"], center["clock"]
    counted(center, b1, 3)
    assert ask_refused(a1, shift(center, "a1", 4), shift(center, "b1", 5), clock.now) == (
        "their_shift", full(b1, 3))


def test_swaps_of_another_month_do_not_count(center):
    """Per calendar month: three swaps in October leave November free."""
    a1, clock = center["a1"], center["clock"]
    counted(center, a1, 3, month=date(2026, 10, 1))
    accepted(a1, shift(center, "a1", 4), shift(center, "b1", 5), clock.now)


def test_the_monthly_number_comes_from_the_settings(center):
    """Shift swaps per person per calendar month (a setting): with 1, the first is asked and
    the second refused with the number 1."""
    a1, clock = center["a1"], center["clock"]
    save_settings({"swaps_per_month": 1}, center["boss"])
    db.session.commit()
    accepted(a1, shift(center, "a1", 4), shift(center, "b1", 5), clock.now)
    assert ask_refused(a1, shift(center, "a1", 6), shift(center, "b1", 7), clock.now) == (
        "my_shift", full(a1, 1))


def test_a_swap_across_the_month_end_counts_in_the_earlier_month(center):
    """A swap counts in every month whose shift it moves: November 30 and December 1 count in
    November, so a full November refuses it."""
    a1, b1, clock = center["a1"], center["b1"], center["clock"]
    december = schedule.add_shift(b1, date(2026, 12, 1), time(9), time(17), "", None)
    db.session.commit()
    counted(center, a1, 3)
    assert ask_refused(a1, shift(center, "a1", 10), december, clock.now) == (
        "my_shift", full(a1, 3))


@pytest.mark.xfail(strict=True, reason=EVERY_MONTH)
def test_a_swap_across_the_month_end_counts_in_the_later_month_too(center):
    """A swap counts in every month whose shift it moves: with three swaps in December, a swap
    of November 30 for December 1 is refused (the service counts November only)."""
    a1, b1, clock = center["a1"], center["b1"], center["clock"]
    december = schedule.add_shift(b1, date(2026, 12, 1), time(9), time(17), "", None)
    db.session.commit()
    counted(center, a1, 3, month=date(2026, 12, 1))
    assert ask_refused(a1, shift(center, "a1", 10), december, clock.now) == (
        "my_shift", full(a1, 3, "2026-12"))


@pytest.mark.parametrize(("status", "counts"), [*((s, True) for s in OPEN),
                                                (SwapStatus.APPROVED, True),
                                                (SwapStatus.REJECTED, False),
                                                (SwapStatus.DECLINED, False),
                                                (SwapStatus.WITHDRAWN, False)])
def test_which_swaps_count_against_the_month(center, status, counts):
    """Open and approved swaps count, as requester or as the other person; declined, rejected
    and withdrawn ones do not; nor do other people's or other months'."""
    a1, a2, b2 = center["a1"], center["a2"], center["b2"]
    assert swaps.swaps_in_month(a1.id, NOVEMBER) == 0
    x, y = shift(center, "b2", 10), shift(center, "a2", 9)
    stored_swap(a1, b2, x, y, status)
    stored_swap(a2, a1, x, y, status)
    stored_swap(a2, b2, x, y, status)
    stored_swap(a1, b2, x, y, status, month=date(2026, 12, 1))
    assert swaps.swaps_in_month(a1.id, NOVEMBER) == (2 if counts else 0)
    assert swaps.swaps_in_month(b2.id, NOVEMBER) == (2 if counts else 0)


@pytest.mark.parametrize(("day", "month"), [(date(2026, 11, 20), NOVEMBER),
                                            (date(2026, 11, 1), NOVEMBER),
                                            (date(2026, 12, 31), date(2026, 12, 1))])
def test_the_month_of_a_day(day, month):
    """Calendar months: the first of the month holding the day."""
    assert swaps.month_of(day) == month


# --- nobody holds two shifts at once ---------------------------------------------------------


@pytest.mark.parametrize(("start", "end", "ok"), [
    (time(17), time(21), True), (time(5), time(9), True),
    (time(16, 59), time(21), False), (time(5), time(9, 1), False), (time(12), time(13), False)])
def test_the_requester_must_not_end_up_with_two_shifts_at_once(center, start, end, ok):
    """After the exchange nobody holds two shifts at the same time: a shift of mine that
    touches theirs end to start is fine, one minute of common time is not."""
    a1, clock = center["a1"], center["clock"]
    schedule.add_shift(a1, TZ_DAY + timedelta(days=5), start, end, "", None)
    db.session.commit()
    mine, theirs = shift(center, "a1", 4), shift(center, "b1", 5)
    if ok:
        accepted(a1, mine, theirs, clock.now)
    else:
        assert ask_refused(a1, mine, theirs, clock.now) == ("their_shift", clash(a1))


def test_the_counterpart_must_not_end_up_with_two_shifts_at_once(center):
    """The other person takes my shift: a shift of theirs at that time refuses the swap."""
    a1, b1, clock = center["a1"], center["b1"], center["clock"]
    schedule.add_shift(b1, TZ_DAY + timedelta(days=4), time(16), time(20), "", None)
    db.session.commit()
    assert ask_refused(a1, shift(center, "a1", 4), shift(center, "b1", 5), clock.now) == (
        "their_shift", clash(b1))


def test_the_shift_given_away_does_not_clash(center):
    """The shift each person gives away is not theirs after the exchange: my 09:00-17:00 for a
    colleague's 13:00-21:00 the same day is a swap, not a clash."""
    a1, a2, clock = center["a1"], center["a2"], center["clock"]
    late = schedule.add_shift(a2, TZ_DAY + timedelta(days=4), time(13), time(21), "", None)
    db.session.commit()
    accepted(a1, shift(center, "a1", 4), late, clock.now)


# --- asking: the record written --------------------------------------------------------------


def test_asking_stores_the_swap_its_first_step_and_the_audit_row(center):
    """The other person agrees first; the swap names both people, both shifts, the month,
    the leads who will sign, and its first step and audit row say who asked and when."""
    a1, b1, clock = center["a1"], center["b1"], center["clock"]
    mine, theirs = shift(center, "a1", 4), shift(center, "b1", 5)
    swap = ask(center, "a1", 4, "b1", 5, reason="孩子生病")
    db.session.expire_all()
    stored = db.session.get(ShiftSwap, swap.id)
    assert (stored.requester_id, stored.counterpart_id, stored.requester_shift_id,
            stored.counterpart_shift_id, stored.month, stored.reason, stored.status,
            stored.requester_lead_id, stored.counterpart_lead_id, stored.requester_lead_signed,
            stored.counterpart_lead_signed, stored.version) == (
        a1.id, b1.id, mine.id, theirs.id, NOVEMBER, "孩子生病", SwapStatus.PENDING_COUNTERPART,
        center["lead_a"].id, center["lead_b"].id, False, False, 1)
    assert steps(stored) == [("ask", a1.id, "孩子生病", clock.now)]
    [event] = events()
    assert (event.action, event.actor_id, event.actor_role, event.object_type,
            event.object_id, event.at) == (
        "swap.ask", a1.id, "agent", "shift_swap", str(swap.id), clock.now)
    assert event.before_dict() == {}
    assert event.after_dict() == {"status": "pending_counterpart",
                                  "requester_shift_id": mine.id,
                                  "counterpart_shift_id": theirs.id}


def test_the_month_of_a_swap_is_that_of_its_earlier_shift(center):
    """A swap of December 2 for November 29 is counted from November."""
    a1, clock = center["a1"], center["clock"]
    mine = schedule.add_shift(a1, date(2026, 12, 2), time(9), time(17), "", None)
    db.session.commit()
    theirs = shift(center, "b1", 9)
    assert theirs.day == date(2026, 11, 29)
    assert accepted(a1, mine, theirs, clock.now).month == NOVEMBER


@pytest.mark.parametrize(("who", "signs"), [
    ("agent", "lead"), ("lead", None), ("agent_without_team", None), ("qa_in_team", None),
    ("lead_in_another_team", None), ("agent_leading_own_team", None),
    ("agent_in_leaderless_team", None)])
def test_the_lead_who_signs_for_a_person(center, make_user, make_team, who, signs):
    """Both leads sign: an agent's lead is their team's lead. A lead, an agent without a team
    or a lead, and anyone who is not an agent have no lead to sign for them."""
    team_a, lead_a = center["team_a"], center["lead_a"]
    if who == "agent":
        person = center["a1"]
    elif who == "lead":
        person = lead_a
    else:
        role = {"qa_in_team": Role.QA, "lead_in_another_team": Role.LEAD}.get(who, Role.AGENT)
        person = make_user(role=role, team=None if who == "agent_without_team" else team_a)
        if who == "agent_leading_own_team":
            own = make_team()
            person.team_id, own.lead_id = own.id, person.id
        elif who == "agent_in_leaderless_team":
            person.team_id = make_team().id
        db.session.commit()
    assert swaps.team_lead_id(person) == (lead_a.id if signs else None)


def test_swaps_without_leads_go_to_the_supervisor_once_agreed(center, make_user):
    """A swap between leads, or between agents without a lead, has no lead step: once the
    other person agrees it waits for the supervisor."""
    clock = center["clock"]
    swap = ask(center, "lead_a", 4, "lead_b", 5)
    assert (swap.requester_lead_id, swap.counterpart_lead_id) == (None, None)
    swaps.decide(swap, center["lead_b"], True, "", swap.version, clock.now)
    assert (swap.status, swap.requester_lead_signed, swap.counterpart_lead_signed) == (
        SwapStatus.PENDING_SUPERVISOR, False, False)


def test_a_swap_with_one_lead_needs_one_signature(center, make_user):
    """Both leads sign: when only one side has a lead, that signature is enough."""
    a1, clock = center["a1"], center["clock"]
    loner = make_user()
    theirs = schedule.add_shift(loner, TZ_DAY + timedelta(days=5), time(9), time(17), "", None)
    db.session.commit()
    swap = accepted(a1, shift(center, "a1", 4), theirs, clock.now)
    assert (swap.requester_lead_id, swap.counterpart_lead_id) == (center["lead_a"].id, None)
    swaps.decide(swap, loner, True, "", swap.version, clock.now)
    assert swap.status == SwapStatus.PENDING_LEADS
    swaps.decide(swap, center["lead_a"], True, "", swap.version, clock.now)
    assert (swap.status, swap.requester_lead_signed, swap.counterpart_lead_signed) == (
        SwapStatus.PENDING_SUPERVISOR, True, False)


def test_a_swap_whose_counterpart_alone_has_a_lead(center, make_user):
    """The other side's lead alone signs when the requester has none."""
    b1, lead_b, clock = center["b1"], center["lead_b"], center["clock"]
    loner = make_user()
    mine = schedule.add_shift(loner, TZ_DAY + timedelta(days=4), time(9), time(17), "", None)
    db.session.commit()
    swap = accepted(loner, mine, shift(center, "b1", 5), clock.now)
    swaps.decide(swap, b1, True, "", swap.version, clock.now)
    assert swaps.can_act(lead_b, swap) is True
    swaps.decide(swap, lead_b, True, "", swap.version, clock.now)
    assert (swap.status, swap.requester_lead_signed, swap.counterpart_lead_signed) == (
        SwapStatus.PENDING_SUPERVISOR, False, True)


# --- deciding --------------------------------------------------------------------------------


def test_agree_sign_sign_approve_each_recorded_and_the_shifts_exchanged(center):
    """The other person agrees, both leads sign, the supervisor approves; each step says who,
    why and when, each audit row the state before and after. On approval the two shifts are
    exchanged and nothing else moves."""
    a1, b1, lead_a, lead_b, boss, clock = (center[k] for k in (
        "a1", "b1", "lead_a", "lead_b", "boss", "clock"))
    mine, theirs = shift(center, "a1", 4), shift(center, "b1", 5)
    others_before = {s.id: s.user_id for s in db.session.scalars(select(Shift))}
    swap = ask(center, "a1", 4, "b1", 5)
    asked_at = clock.now
    moments = []
    for actor, reason, status, flags in (
            (b1, " 可以 ", SwapStatus.PENDING_LEADS, (False, False)),
            (lead_b, "", SwapStatus.PENDING_LEADS, (False, True)),
            (lead_a, "同意", SwapStatus.PENDING_SUPERVISOR, (True, True)),
            (boss, "批准", SwapStatus.APPROVED, (True, True))):
        clock.advance(minutes=10)
        moments.append(clock.now)
        swaps.decide(swap, actor, True, reason, swap.version, clock.now)
        db.session.commit()
        assert (swap.status, swap.requester_lead_signed, swap.counterpart_lead_signed) == (
            status, *flags)
    assert swap.version == 5
    assert steps(swap) == [("ask", a1.id, "家里有事", asked_at),
                           ("agree", b1.id, "可以", moments[0]),
                           ("sign", lead_b.id, "", moments[1]),
                           ("sign", lead_a.id, "同意", moments[2]),
                           ("approve", boss.id, "批准", moments[3])]
    logged = events()
    assert [(e.action, e.actor_id, e.object_id, e.at) for e in logged[1:]] == [
        ("swap.agree", b1.id, str(swap.id), moments[0]),
        ("swap.sign", lead_b.id, str(swap.id), moments[1]),
        ("swap.sign", lead_a.id, str(swap.id), moments[2]),
        ("swap.approve", boss.id, str(swap.id), moments[3])]
    assert [(e.before_dict(), e.after_dict()) for e in logged[1:]] == [
        (state("pending_counterpart"), state("pending_leads")),
        (state("pending_leads"), state("pending_leads", False, True)),
        (state("pending_leads", False, True), state("pending_supervisor", True, True)),
        (state("pending_supervisor", True, True), state("approved", True, True))]
    db.session.expire_all()
    after = {s.id: s.user_id for s in db.session.scalars(select(Shift))}
    assert after == {**others_before, mine.id: b1.id, theirs.id: a1.id}


def test_one_signature_covers_both_sides_when_they_share_a_lead(center):
    """Both leads sign; when the two people share a lead, one signature is both."""
    clock = center["clock"]
    swap = ask(center, "a1", 4, "a2", 5)
    swaps.decide(swap, center["a2"], True, "", swap.version, clock.now)
    swaps.decide(swap, center["lead_a"], True, "", swap.version, clock.now)
    db.session.commit()
    assert (swap.status, swap.requester_lead_signed, swap.counterpart_lead_signed) == (
        SwapStatus.PENDING_SUPERVISOR, True, True)
    assert [s[0] for s in steps(swap)] == ["ask", "agree", "sign"]


@pytest.mark.parametrize(("stage", "status", "action"), [
    ("counterpart", SwapStatus.DECLINED, "decline"), ("lead", SwapStatus.REJECTED, "reject"),
    ("supervisor", SwapStatus.REJECTED, "reject")])
def test_turning_a_swap_down_says_why(center, stage, status, action):
    """The other person declines, a lead or the supervisor rejects, each with a reason (kept
    without surrounding spaces); the shifts stay where they were."""
    b1, lead_a, lead_b, boss, clock = (center[k] for k in (
        "b1", "lead_a", "lead_b", "boss", "clock"))
    swap = ask(center, "a1", 4, "b1", 5)
    deciders = [b1, lead_a, lead_b]
    actor = {"counterpart": b1, "lead": lead_b, "supervisor": boss}[stage]
    for earlier in deciders[:{"counterpart": 0, "lead": 1, "supervisor": 3}[stage]]:
        swaps.decide(swap, earlier, True, "", swap.version, clock.now)
    db.session.commit()
    before = state(swap.status, swap.requester_lead_signed, swap.counterpart_lead_signed)
    with pytest.raises(Refusal) as blank:
        swaps.decide(swap, actor, False, "  ", swap.version, clock.now)
    assert (blank.value.field, blank.value.message) == ("reason", MSG_DOWN)
    swaps.decide(swap, actor, False, " 不方便 ", swap.version, clock.now)
    db.session.commit()
    assert swap.status == status
    assert steps(swap)[-1] == (action, actor.id, "不方便", clock.now)
    event = events()[-1]
    assert (event.action, event.actor_id) == (f"swap.{action}", actor.id)
    assert (event.before_dict(), event.after_dict()) == (before, {**before, "status": status})
    assert (shift(center, "a1", 4).user_id, shift(center, "b1", 5).user_id) == (
        center["a1"].id, b1.id)


def test_approving_at_the_start_of_the_earlier_shift_is_too_late(center):
    """One of the two shifts has started: the swap can only be turned down. One second before
    the earlier shift starts it can still go ahead."""
    b1, clock = center["b1"], center["clock"]
    swap = ask(center, "a1", 4, "b1", 3)
    counts = rows()
    clock.set(at(3, 9))
    assert refused(swaps.decide, swap, b1, True, "", swap.version, clock.now) == (
        "reason", MSG_STARTED)
    db.session.rollback()
    assert (swap.status, rows()) == (SwapStatus.PENDING_COUNTERPART, counts)
    clock.set(at(3, 8, 59, 59))
    swaps.decide(swap, b1, True, "", swap.version, clock.now)
    assert swap.status == SwapStatus.PENDING_LEADS


def test_a_started_swap_can_still_be_turned_down(center):
    """Turning down stays possible after a shift has started, so the request can be closed."""
    b1, clock = center["b1"], center["clock"]
    swap = ask(center, "a1", 2, "b1", 5)
    clock.set(at(2, 12))
    swaps.decide(swap, b1, False, "太晚了", swap.version, clock.now)
    assert swap.status == SwapStatus.DECLINED


def test_the_supervisor_cannot_approve_once_a_shift_started(center):
    """The last approval is refused as well once the earlier shift has begun."""
    clock = center["clock"]
    swap = ask(center, "a1", 4, "b1", 5)
    for actor in ("b1", "lead_a", "lead_b"):
        swaps.decide(swap, center[actor], True, "", swap.version, clock.now)
    db.session.commit()
    clock.set(at(4, 9))
    assert refused(swaps.decide, swap, center["boss"], True, "", swap.version, clock.now) == (
        "reason", MSG_STARTED)


def approved_up_to_supervisor(center) -> ShiftSwap:
    swap = ask(center, "a1", 4, "b1", 5)
    for actor in ("b1", "lead_a", "lead_b"):
        swaps.decide(swap, center[actor], True, "", swap.version, center["clock"].now)
    db.session.commit()
    return swap


@pytest.mark.parametrize("moved", ["mine", "theirs"])
def test_approval_is_stale_when_a_shift_changed_hands(center, moved):
    """On approval the two shifts are exchanged as they were asked: if either was given to
    someone else meanwhile, the approval is refused and nothing moves."""
    swap = approved_up_to_supervisor(center)
    piece = shift(center, "a1", 4) if moved == "mine" else shift(center, "b1", 5)
    piece.starts_at += timedelta(days=20)  # away from the new owner's other shifts
    piece.ends_at += timedelta(days=20)
    piece.user_id = center["b2"].id if moved == "mine" else center["a2"].id
    db.session.commit()
    with pytest.raises(StaleError):
        swaps.decide(swap, center["boss"], True, "", swap.version, center["clock"].now)
    db.session.rollback()
    assert swap.status == SwapStatus.PENDING_SUPERVISOR


@pytest.mark.parametrize("on_leave", ["mine", "theirs"])
def test_approval_refused_when_a_shift_went_on_leave(center, on_leave):
    """A shift covered by approved leave cannot be swapped, also when the leave was approved
    after the swap was asked."""
    swap = approved_up_to_supervisor(center)
    put_on_leave(*((center["a1"], shift(center, "a1", 4)) if on_leave == "mine"
                   else (center["b1"], shift(center, "b1", 5))))
    assert refused(swaps.decide, swap, center["boss"], True, "", swap.version,
                   center["clock"].now) == ("reason", MSG_ON_LEAVE)
    db.session.rollback()
    assert swap.status == SwapStatus.PENDING_SUPERVISOR


@pytest.mark.parametrize(("who", "day"), [("a1", 5), ("b1", 4)])
def test_approval_refused_when_someone_would_hold_two_shifts(center, who, day):
    """Nobody holds two shifts at once after the exchange, also when a shift was added after
    the swap was asked; the shifts stay where they were."""
    swap = approved_up_to_supervisor(center)
    schedule.add_shift(center[who], TZ_DAY + timedelta(days=day), time(12), time(20), "", None)
    db.session.commit()
    assert refused(swaps.decide, swap, center["boss"], True, "", swap.version,
                   center["clock"].now) == ("their_shift", clash(center[who]))
    db.session.rollback()
    assert (shift(center, "a1", 4).user_id, shift(center, "b1", 5).user_id) == (
        center["a1"].id, center["b1"].id)


def test_a_stale_version_or_a_closed_swap_is_never_decided(center):
    """One decision per step: a version other than the stored one is refused on an open swap,
    and a closed swap is refused on its current version."""
    b1, clock = center["b1"], center["clock"]
    swap = ask(center, "a1", 4, "b1", 5)
    counts = rows()
    for seen in (0, 2):
        with pytest.raises(StaleError):
            swaps.decide(swap, b1, True, "", seen, clock.now)
    assert (swap.status, rows()) == (SwapStatus.PENDING_COUNTERPART, counts)
    swaps.decide(swap, b1, False, "不行", swap.version, clock.now)
    db.session.commit()
    with pytest.raises(StaleError):
        swaps.decide(swap, b1, True, "", swap.version, clock.now)


def test_whose_turn_it_is_at_each_step(center, make_user):
    """The other person agrees, then each unsigned lead signs, then a supervisor approves;
    nobody else, and nobody once the swap is over."""
    a1, a2, b1, lead_a, lead_b, boss, clock = (center[k] for k in (
        "a1", "a2", "b1", "lead_a", "lead_b", "boss", "clock"))
    boss2 = make_user(role="supervisor")
    everyone = {"a1": a1, "a2": a2, "b1": b1, "lead_a": lead_a, "lead_b": lead_b,
                "boss": boss, "boss2": boss2}
    swap = ask(center, "a1", 4, "b1", 5)

    def turns():
        return sorted(k for k, person in everyone.items() if swaps.can_act(person, swap))

    assert turns() == ["b1"]
    with pytest.raises(NotYourTurnError):
        swaps.decide(swap, lead_a, True, "", swap.version, clock.now)
    swaps.decide(swap, b1, True, "", swap.version, clock.now)
    assert turns() == ["lead_a", "lead_b"]
    swaps.decide(swap, lead_a, True, "", swap.version, clock.now)
    assert turns() == ["lead_b"]
    with pytest.raises(NotYourTurnError):
        swaps.decide(swap, lead_a, True, "", swap.version, clock.now)
    swaps.decide(swap, lead_b, True, "", swap.version, clock.now)
    assert turns() == ["boss", "boss2"]
    swaps.decide(swap, boss2, True, "", swap.version, clock.now)
    assert turns() == []


def test_a_party_never_signs_as_a_lead(center):
    """Both leads sign, and a lead is not one of the two people: a requester who is also
    filed as the other team's lead does not sign for it."""
    a1, b1, lead_a, team_b, clock = (center[k] for k in ("a1", "b1", "lead_a", "team_b",
                                                          "clock"))
    team_b.lead_id = a1.id
    db.session.commit()
    swap = ask(center, "a1", 4, "b1", 5)
    assert swap.counterpart_lead_id == a1.id
    swaps.decide(swap, b1, True, "", swap.version, clock.now)
    assert [swaps.can_act(p, swap) for p in (a1, lead_a)] == [False, True]


# --- withdrawing -----------------------------------------------------------------------------


@pytest.mark.parametrize("steps_taken", [0, 1, 3])
def test_the_requester_withdraws_before_the_final_approval(center, steps_taken):
    """The requester takes the swap back at any open step; the step and the audit row say who
    and when."""
    a1, clock = center["a1"], center["clock"]
    swap = ask(center, "a1", 4, "b1", 5)
    for actor in ("b1", "lead_a", "lead_b")[:steps_taken]:
        swaps.decide(swap, center[actor], True, "", swap.version, clock.now)
    db.session.commit()
    before = state(swap.status, swap.requester_lead_signed, swap.counterpart_lead_signed)
    version = swap.version
    clock.advance(minutes=3)
    swaps.withdraw(swap, a1, version, clock.now)
    db.session.commit()
    assert (swap.status, swap.version) == (SwapStatus.WITHDRAWN, version + 1)
    assert steps(swap)[-1] == ("withdraw", a1.id, "", clock.now)
    event = events()[-1]
    assert (event.action, event.actor_id, event.actor_role, event.object_id, event.at) == (
        "swap.withdraw", a1.id, "agent", str(swap.id), clock.now)
    assert (event.before_dict(), event.after_dict()) == (before,
                                                         {**before, "status": "withdrawn"})


def test_only_the_requester_withdraws_an_open_swap(center):
    """Nobody else withdraws; a stale version or a closed swap is refused."""
    a1, b1, boss, clock = center["a1"], center["b1"], center["boss"], center["clock"]
    swap = ask(center, "a1", 4, "b1", 5)
    for actor in (b1, boss):
        with pytest.raises(NotYourTurnError):
            swaps.withdraw(swap, actor, swap.version, clock.now)
    with pytest.raises(StaleError):
        swaps.withdraw(swap, a1, swap.version + 1, clock.now)
    assert swap.status == SwapStatus.PENDING_COUNTERPART
    swaps.decide(swap, b1, False, "不行", swap.version, clock.now)
    db.session.commit()
    with pytest.raises(StaleError):
        swaps.withdraw(swap, a1, swap.version, clock.now)
    assert swap.status == SwapStatus.DECLINED


# --- queues and lists ------------------------------------------------------------------------


def test_each_queue_holds_exactly_the_swaps_whose_turn_it_is(center, make_user):
    """'Waiting for you' lists the swaps whose next step is the person's, each once: the other
    person's agreement, a lead's missing signature, the supervisor's approval (never on a swap
    of their own); closed swaps wait for nobody."""
    a1, a2, b1, b2, lead_a, lead_b, boss = (center[k] for k in (
        "a1", "a2", "b1", "b2", "lead_a", "lead_b", "boss"))
    boss2 = make_user(role="supervisor")
    x, y = shift(center, "a1", 2), shift(center, "b1", 3)
    leads = {"requester_lead_id": lead_a.id, "counterpart_lead_id": lead_b.id}
    built = [
        stored_swap(a1, b1, x, y, SwapStatus.PENDING_COUNTERPART, **leads),
        stored_swap(a2, b2, x, y, SwapStatus.PENDING_LEADS, **leads),
        stored_swap(a1, b2, x, y, SwapStatus.PENDING_LEADS, requester_lead_signed=True, **leads),
        stored_swap(a2, b1, x, y, SwapStatus.PENDING_LEADS, counterpart_lead_signed=True,
                    **leads),
        stored_swap(a1, a2, x, y, SwapStatus.PENDING_LEADS, requester_lead_id=lead_a.id,
                    counterpart_lead_id=lead_a.id),
        stored_swap(a2, b1, x, y, SwapStatus.PENDING_SUPERVISOR, requester_lead_signed=True,
                    counterpart_lead_signed=True, **leads),
        stored_swap(lead_a, lead_b, x, y, SwapStatus.PENDING_COUNTERPART),
        stored_swap(boss, boss2, x, y, SwapStatus.PENDING_SUPERVISOR),
        stored_swap(boss2, boss, x, y, SwapStatus.PENDING_SUPERVISOR),
        *(stored_swap(a1, b1, x, y, status, **leads) for status in CLOSED),
    ]
    everyone = [a1, a2, b1, b2, lead_a, lead_b, boss, boss2]
    for person in everyone:
        listed = sorted(s.id for s in db.session.scalars(swaps.waiting_for(person)))
        assert listed == [s.id for s in built if swaps.can_act(person, s)], person.username
    ids = [s.id for s in built]
    assert sorted(s.id for s in db.session.scalars(swaps.waiting_for(lead_a))) == [
        ids[1], ids[3], ids[4]]
    assert sorted(s.id for s in db.session.scalars(swaps.waiting_for(lead_b))) == [
        ids[1], ids[2], ids[6]]
    assert sorted(s.id for s in db.session.scalars(swaps.waiting_for(b1))) == [ids[0]]
    assert sorted(s.id for s in db.session.scalars(swaps.waiting_for(boss))) == [ids[5]]


# --- the shifts a swap may be asked for ------------------------------------------------------


def test_no_shifts_none_swappable(center):
    """The empty case: no shifts, nothing to offer."""
    assert swaps.swappable([], center["clock"].now) == set()


def test_only_the_shifts_asked_about_are_answered(center):
    """swappable answers for the shifts it is given, not for every shift that could be."""
    clock = center["clock"]
    given = [shift(center, "a1", 4), shift(center, "a1", 6), shift(center, "a1", 0)]
    assert swaps.swappable(given, clock.now) == {given[0].id, given[1].id}


def test_a_shift_exactly_a_day_ahead_is_offered(center):
    """Asked at least one day before: tomorrow's 09:00 shift at 09:00 today is offered; on its
    own day it is not, from 00:00 in the center's time."""
    clock = center["clock"]
    tomorrow = shift(center, "b1", 1)
    assert swaps.swappable([tomorrow], at(0, 9)) == {tomorrow.id}
    assert swaps.swappable([tomorrow], at(1)) == set()
    assert swaps.swappable([tomorrow], at(1, 9)) == set()
    assert swaps.swappable([shift(center, "a1", 0)], clock.now) == set()


@pytest.mark.xfail(strict=True, reason=DAYS_AHEAD)
def test_tomorrows_shift_is_offered_until_midnight(center):
    """Asked no later than the end of the calendar day before: at 10:00 today tomorrow's
    09:00 shift can still be swapped (the service counts a rolling 24 hours)."""
    tomorrow = shift(center, "b1", 1)
    assert swaps.swappable([tomorrow], center["clock"].now) == {tomorrow.id}


def test_shifts_on_leave_or_in_an_open_swap_are_not_offered(center):
    """A shift covered by approved leave or held by an open swap (on either side) is not
    offered; one of a closed swap is."""
    a1, a2, b1, b2, clock = (center[k] for k in ("a1", "a2", "b1", "b2", "clock"))
    on_leave, asked, asked_for, declined, free = (
        shift(center, "a1", 4), shift(center, "a1", 6), shift(center, "b1", 5),
        shift(center, "a1", 8), shift(center, "a1", 10))
    put_on_leave(a1, on_leave)
    stored_swap(a1, b1, asked, asked_for, SwapStatus.PENDING_LEADS)
    stored_swap(a1, b2, declined, shift(center, "b2", 8), SwapStatus.DECLINED)
    stored_swap(a2, b1, shift(center, "a2", 7), shift(center, "b1", 7), SwapStatus.WITHDRAWN)
    assert swaps.swappable([on_leave, asked, asked_for, declined, free,
                            shift(center, "b1", 7)], clock.now) == {
        declined.id, free.id, shift(center, "b1", 7).id}


def test_the_offer_waits_for_the_notice_from_the_settings(center):
    """A shift swap must be asked this many days ahead (a setting): with 3, day 3's shift is
    offered at 09:00 on day 0, and no longer on day 1."""
    save_settings({"swap_notice_days": 3}, center["boss"])
    db.session.commit()
    piece = shift(center, "b1", 3)
    assert swaps.swappable([piece], at(0, 9)) == {piece.id}
    assert swaps.swappable([piece], at(1)) == set()


def colleague_shifts(mine: Shift) -> set[int]:
    return set(db.session.scalars(select(Shift.id).where(
        Shift.user_id != mine.user_id, *swaps.clash_free_with(mine))))


def test_the_form_offers_only_shifts_that_exchange_without_a_clash(center, make_user):
    """Once the shift given is chosen, only colleagues' shifts that exchange with it without
    anyone holding two shifts at once are offered, by the same rules as asking: a shift that
    starts at the same time is nothing to swap, shifts that touch end to start are fine, one
    minute of common time is not, and the shift each gives away does not count."""
    a1, a2, b1, lead_b = (center[k] for k in ("a1", "a2", "b1", "lead_b"))
    c1 = make_user()
    mine = shift(center, "a1", 4)  # 09:00-17:00 on day 4

    def add(person, offset, start, end):
        piece = schedule.add_shift(person, TZ_DAY + timedelta(days=offset), start, end, "", None)
        db.session.commit()
        return piece

    add(a1, 5, time(17), time(20))  # touches the end of day 5's shifts
    add(a1, 7, time(16, 59), time(20))  # one minute into day 7's shifts
    add(a1, 9, time(5), time(9))  # touches the start of day 9's shifts
    a2_after = add(a2, 4, time(17), time(20))  # a2 could take mine: it only touches
    b1_into = add(b1, 4, time(16, 59), time(20))  # b1 could not: one minute in common
    lead_b_before = add(lead_b, 4, time(5), time(9))  # touches mine's start
    c1_across = add(c1, 4, time(13), time(21))  # overlaps mine, which a1 gives away
    offered = colleague_shifts(mine)
    a2_days = {shift(center, "a2", d).id for d in (1, 3, 5, 9)}
    assert offered == {*a2_days, a2_after.id, b1_into.id, shift(center, "lead_b", 5).id,
                       lead_b_before.id, c1_across.id}
    assert shift(center, "a2", 7).id not in offered and shift(center, "b2", 4).id not in offered
    # The same answer as asking would give (asked early enough for the notice).
    for piece in db.session.scalars(select(Shift).where(Shift.user_id != a1.id)):
        try:
            swaps.check_swap(piece.user, piece, mine, at(-5))
            fits = True
        except Refusal as error:
            fits = error.message not in (MSG_SAME_START, clash(a1), clash(piece.user))
        assert (piece.id in offered) is fits, (piece.user.username, piece.starts_at)


@pytest.mark.xfail(strict=True, reason=GRADES)
def test_the_swap_form_offers_colleagues_of_every_grade(app, center):
    """Agent with agent, grades do not matter: a senior colleague's shifts are offered to a
    junior agent (the form lists the same grade only)."""
    b1 = center["b1"]
    b1.grade = "senior"
    db.session.commit()
    client = app.test_client()
    assert login(client, center["a1"].username).status_code == 303
    page = client.get("/swaps/new").text
    theirs = page.split('id="their_shift"')[1].split("</select>")[0]
    assert f'value="{shift(center, "b1", 5).id}"' in theirs
