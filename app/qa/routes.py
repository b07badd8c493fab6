"""Quality pages: the call log, sampling rules, the QA queue, evaluations, scorecards, tokens."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from flask import Response, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload, selectinload

from app import audit
from app.database import lock_for_change
from app.extensions import db
from app.forms import choices, show_refusal
from app.htmx import render, see_other, trigger
from app.i18n import lazy_gettext as _l
from app.imports import ImportBatch, ImportFileError
from app.pagination import paginate
from app.people.models import Role, Status, Team, User
from app.qa import (
    bp,
    calibration,
    calls,
    evaluations,
    policy,
    reports,
    rules,
    sampling,
    scorecards,
    tokens,
)
from app.qa.forms import (
    CalibrationForm,
    CallFileForm,
    CategoryForm,
    ItemForm,
    RuleForm,
    ScorecardForm,
    StartForm,
    TokenForm,
    VersionForm,
)
from app.qa.models import (
    ApiToken,
    Calibration,
    Call,
    Evaluation,
    EvaluationStatus,
    RuleStatus,
    SampledCall,
    SampleDraw,
    SamplingRule,
    Scope,
    Scorecard,
    ScorecardCategory,
    ScorecardItem,
    ScorecardVersion,
)
from app.timeutil import center_today, utcnow
from app.web import date_arg, row_id
from app.workflow import Refusal

REFUSALS = {
    sampling.BEFORE_WINDOW: _l("started before the time window"),
    sampling.AFTER_WINDOW: _l("started after the time window"),
    sampling.TOO_SHORT: _l("too short"),
    sampling.TOO_LONG: _l("too long"),
    sampling.WRONG_DIRECTION: _l("other direction"),
}
SCOPE_LABELS = {Scope.ALL: _l("All agents"), Scope.TEAM: _l("One team"),
                Scope.PEOPLE: _l("Named people")}
RULE_STATUS = {RuleStatus.DRAFT: _l("Draft"), RuleStatus.PUBLISHED: _l("Published")}
EVALUATION_STATUS = {EvaluationStatus.DRAFT: _l("Draft"),
                     EvaluationStatus.PUBLISHED: _l("Published")}


def _version(form) -> int:
    try:
        return int(form.version.data or 0)
    except (TypeError, ValueError):
        return -1


# --- the call log ---------------------------------------------------------------------------


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
    return _call_page(load_call(call_id), StartForm())


def _call_page(call: Call, start_form: StartForm, status: int = 200):
    picks = db.session.scalars(select(SampledCall).where(SampledCall.call_id == call.id)
                               .options(joinedload(SampledCall.draw).joinedload(SampleDraw.rule),
                                        joinedload(SampledCall.reviewer))).all()
    shown = db.session.scalars(policy.visible_evaluations(current_user, select(Evaluation).where(
        Evaluation.call_id == call.id)).options(joinedload(Evaluation.reviewer))
        .order_by(Evaluation.id)).all()
    shown = [e for e in shown if policy.can_see_evaluation(current_user, e)]
    mine = next((e for e in shown if e.reviewer_id == current_user.id
                 and e.calibration_id is None), None)
    return render("qa/show_call.html", call=call, picks=picks, evaluations=shown, mine=mine,
                  start_form=start_form, statuses=EVALUATION_STATUS, status=status,
                  can_score=current_user.role == Role.QA)


# --- importing a call log file ---------------------------------------------------------------

PREVIEW_PROBLEMS = 500  # rows with problems listed on the page; the count says how many more


@bp.route("/calls/import", methods=["GET", "POST"])
def import_calls():
    """Upload a call log file; every row is checked and shown before anything is stored."""
    form = CallFileForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            rows = calls.parse(upload.filename or "", upload.read())
        except ImportFileError as error:
            form.file.errors = [*form.file.errors, str(error)]
        else:
            batch = calls.store_batch(upload.filename or "", rows, current_user)
            db.session.commit()
            return see_other(url_for("qa.preview_calls", batch_id=batch.id))
    return render("qa/import_calls.html", block="form", form=form, columns=calls.COLUMNS,
                  status=422 if form.errors else 200)


def load_call_batch(batch_id: int) -> ImportBatch:
    """A call log upload of the signed-in person, or 404."""
    batch = db.session.get(ImportBatch, batch_id, with_for_update=lock_for_change(ImportBatch))
    if batch is None or batch.created_by_id != current_user.id or batch.kind != calls.KIND:
        abort(404)
    return batch


def _preview(batch: ImportBatch, status: int = 200, stored=None):
    checked = calls.check_rows(calls.rows_of(batch))
    bad = [row for row in checked if row.problems]
    return render("qa/preview_calls.html", batch=batch, total=len(checked), bad=len(bad),
                  shown=bad[:PREVIEW_PROBLEMS], sample=checked[:10] if not bad else [],
                  form=VersionForm(), stored=stored, status=status)


@bp.route("/calls/import/<int:batch_id>")
def preview_calls(batch_id: int):
    """How many rows, and every row with problems; the import button only when there are
    none."""
    return _preview(load_call_batch(batch_id))


@bp.route("/calls/import/<int:batch_id>", methods=["POST"])
def apply_calls(batch_id: int):
    """Store every call of the file, or none; calls already in the log are skipped."""
    batch = load_call_batch(batch_id)
    if not VersionForm().validate_on_submit():
        abort(400)
    if batch.applied_at is not None:
        abort(409)
    checked = calls.check_rows(calls.rows_of(batch))
    if any(row.problems for row in checked):
        return _preview(batch, status=422)
    stored = calls.store(checked, "file", actor=current_user, what=f"file {batch.id}")
    batch.applied_at = utcnow()
    db.session.commit()
    return _preview(batch, stored=stored)


# --- sampling rules -------------------------------------------------------------------------


def load_rule(rule_id: int) -> SamplingRule:
    """The rule, or 404 when missing or not for the viewer's eyes."""
    rule = db.session.get(SamplingRule, rule_id, with_for_update=lock_for_change(SamplingRule))
    covering = (rules.covering_rule_ids(current_user)
                if current_user.role in (Role.AGENT, Role.LEAD) else None)
    if rule is None or not policy.can_see_rule(current_user, rule, covering):
        abort(404)
    return rule


