"""Leave: ask, see where it stands, approve or reject, withdraw."""

from datetime import date, datetime, time, timedelta

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError
from wtforms import DateField, HiddenField, SelectField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.database import lock_for_change
from app.extensions import db
from app.forms import choices
from app.htmx import render, see_other, trigger, wants_fragment
from app.i18n import date_filter, datetime_filter
from app.i18n import lazy_gettext as _l
from app.pagination import paginate
from app.people.models import Role, User
from app.settings import value as setting
from app.staff import bp, leave, policy
from app.staff.models import LeaveKind, LeaveRequest, LeaveStatus
from app.timeutil import center_tz, utcnow
from app.workflow import Refusal, StaleError

KIND_LABELS = {
    LeaveKind.PERSONAL: _l("Personal leave"),
    LeaveKind.SICK: _l("Sick leave"),
    LeaveKind.ANNUAL: _l("Annual leave"),
    LeaveKind.OTHER: _l("Other leave"),
}
STATUS_LABELS = {
    LeaveStatus.PENDING_LEAD: _l("Waiting for the team lead"),
    LeaveStatus.PENDING_SUPERVISOR: _l("Waiting for the supervisor"),
    LeaveStatus.APPROVED: _l("Approved"),
    LeaveStatus.REJECTED: _l("Rejected"),
    LeaveStatus.WITHDRAWN: _l("Withdrawn"),
}


@bp.app_template_global()
def leave_period(item: LeaveRequest) -> str:
    """A request's period as people say it: whole days as days, otherwise from-to times."""
    tz = center_tz()
    starts, ends = item.starts_at.astimezone(tz), item.ends_at.astimezone(tz)
    if starts.time() == ends.time() == time(0):
        last = ends.date() - timedelta(days=1)
        if last == starts.date():
            return _("%(day)s (whole day)", day=date_filter(starts.date()))
        return _("%(first)s – %(last)s (whole days)", first=date_filter(starts.date()),
                 last=date_filter(last))
    return f"{datetime_filter(item.starts_at, 'short')} – {datetime_filter(item.ends_at, 'short')}"


class LeaveForm(FlaskForm):
    """A leave request: whole days, or from a time to a time."""

    # No kind is chosen for the person: the kind decides the rules (notice, probation) and
    # the pay, so a request is never filed as personal leave by one careless tap.
    kind = SelectField(_l("Kind of leave"),
                       choices=choices([("", _l("— choose —")), *KIND_LABELS.items()]),
                       validators=[DataRequired(message=_l("Choose the kind of leave."))])
    first_day = DateField(_l("First day"), validators=[InputRequired()])
    start_time = TimeField(_l("From (time)"), validators=[Optional()],
                           description=_l("Leave empty for whole days."))
    last_day = DateField(_l("Last day"), validators=[Optional()],
                         description=_l("Leave empty for a single day."))
    end_time = TimeField(_l("Until (time)"), validators=[Optional()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=500)])

    def validate_last_day(self, field) -> None:
        """The period runs forwards (runs only when a last day is given: Optional stops the
        chain of an empty field)."""
        if self.first_day.data and field.data and field.data < self.first_day.data:
            raise ValidationError(_l("The last day comes before the first."))

    def last(self) -> date:
        """The last day: the first one when none is given (a single day)."""
        return self.last_day.data or self.first_day.data

    def period(self) -> tuple[datetime, datetime]:
        """The period in UTC: whole days unless times are given."""
        tz = center_tz()
        starts = datetime.combine(self.first_day.data, self.start_time.data or time(0), tz)
        if self.end_time.data:
            ends = datetime.combine(self.last(), self.end_time.data, tz)
        else:
            ends = datetime.combine(self.last() + timedelta(days=1), time(0), tz)
        return starts, ends


class DecisionForm(FlaskForm):
    """Approve or reject one step, with the version the approver saw."""

    decision = HiddenField()
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=500)])
    version = HiddenField()


class WithdrawForm(FlaskForm):
    """Take a request back."""

    version = HiddenField()


def load_leave(leave_id: int) -> LeaveRequest:
    """The request, or 404 when missing or outside the viewer's scope."""
    item = db.session.get(LeaveRequest, leave_id, options=[joinedload(LeaveRequest.user)],
                          with_for_update=lock_for_change(LeaveRequest))
    if item is None or not policy.can_see_leave(current_user, item):
        abort(404)
    return item


def _version(form) -> int:
    try:
        return int(form.version.data or 0)
    except ValueError:
        return -1


@bp.route("/leave")
def list_leave():
    """My requests, what waits for me, and (for leads and supervisors) the requests they see."""
    wanted = request.args.get("status", "")
    mine = db.session.scalars(
        select(LeaveRequest).where(LeaveRequest.user_id == current_user.id)
        .order_by(LeaveRequest.starts_at.desc()).limit(20)
    ).all()
    waiting = db.session.scalars(
        leave.waiting_for(current_user).options(joinedload(LeaveRequest.user))
        .order_by(LeaveRequest.starts_at)
    ).all()
    page = None
    if current_user.role in (Role.LEAD, Role.SUPERVISOR):
        stmt = policy.visible_leave(current_user, select(LeaveRequest).join(
            User, LeaveRequest.user_id == User.id)).options(joinedload(LeaveRequest.user))
        if wanted in STATUS_LABELS:
            stmt = stmt.where(LeaveRequest.status == wanted)
        page = paginate(stmt.order_by(LeaveRequest.starts_at.desc()))
    return render("staff/list_leave.html", block="results", mine=mine, waiting=waiting,
                  page=page, wanted=wanted, args={"status": wanted} if wanted else {},
                  kinds=KIND_LABELS, statuses=STATUS_LABELS, decision=DecisionForm())


