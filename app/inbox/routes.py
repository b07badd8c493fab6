"""The inbox page, the unread counter, and marking notifications read (always by POST)."""

from flask import Response, abort, url_for
from flask_login import current_user

from app.extensions import db
from app.htmx import is_htmx, render, see_other, trigger
from app.inbox import bp, policy, services
from app.inbox.models import Notification
from app.pagination import paginate
from app.timeutil import utcnow

CHANGED = "inbox-changed"  # the event the navigation's counter listens for


def load_notification(notification_id: int) -> Notification:
    """The notification, or 404 when it is missing or someone else's."""
    notification = db.session.get(Notification, notification_id)
    if not policy.can_read(current_user, notification):
        abort(404)
    return notification


@bp.route("/inbox")
def list_notifications():
    """The person's notifications, unread first. Each one shown marks itself read with its own
    POST: this GET changes nothing."""
    page = paginate(services.mine(current_user))
    return render("inbox/list_notifications.html", block="results", page=page,
                  notifications=services.shown(page.items))


@bp.route("/inbox/count")
def unread_count():
    """How many of the person's notifications are unread (the navigation badge)."""
    number = services.unread_count(current_user)
    return Response(str(number) if number else "", mimetype="text/html")


@bp.route("/inbox/<int:notification_id>/read", methods=["POST"])
def read_notification(notification_id: int):
    """Mark one notification read (htmx sends this when the inbox shows it)."""
    notification = load_notification(notification_id)
    services.mark_read(notification, utcnow())
    db.session.commit()
    if is_htmx():
        return trigger(Response(status=204), CHANGED)
    return see_other(url_for("inbox.list_notifications"))


@bp.route("/inbox/read", methods=["POST"])
def read_all():
    """Mark every notification of the person read (the page comes again, its badge too)."""
    services.mark_all_read(current_user, utcnow())
    db.session.commit()
    return see_other(url_for("inbox.list_notifications"))
