"""Leave: ask, see where it stands, approve or reject, withdraw."""

from datetime import time, timedelta

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.database import lock_for_change
from app.extensions import db
from app.htmx import render, see_other, trigger
from app.i18n import date_filter, datetime_filter
from app.i18n import lazy_gettext as _l
from app.pagination import paginate
from app.people.models import User
from app.settings import value as setting
from app.staff import bp, leave, policy
from app.staff.forms import LEAVE_KIND_LABELS as KIND_LABELS
from app.staff.forms import LeaveForm
from app.staff.models import LeaveRequest, LeaveStatus
from app.timeutil import center_tz, utcnow
from app.workflow import PENDING_CHANGED, DecisionForm, Refusal, StepViews, render_card

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


def load_leave(leave_id: int) -> LeaveRequest:
    """The request, or 404 when missing or outside the viewer's scope."""
    item = db.session.get(LeaveRequest, leave_id, options=[joinedload(LeaveRequest.user)],
                          with_for_update=lock_for_change(LeaveRequest))
    if item is None or not policy.can_see_leave(current_user, item):
        abort(404)
    return item


def leave_card(item: LeaveRequest, status: int = 200, form: DecisionForm | None = None):
    """The request as a compact card, the answer to a decision made from one: the approver's
    buttons while it is their turn, a refusal beside the reason, or (409) why nothing
    happened."""
    notice = ""
    if status == 409:
        notice = _("Someone else changed this request first: this is where it stands now.")
    return render_card("staff/_leave_row.html", "leave_row", item, KIND_LABELS, STATUS_LABELS,
                       can_decide=leave.can_decide(current_user, item),
                       errors=form.reason_errors() if form else [], notice=notice,
                       status=status)


def leave_page(item: LeaveRequest, status: int = 200, form: DecisionForm | None = None):
    """The request's page: period, shifts it removes, hours, where it stands, its history,
    and the buttons of whoever may act now (a refusal beside the reason)."""
    return render("staff/show_leave.html", item=item, kinds=KIND_LABELS,
                  statuses=STATUS_LABELS,
                  shifts=leave.shifts_removed(item.user_id, item.starts_at, item.ends_at),
                  can_decide=leave.can_decide(current_user, item),
                  errors=form.reason_errors() if form else [],
                  can_withdraw=item.user_id == current_user.id and item.status in leave.OPEN,
                  status=status)


def _show_url(item: LeaveRequest) -> str:
    return url_for("staff.show_leave", leave_id=item.id)


STEPS = StepViews(load_leave, _show_url, leave_card, leave_page)


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
    if policy.can_see_team_leave(current_user):
        stmt = policy.visible_leave(current_user, select(LeaveRequest).join(
            User, LeaveRequest.user_id == User.id)).options(joinedload(LeaveRequest.user))
        if wanted in STATUS_LABELS:
            stmt = stmt.where(LeaveRequest.status == wanted)
        page = paginate(stmt.order_by(LeaveRequest.starts_at.desc()))
    return render("staff/list_leave.html", block="results", mine=mine, waiting=waiting,
                  page=page, wanted=wanted, args={"status": wanted} if wanted else {},
                  kinds=KIND_LABELS, statuses=STATUS_LABELS)


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
            return trigger(see_other(_show_url(item)), PENDING_CHANGED)
    return render("staff/leave_form.html", block="form", form=form,
                  notice_days=setting("leave_notice_days"),
                  sick_minutes=setting("sick_notice_minutes"),
                  status=422 if form.errors else 200)


@bp.route("/leave/<int:leave_id>")
def show_leave(leave_id: int):
    """One request: period, shifts it removes, hours, where it stands and its history."""
    return leave_page(load_leave(leave_id))


@bp.route("/leave/<int:leave_id>/decide", methods=["POST"])
def decide_leave(leave_id: int):
    """Approve or reject the current step; the first of two simultaneous clicks wins."""
    return STEPS.decide(leave_id, leave.decide)


@bp.route("/leave/<int:leave_id>/withdraw", methods=["POST"])
def withdraw_leave(leave_id: int):
    """The requester takes the request back before the final decision."""
    return STEPS.withdraw(leave_id, leave.withdraw, _("The request has been withdrawn."))
