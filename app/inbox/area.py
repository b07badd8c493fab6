"""What the inbox declares: its routes' access, its link with the unread badge, its home card,
how long notifications are kept, and the command that removes older ones."""

import click
from flask import Flask, render_template

from app.access import SIGNED_IN
from app.areas import Area, NavLink, Panel
from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.inbox import bp, services
from app.settings import Kind, Spec
from app.settings import value as setting
from app.timeutil import utcnow


class NavLabel:
    """The link's words with the unread badge. The navigation is rendered once per role,
    language and page and then reused, so the badge carries no number of its own: it asks
    for the reader's count in its own request."""

    def __html__(self) -> str:
        return render_template("inbox/_nav_label.html")

    def __str__(self) -> str:
        return str(_l("Inbox"))


def _card(user) -> dict | None:
    """The newest unread notifications; no card when everything has been read."""
    notifications, unread = services.latest_unread(user)
    if not notifications:
        return None
    return {"notifications": services.shown(notifications), "unread": unread}


def _setup(app: Flask) -> None:
    @app.cli.command("inbox-clean")
    def inbox_clean_command() -> None:
        """Remove notifications older than the inbox_keep_days setting, read or not."""
        removed = services.clean(utcnow())
        db.session.commit()
        click.echo(f"Removed {removed} notifications older than "
                   f"{setting('inbox_keep_days')} days.")


AREA = Area(
    name="inbox",
    title=_l("Inbox"),
    blueprints=(bp,),
    access={
        # Every person has an inbox; each sees and marks only their own notifications.
        "inbox.list_notifications": SIGNED_IN,
        "inbox.unread_count": SIGNED_IN,
        "inbox.read_notification": SIGNED_IN,
        "inbox.read_all": SIGNED_IN,
    },
    nav=(NavLink("inbox.list_notifications", NavLabel(), 5),),
    home_cards=(Panel("inbox/_card_inbox.html", _card, 5),),
    settings=(
        Spec("inbox_keep_days", Kind.WHOLE, 90,
             _l("Notifications are kept this many days, then removed (read or not)"), _l("days"),
             7, 3650),
    ),
    setup=_setup,
)
