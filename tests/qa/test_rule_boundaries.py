"""Sampling rules at every boundary: drafts, publication notice, followers, coverage, draws.

DESIGN.md, Sampling rule (录音抽取标准): "A rule must be published at least one day before the
day it applies to; from then on it cannot change, and leads and agents can see it. The sample
is a pure function of the published rule and the call log: anyone can recompute it and get the
same calls. Who a rule covers is frozen when it is published."
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from app.extensions import db
from app.people.models import Role, Status, User
from app.qa import rules, sampling
from app.qa.models import (
    Call,
    RuleStatus,
    SampledCall,
    SampleDraw,
    SamplingRule,
    Scope,
    Scorecard,
)
from app.settings import save as save_settings
from app.settings import specs as setting_specs
from app.workflow import Refusal, StaleError
from tests.conftest import audit_rows as audits
from tests.conftest import row_count as count

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 2)  # a Wednesday
TOMORROW = TODAY + timedelta(days=1)


def at(day: date, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    """A moment of the center's day, in UTC."""
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=SHANGHAI).astimezone(UTC)


NOW = at(TODAY, 10)
NEXT_MORNING = at(TOMORROW + timedelta(days=1), 9)  # TOMORROW has ended


def data(**changes) -> rules.RuleData:
    values = {"name": "每人第2通", "scope": Scope.ALL, "team_id": None, "people_ids": [],
              "weekdays": 0b1111111, "first_day": TOMORROW, "last_day": None,
              "window_start": time(11), "window_end": None, "longer_than_s": 200,
              "at_most_s": None, "direction": "any", "nth_from": 2, "nth_to": 2}
    return rules.RuleData(**{**values, **changes})


def snapshot(**changes) -> dict:
    """The audit snapshot of a rule written with data(**changes), as JSON stores it."""
    values = {"name": "每人第2通", "scope": "all", "team_id": None, "weekdays": 127,
              "first_day": TOMORROW.isoformat(), "last_day": None, "window_start": "11:00:00",
              "window_end": None, "longer_than_s": 200, "at_most_s": None, "direction": "any",
              "nth_from": 2, "nth_to": 2, "status": "draft", "follows_id": None,
              "scorecard_id": None}
    return {**values, **changes}


@pytest.fixture
def ctx(app, clock):
    """A request context in Chinese (the default language), the clock frozen at NOW."""
    clock.set(NOW)
    with app.test_request_context():
        yield clock


@pytest.fixture
def qa(make_user):
    return make_user(role=Role.QA)


def published(qa, **changes) -> SamplingRule:
    rule = rules.save_draft(None, data(**changes), qa, now=NOW)
    rules.publish(rule, qa, NOW, rule.version)
    db.session.commit()
    return rule


# --- a rule that contradicts itself ----------------------------------------------------------

ALL_WRONG = {"scope": Scope.TEAM, "weekdays": 0, "last_day": TODAY, "window_start": time(12),
             "window_end": time(12), "longer_than_s": 300, "at_most_s": 300, "nth_from": 3,
             "nth_to": 2}
MESSAGES = [
    ("team_id", "请选择标准适用的班组。"),
    ("weekdays", "请至少选择一个星期几。"),
    ("last_day", "结束日期不能早于开始日期。"),
    ("window_end", "时间段的结束必须晚于开始。"),
    ("at_most_s", "最长时长必须大于最短时长。"),
    ("nth_to", "抽取的最后一通不能早于第一通。"),
]


def test_every_problem_of_a_rule_is_named_at_its_field(ctx):
    """A rule that contradicts itself is refused, each problem beside its field."""
    found = rules.problems(data(**ALL_WRONG))
    assert [(p.field, p.message) for p in found] == MESSAGES
    assert [(p.field, p.message) for p in rules.problems(
        data(scope=Scope.PEOPLE, people_ids=[]))] == [("people", "请至少选择一名人员。")]
    assert rules.problems(data()) == []


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"scope": Scope.TEAM, "team_id": None}, "team_id", "请选择标准适用的班组。"),
    ({"scope": Scope.PEOPLE, "people_ids": []}, "people", "请至少选择一名人员。"),
    ({"weekdays": 0}, "weekdays", "请至少选择一个星期几。"),
    ({"last_day": TOMORROW - timedelta(days=1)}, "last_day", "结束日期不能早于开始日期。"),
    ({"window_start": time(11), "window_end": time(11)}, "window_end",
     "时间段的结束必须晚于开始。"),
    ({"window_start": time(11), "window_end": time(10, 59, 59)}, "window_end",
     "时间段的结束必须晚于开始。"),
    ({"longer_than_s": 200, "at_most_s": 200}, "at_most_s", "最长时长必须大于最短时长。"),
    ({"longer_than_s": 200, "at_most_s": 199}, "at_most_s", "最长时长必须大于最短时长。"),
    ({"nth_from": 2, "nth_to": 1}, "nth_to", "抽取的最后一通不能早于第一通。"),
])
def test_a_draft_that_contradicts_itself_is_refused_and_nothing_stored(ctx, qa, change, field,
                                                                        message):
    """A rule must say something that can be true: at the boundary and one unit past it."""
    with pytest.raises(Refusal) as refused:
        rules.save_draft(None, data(**change), qa, now=NOW)
    assert (refused.value.field, refused.value.message) == (field, message)
    assert count(SamplingRule) == 0
    assert audits("sampling_rule.save") == []


