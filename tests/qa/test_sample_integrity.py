"""A sample that cannot drift: who a rule covers is frozen when it is published, only finished
days are drawn, a rule is publishable when it is saved, and each sampled call has at most one
in-sample evaluation.

DESIGN.md, Quality: "Who a rule covers is frozen when it is published. A day is drawn only
after it has ended (plus a grace period for late uploads), by `flask draw-samples` or from the
queue. Each sampled call has at most one in-sample evaluation. An evaluation of a call outside
the sample is allowed only with a written reason."
"""

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app import settings
from app.audit import AuditEvent
from app.extensions import db
from app.people.models import Role, Status
from app.qa import evaluations, rules, scorecards
from app.qa.models import Call, Evaluation, SampledCall, SampleDraw, SamplingRule, Scorecard
from app.timeutil import center_tz
from app.workflow import Refusal
from tests.conftest import post_form
from tests.qa.conftest import TODAY, as_user, published_rule

FROZEN = "DESIGN.md: Who a rule covers is frozen when it is published."
FINISHED = ("DESIGN.md: A day is drawn only after it has ended (plus a grace period for late "
            "uploads), by `flask draw-samples` or from the queue.")
ONE_IN_SAMPLE = "DESIGN.md: Each sampled call has at most one in-sample evaluation."


def local(day: date, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm, ss), center_tz()).astimezone(UTC)


def add_call(agent, serial: str, day: date = TODAY, hh: int = 12) -> Call:
    call = Call(serial_no=serial, agent_id=agent.id, started_at=local(day, hh),
                duration_s=300, direction="in", customer_number="")
    db.session.add(call)
    db.session.commit()
    return call


def sampled_serials() -> list[str]:
    return sorted(db.session.scalars(select(Call.serial_no).join(
        SampledCall, SampledCall.call_id == Call.id)))


# --- 1. coverage frozen at publication ------------------------------------------------------


def test_an_agent_who_joins_the_team_after_publication_is_not_sampled(app, center, make_user,
                                                                       clock):
    """FROZEN: a team rule published on Nov 30 covers the team as it was then."""
    team_id = center["a1"].team_id
    rule = published_rule(center, scope="team", team_id=team_id)
    newcomer = make_user(role=Role.AGENT)
    newcomer.team_id = team_id  # joins after publication
    db.session.commit()
    add_call(newcomer, "new-1")
    clock.set(local(TODAY + timedelta(days=1), 9))
    with app.test_request_context():
        assert newcomer not in rules.covered_people(rule)
        assert {center["a1"], center["a2"]} <= set(rules.covered_people(rule))
        rules.draw(rule, TODAY, local(TODAY + timedelta(days=1), 9))
        db.session.commit()
    assert sampled_serials() == ["a1-1", "a2-1"]  # not new-1
    # the reviewer's "why this call" says so; the rule is not the newcomer's to read
    qa = as_user(app, center["qa"])
    why = qa.get(f"/sampling-rules/{rule.id}/why?agent={newcomer.id}&day={TODAY}").text
    assert "不在本标准的覆盖名单内" in why and "覆盖 3 人" in why
    member = qa.get(f"/sampling-rules/{rule.id}/why?agent={center['a1'].id}&day={TODAY}").text
    assert "不在本标准的覆盖名单内" not in member
    assert as_user(app, newcomer).get(f"/sampling-rules/{rule.id}").status_code == 404
    assert as_user(app, center["a1"]).get(f"/sampling-rules/{rule.id}").status_code == 200


def test_someone_who_leaves_the_team_after_publication_stays_covered(app, center, make_team,
                                                                     clock):
    """FROZEN: the other side: a member moved to another team after publication is still on
    the list, so their calls of the day are still drawn."""
    rule = published_rule(center, scope="team", team_id=center["a1"].team_id)
    center["a2"].team_id = make_team().id
    db.session.commit()
    with app.test_request_context():
        rules.draw(rule, TODAY, local(TODAY + timedelta(days=1), 9))
        db.session.commit()
    assert sampled_serials() == ["a1-1", "a2-1"]


