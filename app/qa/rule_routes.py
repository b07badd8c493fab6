"""Sampling rules: the list, one rule, why it took which calls, writing and publishing."""

from __future__ import annotations

from flask import Response, abort, flash, get_template_attribute, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app import confirm
from app.database import lock_for_change
from app.extensions import db
from app.forms import choices, show_refusal
from app.htmx import render, see_other
from app.i18n import lazy_gettext as _l
from app.pagination import paginate
from app.people.forms import STATUS_LABELS
from app.people.models import Role, Status, Team, User
from app.qa import bp, policy, rules, sampling
from app.qa.forms import RuleForm, VersionForm
from app.qa.models import RuleStatus, SamplingRule, Scope
from app.qa.scorecard_routes import scorecard_choices
from app.timeutil import utcnow
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


PUBLISH_RULE = _l("Publish this rule? It can never be changed afterwards.")


def load_rule(rule_id: int) -> SamplingRule:
    """The rule, or 404 when missing or not for the viewer's eyes."""
    rule = db.session.get(SamplingRule, rule_id, with_for_update=lock_for_change(SamplingRule))
    covering = (None if policy.can_see_every_rule(current_user)
                else rules.covering_rule_ids(current_user))
    if rule is None or not policy.can_see_rule(current_user, rule, covering):
        abort(404)
    return rule


@bp.route("/sampling-rules")
def list_rules():
    """The sampling rules: all of them for reviewers, the published ones that apply for
    everyone else."""
    stmt = select(SamplingRule).options(joinedload(SamplingRule.team),
                                        selectinload(SamplingRule.people))
    if not policy.can_see_published_rules(current_user):
        stmt = rules.rules_covering(current_user).options(joinedload(SamplingRule.team))
    elif not policy.can_see_every_rule(current_user):
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
    form.scorecard_id.choices = scorecard_choices()
    earliest = rules.earliest_first_day(utcnow())
    form.first_day.description = _("Published now, a rule may start on %(day)s at the "
                                   "earliest.", day=format_date(earliest))
    form.first_day.render_kw = {"min": earliest.isoformat()}


def _rule_data(form: RuleForm) -> rules.RuleData:
    weekdays = sum(1 << d for d in form.weekdays.data or [] if 0 <= d <= 6)
    return rules.RuleData(
        name=form.name.data.strip(), scope=form.scope.data, team_id=form.team_id.data or None,
        people_ids=list(form.people.data or []), weekdays=weekdays,
        first_day=form.first_day.data, last_day=form.last_day.data,
        window_start=form.window_start.data, window_end=form.window_end.data,
        longer_than_s=form.longer_than_s.data or 0, at_most_s=form.at_most_s.data,
        direction=form.direction.data, nth_from=form.nth_from.data, nth_to=form.nth_to.data,
        scorecard_id=form.scorecard_id.data)


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
            rule = rules.save_draft(None, _rule_data(form), current_user, now=utcnow())
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
            rules.save_draft(rule, _rule_data(form), current_user, form.seen_version(),
                             now=utcnow())
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
                  covered=rules.covered_people(rule), person_statuses=STATUS_LABELS,
                  statuses=RULE_STATUS, follower=follower, terms=rules.terms(rule),
                  weekdays=[d for d in range(7) if rule.weekdays >> d & 1],
                  earliest=rules.earliest_first_day(utcnow()), form=form, error=error,
                  can_write=policy.can_write_rules(current_user), status=status)


@bp.route("/sampling-rules/<int:rule_id>/publish", methods=["POST"])
def publish_rule(rule_id: int):
    """Publish a draft at least a day before its first day; then it can never change."""
    rule = load_rule(rule_id)
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    confirm.ask(PUBLISH_RULE)
    try:
        rules.publish(rule, current_user, utcnow(), form.seen_version())
    except Refusal as error:
        db.session.rollback()
        return _rule_page(load_rule(rule_id), form, error.message, 422)
    db.session.commit()
    flash(_("The rule is published. Leads and the agents it covers can read it now."),
          "success")
    return see_other(url_for("qa.show_rule", rule_id=rule.id))


@bp.route("/sampling-rules/<int:rule_id>/covered")
def rule_covered(rule_id: int):
    """Who the rule covers, with each person's status today: the list the "why this call"
    page loads when it is opened."""
    rule = load_rule(rule_id)
    people = get_template_attribute("qa/_covered.html", "covered_people")
    return Response(people(rules.covered_people(rule), STATUS_LABELS), mimetype="text/html")


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
    covered_count, is_covered = rules.coverage_of(rule, agent)
    return render("qa/why_sampled.html", rule=rule, agent=agent, day=day, found=found,
                  covered_count=covered_count, is_covered=is_covered,
                  refusals=REFUSALS, describe=describe_rule,
                  applies=rules.terms(rule).applies_on(day))
