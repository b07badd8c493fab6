"""Shifts: one at a time, a weekly pattern over a date range, the week view and my shifts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, select

from app import audit, statements
from app.extensions import db
from app.people.models import Role, Status, Team, User
from app.staff.models import Shift, ShiftSwap, SwapStatus
from app.timeutil import FIRST_DAY, LAST_DAY, center_tz
from app.workflow import Refusal

MAX_PATTERN_DAYS = 92
SCHEDULED_ROLES = (Role.AGENT, Role.LEAD)  # the people a team's week view shows
MAX_SHIFT = timedelta(hours=16)
LABEL_LENGTH = 32


def span(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """UTC start and end of a shift given in the center's local time; an end at or before the
    start means the shift crosses midnight and ends the next day."""
    tz = center_tz()
    starts = datetime.combine(day, start, tz)
    ends = datetime.combine(day + timedelta(days=1) if end <= start else day, end, tz)
    return starts, ends


def check_day(day: date, field: str = "day") -> None:
    """A shift's day lies within the years a schedule can sensibly cover."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise Refusal(field, _("Choose a day between %(first)s and %(last)s.",
                                 first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat()))


def check_times(start: time, end: time, label: str = "") -> None:
    """The rules every shift's times and name obey, wherever the shift comes from."""
    if start == end:
        raise Refusal("end", _("The end must differ from the start."))
    starts, ends = span(date(2000, 1, 3), start, end)
    if ends - starts > MAX_SHIFT:
        raise Refusal("end", _("A shift lasts at most 16 hours."))
    if len(label) > LABEL_LENGTH:
        raise Refusal("label", _("The shift name is longer than %(n)d characters.",
                                   n=LABEL_LENGTH))


def overlapping(user_id: int, starts: datetime, ends: datetime, exclude: int | None = None):
    """The person's shifts that overlap [starts, ends)."""
    stmt = select(Shift).where(Shift.user_id == user_id, Shift.starts_at < ends,
                               Shift.ends_at > starts)
    if exclude is not None:
        stmt = stmt.where(Shift.id != exclude)
    return db.session.scalars(stmt).all()


def add_shift(user: User, day: date, start: time, end: time, label: str, actor) -> Shift:
    """Schedule one shift; refuse an overlap with another of the person's shifts."""
    if user.status == Status.LEFT:
        raise Refusal("user_id", _("%(name)s has left the center.", name=user.name))
    check_day(day)
    check_times(start, end, label)
    starts, ends = span(day, start, end)
    if overlapping(user.id, starts, ends):
        raise Refusal("start", _("%(name)s already has a shift at that time.", name=user.name))
    shift = Shift(user_id=user.id, day=day, starts_at=starts, ends_at=ends, label=label,
                  created_by_id=actor.id if actor else None)
    db.session.add(shift)
    audit.record("shift.create", shift, actor=actor, after={
        "user_id": user.id, "day": day, "starts_at": starts, "ends_at": ends, "label": label})
    return shift


@dataclass
class PatternResult:
    """What a weekly pattern would create, and the conflicts that stop it."""

    shifts: list[tuple[User, date]] = field(default_factory=list)
    conflicts: list[tuple[User, date]] = field(default_factory=list)


def plan_pattern(members: list[User], first: date, last: date, weekdays: set[int],
                 start: time, end: time) -> PatternResult:
    """Every (person, day) the pattern covers, and those that clash with existing shifts."""
    check_day(first, "first_day")
    check_day(last, "last_day")
    if last < first:
        raise Refusal("last_day", _("The last day comes before the first."))
    if (last - first).days + 1 > MAX_PATTERN_DAYS:
        raise Refusal("last_day", _("A pattern covers at most %(n)d days.", n=MAX_PATTERN_DAYS))
    check_times(start, end)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    days = [d for d in days if d.weekday() in weekdays]
    result = PatternResult()
    if not days or not members:
        return result
    lo, _hi = span(days[0], start, end)
    _lo, hi = span(days[-1], start, end)
    existing = defaultdict(list)
    for shift in db.session.scalars(select(Shift).where(
            Shift.user_id.in_([m.id for m in members]), Shift.starts_at < hi,
            Shift.ends_at > lo)):
        existing[shift.user_id].append(shift)
    for day in days:
        starts, ends = span(day, start, end)
        for member in members:
            clash = any(s.starts_at < ends and s.ends_at > starts for s in existing[member.id])
            (result.conflicts if clash else result.shifts).append((member, day))
    return result


def apply_pattern(team: Team, members: list[User], first: date, last: date, weekdays: set[int],
                  start: time, end: time, label: str, actor) -> int:
    """Create the pattern's shifts for the whole team, all or nothing."""
    check_times(start, end, label)
    plan = plan_pattern(members, first, last, weekdays, start, end)
    if not members:
        raise Refusal("team_id", _("This team has no one to schedule."))
    if not plan.shifts and not plan.conflicts:
        raise Refusal("weekdays", _("None of the chosen weekdays falls between the first and "
                                      "the last day."))
    if plan.conflicts:
        person, day = plan.conflicts[0]
        raise Refusal("first_day", _(
            "%(count)d shifts clash with existing ones, for example %(name)s on %(day)s.",
            count=len(plan.conflicts), name=person.name, day=day.isoformat()))
    rows = []
    for member, day in plan.shifts:
        starts, ends = span(day, start, end)
        rows.append(Shift(user_id=member.id, day=day, starts_at=starts, ends_at=ends,
                          label=label, created_by_id=actor.id if actor else None))
    db.session.add_all(rows)
    audit.record("shift.pattern", team, actor=actor, after={
        "first": first, "last": last, "weekdays": sorted(weekdays), "start": start.isoformat(),
        "end": end.isoformat(), "label": label, "shifts": len(rows)})
    return len(rows)