@pytest.mark.parametrize("change", [
    {"scope": Scope.TEAM, "team_id": "TEAM"},
    {"scope": Scope.PEOPLE, "people_ids": "PEOPLE"},
    {"weekdays": 1},  # Monday only
    {"weekdays": 0b1000000},  # Sunday only
    {"last_day": TOMORROW},  # a one-day rule
    {"last_day": None},
    {"window_start": time(11), "window_end": time(11, 0, 1)},
    {"window_start": None, "window_end": time(11)},
    {"window_start": time(11), "window_end": None},
    {"longer_than_s": 200, "at_most_s": 201},
    {"longer_than_s": 0, "at_most_s": None},
    {"nth_from": 2, "nth_to": 2},
    {"nth_from": 1, "nth_to": 2},
])
def test_a_draft_just_inside_every_boundary_is_kept(ctx, qa, make_team, make_user, change):
    """The other side of each boundary: the smallest rule that still says something."""
    if change.get("team_id") == "TEAM":
        change = {**change, "team_id": make_team().id}
    if change.get("people_ids") == "PEOPLE":
        change = {**change, "people_ids": [make_user().id]}
    assert rules.problems(data(**change)) == []
    rule = rules.save_draft(None, data(**change), qa, now=NOW)
    assert rule.id is not None and rule.status == RuleStatus.DRAFT


def test_check_refuses_with_the_first_problem(ctx):
    """The form shows one problem per field; the service refuses with the first."""
    with pytest.raises(Refusal) as refused:
        rules.check(data(weekdays=0, nth_to=1))
    assert (refused.value.field, refused.value.message) == ("weekdays", "请至少选择一个星期几。")
    rules.check(data())  # nothing to say


# --- drafts -----------------------------------------------------------------------------------


def test_a_new_draft_keeps_every_term_and_its_author(ctx, qa):
    """The reviewer writes every term; the draft records who wrote it, and the audit trail
    keeps what was written."""
    rule = rules.save_draft(None, data(window_end=time(18), last_day=TOMORROW + timedelta(days=6),
                                       at_most_s=900, direction="in", nth_to=3), qa, now=NOW)
    db.session.commit()
    saved = db.session.get(SamplingRule, rule.id)
    assert (saved.name, saved.scope, saved.team_id, saved.weekdays, saved.first_day,
            saved.last_day, saved.window_start, saved.window_end, saved.longer_than_s,
            saved.at_most_s, saved.direction, saved.nth_from, saved.nth_to, saved.status,
            saved.created_by_id, saved.published_at, saved.follows_id, saved.people) == (
        "每人第2通", "all", None, 127, TOMORROW, TOMORROW + timedelta(days=6), time(11),
        time(18), 200, 900, "in", 2, 3, "draft", qa.id, None, None, [])
    [row] = audits("sampling_rule.save")
    assert (row.actor_id, row.actor_role, row.object_type, row.object_id, row.at) == (
        qa.id, "qa", "sampling_rule", str(rule.id), NOW)
    assert row.before_dict() == {}
    assert row.after_dict() == snapshot(window_end="18:00:00", at_most_s=900, direction="in",
                                        nth_to=3,
                                        last_day=(TOMORROW + timedelta(days=6)).isoformat())


def test_a_draft_is_changed_with_before_and_after(ctx, qa):
    """A draft can change until it is published; the trail keeps both states."""
    rule = rules.save_draft(None, data(), qa, now=NOW)
    db.session.commit()
    seen = rule.version
    same = rules.save_draft(rule, data(nth_from=3, nth_to=4), qa, seen_version=seen, now=NOW)
    db.session.commit()
    assert same is rule and (rule.nth_from, rule.nth_to) == (3, 4)
    assert count(SamplingRule) == 1
    first, second = audits("sampling_rule.save")
    assert (second.actor_id, second.object_type, second.object_id) == (
        qa.id, "sampling_rule", str(rule.id))
    assert second.before_dict() == first.after_dict() == snapshot()
    assert second.after_dict() == snapshot(nth_from=3, nth_to=4)
    rules.save_draft(rule, data(name="改名"), qa, now=NOW)  # no version seen: no check
    assert rule.name == "改名"


def test_a_stale_draft_change_is_refused(ctx, qa):
    """STYLE.md: "a stale change answers 409 with a reload prompt, never a silent overwrite"."""
    rule = rules.save_draft(None, data(), qa, now=NOW)
    db.session.commit()
    with pytest.raises(StaleError):
        rules.save_draft(rule, data(nth_from=3, nth_to=3), qa, seen_version=rule.version - 1,
                         now=NOW)
    db.session.rollback()
    assert (db.session.get(SamplingRule, rule.id).nth_from, len(audits("sampling_rule.save"))) \
        == (2, 1)


def test_a_published_rule_cannot_change(ctx, qa):
    """DESIGN.md: "A rule must be published ...; from then on it cannot change"."""
    rule = published(qa)
    with pytest.raises(Refusal) as refused:
        rules.save_draft(rule, data(nth_from=3, nth_to=3), qa, seen_version=rule.version, now=NOW)
    assert (refused.value.field, refused.value.message) == (
        "name", "已发布的抽取标准不能修改，请另写一条新标准接替它。")
    db.session.rollback()
    assert db.session.get(SamplingRule, rule.id).nth_from == 2
    assert len(audits("sampling_rule.save")) == 1