@bp.route("/leave/new", methods=["GET", "POST"])
def new_leave():
    """Ask for leave; the rules are explained beside the field that broke them."""
    form = LeaveForm()
    if request.method == "GET":
        # The first whole day the notice rule allows (asked now, at least N days ahead).
        notice = timedelta(days=setting("leave_notice_days"))
        form.first_day.data = (utcnow().astimezone(center_tz()) + notice).date() + timedelta(
            days=1)
    if form.validate_on_submit():
        starts, ends = form.period()
        try:
            item = leave.ask(current_user, form.kind.data, starts, ends,
                             (form.reason.data or "").strip(), utcnow())
        except Refusal as error:
            field = {"starts_at": "first_day", "ends_at": "last_day"}.get(error.field,
                                                                          error.field)
            if (error.field == "ends_at" and form.end_time.data
                    and form.last() == form.first_day.data):
                field = "end_time"  # the same day: it is the times that are the wrong way
            getattr(form, field).errors = [*getattr(form, field).errors, error.message]
        else:
            db.session.commit()
            flash(_("Your leave request has been sent."), "success")
            return trigger(see_other(url_for("staff.show_leave", leave_id=item.id)),
                           "pending-changed")
    return render("staff/leave_form.html", block="form", form=form,
                  notice_days=setting("leave_notice_days"),
                  sick_minutes=setting("sick_notice_minutes"),
                  status=422 if form.errors else 200)


@bp.route("/leave/<int:leave_id>")
def show_leave(leave_id: int):
    """One request: period, shifts it removes, hours, where it stands and its history."""
    item = load_leave(leave_id)
    shifts = leave.shifts_removed(item.user_id, item.starts_at, item.ends_at)
    decision = DecisionForm(version=item.version)
    return render("staff/show_leave.html", item=item, shifts=shifts, kinds=KIND_LABELS,
                  statuses=STATUS_LABELS, decision=decision,
                  can_decide=leave.can_decide(current_user, item),
                  can_withdraw=item.user_id == current_user.id and item.status in leave.OPEN,
                  withdraw_form=WithdrawForm(version=item.version))


@bp.route("/leave/<int:leave_id>/decide", methods=["POST"])
def decide_leave(leave_id: int):
    """Approve or reject the current step; the first of two simultaneous clicks wins."""
    item = load_leave(leave_id)
    form = DecisionForm()
    if not form.validate_on_submit() or form.decision.data not in ("approve", "reject"):
        abort(400)
    try:
        leave.decide(item, current_user, form.decision.data == "approve",
                     form.reason.data or "", _version(form), utcnow())
        db.session.flush()
    except (StaleError, StaleDataError):
        if not wants_fragment():
            raise
        # From a card: show the request as it stands now, with why nothing happened.
        db.session.rollback()
        item = load_leave(leave_id)
        response = render("staff/_leave_row.html", item=item, kinds=KIND_LABELS,
                          statuses=STATUS_LABELS, decision=DecisionForm(), status=409,
                          can_decide=leave.can_decide(current_user, item),
                          notice=_("Someone else changed this request first: this is where it "
                                   "stands now."))
        return trigger(response, "pending-changed")
    except Refusal as error:
        form.reason.errors = [error.message]
        return render("staff/_leave_row.html", item=item, kinds=KIND_LABELS,
                      statuses=STATUS_LABELS, decision=form, status=422,
                      can_decide=True) if wants_fragment() else render(
            "staff/show_leave.html", item=item, kinds=KIND_LABELS, statuses=STATUS_LABELS,
            shifts=leave.shifts_removed(item.user_id, item.starts_at, item.ends_at),
            decision=form, can_decide=True, can_withdraw=False,
            withdraw_form=WithdrawForm(), status=422)
    db.session.commit()
    if wants_fragment():
        response = render("staff/_leave_row.html", item=item, kinds=KIND_LABELS,
                          statuses=STATUS_LABELS, decision=DecisionForm(), can_decide=False)
        return trigger(response, "pending-changed")
    flash(_("Your decision has been recorded."), "success")
    return trigger(see_other(url_for("staff.show_leave", leave_id=item.id)), "pending-changed")


@bp.route("/leave/<int:leave_id>/withdraw", methods=["POST"])
def withdraw_leave(leave_id: int):
    """The requester takes the request back before the final decision."""
    item = load_leave(leave_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        abort(400)
    leave.withdraw(item, current_user, _version(form), utcnow())
    db.session.commit()
    flash(_("The request has been withdrawn."), "success")
    return trigger(see_other(url_for("staff.show_leave", leave_id=item.id)), "pending-changed")
