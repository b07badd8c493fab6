"""What every workflow shares: its refusals, the forms that carry a version, the check that it
is the actor's turn on the version they saw, and the history of its steps.

Leave, swaps, away from seat, handovers and evaluations all build on these; no area defines
its own.
"""

from __future__ import annotations

from datetime import datetime

from flask_wtf import FlaskForm
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length, Optional

from app.db_types import UTCDateTime, utc_default
from app.i18n import lazy_gettext as _l

# The htmx event a page listens to, to refresh what waits for the person (badge, cards).
PENDING_CHANGED = "pending-changed"


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


def check_turn(may_act: bool, obj, seen_version: int) -> None:
    """The one guard before a step: it is the actor's turn, and the object is still the
    version they saw. Raises NotYourTurnError or StaleError."""
    if not may_act:
        raise NotYourTurnError
    if obj.version != seen_version:
        raise StaleError


class VersionedForm(FlaskForm):
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

    decision = HiddenField()
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=500)])

    def approves(self) -> bool | None:
        """True to approve, False to reject, None when the button sent neither."""
        return {"approve": True, "reject": False}.get(self.decision.data or "")


class WithdrawForm(VersionedForm):
    """The requester takes a request back."""


class StepMixin:
    """One entry in a workflow's history: what was done, at which stage, by whom, why, when.

    A model that mixes it in names its parent with a foreign key column of its own.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_default)

    @declared_attr
    def actor_id(cls) -> Mapped[int | None]:  # noqa: N805
        return mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    @declared_attr
    def actor(cls):  # noqa: N805
        return relationship("User", foreign_keys=lambda: [cls.actor_id])