def test_who_a_rule_names_is_agents_and_leads_only(ctx, qa, make_user, make_team):
    """DESIGN.md: "agent A: the 2nd call longer than 300 s": a rule names people who take
    calls (agents and leads), listed by employee no."""
    team = make_team()
    lead = make_user(role=Role.LEAD, employee_no="E90003")
    agent = make_user(role=Role.AGENT, employee_no="E90001")
    boss = make_user(role=Role.SUPERVISOR, employee_no="E90000")
    make_user(role=Role.AGENT, employee_no="E90002")  # not named
    rule = rules.save_draft(None, data(scope=Scope.PEOPLE, team_id=team.id,
                                       people_ids=[lead.id, qa.id, boss.id, agent.id]), qa, now=NOW)
    db.session.commit()
    assert (rule.team_id, [p.id for p in rule.people]) == (None, [agent.id, lead.id])
    rules.save_draft(rule, data(scope=Scope.TEAM, team_id=team.id, people_ids=[agent.id]), qa,
                     now=NOW)
    db.session.commit()
    assert (rule.scope, rule.team_id, rule.people) == ("team", team.id, [])
    rules.save_draft(rule, data(scope=Scope.ALL, team_id=team.id, people_ids=[agent.id]), qa,
                     now=NOW)
    db.session.commit()
    assert (rule.scope, rule.team_id, rule.people) == ("all", None, [])


# --- publishing a day ahead ------------------------------------------------------------------


def test_the_notice_is_a_rule_number_from_one_to_thirty_days(app):
    """DESIGN.md: "These are the center's policies. Each is a default a supervisor can
    change"; "A rule must be published at least one day before the day it applies to"."""
    spec = setting_specs(app)["rule_notice_days"]
    assert (spec.default, spec.minimum, spec.maximum) == (1, 1, 30)


@pytest.mark.parametrize(("value", "kept"), [(0, False), (1, True), (30, True), (31, False)])
def test_the_notice_can_be_set_within_its_bounds(ctx, make_user, value, kept):
    """A supervisor changes the notice within its bounds (at least one day)."""
    boss = make_user(role=Role.SUPERVISOR)
    if kept:
        save_settings({"rule_notice_days": value}, boss)
        assert rules.earliest_first_day(NOW) == TODAY + timedelta(days=value)
    else:
        with pytest.raises(ValueError, match="rule_notice_days"):
            save_settings({"rule_notice_days": value}, boss)
        assert rules.earliest_first_day(NOW) == TOMORROW


@pytest.mark.parametrize(("now", "earliest"), [
    (at(TODAY, 0, 0, 0), TOMORROW),
    (at(TODAY, 23, 59, 59), TOMORROW),  # Wednesday 23:59 still publishes for Thursday
    (at(TOMORROW, 0, 0, 0), TOMORROW + timedelta(days=1)),
    (datetime(2026, 12, 2, 15, 59, 59, tzinfo=UTC), TOMORROW),  # 23:59:59 in Shanghai
    (datetime(2026, 12, 2, 16, 0, 0, tzinfo=UTC), TOMORROW + timedelta(days=1)),  # 00:00
])
def test_the_earliest_first_day_is_counted_in_calendar_days_of_the_center(ctx, now, earliest):
    """DESIGN.md: ""N days ahead" ... asked no later than the end of the calendar day N days
    before the first affected day, in the center's time."""
    assert rules.earliest_first_day(now) == earliest


@pytest.mark.parametrize(("notice", "now", "allowed"), [
    (1, at(TODAY, 23, 59, 59), True),  # the end of the calendar day before
    (1, at(TOMORROW, 0, 0, 0), False),  # the first day itself
    (2, at(TODAY - timedelta(days=1), 23, 59, 59), True),
    (2, at(TODAY, 0, 0, 0), False),  # only one day before
])
def test_a_rule_is_published_n_days_ahead_and_not_later(ctx, qa, make_user, notice, now,
                                                        allowed):
    """DESIGN.md: "A rule must be published at least one day before the day it applies to";
    ""N days ahead" ... asked no later than the end of the calendar day N days before the
    first affected day, in the center's time."""
    rule = rules.save_draft(None, data(first_day=TOMORROW), qa,
                            now=at(TODAY - timedelta(days=3), 9))  # written in good time
    save_settings({"rule_notice_days": notice}, make_user(role=Role.SUPERVISOR))
    db.session.commit()
    ctx.set(now)
    if allowed:
        rules.publish(rule, qa, now, rule.version)
        db.session.commit()
        assert (rule.status, rule.published_at) == ("published", now)
        [row] = audits("sampling_rule.publish")
        assert (row.actor_id, row.object_type, row.object_id, row.at) == (
            qa.id, "sampling_rule", str(rule.id), now)
        assert row.before_dict() == snapshot()
        assert row.after_dict() == {**snapshot(status="published"),
                                    "covers": sorted(p.id for p in rule.covered_people)}
        return
    with pytest.raises(Refusal) as refused:
        rules.publish(rule, qa, now, rule.version)
    earliest = now.astimezone(SHANGHAI).date() + timedelta(days=notice)
    assert refused.value.field == "first_day"
    assert refused.value.message == (
        f"录音抽取标准须在生效首日前至少 {notice} 天发布：现在最早可从 {earliest.isoformat()} "
        "开始生效。")
    db.session.rollback()
    assert (db.session.get(SamplingRule, rule.id).status, rule.published_at) == ("draft", None)
    assert audits("sampling_rule.publish") == []


