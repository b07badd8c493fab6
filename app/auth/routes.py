"""Sign-in, sign-out, password change, and a supervisor lifting a sign-in lock."""

from urllib.parse import urlsplit

from flask import abort, current_app, flash, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from app.auth import bp, services
from app.auth.forms import ChangePasswordForm, LoginForm
from app.auth.sessions import end_session
from app.extensions import db
from app.forms import ConfirmForm
from app.htmx import render, see_other
from app.people.policy import can_manage_people
from app.people.routes import load_person
from app.timeutil import utcnow


def safe_next(target: str | None) -> str | None:
    """Accept `next` only as a relative path that one of the app's GET routes answers."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return None
    adapter = current_app.url_map.bind("localhost")
    try:
        endpoint, _args = adapter.match(parts.path, method="GET")
    except (NotFound, MethodNotAllowed, RequestRedirect):
        return None
    if endpoint in {"static", "auth.login", "main.health"}:
        return None
    return target


def start_session(user) -> None:
    """A fresh session for a freshly signed-in person."""
    locale = session.get("locale")
    session.clear()
    login_user(user)
    now = int(utcnow().timestamp())
    session["iat"] = now
    session["seen"] = now
    if locale:
        session["locale"] = locale
    session.permanent = True


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form and check it."""
    if current_user.is_authenticated:
        return see_other(url_for("main.home"))
    form = LoginForm()
    next_url = safe_next(request.args.get("next"))
    if form.validate_on_submit():
        result = services.authenticate(form.username.data, form.password.data, request.remote_addr)
        db.session.commit()
        if result.user is not None:
            start_session(result.user)
            if result.user.must_change_password:
                flash(_("Welcome. Please choose your own password before you go on."), "info")
                return see_other(url_for("auth.change_password"))
            return see_other(next_url or url_for("main.home"))
        if result.throttled:
            form.form_errors.append(
                _("Too many attempts. Wait 15 minutes or ask a supervisor to unlock the account.")
            )
            return render("auth/login.html", form=form, next_url=next_url, status=429)
        form.form_errors.append(_("Wrong username or password."))
        return render("auth/login.html", form=form, next_url=next_url, status=422)
    status = 422 if form.errors else 200
    return render("auth/login.html", form=form, next_url=next_url, status=status)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out: every session of this person ends."""
    services.sign_out(current_user)
    db.session.commit()
    end_session()
    flash(_("You have signed out."), "info")
    return see_other(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
def change_password():
    """The owner changes their password (forced after a one-time password)."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()  # not the proxy: login_user stores it in g
        services.change_password(user, form.new_password.data)
        db.session.commit()
        start_session(user)
        flash(_("Your password has been changed. Other sessions have been signed out."), "success")
        return see_other(url_for("main.home"))
    if form.errors:
        db.session.commit()  # a wrong current password is counted (and audited) all the same
    status = 429 if form.locked else 422 if form.errors else 200
    return render("auth/change_password.html", form=form, status=status)


@bp.route("/people/<int:person_id>/unlock", methods=["POST"])
def unlock_person(person_id: int):
    """Lift a sign-in lock after too many failures."""
    person = load_person(person_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    unlocked = services.unlock_account(person)
    db.session.commit()
    if unlocked:
        flash(_("The account of %(name)s is unlocked.", name=person.name), "success")
    if request.form.get("back") == "locked":
        return see_other(url_for("auth.locked_accounts"))
    return see_other(url_for("people.show_person", person_id=person.id))


@bp.route("/locked")
def locked_accounts():
    """For a supervisor: every account name locked after failed sign-ins, with its unlock."""
    cfg = current_app.config
    return render("auth/locked_accounts.html", locks=services.locked_accounts(),
                  failures=cfg["LOGIN_MAX_FAILURES"],
                  minutes=int(cfg["LOGIN_LOCK_DURATION"].total_seconds() // 60))


def locks_card(viewer) -> dict | None:
    """Home card, for a supervisor: how many accounts are locked now, when any are."""
    if not can_manage_people(viewer):
        return None
    locks = services.locked_accounts()
    return {"count": len(locks)} if locks else None


def lock_section(viewer, person) -> dict | None:
    """On a person's page, for a supervisor: the sign-in lock, with the button to lift it."""
    if not can_manage_people(viewer) or not services.account_locked(person.username):
        return None
    return {"person": person}
