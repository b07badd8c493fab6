"""Scorecards: the list, one version, and a supervisor's changes to the newest version."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import confirm
from app.database import lock_for_change
from app.extensions import db
from app.forms import choices, show_refusal
from app.htmx import render, see_other
from app.i18n import lazy_gettext as _l
from app.qa import bp, policy, scorecards
from app.qa.forms import CategoryForm, ItemForm, ScorecardForm, VersionForm
from app.qa.models import Scorecard, ScorecardItem, ScorecardVersion
from app.workflow import Refusal


def current_version() -> ScorecardVersion | None:
    """The version new evaluations and calibration rounds are scored on, if there is one."""
    card = db.session.scalar(select(Scorecard).order_by(Scorecard.id).limit(1))
    return scorecards.latest(card) if card else None


def scorecard_choices() -> list:
    """Every scorecard, as the options of a form's scorecard field."""
    return choices((card.id, card.name)
                   for card in db.session.scalars(select(Scorecard).order_by(Scorecard.id)))


def load_scorecard(scorecard_id: int) -> Scorecard:
    """The scorecard, or 404."""
    card = db.session.get(Scorecard, scorecard_id, with_for_update=lock_for_change(Scorecard))
    if card is None:
        abort(404)
    return card


@bp.route("/scorecards", methods=["GET", "POST"])
def list_scorecards():
    """The scorecards; a supervisor creates one here."""
    form = ScorecardForm()
    if request.method == "POST":
        if not policy.can_edit_scorecards(current_user):
            abort(403)
        if form.validate_on_submit():
            try:
                card = scorecards.create(form.name.data, current_user)
            except Refusal as error:
                show_refusal(form, error)
            else:
                db.session.commit()
                return see_other(url_for("qa.show_scorecard", scorecard_id=card.id))
    cards = db.session.scalars(select(Scorecard).options(selectinload(Scorecard.versions))
                               .order_by(Scorecard.id)).all()
    return render("qa/list_scorecards.html", cards=cards, form=form,
                  status=422 if form.errors else 200)


@bp.route("/scorecards/<int:scorecard_id>")
def show_scorecard(scorecard_id: int):
    """A scorecard version (the newest unless ?version=N) and, for a supervisor, its editor."""
    card = load_scorecard(scorecard_id)
    number = request.args.get("version", type=int)
    versions = card.versions
    shown = next((v for v in versions if v.number == number), versions[-1] if versions else None)
    return render("qa/show_scorecard.html", card=card, shown=shown, versions=versions,
                  latest=versions[-1] if versions else None, category_form=CategoryForm(),
                  item_form=ItemForm(), used=scorecards.in_use(shown) if shown else False,
                  can_edit=policy.can_edit_scorecards(current_user))


def _scorecard_change(card: Scorecard, action) -> object:
    try:
        action()
    except Refusal as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The scorecard is changed."), "success")
    return see_other(url_for("qa.show_scorecard", scorecard_id=card.id))


@bp.route("/scorecards/<int:scorecard_id>/categories", methods=["POST"])
def add_category(scorecard_id: int):
    """A new category at the end of the newest version."""
    card = load_scorecard(scorecard_id)
    form = CategoryForm()
    if not form.validate_on_submit():
        flash(_("Name the category."), "error")
        return see_other(url_for("qa.show_scorecard", scorecard_id=card.id))
    return _scorecard_change(card, lambda: scorecards.add_category(card, form.name.data,
                                                                   current_user))


@bp.route("/scorecards/<int:scorecard_id>/items", methods=["POST"])
def add_item(scorecard_id: int):
    """A new deduction item in a category of the newest version."""
    card = load_scorecard(scorecard_id)
    form = ItemForm()
    latest = scorecards.latest(card)
    category = next((c for c in latest.categories
                     if str(c.id) == (form.category_id.data or "")), None)
    if not form.validate_on_submit() or category is None:
        flash(_("Name the deduction item and give its points (1 to 100)."), "error")
        return see_other(url_for("qa.show_scorecard", scorecard_id=card.id))
    return _scorecard_change(card, lambda: scorecards.add_item(
        card, category, form.name.data, form.points.data, form.guidance.data or "",
        current_user, critical=form.critical.data))


def load_item(scorecard_item_id: int) -> tuple[Scorecard, ScorecardItem]:
    """An item of the newest version of its scorecard (older versions are fixed), or 404."""
    item = db.session.get(ScorecardItem, scorecard_item_id)
    if item is None:
        abort(404)
    card = item.category.scorecard_version.scorecard
    if scorecards.latest(card).id != item.category.scorecard_version_id:
        abort(404)
    return card, item


@bp.route("/scorecards/items/<int:scorecard_item_id>", methods=["POST"])
def change_item(scorecard_item_id: int):
    """Change an item's words or points (a new version if the current one was used)."""
    card, item = load_item(scorecard_item_id)
    form = ItemForm()
    if not form.validate_on_submit():
        flash(_("Name the deduction item and give its points (1 to 100)."), "error")
        return see_other(url_for("qa.show_scorecard", scorecard_id=card.id))
    return _scorecard_change(card, lambda: scorecards.change_item(
        card, item, form.name.data, form.points.data, form.guidance.data or "", current_user,
        critical=form.critical.data))


@bp.route("/scorecards/items/<int:scorecard_item_id>/remove", methods=["POST"])
def remove_item(scorecard_item_id: int):
    """Take an item off the newest version."""
    card, item = load_item(scorecard_item_id)
    if not VersionForm().validate_on_submit():
        abort(400)
    confirm.ask(_l("Take this item off the scorecard? Evaluations already made keep "
                           "it."))
    return _scorecard_change(card, lambda: scorecards.remove_item(card, item, current_user))