def delete_shift(shift: Shift, actor) -> None:
    """Remove a shift that no approved leave or open swap depends on."""
    if shift.leave_id is not None:
        raise Refusal("shift", _("This shift is covered by an approved leave."))
    open_swap = db.session.scalar(select(ShiftSwap.id).where(
        (ShiftSwap.requester_shift_id == shift.id) | (ShiftSwap.counterpart_shift_id == shift.id),
        ShiftSwap.status.in_([SwapStatus.PENDING_COUNTERPART, SwapStatus.PENDING_LEADS,
                              SwapStatus.PENDING_SUPERVISOR])))
    if open_swap is not None:
        raise Refusal("shift", _("A shift swap for this shift is still open."))
    audit.record("shift.delete", shift, actor=actor, before={
        "user_id": shift.user_id, "day": shift.day, "starts_at": shift.starts_at,
        "ends_at": shift.ends_at})
    db.session.delete(shift)


def week_start(day: date) -> date:
    """The Monday of the week holding `day`."""
    return day - timedelta(days=day.weekday())


class ShiftRow(NamedTuple):
    """What the week view shows of a shift, read without building ORM objects (a team's week
    holds a hundred of them and the page is one of the busiest)."""

    id: int
    user_id: int
    day: date
    starts_at: datetime
    ends_at: datetime
    label: str
    leave_id: int | None

    @property
    def hours(self) -> float:
        """Length in hours."""
        return (self.ends_at - self.starts_at).total_seconds() / 3600


def _shift_row_columns() -> tuple:
    return (Shift.id, Shift.user_id, Shift.day, Shift.starts_at, Shift.ends_at, Shift.label,
            Shift.leave_id)


def shift_rows(user: User, since: date, limit: int, until: date | None = None) -> list[ShiftRow]:
    """A person's shifts from `since` on (up to and including `until`), soonest first, as rows
    (the home page's card and "my shifts"). Every home page asks, so the statement is built
    once (app/statements.py): building it was a quarter of the card's time (0.3 of 1.1 ms,
    in process on the demo center)."""
    stmt = statements.once(("shift rows",), lambda: (
        select(*_shift_row_columns())
        .where(Shift.user_id == bindparam("person_id"), Shift.day >= bindparam("since"),
               Shift.day <= bindparam("until"))
        .order_by(Shift.starts_at).limit(bindparam("limit"))))
    return [ShiftRow(*row) for row in db.session.execute(stmt, {
        **statements.person_args(user), "since": since, "until": until or date.max,
        "limit": limit})]


@dataclass
class WeekView:
    """Who works when in one team's week, and how many are on the floor each hour."""

    team: Team
    monday: date
    days: list[date]
    members: list[User]
    cells: dict[tuple[int, date], list[ShiftRow]]
    head_count: dict[date, list[int]]


def _week_statements() -> tuple[Select, Select]:
    """A team's scheduled people, and their shifts between two days (the team and the days
    bound when they run)."""
    scheduled = (User.team_id == bindparam("team_id"), User.status != Status.LEFT,
                 User.role.in_(SCHEDULED_ROLES))
    members = select(User).where(*scheduled).order_by(User.role.desc(), User.employee_no)
    shifts = (select(*_shift_row_columns()).join(User, Shift.user_id == User.id)
              .where(*scheduled, Shift.day >= bindparam("first"), Shift.day <= bindparam("last"))
              .order_by(Shift.starts_at))
    return members, shifts


def week_view(team: Team, monday: date) -> WeekView:
    """Two queries whatever the size of the team: its members, and their shifts of the week.

    The head count also takes the night shifts of the Sunday before, which are on the floor in
    the first hours of Monday; their cells belong to the previous week.

    Both statements are built once (app/statements.py): built per request, the week view
    answered 250 requests a second against 324 with them kept (bench/compare.py, page by
    page interleaved, /shifts/week lead1, medians of three rounds).
    """
    days = [monday + timedelta(days=n) for n in range(7)]
    members_stmt, shifts_stmt = statements.once(("week view",), _week_statements)
    members = db.session.scalars(members_stmt, {"team_id": team.id}).all()
    shifts = [ShiftRow(*row) for row in db.session.execute(shifts_stmt, {
        "team_id": team.id, "first": days[0] - timedelta(days=1), "last": days[-1]})]
    cells: dict[tuple[int, date], list[ShiftRow]] = defaultdict(list)
    tz = center_tz()
    head = {d: [0] * 24 for d in days}
    for shift in shifts:
        if shift.day >= monday:
            cells[(shift.user_id, shift.day)].append(shift)
        if shift.leave_id is not None:
            continue  # on leave: a gap on the floor
        # Every hour of the day the shift touches counts once (on the local clock).
        first = shift.starts_at.astimezone(tz).replace(minute=0, second=0, microsecond=0)
        span = shift.ends_at.astimezone(tz).replace(tzinfo=None) - first.replace(tzinfo=None)
        hours = -(-span // timedelta(hours=1))  # touched hours, rounded up
        day, hour = first.date(), first.hour
        for _hour in range(hours):
            if day in head:
                head[day][hour] += 1
            hour += 1
            if hour == 24:
                day, hour = day + timedelta(days=1), 0
    return WeekView(team, monday, days, list(members), cells, head)


def my_shifts(user: User, since: date, limit: int = 60) -> list[Shift]:
    """A person's shifts from `since` on, soonest first, as objects to act on (the pages
    read shift_rows)."""
    return db.session.scalars(
        select(Shift).where(Shift.user_id == user.id, Shift.day >= since)
        .order_by(Shift.starts_at).limit(limit)).all()