@bp.route("/sampling-rules")
def list_rules():
    """The sampling rules: all of them for reviewers, the published ones that apply for
    everyone else."""
    stmt = select(SamplingRule).options(joinedload(SamplingRule.team),
                                        selectinload(SamplingRule.people))
    if current_user.role == Role.AGENT:
        stmt = rules.rules_covering(current_user).options(joinedload(SamplingRule.team))
    elif current_user.role == Role.LEAD:
        stmt = stmt.where(SamplingRule.status == RuleStatus.PUBLISHED)
    page = paginate(stmt.order_by(SamplingRule.first_day.desc(), SamplingRule.id.desc()))
    return render("qa/list_rules.html", page=page, scopes=SCOPE_LABELS, statuses=RULE_STATUS,
                  describe=describe_rule)


def describe_rule(rule: SamplingRule) -> str:
    """The rule in one sentence, the way it would be said aloud."""
    parts = []
    if rule.scope == Scope.ALL:
        parts.append(_("all agents"))
    elif rule.scope == Scope.TEAM:
        parts.append(rule.team.name if rule.team else "")
    else:
        parts.append("、".join(p.name for p in rule.people))
    if rule.window_start:
        parts.append(_("calls from %(time)s", time=rule.window_start.strftime("%H:%M")))
    if rule.window_end:
        parts.append(_("before %(time)s", time=rule.window_end.strftime("%H:%M")))
    if rule.longer_than_s:
        parts.append(_("longer than %(n)d s", n=rule.longer_than_s))
    if rule.at_most_s:
        parts.append(_("at most %(n)d s", n=rule.at_most_s))
    if rule.direction != "any":
        parts.append(_("incoming") if rule.direction == "in" else _("outgoing"))
    if rule.nth_from == rule.nth_to:
        parts.append(_("the qualifying call no. %(n)d of the day", n=rule.nth_from))
    else:
        parts.append(_("qualifying calls no. %(a)d to %(b)d of the day", a=rule.nth_from,
                       b=rule.nth_to))
    return _(", ").join(p for p in parts if p)


