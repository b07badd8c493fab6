"""Schedules: my shifts, a team's week, one shift, a weekly pattern, a roster import."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta

from babel.dates import format_skeleton, get_day_names
from flask import Response, abort, flash, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import areas, confirm, imports
from app.extensions import db
from app.forms import ConfirmForm, choices, show_refusal
from app.htmx import render, see_other
from app.i18n import lazy_gettext as _l
from app.imports import ImportBatch
from app.people.models import Role, Status, Team, User
from app.staff import bp, policy, roster, schedule, swaps
from app.staff.forms import PatternForm, RosterForm, ShiftForm
from app.staff.models import Shift
from app.timeutil import center_today, center_tz, utcnow
from app.web import date_arg, row_id
from app.workflow import Refusal

MY_WINDOW_DAYS = 14  # "my shifts" shows two weeks at a time
MY_LIMIT = 60  # no more shifts than this in one window, whatever is in the database
HEAT_LEVELS = 5  # head-count buckets, styled .heat-0 (nobody) to .heat-5 (the week's peak)
LABEL_SUGGESTIONS = (_l("Early shift"), _l("Middle shift"), _l("Late shift"), _l("Night shift"))
PREVIEW_SHOW = ("problems", "all")  # the roster preview's whitelisted ?show= values


# --- helpers shared by the views and their templates --------------------------------------

def day_label(day: date) -> str:
    """"11月23日周一" / "Mon, Nov 23" in the page's language."""
    return format_skeleton("MMMEd", day, locale=get_locale())


def weekday_names() -> dict[int, str]:
    """Monday=0 to Sunday=6, abbreviated, in the page's language."""
    names = get_day_names("abbreviated", locale=get_locale())
    return {day: names[day] for day in range(7)}  # CLDR lists Sunday first; we start Monday


def clock(shift: Shift) -> tuple[str, str, bool]:
    """Local start and end as HH:MM, and whether the shift ends on a later day."""
    tz = center_tz()
    starts, ends = shift.starts_at.astimezone(tz), shift.ends_at.astimezone(tz)
    return f"{starts:%H:%M}", f"{ends:%H:%M}", ends.date() > shift.day


def hours_text(hours: float) -> str:
    """8, 7.5: no trailing zeros."""
    return f"{round(hours, 2):g}"


def _helpers() -> dict:
    return {"day_label": day_label, "clock": clock, "hours_text": hours_text,
            "label_suggestions": [str(s) for s in LABEL_SUGGESTIONS]}


def week_url(team_id: int | None, day: date, **extra) -> str:
    """The week view of a team for the week holding `day`."""
    args = {"week": schedule.week_start(day).isoformat(), **extra}
    if team_id:
        args["team"] = team_id
    return url_for("staff.week_view", **args)


def visible_teams() -> list[Team]:
    """The teams whose week the viewer may open: all for a supervisor, their own for a lead."""
    stmt = select(Team).order_by(Team.name)
    if not policy.is_supervisor(current_user):
        stmt = stmt.where(Team.id.in_(policy.led_team_ids(current_user)))
    return list(db.session.scalars(stmt))


def person_choices() -> list:
    """The people the viewer may give shifts, for a select."""
    rows = db.session.execute(
        policy.schedulable_people(
            current_user, select(User.id, User.name, User.employee_no, Team.name)
            .outerjoin(Team, User.team_id == Team.id))
        .order_by(Team.name, User.employee_no)
    ).all()
    return choices([(None, _("— choose a person —")),
                    *((uid, f"{name} · {no}" + (f" · {team}" if team else ""))
                      for uid, name, no, team in rows)])


def load_schedulable(person_id: int | None) -> User:
    """A person the viewer may give shifts, or 404."""
    person = db.session.get(User, person_id) if person_id else None
    if person is None or person.status == Status.LEFT or not policy.can_schedule(current_user,
                                                                                 person):
        abort(404)
    return person


# --- my shifts ------------------------------------------------------------------------------

def _window_before(since: date, earlier: date | None) -> date | None:
    """Where "earlier" starts: the previous two weeks, or the two weeks ending on the last
    earlier shift when that lies further back; None when there is nothing earlier."""
    if earlier is None:
        return None
    window = timedelta(days=MY_WINDOW_DAYS)
    return since - window if earlier >= since - window else earlier - window + timedelta(days=1)


def _window_after(until: date, later: date | None) -> date | None:
    """Where "later" starts: the next day, or the next shift when that lies further ahead."""
    if later is None:
        return None
    return until + timedelta(days=1) if later <= until + timedelta(days=MY_WINDOW_DAYS) else later


