"""Rules, draws, scorecard versions and evaluations, through the services (no HTTP)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from app.audit import AuditEvent
from app.extensions import db
from app.people.models import Role
from app.qa import evaluations, rules, scorecards
from app.qa.models import Call, Evaluation, RuleStatus, SampledCall, SampleDraw, Scope
from app.workflow import NotYourTurnError, Refusal, StaleError

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=SHANGHAI).astimezone(UTC)


TODAY = date(2026, 12, 2)
NOW = at(TODAY, 10)


def after_the_day(day: date) -> datetime:
    """The next morning: DESIGN.md "A day is drawn only after it has ended (plus a grace
    period for late uploads)"."""
    return at(day + timedelta(days=1), 9)


def data(**changes) -> rules.RuleData:
    values = {"name": "每人第2通", "scope": Scope.ALL, "team_id": None, "people_ids": [],
              "weekdays": 0b1111111, "first_day": TODAY + timedelta(days=1), "last_day": None,
              "window_start": time(11), "window_end": None, "longer_than_s": 200,
              "at_most_s": None, "direction": "any", "nth_from": 2, "nth_to": 2}
    return rules.RuleData(**{**values, **changes})


@pytest.fixture
def qa(make_user):
    return make_user(role=Role.QA)


def test_publish_a_day_ahead_and_not_less(app, qa):
    with app.test_request_context():
        tomorrow = rules.save_draft(None, data(), qa, now=NOW)
        rules.publish(tomorrow, qa, at(TODAY, 23, 59), tomorrow.version)
        assert tomorrow.status == RuleStatus.PUBLISHED
        today = rules.save_draft(None, data(first_day=TODAY + timedelta(days=1)), qa, now=NOW)
        with pytest.raises(Refusal) as refused:
            rules.publish(today, qa, at(TODAY + timedelta(days=1), 0, 0), today.version)
        assert refused.value.field == "first_day"
        assert today.status == RuleStatus.DRAFT


def test_a_published_rule_cannot_change_only_be_followed(app, qa):
    with app.test_request_context():
        rule = rules.save_draft(None, data(), qa, now=NOW)
        rules.publish(rule, qa, NOW, rule.version)
        with pytest.raises(Refusal):
            rules.save_draft(rule, data(nth_from=3, nth_to=3), qa, now=NOW)
        follower = rules.save_draft(None, rules.follower_data(rule, NOW), qa, now=NOW)
        follower.follows_id = rule.id
        follower.first_day = TODAY + timedelta(days=5)
        rules.publish(follower, qa, NOW, follower.version)
        assert rules.terms(rule).last_day == TODAY + timedelta(days=4)
        assert rules.terms(follower).last_day is None


def test_a_stale_publish_is_refused(app, qa):
    with app.test_request_context():
        rule = rules.save_draft(None, data(), qa, now=NOW)
        with pytest.raises(StaleError):
            rules.publish(rule, qa, NOW, rule.version + 1)


@pytest.mark.parametrize(("change", "field"), [
    ({"scope": Scope.TEAM}, "team_id"), ({"scope": Scope.PEOPLE}, "people"),
    ({"weekdays": 0}, "weekdays"), ({"last_day": TODAY}, "last_day"),
    ({"window_end": time(10)}, "window_end"), ({"at_most_s": 100}, "at_most_s"),
    ({"nth_to": 1}, "nth_to"),
])
def test_a_rule_that_contradicts_itself_is_refused_at_the_field(app, qa, change, field):
    with app.test_request_context(), pytest.raises(Refusal) as refused:
        rules.save_draft(None, data(**change), qa, now=NOW)
    assert refused.value.field == field


def add_calls(agent, day, specs, imported_at=None):
    rows = [{"serial_no": f"{agent.employee_no}-{day}-{n}", "agent_id": agent.id,
             "started_at": at(day, hh, mm), "duration_s": duration, "direction": "in",
             "customer_number": "", "recording_url": "", "source": "api",
             "imported_at": imported_at or NOW}
            for n, (hh, mm, duration) in enumerate(specs)]
    db.session.execute(insert(Call), rows)
    db.session.commit()


def test_the_draw_takes_the_rules_calls_and_shares_them_among_reviewers(app, make_user, qa):
    second_qa = make_user(role=Role.QA)
    agents = [make_user(role=Role.AGENT) for _ in range(4)]
    day = TODAY + timedelta(days=1)
    for agent in agents:
        add_calls(agent, day, [(10, 0, 300), (11, 5, 300), (11, 30, 150), (12, 0, 300)])
    with app.test_request_context():
        rule = rules.save_draft(None, data(), qa, now=NOW)
        rules.publish(rule, qa, NOW, rule.version)
        drawn = rules.draw(rule, day, after_the_day(day))
        db.session.commit()
        picks = db.session.scalars(select(SampledCall).order_by(SampledCall.id)).all()
        # 11:05 is the 1st qualifying call, 11:30 is too short, 12:00 is the 2nd
        assert [db.session.get(Call, p.call_id).serial_no for p in picks] == [
            f"{a.employee_no}-{day}-3" for a in agents]
        assert sorted(p.reviewer_id for p in picks) == sorted([qa.id, second_qa.id] * 2)
        # drawn once
        assert rules.draw(rule, day, after_the_day(day) + timedelta(hours=1)).id == drawn.id
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "sample.draw")) == 1