def test_a_rule_starting_later_than_the_earliest_day_is_published(ctx, qa):
    """"At least" one day before: more notice is always fine."""
    rule = rules.save_draft(None, data(first_day=TOMORROW + timedelta(days=10)), qa, now=NOW)
    rules.publish(rule, qa, NOW, rule.version)
    assert rule.status == RuleStatus.PUBLISHED


def test_a_stale_or_second_publish_is_refused(ctx, qa):
    """STYLE.md: a stale change is refused, never a silent overwrite; a published rule is
    not published again."""
    rule = rules.save_draft(None, data(), qa, now=NOW)
    db.session.commit()
    for seen in (rule.version - 1, rule.version + 1):
        with pytest.raises(StaleError):
            rules.publish(rule, qa, NOW, seen)
    assert rule.status == RuleStatus.DRAFT
    rules.publish(rule, qa, NOW, rule.version)
    db.session.commit()
    with pytest.raises(StaleError):
        rules.publish(rule, qa, NOW + timedelta(hours=1), rule.version)
    assert rule.published_at == NOW
    assert len(audits("sampling_rule.publish")) == 1


# --- followers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("first_day", "expected"), [
    (TOMORROW - timedelta(days=1), TOMORROW + timedelta(days=1)),
    (TOMORROW + timedelta(days=1), TOMORROW + timedelta(days=1)),  # the earliest day itself
    (TOMORROW + timedelta(days=2), TOMORROW + timedelta(days=2)),
])
def test_a_follower_starts_on_the_earliest_day_or_the_rules_own(ctx, qa, make_user, make_team,
                                                                first_day, expected):
    """rules module: "A new rule may follow it ... the follower too is published at least a
    day before its first day"."""
    agent = make_user(role=Role.AGENT)
    rule = SamplingRule(name="旧标准", scope=Scope.PEOPLE, weekdays=0b0011111,
                        first_day=first_day, last_day=TOMORROW + timedelta(days=30),
                        window_start=time(9), window_end=time(17), longer_than_s=100,
                        at_most_s=500, direction="out", nth_from=2, nth_to=4, people=[agent],
                        status=RuleStatus.PUBLISHED, scorecard=Scorecard(name="外呼营销"))
    db.session.add(rule)
    db.session.commit()
    follower = rules.follower_data(rule, at(TOMORROW, 8))  # earliest: the day after tomorrow
    assert follower == rules.RuleData(
        "旧标准", "people", None, [agent.id], 0b0011111, expected,
        TOMORROW + timedelta(days=30), time(9), time(17), 100, 500, "out", 2, 4,
        rule.scorecard_id)
    assert rule.scorecard_id is not None
    team_rule = SamplingRule(name="班组", scope=Scope.TEAM, team_id=make_team().id,
                             first_day=first_day, status=RuleStatus.PUBLISHED)
    db.session.add(team_rule)
    db.session.commit()
    assert (rules.follower_data(team_rule, at(TOMORROW, 8)).team_id,
            rules.follower_data(team_rule, at(TOMORROW, 8)).people_ids) == (team_rule.team_id, [])


def make_rule(**values) -> SamplingRule:
    """A rule, published unless said otherwise: who it covers is then fixed now, as publishing
    does."""
    defaults = {"name": "r", "scope": Scope.ALL, "first_day": TOMORROW,
                "status": RuleStatus.PUBLISHED}
    rule = SamplingRule(**{**defaults, **values})
    db.session.add(rule)
    db.session.flush()
    if rule.status == RuleStatus.PUBLISHED:
        rule.covered_people = list(db.session.scalars(rules.eligible(rule)))
    db.session.commit()
    return rule


def test_the_successor_is_the_earliest_published_follower_of_this_rule(ctx):
    """rules module: "from the follower's first day the old rule takes no more calls"."""
    rule = make_rule()
    other = make_rule()
    assert rules.successor_start(rule) is None  # the empty case
    make_rule(follows_id=rule.id, first_day=TOMORROW + timedelta(days=3),
              status=RuleStatus.DRAFT)  # a draft is nobody's business yet
    make_rule(follows_id=other.id, first_day=TOMORROW + timedelta(days=4))
    assert rules.successor_start(rule) is None
    make_rule(follows_id=rule.id, first_day=TOMORROW + timedelta(days=9))
    make_rule(follows_id=rule.id, first_day=TOMORROW + timedelta(days=7))
    make_rule(follows_id=rule.id, first_day=TOMORROW + timedelta(days=8))
    assert rules.successor_start(rule) == TOMORROW + timedelta(days=7)
    assert rules.successor_start(other) == TOMORROW + timedelta(days=4)


