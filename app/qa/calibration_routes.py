"""Calibration: rounds where every reviewer scores the same call blind, then compares."""

from __future__ import annotations

from flask import abort, flash, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app import confirm
from app.database import lock_for_change
from app.extensions import db
from app.htmx import render, see_other
from app.i18n import lazy_gettext as _l
from app.qa import bp, calibration, evaluations, policy, scorecards
from app.qa.call_routes import EVALUATION_STATUS
from app.qa.forms import CalibrationForm, VersionForm
from app.qa.models import Calibration, Call, Evaluation, Scorecard
from app.qa.scorecard_routes import current_version, scorecard_choices
from app.timeutil import utcnow
from app.workflow import Refusal

KAPPA_WORDS = {"poor": _l("poor agreement"), "slight": _l("slight agreement"),
               "fair": _l("fair agreement"), "moderate": _l("moderate agreement"),
               "substantial": _l("substantial agreement"),
               "almost perfect": _l("almost perfect agreement")}


def load_calibration(calibration_id: int) -> Calibration:
    """The round, or 404."""
    round_ = db.session.get(Calibration, calibration_id,
                            with_for_update=lock_for_change(Calibration))
    if round_ is None:
        abort(404)
    return round_


@bp.route("/calibrations")
def list_calibrations():
    """Open and closed calibration rounds; a supervisor starts one here."""
    return _calibrations_page(CalibrationForm())


def _calibrations_page(form: CalibrationForm, status: int = 200):
    form.scorecard_id.choices = scorecard_choices()
    rounds = db.session.scalars(select(Calibration).options(joinedload(Calibration.call))
                                .order_by(Calibration.id.desc()).limit(50)).all()
    mine = {e.calibration_id: e for e in db.session.scalars(select(Evaluation).where(
        Evaluation.reviewer_id == current_user.id, Evaluation.calibration_id.is_not(None)))}
    return render("qa/list_calibrations.html", rounds=rounds, mine=mine, form=form,
                  statuses=EVALUATION_STATUS, status=status)


@bp.route("/calibrations", methods=["POST"])
def new_calibration():
    """Start a round on a call, against the newest version of the chosen scorecard (the
    center's first when none is chosen); the serial no. is matched whatever its case."""
    form = CalibrationForm()
    call = None
    if form.validate_on_submit():
        call = db.session.scalar(select(Call).where(
            func.lower(Call.serial_no) == form.serial_no.data.strip().lower()))
        if call is None:
            form.serial_no.errors = [_("No call has this serial no.")]
    chosen = db.session.get(Scorecard, form.scorecard_id.data) if form.scorecard_id.data else None
    version = scorecards.latest(chosen) if chosen is not None else current_version()
    if call is not None and (version is None or not version.items):
        form.serial_no.errors = [_("There is no scorecard with deduction items yet.")]
    if form.errors:
        return _calibrations_page(form, 422)
    round_ = calibration.create(call, version, current_user, utcnow())
    db.session.commit()
    flash(_("The calibration round is open: every reviewer scores the call blind."), "success")
    return see_other(url_for("qa.show_calibration", calibration_id=round_.id))


@bp.route("/calibrations/<int:calibration_id>")
def show_calibration(calibration_id: int):
    """The round: who has scored; the agreement once the supervisor may see it or it closed."""
    round_ = load_calibration(calibration_id)
    submitted = db.session.scalars(select(Evaluation).where(
        Evaluation.calibration_id == round_.id).options(joinedload(Evaluation.reviewer))
        .order_by(Evaluation.id)).all()
    mine = next((e for e in submitted if e.reviewer_id == current_user.id), None)
    show = policy.can_see_calibration_result(current_user, round_)
    return render("qa/show_calibration.html", round_=round_, submitted=submitted, mine=mine,
                  kappa_words=KAPPA_WORDS,
                  result=calibration.result(round_) if show else None, form=VersionForm(),
                  statuses=EVALUATION_STATUS, error="")


@bp.route("/calibrations/<int:calibration_id>/score", methods=["POST"])
def score_calibration(calibration_id: int):
    """Open (or go back to) my blind score of the round's call."""
    round_ = load_calibration(calibration_id)
    if not VersionForm().validate_on_submit():
        abort(400)
    if round_.closed_at is not None:
        abort(409)
    evaluation = evaluations.start(round_.call, current_user, round_.scorecard_version, "",
                                   utcnow(), calibration_id=round_.id)
    db.session.commit()
    return see_other(url_for("qa.show_evaluation", evaluation_id=evaluation.id))


@bp.route("/calibrations/<int:calibration_id>/close", methods=["POST"])
def close_calibration(calibration_id: int):
    """Close the round: everybody's scores become visible to the reviewers."""
    round_ = load_calibration(calibration_id)
    if not VersionForm().validate_on_submit():
        abort(400)
    confirm.ask(_l("Close the round? The reviewers will see one another's scores."))
    try:
        calibration.close(round_, current_user, utcnow())
    except Refusal as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The round is closed."), "success")
    return see_other(url_for("qa.show_calibration", calibration_id=calibration_id))
