"""The shell every area sits in: the home page of cards, the pending counter, the language
switch, the health check and the audit trail browser."""

from datetime import date, datetime, time, timedelta

from flask import Response, current_app, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Optional

from app import areas, audit
from app.auth.routes import safe_next
from app.extensions import db
from app.forms import ConfirmForm, choices
from app.htmx import render, see_other
from app.i18n import datetime_filter, force_locale
from app.i18n import lazy_gettext as _l
from app.main import bp
from app.pagination import paginate
from app.people.models import User
from app.timeutil import center_tz


@bp.route("/health")
def health():
    """Liveness check for load balancers; also the ceiling in benchmarks."""
    return Response("ok", mimetype="text/plain")


@bp.route("/")
def home():
    """Each role's home, built from the cards every area declares."""
    cards = areas.render_panels(areas.home_cards(), current_user._get_current_object())
    return render("main/home.html", cards=cards)


@bp.route("/pending/count")
def pending_count():
    """The number of items waiting for the signed-in person (the navigation badge)."""
    number = sum(areas.waiting_counts(current_user).values())
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


# The widest days whose bounds exist as UTC datetimes in every time zone.
FIRST_DAY, LAST_DAY = date(1, 1, 2), date(9999, 12, 30)


@bp.route("/audit")
def list_audit():
    """Supervisors browse and filter the audit trail."""
    form = AuditFilterForm(request.args)
    # Translated once here: a lazy label would be translated again at every use in the widget.
    objects = areas.audit_objects()
    form.object_type.choices = choices([("", _("Any")),
                                        *((kind, str(label)) for kind, (label, _page, _arg) in
                                          objects.items())])
    stmt = select(audit.AuditEvent).options(joinedload(audit.AuditEvent.actor))
    if form.validate():
        if form.action.data:
            stmt = stmt.where(_action_matches(form.action.data.strip()[:64]))
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
    words = TrailWords(areas.audit_words(), page.items)
    return render("main/list_audit.html", block="results", form=form, page=page, args=args,
                  actions=areas.audit_actions(),
                  objects={kind: label for kind, (label, _page, _arg) in objects.items()},
                  object_url=_object_url, words=words,
                  status=422 if form.errors else 200)


class TrailWords:
    """The audit trail of one page in words: field names as the forms label them, values as
    the pages show them (待组长审批, not pending_lead), and objects by name (人员 张三
    (CF1001), not 人员 45), every kind named in one query for the page."""

    def __init__(self, words: areas.AuditWords, events) -> None:
        self.words = words
        wanted: dict[str, set[int]] = {}
        for event in events:
            if event.object_id.isdigit():
                wanted.setdefault(event.object_type, set()).add(int(event.object_id))
            for key, _had, old, new in event.changes():
                kind = words.refs.get(key)
                for value in (old, new):
                    if kind and isinstance(value, int) and not isinstance(value, bool):
                        wanted.setdefault(kind, set()).add(value)
        self.names = {kind: words.names[kind](sorted(ids)) for kind, ids in wanted.items()
                      if kind in words.names}

    def field(self, key: str) -> str:
        """A recorded field's name."""
        label = self.words.fields.get(key)
        return str(label) if label is not None else key

    def value(self, object_type: str, key: str, value) -> str:
        """A recorded value as the pages show it."""
        found = self.words.values.get((object_type, key), {})
        if isinstance(value, str) and value in found:
            return str(found[value])
        kind = self.words.refs.get(key)
        if kind and isinstance(value, int) and not isinstance(value, bool):
            return self.names.get(kind, {}).get(value) or str(value)
        return _shown(value)

    def name(self, object_type: str, object_id: str) -> str:
        """An object's name, or its id when its kind has no name."""
        if object_id.isdigit():
            return self.names.get(object_type, {}).get(int(object_id)) or object_id
        return object_id


def _action_matches(typed: str):
    """The rows whose action is what the person typed: its words as the trail shows them
    (新增人员, 登录 ...: every action whose name holds the text, in the page's language or the
    other), or the start of its code (person., auth.sign_in)."""
    wanted = typed.casefold()
    codes = [code for code, label in areas.audit_actions().items()
             if wanted in str(label).casefold() or wanted in _in_every_language(label)]
    return or_(audit.AuditEvent.action.startswith(typed), audit.AuditEvent.action.in_(codes))


def _in_every_language(label) -> str:
    """A lazy label's words in each language the app speaks, for searching."""
    words = []
    for locale in current_app.config["LANGUAGES"]:
        with force_locale(locale):
            words.append(str(label).casefold())
    return " | ".join(words)


def _object_url(object_type: str, object_id: str) -> str | None:
    """The page of an audited object, when it has one (the page still checks who may see
    it)."""
    _label, endpoint, argument = areas.audit_objects().get(object_type, (None, None, None))
    if endpoint is None or not object_id.isdigit():
        return None
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