@pytest.mark.parametrize(("last_day", "ends"), [
    (None, TOMORROW + timedelta(days=4)),
    (TOMORROW + timedelta(days=3), TOMORROW + timedelta(days=3)),  # ends before the follower
    (TOMORROW + timedelta(days=4), TOMORROW + timedelta(days=4)),  # the day before it
    (TOMORROW + timedelta(days=5), TOMORROW + timedelta(days=4)),  # cut short
    (TOMORROW + timedelta(days=20), TOMORROW + timedelta(days=4)),
])
def test_a_rule_ends_the_day_before_its_follower_starts(ctx, last_day, ends):
    """rules module: "from the follower's first day the old rule takes no more calls"."""
    rule = make_rule(last_day=last_day, window_start=time(11), longer_than_s=200,
                     nth_from=2, nth_to=3, weekdays=0b1010101, direction="in")
    assert rules.terms(rule) == sampling.Terms(0b1010101, TOMORROW, last_day, time(11), None,
                                               200, None, "in", 2, 3)
    make_rule(follows_id=rule.id, first_day=TOMORROW + timedelta(days=5))
    assert rules.terms(rule) == sampling.Terms(0b1010101, TOMORROW, ends, time(11), None, 200,
                                               None, "in", 2, 3)
    assert rules.terms(rule).applies_on(ends)
    assert not rules.terms(rule).applies_on(ends + timedelta(days=1))


# --- who a rule covers ------------------------------------------------------------------------


@pytest.fixture
def floor(app, make_user, make_team):
    """Two teams with their leads and agents, one who left, one retraining, a reviewer and a
    supervisor."""
    lead1, lead2 = make_user(role=Role.LEAD), make_user(role=Role.LEAD)
    team1, team2 = make_team(lead=lead1), make_team(lead=lead2)
    people = {
        "lead1": lead1, "lead2": lead2, "team1": team1, "team2": team2,
        "a1": make_user(team=team1), "gone": make_user(team=team1, status=Status.LEFT),
        "retraining": make_user(team=team1, status=Status.RETRAINING),
        "a2": make_user(team=team2), "loner": make_user(),
        "qa": make_user(role=Role.QA), "boss": make_user(role=Role.SUPERVISOR),
        "team-qa": make_user(role=Role.QA, team=team1, status=Status.RETRAINING),  # no calls
    }
    db.session.commit()
    return people


def covered_ids(rule) -> list[int]:
    return [u.id for u in db.session.scalars(rules.covered(rule).order_by(User.id))]


def ids(*people) -> list[int]:
    return sorted(p.id for p in people)


def test_a_rule_for_all_covers_every_agent_still_here(ctx, floor):
    """DESIGN.md: "for every agent ...": agents, not leads, and not those who left."""
    f = floor
    assert covered_ids(make_rule(scope=Scope.ALL)) == ids(f["a1"], f["retraining"], f["a2"],
                                                          f["loner"])


def test_a_team_rule_covers_the_team_and_its_lead(ctx, floor):
    """A team rule covers everyone of the team who takes calls."""
    f = floor
    assert covered_ids(make_rule(scope=Scope.TEAM, team_id=f["team1"].id)) == ids(
        f["lead1"], f["a1"], f["retraining"])
    assert covered_ids(make_rule(scope=Scope.TEAM, team_id=f["team2"].id)) == ids(
        f["lead2"], f["a2"])


def test_a_rule_for_people_covers_those_named_who_are_still_here(ctx, floor):
    """DESIGN.md: "agent A: the 2nd call longer than 300 s"."""
    f = floor
    rule = make_rule(scope=Scope.PEOPLE, people=[f["a2"], f["lead1"], f["gone"], f["team-qa"]])
    make_rule(scope=Scope.PEOPLE, people=[f["a1"]])  # another rule's people
    assert covered_ids(rule) == ids(f["a2"], f["lead1"])


def covering(user) -> list[str]:
    return sorted(r.name for r in db.session.scalars(rules.rules_covering(user)))


def test_the_rules_that_cover_a_person(ctx, floor):
    """DESIGN.md: "from then on it cannot change, and leads and agents can see it": a
    person sees the published rules that cover them, and no other."""
    f = floor
    make_rule(name="all", scope=Scope.ALL)
    make_rule(name="draft-all", scope=Scope.ALL, status=RuleStatus.DRAFT)
    make_rule(name="team1", scope=Scope.TEAM, team_id=f["team1"].id)
    make_rule(name="team2", scope=Scope.TEAM, team_id=f["team2"].id)
    make_rule(name="a1+lead2", scope=Scope.PEOPLE, people=[f["a1"], f["lead2"]])
    make_rule(name="draft-a1", scope=Scope.PEOPLE, people=[f["a1"]], status=RuleStatus.DRAFT)
    make_rule(name="a2", scope=Scope.PEOPLE, people=[f["a2"]])
    expected = {
        "a1": ["a1+lead2", "all", "team1"],
        "a2": ["a2", "all", "team2"],
        "lead1": ["team1"],  # not "all": that is for agents
        "lead2": ["a1+lead2", "team2"],
        "loner": ["all"],  # an agent without a team
        "qa": [],
    }
    for key, names in expected.items():
        assert covering(f[key]) == names, key
        by_id = {r.id: r.name for r in db.session.scalars(select(SamplingRule))}
        assert sorted(by_id[i] for i in rules.covering_rule_ids(f[key])) == names, key