def _rule_form_choices(form: RuleForm) -> None:
    teams = db.session.scalars(select(Team).order_by(Team.name)).all()
    form.team_id.choices = choices([(0, "—"), *((t.id, t.name) for t in teams)])
    people = db.session.scalars(select(User).where(
        User.role.in_([Role.AGENT, Role.LEAD]), User.status != Status.LEFT)
        .order_by(User.employee_no)).all()
    form.people.choices = choices((p.id, f"{p.employee_no} {p.name}") for p in people)


def _rule_data(form: RuleForm) -> rules.RuleData:
    weekdays = sum(1 << d for d in form.weekdays.data or [] if 0 <= d <= 6)
    return rules.RuleData(
        name=form.name.data.strip(), scope=form.scope.data, team_id=form.team_id.data or None,
        people_ids=list(form.people.data or []), weekdays=weekdays,
        first_day=form.first_day.data, last_day=form.last_day.data,
        window_start=form.window_start.data, window_end=form.window_end.data,
        longer_than_s=form.longer_than_s.data or 0, at_most_s=form.at_most_s.data,
        direction=form.direction.data, nth_from=form.nth_from.data, nth_to=form.nth_to.data)


def _all_problems(form: RuleForm) -> bool:
    """Put every problem of the rule beside its field at once; whether there were any."""
    found = rules.problems(_rule_data(form))
    for error in found:
        show_refusal(form, error)
    return bool(found)


@bp.route("/sampling-rules/new", methods=["GET", "POST"])
def new_rule():
    """Write a draft rule (or a follower of a published one: ?follows=<id>)."""
    form = RuleForm()
    _rule_form_choices(form)
    follows = request.args.get("follows", type=row_id)
    previous = db.session.get(SamplingRule, follows) if follows else None
    if previous is not None and previous.status != RuleStatus.PUBLISHED:
        previous = None
    if request.method == "GET":
        earliest = rules.earliest_first_day(utcnow())
        if previous is not None:
            data = rules.follower_data(previous, utcnow())
            form.process(data=dict(data.__dict__, people=data.people_ids, team_id=data.team_id
                                   or 0, weekdays=[d for d in range(7) if data.weekdays >> d & 1]))
        else:
            form.first_day.data = earliest
    if form.validate_on_submit() and not _all_problems(form):
        try:
            rule = rules.save_draft(None, _rule_data(form), current_user)
        except Refusal as error:
            show_refusal(form, error)
        else:
            rule.follows_id = previous.id if previous is not None else None
            db.session.commit()
            flash(_("The rule is saved as a draft. Publish it when it is right."), "success")
            return see_other(url_for("qa.show_rule", rule_id=rule.id))
    return render("qa/rule_form.html", block="form", form=form, rule=None, previous=previous,
                  status=422 if form.errors else 200)


@bp.route("/sampling-rules/<int:rule_id>/edit", methods=["GET", "POST"])
def edit_rule(rule_id: int):
    """Change a draft; a published rule is fixed."""
    rule = load_rule(rule_id)
    if rule.status != RuleStatus.DRAFT:
        abort(409)
    form = RuleForm(obj=rule) if request.method == "GET" else RuleForm()
    _rule_form_choices(form)
    if request.method == "GET":
        form.team_id.data = rule.team_id or 0
        form.people.data = [p.id for p in rule.people]
        form.weekdays.data = [d for d in range(7) if rule.weekdays >> d & 1]
        form.version.data = rule.version
    if form.validate_on_submit() and not _all_problems(form):
        try:
            rules.save_draft(rule, _rule_data(form), current_user, _version(form))
        except Refusal as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("The draft is saved."), "success")
            return see_other(url_for("qa.show_rule", rule_id=rule.id))
    return render("qa/rule_form.html", block="form", form=form, rule=rule, previous=None,
                  status=422 if form.errors else 200)