@bp.route("/shifts/mine")
def my_shifts():
    """The signed-in person's shifts, two weeks at a time, soonest first."""
    today = center_today()
    since = date_arg("from") or today
    until = since + timedelta(days=MY_WINDOW_DAYS - 1)
    shifts = schedule.shift_rows(current_user, since, limit=MY_LIMIT, until=until)
    # The day of my last shift before the window and of my first one after it.
    mine = select(Shift.day).where(Shift.user_id == current_user.id)
    earlier, later = db.session.execute(select(
        mine.where(Shift.day < since).order_by(Shift.day.desc()).limit(1).scalar_subquery(),
        mine.where(Shift.day > until).order_by(Shift.day).limit(1).scalar_subquery())).one()
    by_day: dict[date, list[schedule.ShiftRow]] = defaultdict(list)
    for shift in shifts:
        by_day[shift.day].append(shift)
    working = [s for s in shifts if s.leave_id is None]
    return render(
        "staff/my_shifts.html", block="results", by_day=by_day, since=since, until=until,
        swappable=swaps.swappable(shifts, utcnow()),
        today=today, earlier=earlier, later=later, count=len(working),
        hours=hours_text(sum(s.hours for s in working)),
        prev_from=_window_before(since, earlier), next_from=_window_after(until, later),
        sections=areas.render_panels(areas.shift_sections(), current_user._get_current_object(),
                                     since, until),
        **_helpers(),
    )


# --- the week view --------------------------------------------------------------------------

def _heat_rows(view: schedule.WeekView) -> list[tuple[int, list[tuple[int, int]]]]:
    """(hour, [(head count, heat level) per day]) for the hours anyone is on the floor."""
    counts = view.head_count
    busy = [h for h in range(24) if any(counts[d][h] for d in view.days)]
    if not busy:
        return []
    peak = max(max(counts[d]) for d in view.days)
    return [
        (hour, [(counts[d][hour], math.ceil(counts[d][hour] * HEAT_LEVELS / peak))
                for d in view.days])
        for hour in range(busy[0], busy[-1] + 1)
    ]


@bp.route("/shifts/week")
def week_view():
    """One team's week: people by day, who is on leave, head count per hour of the day."""
    teams = visible_teams()
    team_id = request.args.get("team", type=row_id)
    if team_id is not None:
        team = next((t for t in teams if t.id == team_id), None)
        if team is None:
            abort(404)
    else:
        team = teams[0] if teams else None
    monday = schedule.week_start(date_arg("week") or center_today())
    view = schedule.week_view(team, monday) if team else None
    manage = policy.can_schedule_team(current_user, team)
    editing = manage and request.args.get("edit") == "1"
    rows, per_day = [], dict.fromkeys(view.days if view else [], 0)
    if view:
        # Each row ready to print: the person, their hours, and per day the shifts with their
        # clock times (the template then only writes them out).
        for person in view.members:
            hours, cells = 0.0, []
            for day in view.days:
                shifts = view.cells.get((person.id, day), ())
                working = [s for s in shifts if s.leave_id is None]
                hours += sum(s.hours for s in working)
                per_day[day] += 1 if working else 0
                cells.append((day, [(*clock(s), s) for s in shifts]))
            rows.append((person, hours_text(hours), cells))
    return render(
        "staff/week_view.html", block="week", teams=teams, team=team, view=view, rows=rows,
        per_day=per_day, heat=_heat_rows(view) if view else [], monday=monday,
        weekdays=weekday_names(), manage=manage, editing=editing,
        this_week=schedule.week_start(center_today()), week_url=week_url,
        prev_monday=monday - timedelta(days=7), next_monday=monday + timedelta(days=7),
        **_helpers(),
    )


# --- one shift ------------------------------------------------------------------------------

@bp.route("/shifts/new", methods=["GET", "POST"])
def new_shift():
    """Give one person one shift; overlaps are refused beside the field."""
    form = ShiftForm()
    form.user_id.choices = person_choices()
    if request.method == "GET":
        person_id = request.args.get("person", type=row_id)
        if person_id is not None:
            form.user_id.data = load_schedulable(person_id).id
        form.day.data = date_arg("day") or center_today() + timedelta(days=1)
    if form.validate_on_submit():
        person = load_schedulable(form.user_id.data)
        try:
            shift = schedule.add_shift(person, form.day.data, form.start.data, form.end.data,
                                       (form.label.data or "").strip(), current_user)
        except Refusal as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            start, end, _next_day = clock(shift)
            flash(_("Shift added: %(name)s, %(day)s, %(start)s–%(end)s.", name=person.name,
                    day=day_label(shift.day), start=start, end=end), "success")
            return see_other(week_url(person.team_id, shift.day))
    return render("staff/shift_form.html", block="form", form=form,
                  status=422 if form.errors or form.form_errors else 200, **_helpers())


# --- a weekly pattern -----------------------------------------------------------------------

def _pattern_members(team: Team, include_lead: bool) -> list[User]:
    """The team's active agents, and its lead when asked."""
    roles = [Role.AGENT, Role.LEAD] if include_lead else [Role.AGENT]
    return list(db.session.scalars(
        select(User).where(User.team_id == team.id, User.status == Status.ACTIVE,
                           User.role.in_(roles)).order_by(User.employee_no)))