def test_a_lead_sees_a_rule_for_the_team_from_the_moment_it_is_published(ctx, floor):
    """DESIGN.md: "from then on ... leads and agents can see it": the home page shows a
    lead the rules covering the team published since a moment, that moment included."""
    f = floor
    since = at(TODAY, 9)
    make_rule(name="all-at", published_at=since)
    make_rule(name="all-before", published_at=since - timedelta(seconds=1))
    make_rule(name="all-draft", status=RuleStatus.DRAFT, published_at=since)
    make_rule(name="team1", scope=Scope.TEAM, team_id=f["team1"].id, published_at=NOW)
    # the scope decides which of the rule's columns count: another team's rule that lists a
    # member, or a rule for people that carries the team's id, is not the team's
    make_rule(name="team2", scope=Scope.TEAM, team_id=f["team2"].id, people=[f["a1"]],
              published_at=NOW)
    make_rule(name="member", scope=Scope.PEOPLE, people=[f["a1"]], published_at=NOW)
    make_rule(name="stranger", scope=Scope.PEOPLE, team_id=f["team1"].id, people=[f["a2"]],
              published_at=NOW)
    found = db.session.scalars(rules.recently_published_for_team(f["team1"].id, since))
    assert sorted(r.name for r in found) == ["all-at", "member", "team1"]


# --- the day's calls and the draw -------------------------------------------------------------


def test_the_day_is_the_centers_day_in_utc(ctx):
    """DESIGN.md: "Times are stored in UTC and shown in the center's time zone"."""
    assert rules.day_bounds(TOMORROW) == (datetime(2026, 12, 2, 16, tzinfo=UTC),
                                          datetime(2026, 12, 3, 16, tzinfo=UTC))


def add_call(agent, serial, started, duration=300, imported_at=NOW):
    db.session.execute(insert(Call), [{
        "serial_no": serial, "agent_id": agent.id, "started_at": started,
        "duration_s": duration, "direction": "in", "customer_number": "", "recording_url": "",
        "source": "api", "imported_at": imported_at}])
    db.session.commit()
    return db.session.scalar(select(Call.id).where(Call.serial_no == serial))


def test_the_days_calls_are_read_from_midnight_to_midnight(ctx, floor):
    """A call at 00:00:00 belongs to the day; one at 00:00:00 the next day does not."""
    a1, a2 = floor["a1"], floor["a2"]
    start, end = rules.day_bounds(TOMORROW)
    add_call(a1, "before", start - timedelta(seconds=1))
    first = add_call(a1, "first", start)
    last = add_call(a1, "last", end - timedelta(seconds=1))
    add_call(a1, "after", end)
    other = add_call(a2, "other", start + timedelta(hours=3))
    add_call(floor["lead1"], "not-asked", start + timedelta(hours=3))
    found = rules.day_calls([a1.id, a2.id, floor["loner"].id], TOMORROW)
    assert {k: sorted((i, f.serial_no, f.started_at, f.duration_s, f.direction) for i, f in v)
            for k, v in found.items()} == {
        a1.id: [(first, "first", start, 300, "in"),
                (last, "last", end - timedelta(seconds=1), 300, "in")],
        a2.id: [(other, "other", start + timedelta(hours=3), 300, "in")],
        floor["loner"].id: [],
    }
    assert rules.day_calls([], TOMORROW) == {}


def test_the_reviewers_are_the_active_qa_by_id(ctx, floor, make_user):
    """DESIGN.md: qa "scores the sampled calls": the active reviewers share the sample."""
    second = make_user(role=Role.QA)
    make_user(role=Role.QA, status=Status.RETRAINING)
    make_user(role=Role.QA, status=Status.LEFT)
    assert [r.id for r in rules.reviewers()] == [floor["qa"].id, second.id]


def test_the_draw_keeps_the_rules_calls_shared_out_in_turn(ctx, floor, make_user):
    """DESIGN.md: "The sample is a pure function of the published rule and the call log";
    the draw keeps it, by employee no. and position, shared out among the reviewers in turn."""
    f = floor
    second, third = make_user(role=Role.QA), make_user(role=Role.QA)
    f["loner"].employee_no = "A0001"  # the last one made comes first by employee no.
    rule = make_rule(nth_from=1, nth_to=2, longer_than_s=200)
    a1 = {n: add_call(f["a1"], f"a1-{n}", at(TOMORROW, 9 + n)) for n in (1, 2, 3)}
    a2 = {n: add_call(f["a2"], f"a2-{n}", at(TOMORROW, 9 + n), duration=100 + 100 * n)
          for n in (1, 2, 3)}  # 200 s is not longer than 200 s
    loner = add_call(f["loner"], "loner", at(TOMORROW, 7))  # 23:00 UTC the day before
    add_call(f["lead1"], "lead", at(TOMORROW, 12))  # "all" is for agents
    add_call(f["a1"], "other-day", at(TODAY, 12))
    ctx.set(NEXT_MORNING)
    drawn = rules.draw(rule, TOMORROW, NEXT_MORNING)
    db.session.commit()
    assert (drawn.rule_id, drawn.day, drawn.drawn_at) == (rule.id, TOMORROW, NEXT_MORNING)
    picks = db.session.scalars(select(SampledCall).order_by(SampledCall.id)).all()
    by_employee_no = [("loner", f["loner"]), ("a1", f["a1"]), ("a2", f["a2"])]
    assert f["a1"].id < f["a2"].id < f["loner"].id
    expected_calls = {"a1": [(a1[1], 1), (a1[2], 2)], "a2": [(a2[2], 1), (a2[3], 2)],
                      "loner": [(loner, 1)]}
    expected = [(call_id, person.id, position)
                for key, person in by_employee_no for call_id, position in expected_calls[key]]
    team = [f["qa"].id, second.id, third.id]
    assert [(p.draw_id, p.call_id, p.agent_id, p.position, p.reviewer_id) for p in picks] == [
        (drawn.id, *pick, team[n % 3]) for n, pick in enumerate(expected)]
    [row] = audits("sample.draw")
    assert (row.actor_id, row.object_type, row.object_id, row.at) == (
        None, "sample_draw", str(drawn.id), NEXT_MORNING)
    assert row.before_dict() == {}
    assert row.after_dict() == {"rule_id": rule.id, "day": TOMORROW.isoformat(), "calls": 5}