def test_a_day_that_has_not_ended_is_not_drawn(app, make_user, qa):
    """DESIGN.md: "A day is drawn only after it has ended (plus a grace period for late
    uploads)": at 23:59 the day is still going on, so its draw is refused and nothing kept."""
    agent = make_user(role=Role.AGENT)
    day = TODAY + timedelta(days=1)
    add_calls(agent, day, [(11, 5, 300), (12, 0, 300)])
    with app.test_request_context():
        rule = rules.save_draft(None, data(), qa, now=NOW)
        rules.publish(rule, qa, NOW, rule.version)
        with pytest.raises(Refusal):
            rules.draw(rule, day, at(day, 23, 59))
        assert db.session.scalar(select(func.count(SampleDraw.id))) == 0
        assert db.session.scalar(select(func.count(SampledCall.id))) == 0


def test_why_this_call_notices_calls_that_came_in_after_the_draw(app, make_user, qa):
    agent = make_user(role=Role.AGENT)
    day = TODAY + timedelta(days=1)
    add_calls(agent, day, [(11, 30, 300), (13, 0, 300)])
    with app.test_request_context():
        rule = rules.save_draft(None, data(), qa, now=NOW)
        rules.publish(rule, qa, NOW, rule.version)
        rules.draw(rule, day, after_the_day(day))
        db.session.commit()
        before = rules.explain(rule, agent, day)
        assert before.drawn_serials == before.now_serials and not before.late_serials
        # A call from 11:10 reaches the log late: it is now the 1st, and 11:30 the 2nd.
        db.session.execute(insert(Call), [{
            "serial_no": "LATE", "agent_id": agent.id, "started_at": at(day, 11, 10),
            "duration_s": 400, "direction": "in", "customer_number": "",
            "recording_url": "", "source": "api",
            "imported_at": after_the_day(day) + timedelta(hours=1)}])
        db.session.commit()
        after = rules.explain(rule, agent, day)
        assert after.late_serials == ["LATE"]
        assert after.changed
        assert after.drawn_serials == [f"{agent.employee_no}-{day}-1"]
        assert after.now_serials == [f"{agent.employee_no}-{day}-0"]


def test_a_used_scorecard_changes_into_a_new_version(app, make_user, qa):
    supervisor = make_user(role=Role.SUPERVISOR)
    agent = make_user(role=Role.AGENT)
    add_calls(agent, TODAY, [(9, 0, 300)])
    with app.test_request_context():
        card = scorecards.create("通用质检表", supervisor)
        category = scorecards.add_category(card, "服务态度", supervisor)
        rude = scorecards.add_item(card, category, "语气生硬", 5, "", supervisor)
        first = scorecards.latest(card)
        scorecards.change_item(card, rude, "语气生硬、不耐烦", 6, "", supervisor)
        assert scorecards.latest(card).id == first.id  # unused: changed in place
        call = db.session.scalar(select(Call))
        evaluation = evaluations.start(call, qa, first, "抽查", NOW)
        evaluations.save(evaluation, qa, [evaluations.Mark(rude.id)], evaluation.version,
                         True, NOW)
        db.session.commit()
        assert evaluation.score == 94
        scorecards.change_item(card, rude, "语气生硬", 8, "", supervisor)
        db.session.commit()
        second = scorecards.latest(card)
        assert second.number == 2
        assert [i.points for i in first.items] == [6]  # the used version is untouched
        assert [i.points for i in second.items] == [8]
        assert evaluation.scorecard_version_id == first.id


def test_off_sample_needs_a_reason_and_published_is_final(app, make_user, qa):
    supervisor = make_user(role=Role.SUPERVISOR)
    agent = make_user(role=Role.AGENT)
    add_calls(agent, TODAY, [(9, 0, 300)])
    with app.test_request_context():
        card = scorecards.create("通用质检表", supervisor)
        category = scorecards.add_category(card, "业务能力", supervisor)
        items = [scorecards.add_item(card, category, f"项{n}", 40, "", supervisor)
                 for n in range(3)]
        call = db.session.scalar(select(Call))
        version = scorecards.latest(card)
        with pytest.raises(Refusal) as refused:
            evaluations.start(call, qa, version, "  ", NOW)
        assert refused.value.field == "reason"
        evaluation = evaluations.start(call, qa, version, "客户投诉后抽查", NOW)
        assert evaluation.off_sample
        with pytest.raises(NotYourTurnError):
            evaluations.save(evaluation, make_user(role=Role.QA), [], evaluation.version,
                             False, NOW)
        with pytest.raises(Refusal):
            evaluations.save(evaluation, qa, [evaluations.Mark(items[0].id, moment_s=301)],
                             evaluation.version, False, NOW)
        evaluations.save(evaluation, qa, [evaluations.Mark(i.id) for i in items],
                         evaluation.version, True, NOW)
        db.session.commit()
        assert evaluation.score == 0  # 120 points deducted, never below 0
        with pytest.raises(StaleError):
            evaluations.save(evaluation, qa, [], evaluation.version, False, NOW)
        with pytest.raises(NotYourTurnError):
            evaluations.confirm_read(evaluation, make_user(role=Role.AGENT), NOW)
        evaluations.confirm_read(evaluation, agent, NOW)
        assert db.session.get(Evaluation, evaluation.id).read_at is not None
