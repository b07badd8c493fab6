"""Sampling rules: written as drafts, published a day ahead, then fixed; the daily draw.

A published rule never changes. A new rule may follow it: from the follower's first day the
old rule takes no more calls, and since the follower too is published at least a day before
its first day, everybody knows in advance which rule takes which day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import bindparam, case, func, select

from app import audit, statements
from app.extensions import db
from app.people.models import Role, Status, User
from app.qa import sampling
from app.qa.models import (
    Call,
    RuleStatus,
    SampledCall,
    SampleDraw,
    SamplingRule,
    Scope,
    sampling_rule_covered,
    sampling_rule_person,
)
from app.settings import value as setting
from app.timeutil import center_tz
from app.workflow import Refusal, StaleError

FIELDS = ("name", "scope", "team_id", "weekdays", "first_day", "last_day", "window_start",
          "window_end", "longer_than_s", "at_most_s", "direction", "nth_from", "nth_to",
          "status", "follows_id", "scorecard_id")


@dataclass
class RuleData:
    """What a reviewer writes in a rule."""

    name: str
    scope: str
    team_id: int | None
    people_ids: list[int]
    weekdays: int
    first_day: date
    last_day: date | None
    window_start: time | None
    window_end: time | None
    longer_than_s: int
    at_most_s: int | None
    direction: str
    nth_from: int
    nth_to: int
    scorecard_id: int | None = None  # the scorecard its calls are scored on


def problems(data: RuleData) -> list[Refusal]:
    """Everything that contradicts itself in a rule, each problem naming its field."""
    found = []
    if data.scope == Scope.TEAM and not data.team_id:
        found.append(Refusal("team_id", _("Choose the team the rule covers.")))
    if data.scope == Scope.PEOPLE and not data.people_ids:
        found.append(Refusal("people", _("Choose at least one person.")))
    if not data.weekdays:
        found.append(Refusal("weekdays", _("Choose at least one weekday.")))
    if data.last_day is not None and data.last_day < data.first_day:
        found.append(Refusal("last_day", _("The last day cannot come before the first day.")))
    if data.window_start and data.window_end and data.window_end <= data.window_start:
        found.append(Refusal("window_end", _("The window must end after it starts.")))
    if data.at_most_s is not None and data.at_most_s <= data.longer_than_s:
        found.append(Refusal("at_most_s",
                               _("The longest duration must be more than the shortest.")))
    if data.nth_to < data.nth_from:
        found.append(Refusal("nth_to",
                               _("The last call to take cannot come before the first.")))
    return found


def check(data: RuleData) -> None:
    """Refuse a rule that contradicts itself (with its first problem)."""
    found = problems(data)
    if found:
        raise found[0]


def _apply(rule: SamplingRule, data: RuleData) -> None:
    for name in FIELDS:
        if hasattr(data, name):
            setattr(rule, name, getattr(data, name))
    rule.team_id = data.team_id if data.scope == Scope.TEAM else None
    people = []
    if data.scope == Scope.PEOPLE:
        people = list(db.session.scalars(select(User).where(
            User.id.in_(data.people_ids), User.role.in_([Role.AGENT, Role.LEAD]))))
    rule.people = people


def save_draft(rule: SamplingRule | None, data: RuleData, actor: User,
               seen_version: int | None = None, *, now: datetime) -> SamplingRule:
    """Create a draft, or change one that is not published yet. A draft that could not be
    published now (its first day too near) is refused, with the earliest first day."""
    check(data)
    check_notice(data.first_day, now)
    if rule is None:
        rule = SamplingRule(created_by_id=actor.id, status=RuleStatus.DRAFT)
        db.session.add(rule)
        before = None
    else:
        if rule.status != RuleStatus.DRAFT:
            raise Refusal("name", _("A published rule cannot be changed; write a new rule "
                                      "to follow it."))
        if seen_version is not None and seen_version != rule.version:
            raise StaleError
        before = audit.snapshot(rule, FIELDS)
    _apply(rule, data)
    db.session.flush()
    audit.record("sampling_rule.save", rule, actor=actor, before=before,
                 after=audit.snapshot(rule, FIELDS))
    return rule


def earliest_first_day(now: datetime) -> date:
    """The first day a rule published now may take calls on: a rule is published at least a
    day (by default) before its first day, so a rule published today starts tomorrow."""
    return now.astimezone(center_tz()).date() + timedelta(days=setting("rule_notice_days"))


def check_notice(first_day: date, now: datetime) -> None:
    """Refuse a first day too near to be published now ("a rule must be published at least
    one day before the day it applies to")."""
    earliest = earliest_first_day(now)
    if first_day < earliest:
        raise Refusal("first_day", _(
            "A sampling rule must be published at least %(n)d day(s) before its first day: "
            "the earliest first day now is %(day)s.", n=setting("rule_notice_days"),
            day=earliest.isoformat()))


def publish(rule: SamplingRule, actor: User, now: datetime, seen_version: int) -> None:
    """Publish a draft at least a day before its first day; from then on it is fixed."""
    if rule.version != seen_version or rule.status != RuleStatus.DRAFT:
        raise StaleError
    check_notice(rule.first_day, now)
    before = audit.snapshot(rule, FIELDS)
    rule.covered_people = list(db.session.scalars(eligible(rule)))
    rule.status = RuleStatus.PUBLISHED
    rule.published_at = now
    audit.record("sampling_rule.publish", rule, actor=actor, before=before,
                 after={**audit.snapshot(rule, FIELDS),
                        "covers": sorted(p.id for p in rule.covered_people)})


def follower_data(rule: SamplingRule, now: datetime) -> RuleData:
    """A draft to follow a published rule: the same terms, starting on the earliest day."""
    return RuleData(rule.name, rule.scope, rule.team_id, [p.id for p in rule.people],
                    rule.weekdays, max(rule.first_day, earliest_first_day(now)), rule.last_day,
                    rule.window_start, rule.window_end, rule.longer_than_s, rule.at_most_s,
                    rule.direction, rule.nth_from, rule.nth_to, rule.scorecard_id)


def successor_start(rule: SamplingRule) -> date | None:
    """The first day of the published rule that follows this one, if any.

    Asked for each rule the queue and "why this call" show, so the statement is built once
    (app/statements.py): with it the QA queue answered 496 requests a second against 438
    built per request (make bench, /qa/queue qa1, median of three interleaved runs)."""
    stmt = statements.once(("successor start",), lambda: select(SamplingRule.first_day).where(
        SamplingRule.follows_id == bindparam("rule_id"),
        SamplingRule.status == RuleStatus.PUBLISHED).order_by(SamplingRule.first_day).limit(1))
    return db.session.scalar(stmt, {"rule_id": rule.id})


def terms(rule: SamplingRule) -> sampling.Terms:
    """The rule's terms, ended the day before a published follower starts."""
    found = sampling.Terms.of(rule)
    follower = successor_start(rule)
    if follower is not None:
        end = follower - timedelta(days=1)
        if found.last_day is None or end < found.last_day:
            found = sampling.Terms(**{**found.__dict__, "last_day": end})
    return found


def eligible(rule: SamplingRule):
    """A select of the people the rule's scope names today (agents and leads who take calls
    and have not left): whom it will cover if it is published now."""
    stmt = select(User).where(User.status != Status.LEFT,
                              User.role.in_([Role.AGENT, Role.LEAD]))
    if rule.scope == Scope.TEAM:
        return stmt.where(User.team_id == rule.team_id)
    if rule.scope == Scope.PEOPLE:
        return stmt.where(User.id.in_(select(sampling_rule_person.c.user_id).where(
            sampling_rule_person.c.rule_id == rule.id)))
    return stmt.where(User.role == Role.AGENT)


def covered(rule: SamplingRule):
    """A select of the people whose calls the rule covers: fixed when it was published
    ("who a rule covers is frozen when it is published"); for a draft, whom it would cover."""
    if rule.status != RuleStatus.PUBLISHED:
        return eligible(rule)
    return select(User).join(sampling_rule_covered, sampling_rule_covered.c.user_id == User.id)\
        .where(sampling_rule_covered.c.rule_id == rule.id)


def covered_people(rule: SamplingRule) -> list[User]:
    """The people the rule covers (see covered), by employee no."""
    return list(db.session.scalars(covered(rule).order_by(User.employee_no)))


def coverage_of(rule: SamplingRule, person: User) -> tuple[int, bool]:
    """How many people the rule covers, and whether this person is one of them (one query).

    For a published rule the statement reads the frozen list alone and is built once
    (app/statements.py): "why this call" answered 385 requests a second with it and 321 with
    the statement built per request (bench/compare.py, five rounds)."""
    if rule.status == RuleStatus.PUBLISHED:
        stmt = statements.once(("coverage of",), lambda: _count_and_member(
            select(sampling_rule_covered.c.user_id.label("id")).where(
                sampling_rule_covered.c.rule_id == bindparam("rule_id")).subquery()))
    else:
        stmt = _count_and_member(covered(rule).with_only_columns(User.id).subquery())
    count, mine = db.session.execute(stmt, {"rule_id": rule.id, "person_id": person.id}).one()
    return count, bool(mine)


def _count_and_member(people):
    """How many rows `people` has, and how many of them are the person `person_id`."""
    return select(func.count(), func.coalesce(func.sum(case(
        (people.c.id == bindparam("person_id"), 1), else_=0)), 0)).select_from(people)


def rules_covering(user: User):
    """A select of the published rules that cover this person (on their frozen lists)."""
    return _rules_covering(user.id)


def _rules_covering(person_id):
    return select(SamplingRule).where(
        SamplingRule.status == RuleStatus.PUBLISHED,
        SamplingRule.id.in_(select(sampling_rule_covered.c.rule_id).where(
            sampling_rule_covered.c.user_id == person_id)))


def covering_rule_ids(user: User) -> set[int]:
    """The ids of the published rules that cover this person.

    Every view of a rule by someone who does not see them all asks, so the statement is built
    once (app/statements.py). With it, successor_start's and day_calls', "why this call"
    answered 450 requests a second against 313 with all three built per request (make bench,
    /sampling-rules/<id>/why agent01, median of three interleaved runs)."""
    stmt = statements.once(("covering rule ids",), lambda: _rules_covering(
        statements.Person(user.role).id).with_only_columns(SamplingRule.id))
    return set(db.session.scalars(stmt, statements.person_args(user)))


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC moments the center's day starts and ends."""
    start = datetime.combine(day, time(), center_tz()).astimezone(UTC)
    return start, datetime.combine(day + timedelta(days=1), time(),
                                   center_tz()).astimezone(UTC)


def day_calls(agent_ids: list[int], day: date) -> dict[int, list[tuple[int, sampling.CallFact]]]:
    """Each agent's calls of the day as (call id, facts), read in one query (built once,
    app/statements.py; see covering_rule_ids for the figure)."""
    start, end = day_bounds(day)
    found: dict[int, list[tuple[int, sampling.CallFact]]] = {a: [] for a in agent_ids}
    if not agent_ids:
        return found
    stmt = statements.once(("day calls",), lambda: select(
        Call.id, Call.agent_id, Call.serial_no, Call.started_at, Call.duration_s,
        Call.direction).where(Call.started_at >= bindparam("start"),
                              Call.started_at < bindparam("end"),
                              Call.agent_id.in_(bindparam("agents", expanding=True))))
    rows = db.session.execute(stmt, {"start": start, "end": end, "agents": agent_ids})
    for call_id, agent_id, serial, started, duration, direction in rows:
        found[agent_id].append((call_id, sampling.CallFact(serial, started, duration,
                                                           direction)))
    return found


def reviewers() -> list[User]:
    """The active QA reviewers the day's sample is shared among."""
    return list(db.session.scalars(select(User).where(
        User.role == Role.QA, User.status == Status.ACTIVE).order_by(User.id)))


def drawable_from(day: date) -> datetime:
    """The moment a day's sample may be drawn (UTC): "a day is drawn only after it has ended
    (plus a grace period for late uploads)", the day ending at midnight in the center's
    time."""
    end = datetime.combine(day + timedelta(days=1), time(), center_tz())
    return end.astimezone(UTC) + timedelta(minutes=setting("sample_grace_minutes"))


def latest_due_day(now: datetime) -> date:
    """The last day whose sample may be drawn at `now`: the day before the center's date
    `sample_grace_minutes` ago (its midnight, and the grace after it, have passed)."""
    grace = timedelta(minutes=setting("sample_grace_minutes"))
    return (now - grace).astimezone(center_tz()).date() - timedelta(days=1)


def check_due(day: date, now: datetime) -> None:
    """Refuse to draw a day that has not ended, with its grace period, at `now`."""
    if now < drawable_from(day):
        raise Refusal("day", _(
            "The sample of %(day)s can be drawn from %(when)s: a day is drawn only after it "
            "has ended and late uploads have had %(n)d minutes.", day=day.isoformat(),
            when=format_datetime(drawable_from(day), "short"),
            n=setting("sample_grace_minutes")))


def draw(rule: SamplingRule, day: date, now: datetime) -> SampleDraw:
    """The rule's sample for a finished day, drawn once and kept; shared out evenly among
    reviewers."""
    existing = db.session.scalar(select(SampleDraw).where(SampleDraw.rule_id == rule.id,
                                                          SampleDraw.day == day))
    if existing is not None:
        return existing
    if rule.status != RuleStatus.PUBLISHED:
        raise Refusal("rule", _("Only a published rule draws a sample."))
    check_due(day, now)
    found = draw_picks(rule, day)
    made = SampleDraw(rule_id=rule.id, day=day, drawn_at=now)
    db.session.add(made)
    team = reviewers()
    for n, (agent, call_id, position) in enumerate(found):
        made.picks.append(SampledCall(call_id=call_id, agent_id=agent.id, position=position,
                                      reviewer_id=team[n % len(team)].id if team else None))
    db.session.flush()
    audit.record("sample.draw", made, object_type="sample_draw", after={
        "rule_id": rule.id, "day": day, "calls": len(found)})
    return made


def due_draws(now: datetime, day: date | None = None) -> list[tuple[SamplingRule, date]]:
    """(rule, day) for every published rule and finished day it applies to that has not
    drawn its sample yet; only `day` when one is given (which must be finished)."""
    if day is not None:
        check_due(day, now)
    last = latest_due_day(now) if day is None else day
    published = db.session.scalars(select(SamplingRule).where(
        SamplingRule.status == RuleStatus.PUBLISHED, SamplingRule.first_day <= last)
        .order_by(SamplingRule.id)).all()
    drawn = set(db.session.execute(select(SampleDraw.rule_id, SampleDraw.day).where(
        SampleDraw.day <= last)).tuples())
    found = []
    for rule in published:
        rule_terms = terms(rule)
        current = rule.first_day if day is None else day
        while current <= last:
            if rule_terms.applies_on(current) and (rule.id, current) not in drawn:
                found.append((rule, current))
            current += timedelta(days=1)
    return found


def draw_due(now: datetime, day: date | None = None) -> list[SampleDraw]:
    """Draw every sample that is due (see due_draws); the draws made."""
    return [draw(rule, current, now) for rule, current in due_draws(now, day)]


def draw_picks(rule: SamplingRule, day: date) -> list[tuple[User, int, int]]:
    """(agent, call id, position among the qualifying calls) the rule takes on the day, by
    employee no. and position: the pure function applied to the log as it is now."""
    rule_terms = terms(rule)
    if not rule_terms.applies_on(day):
        return []
    agents = covered_people(rule)
    log = day_calls([a.id for a in agents], day)
    tz = center_tz()
    picks = []
    for agent in agents:
        ids = {facts.serial_no: call_id for call_id, facts in log[agent.id]}
        for verdict in sampling.explain(rule_terms, day, [f for _i, f in log[agent.id]], tz):
            if verdict.taken:
                picks.append((agent, ids[verdict.call.serial_no], verdict.position))
    return picks


@dataclass
class Explanation:
    """Why these calls: the agent's day as the rule sees it, and what came in late."""

    rule: SamplingRule
    day: date
    verdicts: list[sampling.Verdict]
    call_ids: dict[str, int]
    drawn: SampleDraw | None
    drawn_serials: list[str]
    late_serials: list[str]  # calls of the day that reached the log after the draw

    @property
    def now_serials(self) -> list[str]:
        """What the rule takes from the log as it is now."""
        return [v.call.serial_no for v in self.verdicts if v.taken]

    @property
    def changed(self) -> bool:
        """Whether the late calls would change the sample."""
        return self.drawn is not None and self.now_serials != self.drawn_serials


def explain(rule: SamplingRule, agent: User, day: date) -> Explanation:
    """Every call of the agent that day in order, which the rule took, and why."""
    log = day_calls([agent.id], day)[agent.id]
    verdicts = sampling.explain(terms(rule), day, [f for _i, f in log], center_tz())
    call_ids = {facts.serial_no: call_id for call_id, facts in log}
    drawn = db.session.scalar(select(SampleDraw).where(SampleDraw.rule_id == rule.id,
                                                       SampleDraw.day == day))
    drawn_serials, late = [], []
    if drawn is not None:
        drawn_serials = list(db.session.scalars(
            select(Call.serial_no).join(SampledCall, SampledCall.call_id == Call.id)
            .where(SampledCall.draw_id == drawn.id, SampledCall.agent_id == agent.id)
            .order_by(SampledCall.position)))
        start, end = day_bounds(day)
        late = list(db.session.scalars(
            select(Call.serial_no).where(Call.agent_id == agent.id, Call.started_at >= start,
                                         Call.started_at < end,
                                         Call.imported_at > drawn.drawn_at)
            .order_by(Call.started_at)))
    return Explanation(rule, day, verdicts, call_ids, drawn, drawn_serials, late)


def recently_published_for_team(team_id: int | None, since: datetime):
    """A select of the rules published since `since` that cover anyone in the team: what a
    lead sees on the home page the moment it is published."""
    members = select(sampling_rule_covered.c.rule_id).join(
        User, User.id == sampling_rule_covered.c.user_id).where(User.team_id == team_id)
    return select(SamplingRule).where(
        SamplingRule.status == RuleStatus.PUBLISHED, SamplingRule.published_at >= since,
        SamplingRule.id.in_(members))