def test_publishing_freezes_whom_the_scope_names_that_moment(app, center, make_user, clock):
    """FROZEN: a draft covers whom its scope names now; publishing writes that list down, and
    the audit trail records it."""
    clock.set(local(TODAY, 10))
    with app.test_request_context():
        data = rules.RuleData("班组规则", "team", center["a1"].team_id, [], 0b1111111,
                              TODAY + timedelta(days=1), None, time(11), None, 200, None, "any",
                              1, 1)
        rule = rules.save_draft(None, data, center["qa"], now=local(TODAY, 10))
        late = make_user(role=Role.AGENT)
        late.team_id = center["a1"].team_id
        db.session.commit()
        assert late in rules.covered_people(rule)  # a draft: whom it would cover now
        rules.publish(rule, center["qa"], local(TODAY, 10), rule.version)
        db.session.commit()
        frozen = {p.id for p in rules.covered_people(rule)}
        assert frozen == {center["a1"].id, center["a2"].id, center["lead"].id, late.id}
        after_publication = make_user(role=Role.AGENT)
        after_publication.team_id = center["a1"].team_id
        db.session.commit()
        assert {p.id for p in rules.covered_people(rule)} == frozen
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "sampling_rule.publish"))
        assert sorted(frozen) == json.loads(event.after)["covers"]


def test_why_this_call_shows_the_frozen_list_with_each_persons_status_today(app, center,
                                                                            clock):
    """Issue: ""Why this call" shows the frozen list, with each person's status today (left,
    in retraining)"."""
    rule = published_rule(center, scope="team", team_id=center["a1"].team_id)
    center["a2"].status = Status.LEFT
    center["lead"].status = Status.RETRAINING
    db.session.commit()
    qa = as_user(app, center["qa"])
    page = qa.get(f"/sampling-rules/{rule.id}/why?agent={center['a1'].id}&day={TODAY}").text
    assert "覆盖 3 人，名单在发布时确定" in page
    assert f'hx-get="/sampling-rules/{rule.id}/covered"' in page  # loaded when opened
    listed = qa.get(f"/sampling-rules/{rule.id}/covered").text
    for person in (center["a1"], center["a2"], center["lead"]):
        assert person.name in listed
    assert "离职" in listed and "待岗培训" in listed
    assert center["outsider"].name not in listed and "<html" not in listed
    assert "离职" in qa.get(f"/sampling-rules/{rule.id}").text  # the rule's page lists them
    outsider = as_user(app, center["outsider"])
    assert outsider.get(f"/sampling-rules/{rule.id}/covered").status_code == 404


# --- 2. only finished days are drawn --------------------------------------------------------


@pytest.mark.parametrize(("grace", "moment", "allowed"), [
    (60, (TODAY, 23, 59, 59), False),  # the day is still going on
    (60, (TODAY + timedelta(days=1), 0, 0, 0), False),  # ended, but late uploads may come
    (60, (TODAY + timedelta(days=1), 0, 59, 59), False),  # a second before the grace ends
    (60, (TODAY + timedelta(days=1), 1, 0, 0), True),  # exactly at the end of the grace
    (0, (TODAY, 23, 59, 59), False),
    (0, (TODAY + timedelta(days=1), 0, 0, 0), True),  # no grace: the moment the day ends
])
def test_a_day_is_drawn_only_after_it_has_ended_plus_the_grace(app, center, grace, moment,
                                                                allowed):
    """FINISHED, on both sides of the boundary."""
    rule = published_rule(center)
    with app.test_request_context():
        settings.save({"sample_grace_minutes": grace}, center["boss"])
        db.session.commit()
        when = local(*moment)
        assert (rules.latest_due_day(when) >= TODAY) is allowed
        if allowed:
            rules.draw(rule, TODAY, when)
            db.session.commit()
            assert sampled_serials() == ["a1-1", "a2-1"]
        else:
            with pytest.raises(Refusal) as refused:
                rules.draw(rule, TODAY, when)
            assert "2026-12-02" in refused.value.message
            assert db.session.scalar(select(func.count(SampleDraw.id))) == 0


def test_the_queue_offers_the_draw_only_for_finished_days(app, center, clock):
    """FINISHED: at 20:00 the queue explains when today's sample comes; a draw posted anyway
    is refused with the reason and nothing is kept; the next morning the button is there."""
    published_rule(center)
    qa = as_user(app, center["qa"])
    clock.set(local(TODAY, 20))
    today = qa.get(f"/qa/queue?day={TODAY}").text
    assert "立即抽取录音" not in today and "01:00" in today
    refused = post_form(qa, "/qa/queue/draw", {"day": TODAY.isoformat()},
                        token_page=f"/qa/queue?day={TODAY}")
    assert refused.status_code == 422 and 'role="alert"' in refused.text
    assert db.session.scalar(select(func.count(SampleDraw.id))) == 0
    clock.set(local(TODAY + timedelta(days=1), 9))
    qa = as_user(app, center["qa"])  # the next morning: a new session
    assert "立即抽取录音" in qa.get("/qa/queue").text  # the latest finished day by default
    asked = post_form(qa, "/qa/queue/draw", {"day": TODAY.isoformat()}, token_page="/qa/queue",
                      confirmed=False)  # a page without JavaScript is asked first
    assert asked.status_code == 200 and "确定现在抽取录音吗" in asked.text
    assert db.session.scalar(select(func.count(SampleDraw.id))) == 0
    assert post_form(qa, "/qa/queue/draw", {"day": TODAY.isoformat()},
                     token_page="/qa/queue").status_code == 303
    assert sampled_serials() == ["a1-1", "a2-1"]