@bp.route("/sampling-rules/<int:rule_id>")
def show_rule(rule_id: int):
    """One rule: its terms in words, when it was published, who it covers."""
    return _rule_page(load_rule(rule_id), VersionForm())


def _rule_page(rule: SamplingRule, form: VersionForm, error: str = "", status: int = 200):
    follower = db.session.scalar(select(SamplingRule).where(SamplingRule.follows_id == rule.id)
                                 .order_by(SamplingRule.id.desc()).limit(1))
    return render("qa/show_rule.html", rule=rule, describe=describe_rule, scopes=SCOPE_LABELS,
                  statuses=RULE_STATUS, follower=follower, terms=rules.terms(rule),
                  weekdays=[d for d in range(7) if rule.weekdays >> d & 1],
                  earliest=rules.earliest_first_day(utcnow()), form=form, error=error,
                  can_write=current_user.role == Role.QA, status=status)


@bp.route("/sampling-rules/<int:rule_id>/publish", methods=["POST"])
def publish_rule(rule_id: int):
    """Publish a draft at least a day before its first day; then it can never change."""
    rule = load_rule(rule_id)
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        rules.publish(rule, current_user, utcnow(), _version(form))
    except Refusal as error:
        db.session.rollback()
        return _rule_page(load_rule(rule_id), form, error.message, 422)
    db.session.commit()
    flash(_("The rule is published. Leads and the agents it covers can read it now."),
          "success")
    return see_other(url_for("qa.show_rule", rule_id=rule.id))


@bp.route("/sampling-rules/<int:rule_id>/why")
def why_sampled(rule_id: int):
    """Why these calls: the agent's qualifying calls that day in order, and which the rule
    took and why (?agent=<id>&day=YYYY-MM-DD)."""
    rule = load_rule(rule_id)
    agent = db.session.get(User, request.args.get("agent", type=row_id) or 0)
    day = date_arg("day")
    if agent is None or day is None or not policy.sees_agent(current_user, agent):
        abort(404)
    found = rules.explain(rule, agent, day)
    return render("qa/why_sampled.html", rule=rule, agent=agent, day=day, found=found,
                  refusals=REFUSALS, describe=describe_rule,
                  applies=rules.terms(rule).applies_on(day))


# --- the QA queue and evaluations ------------------------------------------------------------


@cache
def _queue_statements() -> dict:
    """The queue's queries, built once; the day and the reviewer are bound per request."""
    day, me = bindparam("day"), bindparam("me")
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
    found = db.session.scalars(_queue_statements()["rules"], {"day": day}).all()
    return [r for r in found if rules.terms(r).applies_on(day)]


@bp.route("/qa/queue")
def queue():
    """The reviewer's share of a day's sample (today unless ?day=), with progress."""
    day = date_arg("day") or center_today()
    statements = _queue_statements()
    applying = _published_rules_on(day)
    drawn = set(db.session.scalars(statements["drawn"], {"day": day}))
    undrawn = [r for r in applying if r.id not in drawn]
    mine = {"day": day, "me": current_user.id}
    picks = db.session.scalars(statements["picks"], mine).all()
    done = {e.call_id: e for e in db.session.scalars(statements["done"], mine)}
    published = sum(1 for e in done.values() if e.status == EvaluationStatus.PUBLISHED)
    return render("qa/queue.html", day=day, picks=picks, done=done, published=published,
                  undrawn=undrawn, applying=applying, form=VersionForm(),
                  prev_day=day - timedelta(days=1), next_day=day + timedelta(days=1),
                  today=center_today(), statuses=EVALUATION_STATUS)