def test_a_day_is_drawn_once(ctx, floor):
    """DESIGN.md: "Each sampled call has at most one in-sample evaluation": a day's sample is
    drawn once and kept, whatever reaches the log later."""
    rule = make_rule(nth_from=1, nth_to=1)
    add_call(floor["a1"], "a1-1", at(TOMORROW, 10))
    first = rules.draw(rule, TOMORROW, NEXT_MORNING)
    db.session.commit()
    add_call(floor["a1"], "a1-0", at(TOMORROW, 9), imported_at=NEXT_MORNING)
    again = rules.draw(rule, TOMORROW, NEXT_MORNING + timedelta(hours=1))
    assert again.id == first.id and again.drawn_at == NEXT_MORNING
    assert (count(SampleDraw), count(SampledCall), len(audits("sample.draw"))) == (1, 1, 1)
    other_day = rules.draw(rule, TOMORROW + timedelta(days=1), NEXT_MORNING + timedelta(days=1))
    other_rule = rules.draw(make_rule(nth_from=1, nth_to=1), TOMORROW, NEXT_MORNING)
    assert len({first.id, other_day.id, other_rule.id}) == 3


def test_a_draw_without_calls_or_reviewers_is_kept_empty_or_unassigned(ctx, floor):
    """The empty cases: a day with no calls keeps an empty sample; without an active
    reviewer the calls wait unassigned."""
    rule = make_rule(nth_from=1, nth_to=1)
    empty = rules.draw(rule, TOMORROW, NEXT_MORNING)
    assert empty.picks == []
    assert audits("sample.draw")[0].after_dict()["calls"] == 0
    floor["qa"].status = Status.LEFT
    add_call(floor["a1"], "a1-1", at(TOMORROW + timedelta(days=1), 10))
    drawn = rules.draw(rule, TOMORROW + timedelta(days=1), NEXT_MORNING + timedelta(days=1))
    assert [(p.agent_id, p.reviewer_id) for p in drawn.picks] == [(floor["a1"].id, None)]


def test_only_a_published_rule_draws(ctx, floor):
    """DESIGN.md: "The sample is a pure function of the published rule"."""
    rule = make_rule(status=RuleStatus.DRAFT, nth_from=1, nth_to=1)
    add_call(floor["a1"], "a1-1", at(TOMORROW, 10))
    with pytest.raises(Refusal) as refused:
        rules.draw(rule, TOMORROW, NEXT_MORNING)
    assert (refused.value.field, refused.value.message) == (
        "rule", "只有已发布的抽取标准才能抽取录音。")
    assert (count(SampleDraw), count(SampledCall), audits("sample.draw")) == (0, 0, [])


def test_a_day_the_rule_does_not_apply_to_draws_nothing(ctx, floor):
    """SamplingRule: a rule takes calls on its days; a follower ends it the day before."""
    rule = make_rule(nth_from=1, nth_to=1, last_day=TOMORROW + timedelta(days=5),
                     weekdays=0b1111111 & ~(1 << TOMORROW.weekday()))
    add_call(floor["a1"], "a1-1", at(TOMORROW, 10))
    assert rules.draw_picks(rule, TOMORROW) == []
    rule.weekdays = 0b1111111
    assert [(a.id, position) for a, _c, position in rules.draw_picks(rule, TOMORROW)] == [
        (floor["a1"].id, 1)]
    make_rule(follows_id=rule.id, first_day=TOMORROW)
    assert rules.draw_picks(rule, TOMORROW) == []


# --- why this call ----------------------------------------------------------------------------


def test_why_this_call_before_the_draw(ctx, floor):
    """DESIGN.md: "anyone can recompute it and get the same calls"; before the draw the
    page shows what the rule takes from the log as it is now."""
    rule = make_rule(nth_from=1, nth_to=1, longer_than_s=200)
    short = add_call(floor["a1"], "short", at(TOMORROW, 7), duration=100)  # 23:00 UTC
    taken = add_call(floor["a1"], "taken", at(TOMORROW, 10))
    add_call(floor["a2"], "someone-else", at(TOMORROW, 8))
    found = rules.explain(rule, floor["a1"], TOMORROW)
    assert (found.rule, found.day, found.drawn, found.drawn_serials, found.late_serials) == (
        rule, TOMORROW, None, [], [])
    assert [(v.call.serial_no, v.refusal, v.position, v.taken) for v in found.verdicts] == [
        ("short", sampling.TOO_SHORT, None, False), ("taken", None, 1, True)]
    assert found.call_ids == {"short": short, "taken": taken}
    assert found.now_serials == ["taken"]
    assert found.changed is False  # nothing drawn, nothing changed


