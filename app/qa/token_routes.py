"""The telephony system's API tokens: made here, shown once, revoked here."""

from __future__ import annotations

from flask import abort, flash, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import confirm
from app.database import lock_for_change
from app.extensions import db
from app.htmx import render, see_other
from app.i18n import lazy_gettext as _l
from app.qa import bp, tokens
from app.qa.forms import TokenForm, VersionForm
from app.qa.models import ApiToken
from app.timeutil import utcnow


@bp.route("/api-tokens", methods=["GET", "POST"])
def list_tokens():
    """The telephony system's tokens; a new one is shown once, right after it is made."""
    form = TokenForm()
    plain = None
    if form.validate_on_submit():
        _token, plain = tokens.create(form.name.data, current_user, utcnow())
        db.session.commit()
        form = TokenForm(formdata=None)
    found = db.session.scalars(select(ApiToken).options(joinedload(ApiToken.created_by))
                               .order_by(ApiToken.id.desc())).all()
    return render("qa/list_tokens.html", tokens=found, form=form, plain=plain,
                  revoke_form=VersionForm(), status=422 if form.errors else 200)


@bp.route("/api-tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_token(token_id: int):
    """Stop accepting a token."""
    token = db.session.get(ApiToken, token_id, with_for_update=lock_for_change(ApiToken))
    if token is None:
        abort(404)
    if not VersionForm().validate_on_submit():
        abort(400)
    confirm.ask(_l("Revoke this token? Whatever uses it can no longer send calls."))
    tokens.revoke(token, current_user, utcnow())
    db.session.commit()
    flash(_("The token is revoked: the API refuses it from now on."), "success")
    return see_other(url_for("qa.list_tokens"))
