"""The words of the notifications the time work posts to the inbox (leave.py, swaps.py and
away.py post them). Each is built from the stored parameters when the notification is read,
so it is in the reader's language."""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from flask_babel import gettext as _

from app.i18n import datetime_filter
from app.staff.leave_routes import KIND_LABELS, leave_period
from app.staff.swap_routes import shift_text


class _Period(NamedTuple):
    """What leave_period reads of a request."""

    starts_at: datetime
    ends_at: datetime


class _Shift(NamedTuple):
    """What shift_text reads of a shift."""

    day: date
    starts_at: datetime
    ends_at: datetime
    label: str


def _leave(params: dict) -> dict:
    period = _Period(datetime.fromisoformat(params["starts"]),
                     datetime.fromisoformat(params["ends"]))
    return {"kind": KIND_LABELS.get(params["kind"], params["kind"]),
            "period": leave_period(period)}


def _shift(stored: dict) -> str:
    return shift_text(_Shift(date.fromisoformat(stored["day"]),
                             datetime.fromisoformat(stored["starts_at"]),
                             datetime.fromisoformat(stored["ends_at"]), stored["label"]))


def _swap(params: dict) -> dict:
    return {"name": params["name"], "given": _shift(params["given"]),
            "taken": _shift(params["taken"])}


def _asked(params: dict) -> str:
    return datetime_filter(datetime.fromisoformat(params["asked"]), "short")


KINDS = {
    "leave.approved": lambda p: _("Your leave was approved: %(kind)s, %(period)s.", **_leave(p)),
    "leave.rejected": lambda p: _("Your leave was rejected: %(kind)s, %(period)s.", **_leave(p)),
    "swap.approved": lambda p: _(
        "Your shift swap with %(name)s was approved: you give %(given)s and take %(taken)s.",
        **_swap(p)),
    "swap.rejected": lambda p: _(
        "Your shift swap with %(name)s was rejected: you keep %(given)s.", **_swap(p)),
    "swap.declined": lambda p: _(
        "%(name)s declined your shift swap: you keep %(given)s.", **_swap(p)),
    "away.allowed": lambda p: _("You may step away (asked %(asked)s).", asked=_asked(p)),
    "away.refused": lambda p: _("Your request to step away (asked %(asked)s) was refused.",
                                asked=_asked(p)),
}
