"""Home pages, language switch, health check and the audit trail browser."""

from datetime import date, datetime, time, timedelta

from flask import Blueprint, Response, current_app, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Optional

from app import audit
from app.auth.routes import safe_next
from app.extensions import db
from app.htmx import render, see_other
from app.i18n import datetime_filter
from app.i18n import lazy_gettext as _l
from app.pagination import paginate
from app.qa import home as qa_home
from app.staff import leave_routes, pending, policy, schedule, swap_routes
from app.staff import services as staff_services
from app.staff.forms import ConfirmForm, choices
from app.staff.models import Role, Status, User
from app.timeutil import center_today, center_tz

bp = Blueprint("main", __name__)


@bp.route("/health")
def health():
    """Liveness check for load balancers; also the ceiling in benchmarks."""
    return Response("ok", mimetype="text/plain")


# The lead's card of team members, built once (the team and the lead bound per request).
_TEAM_MATES = (select(User).where(User.team_id == bindparam("team"), User.status != Status.LEFT,
                                  User.id != bindparam("me")).order_by(User.employee_no))


@bp.route("/")
def home():
    """Each role's home, built from cards."""
    cards = {"team_members": [], "head_counts": None}
    if current_user.role == Role.LEAD and current_user.team_id:
        cards["team_members"] = db.session.scalars(
            _TEAM_MATES, {"team": current_user.team_id, "me": current_user.id}).all()
    if policy.is_supervisor(current_user):
        cards["head_counts"] = staff_services.head_counts()
    cards["pending"] = pending.lists(current_user)
    cards["quality"] = qa_home.card(current_user)
    cards["next_shifts"] = schedule.shift_rows(current_user, center_today(), limit=3)
    return render("main/home.html", cards=cards, kinds=leave_routes.KIND_LABELS,
                  statuses=leave_routes.STATUS_LABELS, decision=leave_routes.DecisionForm(),
                  swap_labels=swap_routes.STATUS_LABELS, swap_buttons=swap_routes.BUTTONS,
                  shift_text=swap_routes.shift_text)


