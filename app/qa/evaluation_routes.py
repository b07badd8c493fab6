"""The QA queue and evaluations: the day's share, the draw, scoring a call, reading it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import Response, abort, flash, get_template_attribute, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload

from app import confirm, statements
from app.database import lock_for_change
from app.extensions import db
from app.htmx import render, see_other, trigger
from app.i18n import lazy_gettext as _l
from app.pagination import paginate
from app.qa import bp, evaluations, policy, rules, scorecards
from app.qa.call_routes import EVALUATION_STATUS, call_page, load_call
from app.qa.forms import StartForm, VersionForm
from app.qa.models import (
    Evaluation,
    EvaluationStatus,
    RuleStatus,
    SampledCall,
    SampleDraw,
    SamplingRule,
    Scorecard,
    ScorecardCategory,
    ScorecardVersion,
)
from app.qa.scorecard_routes import current_version
from app.timeutil import center_today, utcnow
from app.web import date_arg
from app.workflow import PENDING_CHANGED, Refusal

PUBLISH_EVALUATION = _l("Publish this evaluation? The agent and their lead will see it, and it "
                        "cannot be edited afterwards.")
SUBMIT_CALIBRATION = _l("Submit this calibration score? It cannot be changed afterwards.")


def _queue_statements() -> dict:
    """The queue's queries, with the day and the reviewer as bind parameters. They are built
    once per app (app/statements.py): the queue answered 431 requests a second with them kept
    and 276 without (make bench, /qa/queue qa1)."""
    day, me = bindparam("day"), bindparam("person_id")
    return {
        "rules": select(SamplingRule).where(SamplingRule.status == RuleStatus.PUBLISHED,
                                            SamplingRule.first_day <= day)
        .order_by(SamplingRule.id),
        "drawn": select(SampleDraw.rule_id).where(SampleDraw.day == day),
        "picks": select(SampledCall).join(SampleDraw, SampledCall.draw_id == SampleDraw.id)
        .where(SampleDraw.day == day, SampledCall.reviewer_id == me)
        .options(joinedload(SampledCall.call), joinedload(SampledCall.agent),
                 joinedload(SampledCall.draw).joinedload(SampleDraw.rule))
        .order_by(SampledCall.id),
        "done": select(Evaluation).join(SampledCall, SampledCall.call_id == Evaluation.call_id)
        .join(SampleDraw, SampledCall.draw_id == SampleDraw.id)
        .where(SampleDraw.day == day, SampledCall.reviewer_id == me,
               Evaluation.reviewer_id == me, Evaluation.calibration_id.is_(None)),
    }


def _published_rules_on(day: date) -> list[SamplingRule]:
    queries = statements.once(("qa queue",), _queue_statements)
    found = db.session.scalars(queries["rules"], {"day": day}).all()
    return [r for r in found if rules.terms(r).applies_on(day)]


@bp.route("/qa/queue")
def queue():
    """The reviewer's share of a day's sample (the latest finished day unless ?day=), with
    progress."""
    return _queue_page(date_arg("day") or rules.latest_due_day(utcnow()))


def _queue_page(day: date, error: str = "", status: int = 200):
    applying = _published_rules_on(day)
    queries = statements.once(("qa queue",), _queue_statements)
    args = {"day": day, **statements.person_args(current_user)}
    drawn = set(db.session.scalars(queries["drawn"], args))
    undrawn = [r for r in applying if r.id not in drawn]
    picks = db.session.scalars(queries["picks"], args).all()
    done = {e.call_id: e for e in db.session.scalars(queries["done"], args)}
    published = sum(1 for e in done.values() if e.status == EvaluationStatus.PUBLISHED)
    # Whether the day may be drawn matters only while a rule has not drawn it: on days drawn
    # long ago the queue spares the settings query it needs.
    due = bool(undrawn) and day <= rules.latest_due_day(utcnow())
    return render("qa/queue.html", day=day, picks=picks, done=done, published=published,
                  undrawn=undrawn, applying=applying, form=VersionForm(), error=error,
                  due=due, drawable_from=rules.drawable_from(day) if undrawn else None,
                  prev_day=day - timedelta(days=1), next_day=day + timedelta(days=1),
                  today=center_today(), statuses=EVALUATION_STATUS, status=status)


@bp.route("/qa/queue/draw", methods=["POST"])
def draw_sample():
    """Draw a finished day's sample for every published rule that applies and has not drawn
    yet; an unfinished day is refused with the moment it can be drawn."""
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    confirm.ask(_l("Draw the sample now? The calls it takes stand once drawn."))
    day = date_arg("day") or rules.latest_due_day(utcnow())
    try:
        rules.draw_due(utcnow(), day)
    except Refusal as refusal:
        db.session.rollback()
        return _queue_page(day, refusal.message, 422)
    db.session.commit()
    flash(_("The sample for %(day)s is drawn.", day=day.isoformat()), "success")
    return see_other(url_for("qa.queue", day=day.isoformat()))


@bp.route("/calls/<int:call_id>/evaluate", methods=["POST"])
def start_evaluation(call_id: int):
    """Open (or go back to) my evaluation of a call."""
    call = load_call(call_id)
    form = StartForm()
    if not form.validate_on_submit():
        abort(400)
    chosen = db.session.get(Scorecard, form.scorecard_id.data) if form.scorecard_id.data else None
    version = scorecards.latest(chosen) if chosen is not None else current_version()
    if version is None or not version.items:
        flash(_("There is no scorecard with deduction items yet."), "error")
        return see_other(url_for("qa.show_call", call_id=call.id))
    try:
        evaluation = evaluations.start(call, current_user, version, form.reason.data or "",
                                       utcnow())
    except Refusal as error:
        form.reason.errors = [error.message]
        db.session.rollback()
        return call_page(load_call(call_id), form, 422)
    db.session.commit()
    return see_other(url_for("qa.show_evaluation", evaluation_id=evaluation.id))


def _evaluation_statement(lock: bool):
    """An evaluation with its call, people and scorecard version (categories and items): for
    reading, or locking the row to change it. Built once per kind (app/statements.py): the
    evaluation form answered 373 requests a second with it kept and 273 without (make bench,
    /evaluations/<draft> qa1)."""
    stmt = (select(Evaluation).where(Evaluation.id == bindparam("evaluation_id")).options(
        joinedload(Evaluation.call), joinedload(Evaluation.agent),
        joinedload(Evaluation.reviewer),
        joinedload(Evaluation.scorecard_version).joinedload(ScorecardVersion.scorecard),
        joinedload(Evaluation.scorecard_version).selectinload(
            ScorecardVersion.categories).selectinload(ScorecardCategory.items)))
    return stmt.with_for_update(of=Evaluation) if lock else stmt


def load_evaluation(evaluation_id: int) -> Evaluation:
    """The evaluation with its call, people and scorecard version (categories and items), or
    404 when missing or not for the viewer's eyes. Locked when it is to be changed."""
    lock = lock_for_change(Evaluation) is not None
    stmt = statements.once(("qa evaluation", lock), lambda: _evaluation_statement(lock))
    evaluation = db.session.scalars(stmt, {"evaluation_id": evaluation_id},
                                    execution_options={"populate_existing": lock}).first()
    if evaluation is None or not policy.can_see_evaluation(current_user, evaluation):
        abort(404)
    return evaluation


