"""Sessions: who is signed in, and when a session ends."""

from datetime import timedelta

from flask import current_app, flash, session
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from sqlalchemy import bindparam, select

from app.extensions import db, login_manager
from app.people.models import User
from app.timeutil import utcnow

# Every signed-in request runs this: the statement is built once, its id bound per request.
BY_ID = select(User).where(User.id == bindparam("id"))


@login_manager.user_loader
def load_user(identity: str) -> User | None:
    """Load the person behind a session; a raised epoch or a departure ends it."""
    user_id, _, epoch = identity.partition(".")
    if not (user_id.isdigit() and epoch.isdigit()):
        return None
    user = db.session.scalar(BY_ID, {"id": int(user_id)})
    if user is None or not user.is_active or user.session_epoch != int(epoch):
        return None
    return user


def end_session() -> None:
    """Sign out of this browser and forget the session, keeping only the chosen language."""
    logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def check_session_age() -> None:
    """before_request: end sessions idle for 30 minutes or older than 12 hours."""
    if "_user_id" not in session:
        return
    now = int(utcnow().timestamp())
    cfg = current_app.config
    issued, seen = session.get("iat", 0), session.get("seen", 0)
    idle = timedelta(seconds=now - seen) > cfg["SESSION_IDLE_TIMEOUT"]
    old = timedelta(seconds=now - issued) > cfg["SESSION_ABSOLUTE_TIMEOUT"]
    if idle or old:
        end_session()
        flash(_("Your session has expired. Please sign in again."), "warning")
        return
    if not current_user.is_authenticated:
        return
    if now - seen >= 30:  # refresh the idle clock without rewriting the cookie every request
        session["seen"] = now
