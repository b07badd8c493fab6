"""Roster import: the columns, the check of each row (person, scope, date and times,
overlaps), and the shifts the rows become (app.imports reads the file and runs upload →
preview → apply)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit
from app.extensions import db
from app.imports import Column, ImportBatch, Row, Spec, apply_rows, numbered, parse_date, rows_of
from app.people.models import Role, Status, Team, User
from app.staff import schedule
from app.staff.models import Shift
from app.timeutil import center_tz
from app.workflow import Refusal

SPEC = Spec(
    kind="roster",
    columns=(
        Column("employee_no", ("employee no.", "employee no", "工号"), required=True,
               label="工号"),
        Column("day", ("date", "日期"), required=True, label="日期"),
        Column("start", ("start time", "starts", "from", "开始", "开始时间", "上班时间"),
               required=True, label="开始"),
        Column("end", ("end time", "ends", "to", "结束", "结束时间", "下班时间"), required=True,
               label="结束"),
        Column("label", ("shift", "shift name", "班次", "班次名称"), label="班次"),
    ),
    max_rows=5000,
    too_many=lambda n: _("At most %(n)d rows per file.", n=n),
    no_rows=lambda: _("The file has no shifts below the header row."),
)
TEMPLATE_HEADER = [column.title for column in SPEC.columns]
_TIME = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?$")


@dataclass
class RosterRow(Row):
    """One data row: line number, raw values, what it resolves to, and its problems."""

    person: User | None = None
    day: date | None = None
    start: time | None = None
    end: time | None = None

    @property
    def label(self) -> str:
        """The shift's name as written."""
        return self.values.get("label", "")


def parse_time(value: str) -> time | None:
    """09:00, 9:00, 09:00:00, or a fraction of a day as Excel stores times."""
    value = value.strip()
    match = _TIME.match(value)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour < 24 and minute < 60:
            return time(hour, minute)
        return None
    try:
        fraction = float(value)
    except ValueError:
        return None
    if 0 <= fraction < 1:
        minutes = round(fraction * 24 * 60)
        return time(minutes // 60 % 24, minutes % 60)
    return None


def _led_team_ids(actor: User) -> set[int] | None:
    """The teams whose people the actor may schedule; None means everyone."""
    if actor.role == Role.SUPERVISOR:
        return None
    if actor.role != Role.LEAD:
        return set()
    return set(db.session.scalars(select(Team.id).where(Team.lead_id == actor.id)))


def _when(shift_start: datetime, shift_end: datetime) -> str:
    tz = center_tz()
    starts, ends = shift_start.astimezone(tz), shift_end.astimezone(tz)
    return f"{starts.date().isoformat()} {starts:%H:%M}–{ends:%H:%M}"


def check_rows(rows: list[dict[str, str]], actor: User) -> list[RosterRow]:
    """Check every row: the person, the lead's scope, date and times, and overlaps with shifts
    already scheduled and with the file's other rows. A fixed number of queries."""
    numbers = {values.get("employee_no", "").strip() for values in rows} - {""}
    people = {u.employee_no: u for u in db.session.scalars(
        select(User).where(User.employee_no.in_(numbers)))} if numbers else {}
    scope = _led_team_ids(actor)
    checks: list[RosterRow] = []
    for line, values in numbered(rows):
        check = RosterRow(line=line, values=values)
        checks.append(check)
        problems = check.problems
        number = values.get("employee_no", "").strip()
        person = people.get(number)
        if not number:
            problems.append(_("Employee no. is missing."))
        elif person is None:
            problems.append(_("Nobody has employee no. %(no)s.", no=number))
        elif person.status == Status.LEFT:
            problems.append(_("%(name)s has left the center.", name=person.name))
        elif scope is not None and person.team_id not in scope:
            problems.append(_("%(name)s is not in your team.", name=person.name))
        else:
            check.person = person
        check.day = parse_date(values.get("day", ""))
        if check.day is None:
            problems.append(_("Date must be a date such as 2026-11-23."))
        else:
            try:
                schedule.check_day(check.day)
            except Refusal as error:
                problems.append(error.message)
                check.day = None
        check.start = parse_time(values.get("start", ""))
        if check.start is None:
            problems.append(_("Start must be a time such as 09:00."))
        check.end = parse_time(values.get("end", ""))
        if check.end is None:
            problems.append(_("End must be a time such as 18:00."))
        if check.start is not None and check.end is not None:
            try:
                schedule.check_times(check.start, check.end, check.label)
            except Refusal as error:
                problems.append(error.message)
        elif len(check.label) > schedule.LABEL_LENGTH:
            problems.append(_("The shift name is longer than %(n)d characters.",
                              n=schedule.LABEL_LENGTH))
    _check_overlaps([c for c in checks if not c.problems])
    return checks


def _check_overlaps(checks: list[RosterRow]) -> None:
    """Overlaps with shifts already scheduled and between rows, in one query."""
    if not checks:
        return
    spans = {id(c): schedule.span(c.day, c.start, c.end) for c in checks}
    low = min(starts for starts, _ends in spans.values())
    high = max(ends for _starts, ends in spans.values())
    existing: dict[int, list[Shift]] = defaultdict(list)
    for shift in db.session.scalars(select(Shift).where(
            Shift.user_id.in_({c.person.id for c in checks}), Shift.starts_at < high,
            Shift.ends_at > low)):
        existing[shift.user_id].append(shift)
    taken: dict[int, list[tuple[datetime, datetime, int]]] = defaultdict(list)
    for check in sorted(checks, key=lambda c: (spans[id(c)][0], c.line)):
        starts, ends = spans[id(check)]
        person = check.person
        for shift in existing[person.id]:
            if shift.starts_at < ends and shift.ends_at > starts:
                check.problems.append(_(
                    "%(name)s already has a shift at that time (%(when)s).",
                    name=person.name, when=_when(shift.starts_at, shift.ends_at)))
                break
        for other_starts, other_ends, line in taken[person.id]:
            if other_starts < ends and other_ends > starts:
                check.problems.append(_("Overlaps the shift on line %(line)d of this file.",
                                        line=line))
                break
        taken[person.id].append((starts, ends, check.line))


def apply(batch: ImportBatch, actor: User, now: datetime) -> list[Shift]:
    """Create every shift of the batch in this transaction, or raise Refusal and save none."""
    checks = check_rows(rows_of(batch), actor)
    shifts = apply_rows(batch, checks, lambda rows: _shifts(rows, actor), now)
    audit.record("shift.import", batch, actor=actor, after={
        "filename": batch.filename, "shifts": len(shifts),
        "first_day": min((c.day for c in checks), default=None),
        "last_day": max((c.day for c in checks), default=None)})
    return shifts


def _shifts(checks: list[RosterRow], actor: User) -> list[Shift]:
    if not checks:
        raise Refusal("file", _("The file has no shifts below the header row."))
    shifts = []
    for check in checks:
        starts, ends = schedule.span(check.day, check.start, check.end)
        shifts.append(Shift(user_id=check.person.id, day=check.day, starts_at=starts,
                            ends_at=ends, label=check.label, created_by_id=actor.id))
    db.session.add_all(shifts)
    return shifts


def template_rows(monday: date) -> list[list[str]]:
    """Example rows for the template: an early shift and a night shift across midnight."""
    day = monday.isoformat()
    return [["CF2001", day, "09:00", "18:00", "早班"],
            ["CF2002", day, "22:00", "06:00", "夜班"],
            ["CF2001", (monday + timedelta(days=1)).isoformat(), "09:00", "18:00", "早班"]]