def test_flask_draw_samples_draws_the_due_days_once(app, center, runner, clock):
    """FINISHED: `flask draw-samples` draws every finished day not drawn yet, and only those;
    run again it draws nothing; `--day` of an unfinished day is refused with the reason."""
    rule = published_rule(center, first_day=TODAY - timedelta(days=2))
    clock.set(local(TODAY, 0, 30))  # yesterday ended, but its grace has not
    done = runner.invoke(args=["draw-samples"])
    assert done.exit_code == 0, done.output
    assert sorted(d for d in db.session.scalars(select(SampleDraw.day))) == [
        TODAY - timedelta(days=2)]
    clock.set(local(TODAY + timedelta(days=1), 1, 30))
    refused = runner.invoke(args=["draw-samples", "--day", (TODAY + timedelta(days=1))
                                  .isoformat()])
    assert refused.exit_code != 0 and "2026-12-03" in refused.output
    done = runner.invoke(args=["draw-samples"])
    assert done.exit_code == 0 and "2" in done.output
    assert sorted(db.session.scalars(select(SampleDraw.day))) == [
        TODAY - timedelta(days=2), TODAY - timedelta(days=1), TODAY]
    assert sampled_serials() == ["a1-1", "a2-1"]
    again = runner.invoke(args=["draw-samples"])
    assert again.exit_code == 0
    assert db.session.scalar(select(func.count(SampleDraw.id))) == 3
    assert rule.id == db.session.scalar(select(SampleDraw.rule_id).limit(1))


def test_draw_samples_with_a_day_draws_that_day_only_and_once(app, center, clock):
    """Issue: "`flask draw-samples [--day D]` draws the days that are due": given a finished
    day, only that day, of the published rules only, and not again once drawn."""
    rule = published_rule(center, first_day=TODAY - timedelta(days=3))
    draft = SamplingRule(name="草稿", scope="all", first_day=TODAY - timedelta(days=3),
                         status="draft", created_by_id=center["qa"].id)
    db.session.add(draft)
    db.session.commit()
    now = local(TODAY + timedelta(days=1), 9)
    assert rules.due_draws(now, TODAY - timedelta(days=2)) == [(rule, TODAY - timedelta(days=2))]
    assert [day for _rule, day in rules.due_draws(now)] == [
        TODAY - timedelta(days=3), TODAY - timedelta(days=2), TODAY - timedelta(days=1), TODAY]
    with app.test_request_context():
        rules.draw_due(now, TODAY - timedelta(days=1))
        db.session.commit()
    assert rules.due_draws(now, TODAY - timedelta(days=1)) == []  # drawn once
    assert [day for _rule, day in rules.due_draws(now)] == [
        TODAY - timedelta(days=3), TODAY - timedelta(days=2), TODAY]
    with pytest.raises(Refusal) as refused:
        rules.due_draws(local(TODAY, 23), TODAY)  # not finished yet
    assert refused.value.field == "day"
    assert refused.value.message == ("2026-12-02 的录音要到 2026/12/3 01:00 才能抽取：一天结束、"
                                     "并给迟到的上传留出 60 分钟后，才会抽取。")


def test_calls_that_arrive_after_the_draw_stay_flagged(app, center):
    """Issue: "Calls that arrive after the draw stay flagged, as now."""
    rule = published_rule(center)
    db.session.execute(update(Call).values(imported_at=local(TODAY, 20)))  # in before the draw
    with app.test_request_context():
        rules.draw(rule, TODAY, local(TODAY + timedelta(days=1), 1))
        db.session.commit()
        late = Call(serial_no="late", agent_id=center["a1"].id, started_at=local(TODAY, 11, 30),
                    duration_s=300, direction="in", customer_number="",
                    imported_at=local(TODAY + timedelta(days=1), 2))
        db.session.add(late)
        db.session.commit()
        found = rules.explain(rule, center["a1"], TODAY)
        assert found.late_serials == ["late"] and found.changed


# --- 3. a rule is publishable when the page says so -----------------------------------------


@pytest.mark.parametrize(("first_day", "saved"), [
    (TODAY, False), (TODAY + timedelta(days=1), True)])