def test_why_this_call_after_the_draw_shows_what_came_in_late(ctx, floor):
    """SampleDraw: "as drawn at `drawn_at` from the log of that moment": a call of the day
    imported after that moment is late; one imported at that very moment is not."""
    rule = make_rule(nth_from=1, nth_to=3)
    a1 = floor["a1"]
    add_call(a1, "c2", at(TOMORROW, 11))
    add_call(a1, "c3", at(TOMORROW, 12))
    add_call(floor["a2"], "someone-else", at(TOMORROW, 9))
    drawn = rules.draw(rule, TOMORROW, NEXT_MORNING)
    db.session.commit()
    found = rules.explain(rule, a1, TOMORROW)
    assert (found.drawn.id, found.drawn_serials, found.late_serials, found.changed) == (
        drawn.id, ["c2", "c3"], [], False)
    add_call(a1, "same-moment", at(TOMORROW, 13), imported_at=NEXT_MORNING)
    add_call(a1, "late-13", at(TOMORROW, 13, 30), imported_at=NEXT_MORNING + timedelta(seconds=1))
    add_call(a1, "late-10", at(TOMORROW, 10), imported_at=NEXT_MORNING + timedelta(hours=2))
    add_call(a1, "next-day", at(TOMORROW + timedelta(days=1), 0),
             imported_at=NEXT_MORNING + timedelta(hours=2))
    add_call(a1, "day-before", at(TOMORROW, 0) - timedelta(seconds=1),
             imported_at=NEXT_MORNING + timedelta(hours=2))
    add_call(a1, "midnight", at(TOMORROW, 0), imported_at=NEXT_MORNING + timedelta(hours=2))
    add_call(floor["a2"], "late-other", at(TOMORROW, 10),
             imported_at=NEXT_MORNING + timedelta(hours=2))
    found = rules.explain(rule, a1, TOMORROW)
    # the day's calls imported after the draw, by the moment they started
    assert found.late_serials == ["midnight", "late-10", "late-13"]
    assert found.drawn_serials == ["c2", "c3"]
    assert found.now_serials == ["midnight", "late-10", "c2"]
    assert found.changed is True


def test_why_this_call_lists_the_drawn_calls_by_position_for_this_rule_and_day(ctx, floor):
    """The page lists the calls the draw took, in the order of their place in the day."""
    rule = make_rule(nth_from=1, nth_to=2)
    a1 = floor["a1"]
    other = add_call(floor["a2"], "other", at(TOMORROW, 9))
    second = add_call(a1, "second", at(TOMORROW, 10))  # reaches the log first
    first = add_call(a1, "first", at(TOMORROW, 9))
    draw = SampleDraw(rule_id=rule.id, day=TOMORROW, drawn_at=NEXT_MORNING)
    draw.picks = [SampledCall(call_id=second, agent_id=a1.id, position=2),
                  SampledCall(call_id=other, agent_id=floor["a2"].id, position=1),
                  SampledCall(call_id=first, agent_id=a1.id, position=1)]
    db.session.add(draw)
    other_rule = make_rule(nth_from=1, nth_to=1)
    db.session.add(SampleDraw(rule_id=other_rule.id, day=TOMORROW, drawn_at=NEXT_MORNING))
    db.session.add(SampleDraw(rule_id=rule.id, day=TODAY, drawn_at=NEXT_MORNING))
    db.session.commit()
    found = rules.explain(rule, a1, TOMORROW)
    assert found.drawn.id == draw.id
    assert found.drawn_serials == ["first", "second"]
    assert rules.explain(other_rule, a1, TOMORROW).drawn_serials == []


def test_a_rule_that_covers_nobody_counts_nobody(app, make_user):
    """Issue: "Why this call shows the frozen list": a published rule whose frozen list is
    empty covers 0 people, and not the person asking; with them on it, 1 and yes."""
    agent = make_user(role=Role.AGENT)
    rule = SamplingRule(name="空", scope=Scope.ALL, first_day=TOMORROW,
                        status=RuleStatus.PUBLISHED)
    db.session.add(rule)
    db.session.commit()
    assert rules.coverage_of(rule, agent) == (0, False)
    rule.covered_people = [agent, make_user(role=Role.AGENT)]
    db.session.commit()
    assert rules.coverage_of(rule, agent) == (2, True)


def test_coverage_reads_the_frozen_list_of_a_published_rule_and_the_scope_of_a_draft(
        app, make_user):
    """DESIGN.md: "Who a rule covers is frozen when it is published": once published, the
    stored list counts, not whom the scope names today; a draft covers whom it names."""
    named, frozen = make_user(role=Role.AGENT), make_user(role=Role.AGENT)
    rule = SamplingRule(name="点名", scope=Scope.PEOPLE, people=[named], first_day=TOMORROW,
                        status=RuleStatus.PUBLISHED, covered_people=[frozen])
    draft = SamplingRule(name="草稿", scope=Scope.PEOPLE, people=[named, frozen],
                         first_day=TOMORROW, status=RuleStatus.DRAFT)
    db.session.add_all([rule, draft])
    db.session.commit()
    assert rules.coverage_of(rule, named) == (1, False)
    assert rules.coverage_of(rule, frozen) == (1, True)
    assert rules.coverage_of(draft, named) == (2, True)
    assert rules.coverage_of(draft, make_user(role=Role.AGENT)) == (2, False)