def moment_seconds(text: str) -> int | None:
    """A moment in a recording as typed: "3:36" (as the page shows it) or seconds ("216");
    anything else is no moment."""
    text = text.strip().replace("：", ":")  # a Chinese input method's colon
    minutes, _colon, seconds = text.rpartition(":")
    if not seconds.isdigit() or len(text) > 7 or (minutes and not minutes.isdigit()):
        return None
    if minutes and int(seconds) > 59:
        return None
    return int(minutes or 0) * 60 + int(seconds)


@dataclass
class Ticked:
    """The items ticked on the form, the moments as typed, and what is wrong beside which
    item's moment."""

    marks: list[evaluations.Mark]
    typed: dict[int, str]
    errors: dict[int, str]


def _ticked() -> Ticked:
    found = Ticked([], {}, {})
    for value in request.form.getlist("item"):
        try:
            item_id = int(value)
        except ValueError:
            continue
        text = request.form.get(f"moment-{item_id}", "").strip()[:16]
        moment = moment_seconds(text) if text else None
        if text and moment is None:
            found.errors[item_id] = _("Write the moment as minutes:seconds, for example 3:36.")
        found.typed[item_id] = text
        found.marks.append(evaluations.Mark(
            item_id, request.form.get(f"note-{item_id}", "")[:500], moment))
    return found