@bp.route("/qa/queue/draw", methods=["POST"])
def draw_sample():
    """Draw the day's sample for every published rule that applies and has not drawn yet."""
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    day = date_arg("day") or center_today()
    if day > center_today():
        flash(_("The sample of a day is drawn on that day, from the calls it brings."), "error")
        return see_other(url_for("qa.queue", day=day.isoformat()))
    for rule in _published_rules_on(day):
        rules.draw(rule, day, utcnow())
    db.session.commit()
    flash(_("The sample for %(day)s is drawn.", day=day.isoformat()), "success")
    return see_other(url_for("qa.queue", day=day.isoformat()))


def _current_version() -> ScorecardVersion | None:
    card = db.session.scalar(select(Scorecard).order_by(Scorecard.id).limit(1))
    return scorecards.latest(card) if card else None


@bp.route("/calls/<int:call_id>/evaluate", methods=["POST"])
def start_evaluation(call_id: int):
    """Open (or go back to) my evaluation of a call."""
    call = load_call(call_id)
    form = StartForm()
    if not form.validate_on_submit():
        abort(400)
    version = _current_version()
    if version is None or not version.items:
        flash(_("There is no scorecard with deduction items yet."), "error")
        return see_other(url_for("qa.show_call", call_id=call.id))
    try:
        evaluation = evaluations.start(call, current_user, version, form.reason.data or "",
                                       utcnow())
    except Refusal as error:
        form.reason.errors = [error.message]
        db.session.rollback()
        return _call_page(load_call(call_id), form, 422)
    db.session.commit()
    return see_other(url_for("qa.show_evaluation", evaluation_id=evaluation.id))


@cache
def _evaluation_statement(lock: bool):
    """An evaluation with its call, people and scorecard version (categories and items),
    built once per kind: reading, or locking the row to change it."""
    stmt = (select(Evaluation).where(Evaluation.id == bindparam("id")).options(
        joinedload(Evaluation.call), joinedload(Evaluation.agent),
        joinedload(Evaluation.reviewer),
        joinedload(Evaluation.scorecard_version).joinedload(ScorecardVersion.scorecard),
        joinedload(Evaluation.scorecard_version).selectinload(
            ScorecardVersion.categories).selectinload(ScorecardCategory.items)))
    return stmt.with_for_update(of=Evaluation) if lock else stmt


def load_evaluation(evaluation_id: int) -> Evaluation:
    """The evaluation, or 404 when missing or not for the viewer's eyes."""
    lock = lock_for_change(Evaluation) is not None
    evaluation = db.session.scalars(_evaluation_statement(lock), {"id": evaluation_id},
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


def _marks() -> list[evaluations.Mark]:
    marks = []
    for value in request.form.getlist("item"):
        try:
            item_id = int(value)
        except ValueError:
            continue
        marks.append(evaluations.Mark(
            item_id, request.form.get(f"note-{item_id}", "")[:500],
            moment_seconds(request.form.get(f"moment-{item_id}", ""))))
    return marks


def _evaluation_page(evaluation: Evaluation, error: str = "", status: int = 200,
                     marks: list[evaluations.Mark] | None = None):
    ticked = {d.item_id: d for d in evaluation.deductions} if marks is None else {
        m.item_id: m for m in marks}
    editable = (evaluation.status == EvaluationStatus.DRAFT
                and evaluation.reviewer_id == current_user.id)
    total = evaluations.score_of([i.points for i in evaluation.scorecard_version.items
                                  if i.id in ticked])
    return render("qa/evaluation.html", evaluation=evaluation, ticked=ticked, editable=editable,
                  total=total, error=error, status=status, form=VersionForm(),
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
    marks = _marks()
    try:
        evaluations.save(evaluation, current_user, marks, _version(form), publish, utcnow())
    except Refusal as error:
        db.session.rollback()
        return _evaluation_page(load_evaluation(evaluation_id), error.message, 422, marks)
    db.session.commit()
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
    wanted = {m.item_id for m in _marks()}
    total = evaluations.score_of([i.points for i in evaluation.scorecard_version.items
                                  if i.id in wanted])
    return render("qa/_total.html", total=total)


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
                   "pending-changed")


@bp.route("/evaluations")
def list_evaluations():
    """Evaluations the viewer may see, newest first; an agent sees their own."""
    stmt = policy.visible_evaluations(current_user, select(Evaluation).where(
        Evaluation.calibration_id.is_(None))).options(
        joinedload(Evaluation.agent), joinedload(Evaluation.reviewer), joinedload(Evaluation.call))
    if current_user.role == Role.QA and request.args.get("mine") == "1":
        stmt = stmt.where(Evaluation.reviewer_id == current_user.id)
    page = paginate(stmt.order_by(Evaluation.created_at.desc(), Evaluation.id.desc()))
    unread = db.session.scalar(select(func.count(Evaluation.id)).where(
        Evaluation.agent_id == current_user.id, Evaluation.read_at.is_(None),
        Evaluation.status == EvaluationStatus.PUBLISHED, Evaluation.calibration_id.is_(None)))
    return render("qa/list_evaluations.html", page=page, statuses=EVALUATION_STATUS,
                  unread=unread, args={})


# --- scorecards -----------------------------------------------------------------------------


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
        if current_user.role != Role.SUPERVISOR:
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
                  can_edit=current_user.role == Role.SUPERVISOR)


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
        current_user))


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
        card, item, form.name.data, form.points.data, form.guidance.data or "", current_user))


