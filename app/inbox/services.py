"""Posting, reading and clearing notifications. Any area tells a person something with one
call, `post`, of a kind it declares (`Area.notification_kinds`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import Select, delete, func, select, update
from werkzeug.routing import BuildError

from app import statements
from app.areas import registered
from app.extensions import db
from app.inbox.models import Notification
from app.settings import value as setting
from app.timeutil import utcnow

CARD_SIZE = 5  # unread notifications on the home card


def kinds() -> dict[str, Any]:
    """Every kind of notification the areas declare, with the function that words it."""
    return {kind: words for area in registered() for kind, words in
            area.notification_kinds.items()}


def _stored(value: Any) -> str:
    """Days and moments are stored as ISO text; anything else JSON cannot hold is a bug."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"a notification cannot store {type(value).__name__}")


def post(recipient, kind: str, link_endpoint: str, link_args: dict[str, Any], /, *,
         at: datetime | None = None, **params: Any) -> Notification:
    """Tell a person (a User or a user id) something. The kind and its parameters are stored
    and worded when read; `link_endpoint` with `link_args` is the page of the thing it is
    about; `at` is when it happened (now unless given). Every other keyword is a parameter,
    of any name but `at`. The caller commits."""
    if kind not in kinds():
        raise ValueError(f"no area declares the notification kind {kind!r}")
    if link_endpoint not in current_app.view_functions:
        raise ValueError(f"no page {link_endpoint!r} for a notification to link to")
    notification = Notification(
        recipient_id=recipient if isinstance(recipient, int) else recipient.id,
        kind=kind,
        params=json.dumps(params, ensure_ascii=False, default=_stored),
        link_endpoint=link_endpoint,
        link_args=json.dumps(link_args, ensure_ascii=False, default=_stored),
        created_at=at or utcnow(),
    )
    db.session.add(notification)
    return notification


@dataclass(frozen=True)
class Shown:
    """A notification as its reader sees it: the words in their language, and the link while
    the page exists."""

    notification: Notification
    text: str
    url: str | None

    @property
    def unread(self) -> bool:
        """Not read yet."""
        return self.notification.read_at is None


def text_of(notification: Notification, known: dict[str, Any] | None = None) -> str:
    """The notification's words in the reader's language."""
    words = (kinds() if known is None else known).get(notification.kind)
    if words is not None:
        try:
            return words(json.loads(notification.params))
        except (KeyError, ValueError):
            pass  # stored by an older version with other parameters
    return _("A notification whose details can no longer be shown.")


def url_of(notification: Notification) -> str | None:
    """The page the notification is about (that page still checks who may see it)."""
    if not notification.link_endpoint:
        return None
    try:
        return url_for(notification.link_endpoint, **json.loads(notification.link_args))
    except (BuildError, ValueError, TypeError):
        return None


def shown(notifications) -> list[Shown]:
    """Notifications with their words and links, for a page."""
    known = kinds()
    return [Shown(item, text_of(item, known), url_of(item)) for item in notifications]


def mine(user) -> Select:
    """A select of the person's own notifications: unread first, then read; newest first
    within each."""
    return select(Notification).where(Notification.recipient_id == user.id).order_by(
        Notification.read_at.is_not(None), Notification.created_at.desc(),
        Notification.id.desc())


def unread_count(user) -> int:
    """How many of the person's notifications are unread."""
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.recipient_id == user.id, Notification.read_at.is_(None)))


def latest_unread(user, limit: int = CARD_SIZE) -> tuple[list[Notification], int]:
    """The person's newest unread notifications and how many are unread, in one query.

    Every home page asks, so the statement is built once (app/statements.py): with it, the
    team card's and the lead's quality card's, the lead's home page answered 313 requests a
    second against 261 with the three built per request, an agent's 523 against 449 (make
    bench, / lead1 and / agent01, medians of three interleaved runs)."""
    stmt = statements.once(("latest unread", limit), lambda: select(
        Notification, func.count().over()).where(
            Notification.recipient_id == statements.Person("").id,
            Notification.read_at.is_(None))
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit))
    rows = db.session.execute(stmt, statements.person_args(user)).all()
    return [item for item, _total in rows], (rows[0][1] if rows else 0)


def mark_read(notification: Notification, now: datetime) -> None:
    """The notification has been shown to its reader (the first time counts)."""
    if notification.read_at is None:
        notification.read_at = now


def mark_all_read(user, now: datetime) -> int:
    """Every unread notification of the person is read now; returns how many."""
    result = db.session.execute(update(Notification).where(
        Notification.recipient_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now))
    return result.rowcount


def mark_read_before(moment: datetime, now: datetime) -> int:
    """Every notification that came before `moment` is read now (the demo center's past has
    been seen); returns how many."""
    result = db.session.execute(update(Notification).where(
        Notification.created_at < moment, Notification.read_at.is_(None)).values(read_at=now))
    return result.rowcount


def clean(now: datetime) -> int:
    """Remove the notifications older than `inbox_keep_days`, read or not; returns how
    many."""
    oldest_kept = now - timedelta(days=setting("inbox_keep_days"))
    result = db.session.execute(
        delete(Notification).where(Notification.created_at < oldest_kept))
    return result.rowcount