def test_a_draft_whose_first_day_is_too_near_is_refused_when_saved(app, center, first_day,
                                                                   saved):
    """Issue: "A draft whose first day is too near is refused when saved, with the earliest
    allowed day beside the field"; DESIGN.md: "published at least one day before the day it
    applies to" (a rule saved today may start tomorrow, not today)."""
    with app.test_request_context():
        data = rules.RuleData("r", "all", None, [], 0b1111111, first_day, None, None, None, 0,
                              None, "any", 1, 1)
        if saved:
            assert rules.save_draft(None, data, center["qa"], now=local(TODAY, 23, 59)).id
        else:
            with pytest.raises(Refusal) as refused:
                rules.save_draft(None, data, center["qa"], now=local(TODAY, 0, 0))
            assert refused.value.field == "first_day"
            assert "2026-12-03" in refused.value.message
            assert db.session.scalar(select(SamplingRule)) is None


# --- 4. one in-sample evaluation per sampled call -------------------------------------------


@pytest.fixture
def drawn(app, center, make_user):
    """TODAY drawn the next morning; a second reviewer."""
    rule = published_rule(center)
    center["qa2"] = make_user(role=Role.QA)
    with app.test_request_context():
        rules.draw(rule, TODAY, local(TODAY + timedelta(days=1), 9))
        db.session.commit()
    return center


def test_a_second_reviewer_scores_a_sampled_call_only_off_sample(app, drawn):
    """ONE_IN_SAMPLE: qa starts the in-sample evaluation; qa2 needs a reason, and theirs is
    off sample."""
    call = db.session.scalar(select(Call).where(Call.serial_no == "a1-1"))
    version = scorecards.latest(db.session.scalar(select(Scorecard)))
    now = local(TODAY + timedelta(days=1), 10)
    with app.test_request_context():
        first = evaluations.start(call, drawn["qa"], version, "", now)
        db.session.commit()
        assert first.sampled_call_id is not None
        with pytest.raises(Refusal) as refused:
            evaluations.start(call, drawn["qa2"], version, "  ", now)
        assert refused.value.field == "reason"
        second = evaluations.start(call, drawn["qa2"], version, "复核语气", now)
        db.session.commit()
        assert second.sampled_call_id is None and second.off_sample
        assert second.off_sample_reason == "复核语气"
    page = as_user(app, drawn["qa2"]).get(f"/calls/{call.id}")
    assert "抽样外" in page.text or "标准外" in page.text


def test_the_call_page_asks_the_second_reviewer_for_a_reason(app, drawn):
    call = db.session.scalar(select(Call).where(Call.serial_no == "a1-1"))
    qa, qa2 = as_user(app, drawn["qa"]), as_user(app, drawn["qa2"])
    assert 'name="reason"' not in qa2.get(f"/calls/{call.id}").text  # still free
    assert post_form(qa, f"/calls/{call.id}/evaluate", {},
                     token_page=f"/calls/{call.id}").status_code == 303
    page = qa2.get(f"/calls/{call.id}").text
    assert 'name="reason"' in page
    refused = post_form(qa2, f"/calls/{call.id}/evaluate", {},
                        token_page=f"/calls/{call.id}")
    assert refused.status_code == 422
    assert db.session.scalar(select(func.count(Evaluation.id))) == 1


def test_the_database_refuses_a_second_in_sample_evaluation(app, drawn):
    """ONE_IN_SAMPLE, enforced by a database constraint too."""
    pick = db.session.scalar(select(SampledCall).order_by(SampledCall.id).limit(1))
    version = scorecards.latest(db.session.scalar(select(Scorecard)))
    for reviewer in (drawn["qa"], drawn["qa2"]):
        db.session.add(Evaluation(call_id=pick.call_id, agent_id=pick.agent_id,
                                  reviewer_id=reviewer.id, scorecard_version_id=version.id,
                                  sampled_call_id=pick.id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_two_reviewers_starting_at_once_get_one_in_sample_evaluation(app, drawn, monkeypatch):
    """ONE_IN_SAMPLE under a race: the second reviewer looked before the first one's row was
    written, so both think the pick is free; the constraint refuses the second, who is told
    to give a reason, and nothing of theirs is kept."""
    call = db.session.scalar(select(Call).where(Call.serial_no == "a1-1"))
    version = scorecards.latest(db.session.scalar(select(Scorecard)))
    now = local(TODAY + timedelta(days=1), 10)
    with app.test_request_context():
        pick = evaluations.sample_pick(call)
        evaluations.start(call, drawn["qa"], version, "", now)
        db.session.commit()
        monkeypatch.setattr(evaluations, "sample_pick", lambda *_args: pick)
        with pytest.raises(Refusal) as refused:
            evaluations.start(call, drawn["qa2"], version, "", now)
        assert refused.value.field == "reason"
        assert "另一位质检员刚刚开始了这通录音的抽样内评分" in refused.value.message
        db.session.rollback()
    assert db.session.scalar(select(func.count(Evaluation.id))) == 1