@bp.route("/scorecards/items/<int:scorecard_item_id>/remove", methods=["POST"])
def remove_item(scorecard_item_id: int):
    """Take an item off the newest version."""
    card, item = load_item(scorecard_item_id)
    if not VersionForm().validate_on_submit():
        abort(400)
    return _scorecard_change(card, lambda: scorecards.remove_item(card, item, current_user))


# --- API tokens -----------------------------------------------------------------------------


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
    tokens.revoke(token, current_user, utcnow())
    db.session.commit()
    flash(_("The token is revoked: the API refuses it from now on."), "success")
    return see_other(url_for("qa.list_tokens"))



# --- calibration ----------------------------------------------------------------------------


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
    rounds = db.session.scalars(select(Calibration).options(joinedload(Calibration.call))
                                .order_by(Calibration.id.desc()).limit(50)).all()
    mine = {e.calibration_id: e for e in db.session.scalars(select(Evaluation).where(
        Evaluation.reviewer_id == current_user.id, Evaluation.calibration_id.is_not(None)))}
    return render("qa/list_calibrations.html", rounds=rounds, mine=mine, form=form,
                  statuses=EVALUATION_STATUS, status=status)


@bp.route("/calibrations", methods=["POST"])
def new_calibration():
    """Start a round on a call, against the current scorecard."""
    form = CalibrationForm()
    call = None
    if form.validate_on_submit():
        call = db.session.scalar(select(Call).where(Call.serial_no == form.serial_no.data.strip()))
        if call is None:
            form.serial_no.errors = [_("No call has this serial no.")]
    version = _current_version()
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
    show = current_user.role == Role.SUPERVISOR or round_.closed_at is not None
    return render("qa/show_calibration.html", round_=round_, submitted=submitted, mine=mine,
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
    try:
        calibration.close(round_, current_user, utcnow())
    except Refusal as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The round is closed."), "success")
    return see_other(url_for("qa.show_calibration", calibration_id=calibration_id))


# --- reports --------------------------------------------------------------------------------

PERIOD_LABELS = {"day": _l("Day"), "week": _l("Week"), "month": _l("Month")}
GROUP_LABELS = {"agent": _l("Agent"), "team": _l("Team"), "reviewer": _l("Reviewer")}


def _report_args() -> tuple[str, date, str]:
    period = request.args.get("period", "month")
    group = request.args.get("by", "agent")
    return (period if period in reports.PERIODS else "month", date_arg("day") or center_today(),
            group if group in reports.GROUPS else "agent")


def _report_scope():
    """Leads see their team's agents only; reviewers and supervisors the whole center."""
    if current_user.role == Role.LEAD:
        return policy.visible_agents(current_user, Evaluation.agent_id)
    return None


@bp.route("/qa/reports")
def show_report():
    """Daily, weekly or monthly QA report per agent, team or reviewer, with its charts."""
    period, day, group = _report_args()
    if current_user.role == Role.LEAD and group == "reviewer":
        group = "agent"
    report = reports.build(period, day, group, _report_scope())
    return render("qa/report.html", report=report, periods=PERIOD_LABELS, groups=GROUP_LABELS,
                  prev_day=report.first - timedelta(days=1),
                  next_day=report.last + timedelta(days=1),
                  day=day, chart=line_chart(report.trend), bars=bar_chart(report.buckets),
                  args={"period": period, "by": group, "day": day.isoformat()})


@bp.route("/qa/consistency")
def show_consistency():
    """How alike the reviewers score: average against the center's and item by item."""
    period, day, _group = _report_args()
    found = reports.consistency(period, day)
    first, last = reports.bounds(period, day)
    return render("qa/consistency.html", found=found, period=period, day=day, first=first,
                  last=last, periods=PERIOD_LABELS)


@bp.route("/qa/reports.xlsx", methods=["POST"])
def export_report():
    """The report as a spreadsheet (supervisors). A POST: every export is audited, and a GET
    never changes anything."""
    if not VersionForm().validate_on_submit():
        abort(400)
    period, day, group = _report_args()
    report = reports.build(period, day, group)
    body = reports.to_xlsx(report, {
        "period": str(PERIOD_LABELS[period]), "by": str(GROUP_LABELS[group]),
        "name": _("Name"), "count": _("Evaluations"), "average": _("Average"),
        "lowest": _("Lowest"), "highest": _("Highest"), "item": _("Deduction item"),
        "times": _("Times"), "points": _("Points deducted"), "day": _("Day"),
        "scores": _("Scores")})
    audit.record("report.export", object_type="report", object_id=f"{period}:{day}:{group}",
                 after={"period": period, "day": day, "by": group, "rows": len(report.rows)})
    db.session.commit()
    name = f"qa-report-{period}-{report.first.isoformat()}-{group}.xlsx"
    return Response(body, mimetype=XLSX, headers={
        "Content-Disposition": f"attachment; filename={name}"})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHART_W, CHART_H, PAD = 640, 220, 32


def line_chart(trend: list) -> dict:
    """Points of the daily average on a 0–100 scale, for the SVG the template draws."""
    days = len(trend)
    step = (CHART_W - 2 * PAD) / max(1, days - 1)

    def y(score: float) -> float:
        return round(CHART_H - PAD - score / 100 * (CHART_H - 2 * PAD), 1)

    points = [(round(PAD + i * step, 1), y(avg), day, avg, n)
              for i, (day, avg, n) in enumerate(trend) if avg is not None]
    grid = [(y(v), v) for v in (0, 60, 80, 100)]
    ticks = [(round(PAD + i * step, 1), day) for i, (day, _a, _n) in enumerate(trend)
             if days <= 8 or i % max(1, days // 6) == 0]
    return {"width": CHART_W, "height": CHART_H, "pad": PAD, "points": points, "grid": grid,
            "ticks": ticks, "line": " ".join(f"{x},{yy}" for x, yy, *_r in points)}


def bar_chart(buckets: list) -> dict:
    """Bars of the score distribution."""
    top = max((n for _label, n in buckets), default=0) or 1
    width = (CHART_W - 2 * PAD) / max(1, len(buckets))
    bars = [(round(PAD + i * width + 4, 1), round(width - 8, 1),
             round((CHART_H - 2 * PAD) * n / top, 1), label, n)
            for i, (label, n) in enumerate(buckets)]
    return {"width": CHART_W, "height": CHART_H, "pad": PAD, "bars": bars,
            "base": CHART_H - PAD}