@bp.route("/shifts/pattern", methods=["GET", "POST"])
def new_pattern():
    """Check, then create, the same shift on chosen weekdays for a team; all or nothing."""
    teams = visible_teams()
    form = PatternForm()
    form.team_id.choices = choices([(t.id, t.name) for t in teams])
    names = weekday_names()
    form.weekdays.choices = choices(names.items())
    if request.method == "GET":
        requested = request.args.get("team", type=row_id)
        form.team_id.data = requested if any(t.id == requested for t in teams) else (
            teams[0].id if teams else None)
        monday = schedule.week_start(center_today()) + timedelta(days=7)
        form.first_day.data, form.last_day.data = monday, monday + timedelta(days=27)
        form.weekdays.data = [0, 1, 2, 3, 4]
    plan = members = None
    if form.validate_on_submit():
        team = next((t for t in teams if t.id == form.team_id.data), None)
        if team is None or not policy.can_schedule_team(current_user, team):
            abort(404)
        members = _pattern_members(team, form.include_lead.data)
        weekdays = set(form.weekdays.data)
        label = (form.label.data or "").strip()
        args = (form.first_day.data, form.last_day.data, weekdays, form.start.data,
                form.end.data)
        try:
            if request.form.get("action") != "create":
                plan = schedule.plan_pattern(members, *args)
            else:
                created = schedule.apply_pattern(team, members, *args, label, current_user)
                db.session.commit()
                flash(ngettext("%(num)d shift created for %(team)s.",
                               "%(num)d shifts created for %(team)s.", created, team=team.name),
                      "success")
                return see_other(week_url(team.id, form.first_day.data))
        except Refusal as error:
            db.session.rollback()
            show_refusal(form, error)
            if error.field == "first_day":  # conflicts: list them all beside the field
                plan = schedule.plan_pattern(members, *args)
    failed = bool(form.errors or form.form_errors)
    return render("staff/pattern_form.html", block="form", form=form, plan=plan,
                  clashes=_by_person(plan.conflicts) if plan else [], members=members,
                  weekday_names=names, status=422 if failed else 200, **_helpers())


def _by_person(pairs: list[tuple[User, date]]) -> list[tuple[User, list[str]]]:
    """Clashing (person, day) pairs as one line per person with short day labels."""
    days: dict[int, list[str]] = defaultdict(list)
    people: dict[int, User] = {}
    for person, day in pairs:
        people[person.id] = person
        days[person.id].append(format_skeleton("MEd", day, locale=get_locale()))
    return [(people[key], days[key]) for key in people]


# --- delete ---------------------------------------------------------------------------------

@bp.route("/shifts/<int:shift_id>/delete", methods=["POST"])
def delete_shift(shift_id: int):
    """Remove a shift that no approved leave or open swap depends on."""
    shift = db.session.get(Shift, shift_id)
    if shift is None or not policy.can_schedule(current_user, shift.user):
        abort(404)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    confirm.ask(_l("Delete this shift?"))
    back = week_url(shift.user.team_id, shift.day, edit=1)
    name, day = shift.user.name, shift.day
    try:
        schedule.delete_shift(shift, current_user)
    except Refusal as error:
        db.session.rollback()
        flash(error.message, "error")
        return see_other(back)
    db.session.commit()
    flash(_("The shift of %(name)s on %(day)s has been deleted.", name=name,
            day=day_label(day)), "success")
    return see_other(back)


# --- roster import --------------------------------------------------------------------------

@bp.route("/shifts/import", methods=["GET", "POST"])
def import_roster():
    """Upload a roster; every row is checked and shown before anything is saved."""
    return imports.upload_file(roster.SPEC, RosterForm(), "staff/import_roster.html",
                               "staff.preview_roster", columns=roster.TEMPLATE_HEADER)


def _preview(batch: ImportBatch, status: int = 200) -> Response:
    checks = roster.check_rows(imports.rows_of(batch), current_user)
    bad = imports.bad_rows(checks)
    show = request.args.get("show", "")
    if show not in PREVIEW_SHOW:
        show = "problems" if bad else "all"
    return render("staff/preview_roster.html", batch=batch, checks=checks,
                  shown=bad if show == "problems" else checks, bad=len(bad), show=show,
                  status=status, **_helpers())


@bp.route("/shifts/import/<int:batch_id>")
def preview_roster(batch_id: int):
    """Every row with its problems; the import button only when there are none."""
    return _preview(imports.load_batch(roster.SPEC, batch_id))


@bp.route("/shifts/import/<int:batch_id>", methods=["POST"])
def apply_roster(batch_id: int):
    """Save every shift of the file in one transaction, or none."""
    batch, shifts = imports.confirm(roster.SPEC, batch_id, roster.apply)
    if isinstance(shifts, Refusal):
        flash(shifts.message, "error")
        return _preview(batch, status=422)
    flash(ngettext("%(num)d shift imported.", "%(num)d shifts imported.", len(shifts)),
          "success")
    first = min(shifts, key=lambda s: (s.day, s.starts_at))
    team_id = db.session.scalar(select(User.team_id).where(User.id == first.user_id))
    return see_other(week_url(team_id, first.day))


@bp.route("/shifts/import/template.csv")
def roster_template():
    """A CSV with the expected columns and example rows (a night shift among them)."""
    monday = schedule.week_start(center_today()) + timedelta(days=7)
    return imports.template_csv("roster-template.csv",
                                [roster.TEMPLATE_HEADER, *roster.template_rows(monday)])
