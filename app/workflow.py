"""What every workflow shares: its refusals, the forms that carry a version, the check that it
is the actor's turn on the version they saw, the flow of its decide and withdraw views, and the
history of its steps.

Leave, swaps, away from seat, handovers and evaluations all build on these; no area defines
its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from flask import Response, abort, flash, get_template_attribute
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from app.confirm import ask
from app.db_types import UTCDateTime, utc_default
from app.extensions import db
from app.forms import Form, show_refusal
from app.htmx import see_other, trigger, wants_fragment
from app.i18n import lazy_gettext as _l
from app.timeutil import utcnow

# The htmx event a page listens to, to refresh what waits for the person (badge, cards).
PENDING_CHANGED = "pending-changed"

# The questions of a step that cannot be undone (app/confirm.py); they name no one.
APPROVE = _l("Approve this request?")
REFUSE = _l("Refuse this request?")
WITHDRAW = _l("Withdraw this request? It cannot be taken back.")


class Refusal(ValueError):  # noqa: N818 (a refusal is what the person is told, not a fault)
    """A center rule refused the change; `field` names the form field to blame, `message` says
    why in the reader's language."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class NotYourTurnError(Exception):
    """The actor may not take this step of a workflow (the view answers 403 or 404)."""


class StaleError(Exception):
    """The object is no longer in the state the actor saw (the view answers 409)."""


def check_seen(obj, seen_version: int, still_open: bool = True) -> None:
    """The object is still open and still the version the actor saw; StaleError otherwise."""
    if obj.version != seen_version or not still_open:
        raise StaleError


def check_turn(may_act: bool, obj, seen_version: int, still_open: bool = True) -> None:
    """The one guard before a step: the object is still open and the version the actor saw,
    and it is the actor's turn. Raises StaleError or NotYourTurnError.

    The version comes first: whose turn it is depends on where the object stands, so the
    person who clicks on a card that changed meanwhile is told it changed (409), not that
    the step is not theirs (403).
    """
    check_seen(obj, seen_version, still_open)
    if not may_act:
        raise NotYourTurnError


class VersionedForm(Form):
    """Carries the version the form was drawn from, to refuse stale saves."""

    version = HiddenField()

    def stale(self, obj) -> bool:
        """True when the record changed since this form was drawn."""
        return str(obj.version) != (self.version.data or "")

    def seen_version(self) -> int:
        """The version the person saw, as a number (-1 when it was tampered with)."""
        try:
            return int(self.version.data or 0)
        except ValueError:
            return -1


class DecisionForm(VersionedForm):
    """Approve or reject (agree, sign, allow) one step, with the version the person saw."""

    # What the yes and the no button send.
    CHOICES = {"approve": True, "reject": False}

    decision = HiddenField()
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=500)])

    def validate_decision(self, field) -> None:
        """Only what one of the two buttons sends (anything else is a malformed request)."""
        if (field.data or "") not in self.CHOICES:
            raise ValidationError(_l("Choose one of the buttons."))

    def approves(self) -> bool | None:
        """True to approve, False to reject, None when the button sent neither."""
        return self.CHOICES.get(self.decision.data or "")

    def reason_errors(self) -> list[str]:
        """What goes beside the reason: its own errors, and a refusal that named no field of
        this form."""
        return [*self.reason.errors, *self.form_errors]


class WithdrawForm(VersionedForm):
    """The requester takes a request back."""


def render_card(template: str, macro: str, *args, status: int = 200, **kwargs) -> Response:
    """One item's card, a macro of `templates/<area>/_name.html`, drawn alone: the answer to
    an htmx request made from the card."""
    html = get_template_attribute(template, macro)(*args, **kwargs)
    return Response(html, status=status, mimetype="text/html")


