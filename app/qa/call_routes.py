"""The call log: the list, one call's page, and importing a call log file."""

from __future__ import annotations

from flask import abort, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import imports
from app.extensions import db
from app.htmx import render
from app.i18n import lazy_gettext as _l
from app.imports import ImportBatch
from app.pagination import paginate
from app.people.models import User
from app.qa import bp, calls, evaluations, policy, rules
from app.qa.forms import CallFileForm, StartForm
from app.qa.models import (
    Call,
    Evaluation,
    EvaluationStatus,
    SampledCall,
    SampleDraw,
)
from app.qa.scorecard_routes import scorecard_choices
from app.web import date_arg
from app.workflow import Refusal

EVALUATION_STATUS = {EvaluationStatus.DRAFT: _l("Draft"),
                     EvaluationStatus.PUBLISHED: _l("Published")}


def load_call(call_id: int) -> Call:
    """The call, or 404 when missing or outside the viewer's scope."""
    call = db.session.get(Call, call_id, options=[joinedload(Call.agent)])
    if call is None or not policy.can_see_call(current_user, call):
        abort(404)
    return call


@bp.route("/calls")
def list_calls():
    """Calls of the agents the viewer may see, newest first, by day and person."""
    day = date_arg("day")
    q = request.args.get("q", "").strip()[:50]
    stmt = (select(Call).join(User, Call.agent_id == User.id)
            .where(policy.visible_agents(current_user, Call.agent_id))
            .options(joinedload(Call.agent)))
    if day:
        start, end = rules.day_bounds(day)
        stmt = stmt.where(Call.started_at >= start, Call.started_at < end)
    if q:
        stmt = stmt.where((User.employee_no == q) | User.name.contains(q) | (Call.serial_no == q))
    page = paginate(stmt.order_by(Call.started_at.desc(), Call.id.desc()))
    args = {k: v for k, v in {"day": day.isoformat() if day else "", "q": q}.items() if v}
    return render("qa/list_calls.html", block="results", page=page, day=day, q=q, args=args)


@bp.route("/calls/<int:call_id>")
def show_call(call_id: int):
    """One call: its facts, the recording, why it was sampled, and its evaluations."""
    return call_page(load_call(call_id), StartForm())


def call_page(call: Call, start_form: StartForm, status: int = 200):
    """The call's page, with the form to start scoring it (and its errors, if any)."""
    picks = db.session.scalars(select(SampledCall).where(SampledCall.call_id == call.id)
                               .options(joinedload(SampledCall.draw).joinedload(SampleDraw.rule),
                                        joinedload(SampledCall.reviewer))).all()
    shown = db.session.scalars(policy.visible_evaluations(current_user, select(Evaluation).where(
        Evaluation.call_id == call.id)).options(joinedload(Evaluation.reviewer))
        .order_by(Evaluation.id)).all()
    shown = [e for e in shown if policy.can_see_evaluation(current_user, e)]
    mine = next((e for e in shown if e.reviewer_id == current_user.id
                 and e.calibration_id is None), None)
    can_score = policy.can_score(current_user)
    start_form.scorecard_id.choices = scorecard_choices()
    in_sample = (not mine and can_score and bool(picks)
                 and evaluations.sample_pick(call, current_user) is not None)
    return render("qa/show_call.html", call=call, picks=picks, evaluations=shown, mine=mine,
                  start_form=start_form, statuses=EVALUATION_STATUS, status=status,
                  can_score=can_score, in_sample=in_sample)


# --- importing a call log file ---------------------------------------------------------------

PREVIEW_PROBLEMS = 500  # rows with problems listed on the page; the count says how many more


@bp.route("/calls/import", methods=["GET", "POST"])
def import_calls():
    """Upload a call log file; every row is checked and shown before anything is stored."""
    return imports.upload_file(calls.SPEC, CallFileForm(), "qa/import_calls.html",
                               "qa.preview_calls", columns=calls.COLUMNS)


def _preview(batch: ImportBatch, status: int = 200, stored: calls.Stored | None = None):
    checked = calls.checked_file(batch)
    bad = imports.bad_rows(checked)
    return render("qa/preview_calls.html", batch=batch, total=len(checked), bad=len(bad),
                  shown=bad[:PREVIEW_PROBLEMS], sample=checked[:10] if not bad else [],
                  stored=stored, status=status)


@bp.route("/calls/import/<int:batch_id>")
def preview_calls(batch_id: int):
    """How many rows, and every row with problems; the import button only when there are
    none."""
    return _preview(imports.load_batch(calls.SPEC, batch_id))


@bp.route("/calls/import/<int:batch_id>", methods=["POST"])
def apply_calls(batch_id: int):
    """Store every call of the file, or none; calls already in the log are skipped."""
    batch, stored = imports.confirm(calls.SPEC, batch_id, calls.apply)
    if isinstance(stored, Refusal):
        return _preview(batch, status=422)
    return _preview(batch, stored=stored)