def _evaluation_page(evaluation: Evaluation, error: str = "", status: int = 200,
                     sent: Ticked | None = None, comment: str | None = None):
    ticked = {d.item_id: d for d in evaluation.deductions} if sent is None else {
        m.item_id: m for m in sent.marks}
    editable = (evaluation.status == EvaluationStatus.DRAFT
                and evaluation.reviewer_id == current_user.id)
    total = evaluations.score_for([i for i in evaluation.scorecard_version.items
                                   if i.id in ticked])
    return render("qa/evaluation.html", evaluation=evaluation, ticked=ticked, editable=editable,
                  total=total, error=error, status=status, form=VersionForm(),
                  comment=evaluation.comment if comment is None else comment,
                  typed=sent.typed if sent else {}, moment_errors=sent.errors if sent else {},
                  statuses=EVALUATION_STATUS,
                  can_confirm=(evaluation.agent_id == current_user.id
                               and evaluation.status == EvaluationStatus.PUBLISHED
                               and evaluation.read_at is None))


@bp.route("/evaluations/<int:evaluation_id>")
def show_evaluation(evaluation_id: int):
    """The evaluation: the scorecard with the ticked items (a form while it is a draft)."""
    return _evaluation_page(load_evaluation(evaluation_id))


@bp.route("/evaluations/<int:evaluation_id>", methods=["POST"])
def save_evaluation(evaluation_id: int):
    """Save the draft, or publish it (`publish=1`)."""
    evaluation = load_evaluation(evaluation_id)
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    publish = request.form.get("publish") == "1"
    if publish:
        confirm.ask(PUBLISH_EVALUATION if evaluation.calibration_id is None
                    else SUBMIT_CALIBRATION)
    sent = _ticked()
    comment = request.form.get("comment", "")[:2000]
    if sent.errors:
        return _evaluation_page(evaluation, "", 422, sent, comment)
    try:
        evaluations.save(evaluation, current_user, sent.marks, form.seen_version(), publish,
                         utcnow(), comment)
    except Refusal as error:
        db.session.rollback()
        message = error.message
        if error.field.startswith("moment-") and error.field[7:].isdigit():
            sent.errors[int(error.field[7:])], message = error.message, ""
        return _evaluation_page(load_evaluation(evaluation_id), message, 422, sent, comment)
    db.session.commit()
    if publish and evaluation.calibration_id is not None:
        flash(_("Your calibration score is submitted. It never counts for the agent, who does "
                "not see it; the reviewers compare scores once the round is closed."),
              "success")
        return see_other(url_for("qa.show_calibration",
                                 calibration_id=evaluation.calibration_id))
    flash(_("The evaluation is published: the agent and their lead can read it now.")
          if publish else _("The draft is saved."), "success")
    return see_other(url_for("qa.show_evaluation", evaluation_id=evaluation.id))


@bp.route("/evaluations/<int:evaluation_id>/total", methods=["POST"])
def evaluation_total(evaluation_id: int):
    """The running total as items are ticked (htmx), without saving anything."""
    evaluation = load_evaluation(evaluation_id)
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    wanted = {m.item_id for m in _ticked().marks}
    total = evaluations.score_for([i for i in evaluation.scorecard_version.items
                                   if i.id in wanted])
    running_total = get_template_attribute("qa/_total.html", "running_total")
    return Response(running_total(total), mimetype="text/html")


@bp.route("/evaluations/<int:evaluation_id>/read", methods=["POST"])
def confirm_read(evaluation_id: int):
    """The agent confirms having read the evaluation."""
    evaluation = load_evaluation(evaluation_id)
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    evaluations.confirm_read(evaluation, current_user, utcnow())
    db.session.commit()
    flash(_("Thank you: the evaluation is marked as read."), "success")
    return trigger(see_other(url_for("qa.show_evaluation", evaluation_id=evaluation.id)),
                   PENDING_CHANGED)


@bp.route("/evaluations")
def list_evaluations():
    """Evaluations the viewer may see, newest first; an agent sees their own."""
    stmt = policy.visible_evaluations(current_user, select(Evaluation).where(
        Evaluation.calibration_id.is_(None))).options(
        joinedload(Evaluation.agent), joinedload(Evaluation.reviewer), joinedload(Evaluation.call))
    if policy.can_score(current_user) and request.args.get("mine") == "1":
        stmt = stmt.where(Evaluation.reviewer_id == current_user.id)
    page = paginate(stmt.order_by(Evaluation.created_at.desc(), Evaluation.id.desc()))
    unread = db.session.scalar(select(func.count(Evaluation.id)).where(
        Evaluation.agent_id == current_user.id, Evaluation.read_at.is_(None),
        Evaluation.status == EvaluationStatus.PUBLISHED, Evaluation.calibration_id.is_(None)))
    return render("qa/list_evaluations.html", page=page, statuses=EVALUATION_STATUS,
                  unread=unread, args={})