@dataclass(frozen=True)
class StepViews:
    """The decide and withdraw views of one workflow, written once.

    `load(id)` returns the object or answers 404; `url(obj)` is its page. A workflow with
    cards (the home page, its lists) gives `card(obj, status=200, form=None)`, its card drawn
    alone, and `page(obj, status=200, form=None)`, its page: both show a refused step beside
    the form's reason, and a 409 card says why nothing happened.
    """

    load: Callable[[int], Any]
    url: Callable[[Any], str]
    card: Callable[..., Response] | None = None
    page: Callable[..., Response] | None = None

    def decide(self, obj_id: int, service: Callable[..., None]) -> Response:
        """Approve or reject the current step through
        `service(obj, actor, approve, reason, seen_version, now)`."""

        def act(obj, form: DecisionForm) -> None:
            service(obj, current_user, form.approves(), form.reason.data or "",
                    form.seen_version(), utcnow())

        form = DecisionForm()
        return self.take(obj_id, form, act, _("Your decision has been recorded."),
                         APPROVE if form.approves() else REFUSE)

    def withdraw(self, obj_id: int, service: Callable[..., None], message: str) -> Response:
        """The requester takes the request back through `service(obj, actor, seen_version,
        now)`; the answer is always the object's page, never a card."""

        def act(obj, form: WithdrawForm) -> None:
            service(obj, current_user, form.seen_version(), utcnow())

        return replace(self, card=None, page=None).take(obj_id, WithdrawForm(), act, message,
                                                        WITHDRAW)

    def take(self, obj_id: int, form: VersionedForm, act: Callable[[Any, Any], None],
             message: str, question=None) -> Response:
        """The one flow of a step's view: load (404), validate the form (400), ask `question`
        unless the form says it was answered (app/confirm.py), `act(obj, form)` calls the
        service, commit, and answer with PENDING_CHANGED: the card for a targeted htmx
        request, else `message` flashed on the object's page.

        Someone else changed the object first (StaleError): a targeted htmx request gets the
        card as it stands now (409); without a card, or for a full page, the error goes on
        to the 409 page. A Refusal goes beside the form field it names, answered 422 with the
        card for htmx, else the page; without a page it goes on as it is.
        """
        obj = self.load(obj_id)
        if not form.validate_on_submit():
            abort(400)
        if question is not None:
            ask(question)
        try:
            act(obj, form)
            db.session.flush()
        except (StaleError, StaleDataError):
            if self.card is None or not wants_fragment():
                raise
            db.session.rollback()
            return trigger(self.card(self.load(obj_id), status=409), PENDING_CHANGED)
        except Refusal as error:
            if self.page is None:
                raise
            db.session.rollback()
            show_refusal(form, error)
            if self.card is not None and wants_fragment():
                return self.card(self.load(obj_id), status=422, form=form)
            return self.page(self.load(obj_id), status=422, form=form)
        db.session.commit()
        if self.card is not None and wants_fragment():
            return trigger(self.card(obj), PENDING_CHANGED)
        flash(message, "success")
        return trigger(see_other(self.url(obj)), PENDING_CHANGED)


class StepMixin:
    """One entry in a workflow's history: what was done, by whom, why and when.

    A model that mixes it in names its parent with `parent_key`; columns of its own (such as
    the stage a leave step was taken at) follow the action. The sort orders keep each table's
    columns where its migration put them: id, parent, action, the model's own, actor, reason,
    time.
    """

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-3)
    action: Mapped[str] = mapped_column(String(16), sort_order=-1)
    reason: Mapped[str] = mapped_column(String(500), default="", sort_order=2)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_default, sort_order=3)

    @staticmethod
    def parent_key(column: str):
        """The step's parent (`"leave_request.id"`): its steps go when it goes."""
        return mapped_column(ForeignKey(column, ondelete="CASCADE"), index=True, sort_order=-2)

    @declared_attr
    def actor_id(cls) -> Mapped[int | None]:  # noqa: N805
        return mapped_column(ForeignKey("user.id", ondelete="SET NULL"), sort_order=1)

    @declared_attr
    def actor(cls):  # noqa: N805
        return relationship("User", foreign_keys=lambda: [cls.actor_id])