@bp.route("/pending/count")
def pending_count():
    """The number of items waiting for the signed-in person (the navigation badge)."""
    number = pending.count(current_user)
    return Response(str(number) if number else "", mimetype="text/html")


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch the language; remembered per person when signed in."""
    form = ConfirmForm()
    locale = request.form.get("locale", "")
    if not form.validate_on_submit() or locale not in current_app.config["LANGUAGES"]:
        return render("errors/error.html", status=422, title=_("Unknown language"),
                      hint="", reference="", message="", fragment=False)
    session["locale"] = locale
    if current_user.is_authenticated and current_user.locale != locale:
        before = {"locale": current_user.locale}
        current_user.locale = locale
        audit.record("person.locale", current_user, before=before, after={"locale": locale})
        db.session.commit()
    back = safe_next(request.form.get("next"))
    return see_other(back or "/")


class AuditFilterForm(ConfirmForm):
    """Filters for the audit trail, read from the query string."""

    class Meta:
        csrf = False

    action = StringField(_l("Action"), validators=[Optional()])
    object_type = SelectField(_l("Object"), validators=[Optional()])
    actor = StringField(_l("Who (username)"), validators=[Optional()])
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])


# What each kind of audited object is called, and the page that shows one (by its id).
OBJECT_LABELS = {
    "user": _l("Person"), "team": _l("Team"), "login_throttle": _l("Sign-in lock"),
    "import_batch": _l("Import"), "setting": _l("Center rule"), "shift": _l("Shift"),
    "leave_request": _l("Leave request"), "shift_swap": _l("Shift swap"),
    "handover": _l("Handover"), "handover_item": _l("Handover item"),
    "away_request": _l("Away request"), "call": _l("Call"), "api_token": _l("API token"),
    "scorecard": _l("Scorecard"), "scorecard_version": _l("Scorecard version"),
    "scorecard_category": _l("Scorecard category"), "scorecard_item": _l("Deduction item"),
    "sampling_rule": _l("Sampling rule"), "sample_draw": _l("Daily sample"),
    "evaluation": _l("Evaluation"), "calibration": _l("Calibration"), "report": _l("QA report"),
}
OBJECT_PAGES = {
    "user": ("staff.show_person", "person_id"), "leave_request": ("staff.show_leave", "leave_id"),
    "shift_swap": ("staff.show_swap", "swap_id"),
    "handover": ("staff.show_handover", "handover_id"), "call": ("qa.show_call", "call_id"),
    "scorecard": ("qa.show_scorecard", "scorecard_id"),
    "sampling_rule": ("qa.show_rule", "rule_id"),
    "evaluation": ("qa.show_evaluation", "evaluation_id"),
    "calibration": ("qa.show_calibration", "calibration_id"),
}
# What each audited action is called in the list (the code stays beside it, for searching).
ACTION_LABELS = {
    "account.unlock": _l("Account unlocked"), "auth.sign_in": _l("Signed in"),
    "auth.sign_out": _l("Signed out"), "auth.password_change": _l("Password changed"),
    "person.create": _l("Person added"), "person.update": _l("Person changed"),
    "person.deactivate": _l("Person deactivated"), "person.confirm": _l("Employment confirmed"),
    "person.grade": _l("Grade changed"), "person.reset_password": _l("Password reset"),
    "person.locale": _l("Language chosen"), "people.import": _l("People imported"),
    "team.create": _l("Team created"), "team.update": _l("Team changed"),
    "rule.change": _l("Center rule changed"), "shift.create": _l("Shift added"),
    "shift.delete": _l("Shift deleted"), "shift.import": _l("Roster imported"),
    "shift.pattern": _l("Weekly pattern applied"), "leave.ask": _l("Leave asked"),
    "leave.approve": _l("Leave approved"), "leave.reject": _l("Leave rejected"),
    "leave.withdraw": _l("Leave withdrawn"), "swap.ask": _l("Swap asked"),
    "swap.agree": _l("Swap agreed"), "swap.decline": _l("Swap declined"),
    "swap.sign": _l("Swap signed by a lead"), "swap.approve": _l("Swap approved"),
    "swap.reject": _l("Swap rejected"), "swap.withdraw": _l("Swap withdrawn"),
    "handover.write": _l("Handover written"), "handover.item_ack": _l("Handover item answered"),
    "handover.sign": _l("Handover signed"), "handover.item_close": _l("Handover item closed"),
    "away.ask": _l("Asked to step away"), "away.allow": _l("Stepping away allowed"),
    "away.refuse": _l("Stepping away refused"), "away.back": _l("Back at the seat"),
    "call.import": _l("Calls imported"), "api_token.create": _l("API token made"),
    "api_token.revoke": _l("API token revoked"), "scorecard.create": _l("Scorecard created"),
    "scorecard.new_version": _l("Scorecard version made"),
    "scorecard.add_category": _l("Scorecard category added"),
    "scorecard.add_item": _l("Deduction item added"),
    "scorecard.change_item": _l("Deduction item changed"),
    "scorecard.remove_item": _l("Deduction item removed"),
    "sampling_rule.save": _l("Sampling rule saved"),
    "sampling_rule.publish": _l("Sampling rule published"), "sample.draw": _l("Sample drawn"),
    "evaluation.start": _l("Evaluation started"), "evaluation.save": _l("Evaluation saved"),
    "evaluation.publish": _l("Evaluation published"), "evaluation.read": _l("Evaluation read"),
    "calibration.create": _l("Calibration started"),
    "calibration.close": _l("Calibration closed"), "report.export": _l("Report exported"),
    "demo.load": _l("Demo loaded"),
}
# The widest days whose bounds exist as UTC datetimes in every time zone.
FIRST_DAY, LAST_DAY = date(1, 1, 2), date(9999, 12, 30)


@bp.route("/audit")
def list_audit():
    """Supervisors browse and filter the audit trail."""
    form = AuditFilterForm(request.args)
    # Translated once here: a lazy label would be translated again at every use in the widget.
    form.object_type.choices = choices([("", _("Any")),
                                        *((kind, str(label)) for kind, label in
                                          OBJECT_LABELS.items())])
    stmt = select(audit.AuditEvent).options(joinedload(audit.AuditEvent.actor))
    if form.validate():
        if form.action.data:
            stmt = stmt.where(audit.AuditEvent.action.startswith(form.action.data.strip()[:64]))
        if form.object_type.data:
            stmt = stmt.where(audit.AuditEvent.object_type == form.object_type.data)
        if form.actor.data:
            stmt = stmt.join(User, audit.AuditEvent.actor_id == User.id).where(
                User.username == form.actor.data.strip().lower()
            )
        tz = center_tz()
        if form.start.data:
            start = max(form.start.data, FIRST_DAY)
            stmt = stmt.where(audit.AuditEvent.at >= datetime.combine(start, time(), tz))
        if form.end.data:
            end = datetime.combine(min(form.end.data, LAST_DAY) + timedelta(days=1), time(), tz)
            stmt = stmt.where(audit.AuditEvent.at < end)
    page = paginate(stmt.order_by(audit.AuditEvent.id.desc()))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render("main/list_audit.html", block="results", form=form, page=page, args=args,
                  actions=ACTION_LABELS, objects=OBJECT_LABELS, object_url=_object_url,
                  shown=_shown,
                  status=422 if form.errors else 200)


def _object_url(object_type: str, object_id: str) -> str | None:
    """The page of an audited object, when it has one (the page still checks who may see
    it)."""
    page = OBJECT_PAGES.get(object_type)
    if page is None or not object_id.isdigit():
        return None
    endpoint, argument = page
    return url_for(endpoint, **{argument: int(object_id)})


def _shown(value) -> str:
    """A recorded value as a person reads it: moments in the center's time, nothing as a
    dash, lists without brackets."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value) or "—"
    if isinstance(value, str) and len(value) > 18 and value[10:11] == "T":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return datetime_filter(moment, "short")
    return str(value)
