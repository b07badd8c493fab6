"""The quality pages as their users meet them: rules, the queue, the evaluation form, agents."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.people.models import Role, Team
from app.qa import scorecards
from app.qa.models import Call, Evaluation, RuleStatus, SampledCall, SamplingRule, Scorecard
from app.timeutil import center_tz
from tests.conftest import HX, csrf_from, post_form
from tests.qa.conftest import TODAY, as_user, published_rule


def rule_form(first_day: date, **changes) -> dict:
    return {"name": "11点后第1通", "scope": "all", "team_id": "0", "first_day":
            first_day.isoformat(), "window_start": "11:00", "longer_than_s": "200",
            "direction": "any", "nth_from": "1", "nth_to": "1",
            "weekdays": [str(d) for d in range(7)],
            "scorecard_id": str(db.session.scalar(select(Scorecard.id).limit(1))), **changes}


def test_a_rule_is_published_a_day_ahead_through_the_pages(app, center):
    """DESIGN.md: "A rule must be published at least one day before the day it applies to";
    issue: "A draft whose first day is too near is refused when saved, with the earliest
    allowed day beside the field" (not saved, then refused at Publish)."""
    qa = as_user(app, center["qa"])
    refused = post_form(qa, "/sampling-rules/new", rule_form(TODAY),
                        token_page="/sampling-rules/new")
    assert refused.status_code == 422
    assert 'id="first_day-error"' in refused.text
    assert "至少 1 天" in refused.text and "2026-12-03" in refused.text
    assert db.session.scalar(select(SamplingRule)) is None  # nothing half-saved
    response = post_form(qa, "/sampling-rules/new", rule_form(TODAY + timedelta(days=1)),
                         token_page="/sampling-rules/new")
    assert response.status_code == 303
    rule = db.session.scalar(select(SamplingRule))
    assert rule.status == RuleStatus.DRAFT
    assert "发布" in qa.get(f"/sampling-rules/{rule.id}").text
    ok = post_form(qa, f"/sampling-rules/{rule.id}/publish", {"version": rule.version},
                   token_page=f"/sampling-rules/{rule.id}")
    assert ok.status_code == 303
    db.session.refresh(rule)
    assert rule.status == RuleStatus.PUBLISHED
    # fixed from now on, and visible to the lead and the agents it covers
    assert qa.get(f"/sampling-rules/{rule.id}/edit").status_code == 409
    assert rule.name in as_user(app, center["a1"]).get("/sampling-rules").text
    assert rule.name in as_user(app, center["lead"]).get("/sampling-rules").text


def test_a_rule_field_problem_is_shown_beside_the_field(app, center):
    qa = as_user(app, center["qa"])
    response = post_form(qa, "/sampling-rules/new",
                         rule_form(TODAY + timedelta(days=1), nth_from="3", nth_to="2"),
                         token_page="/sampling-rules/new")
    assert response.status_code == 422
    assert 'id="nth_to-error"' in response.text
    assert db.session.scalar(select(SamplingRule)) is None


def the_day_has_ended(clock) -> None:
    """The next morning. DESIGN.md: "A day is drawn only after it has ended (plus a grace
    period for late uploads), by `flask draw-samples` or from the queue"."""
    clock.set(datetime.combine(TODAY + timedelta(days=1), time(9), center_tz()).astimezone(UTC))


def draw_today(client):
    """Draw TODAY's sample from the queue (which, the next morning, shows yesterday)."""
    return post_form(client, "/qa/queue/draw", {"day": TODAY.isoformat()},
                     token_page=f"/qa/queue?day={TODAY}")


def test_the_reviewer_draws_scores_and_publishes(app, center, clock):
    rule = published_rule(center)
    the_day_has_ended(clock)
    qa = as_user(app, center["qa"])
    assert "立即抽取录音" in qa.get(f"/qa/queue?day={TODAY}").text
    assert draw_today(qa).status_code == 303
    picks = db.session.scalars(select(SampledCall).order_by(SampledCall.id)).all()
    assert [db.session.get(Call, p.call_id).serial_no for p in picks] == ["a1-1", "a2-1"]
    queue = qa.get(f"/qa/queue?day={TODAY}").text
    assert "a1-1" in queue and "a2-1" in queue
    call = db.session.get(Call, picks[0].call_id)
    response = post_form(qa, f"/calls/{call.id}/evaluate", {}, token_page=f"/calls/{call.id}")
    evaluation = db.session.scalar(select(Evaluation))
    assert response.headers["Location"] == f"/evaluations/{evaluation.id}"
    assert evaluation.sampled_call_id == picks[0].id and not evaluation.off_sample
    items = scorecards.latest(evaluation.scorecard_version.scorecard).items
    page = qa.get(f"/evaluations/{evaluation.id}").text
    token = csrf_from(page)
    total = qa.post(f"/evaluations/{evaluation.id}/total", headers=HX,
                    data={"csrf_token": token, "item": [str(i.id) for i in items]})
    assert ">92<" in total.text and "<html" not in total.text  # 100 - 5 - 3, nothing saved
    assert db.session.get(Evaluation, evaluation.id).deductions == []
    published = qa.post(f"/evaluations/{evaluation.id}", data={
        "csrf_token": token, "version": evaluation.version, "publish": "1", "confirmed": "yes",
        "item": [str(items[0].id)], f"note-{items[0].id}": "语气不耐烦",
        f"moment-{items[0].id}": "3:36"})  # as the page shows moments; seconds work too
    assert published.status_code == 303
    db.session.expire_all()
    evaluation = db.session.get(Evaluation, evaluation.id)
    assert evaluation.score == 95 and evaluation.status == "published"
    assert evaluation.deductions[0].moment_s == 216
    again = qa.post(f"/evaluations/{evaluation.id}", data={
        "csrf_token": token, "version": evaluation.version, "publish": "1", "confirmed": "yes",
        "item": []})
    assert again.status_code == 409  # a published evaluation is not edited here

    agent = as_user(app, center["a1"])
    mine = agent.get(f"/evaluations/{evaluation.id}")
    assert mine.status_code == 200 and "语气不耐烦" in mine.text and "我已阅读" in mine.text
    assert post_form(agent, f"/evaluations/{evaluation.id}/read", {},
                     token_page=f"/evaluations/{evaluation.id}").status_code == 303
    assert db.session.get(Evaluation, evaluation.id).read_at is not None
    why = agent.get(f"/sampling-rules/{rule.id}/why?agent={center['a1'].id}&day={TODAY}")
    assert why.status_code == 200
    assert "开始时间早于时间段" in why.text  # 10:00 is before the 11:00 window
    assert "抽中：符合条件的第 1 通" in why.text
    # nobody else's
    assert as_user(app, center["a2"]).get(f"/evaluations/{evaluation.id}").status_code == 404
    assert as_user(app, center["outsider"]).get(
        f"/sampling-rules/{rule.id}/why?agent={center['a1'].id}&day={TODAY}").status_code == 404
    assert "95" in as_user(app, center["lead"]).get("/evaluations").text


def test_a_draft_stays_with_the_reviewer(app, center, clock):
    published_rule(center)
    the_day_has_ended(clock)
    qa = as_user(app, center["qa"])
    assert draw_today(qa).status_code == 303
    call = db.session.scalar(select(Call).where(Call.serial_no == "a1-1"))
    post_form(qa, f"/calls/{call.id}/evaluate", {}, token_page=f"/calls/{call.id}")
    evaluation = db.session.scalar(select(Evaluation))
    assert as_user(app, center["a1"]).get(f"/evaluations/{evaluation.id}").status_code == 404
    assert as_user(app, center["lead"]).get(f"/evaluations/{evaluation.id}").status_code == 404


def test_off_sample_needs_a_reason_on_the_page(app, center):
    qa = as_user(app, center["qa"])
    call = db.session.scalar(select(Call).where(Call.serial_no == "a2-0"))
    refused = post_form(qa, f"/calls/{call.id}/evaluate", {"reason": " "},
                        token_page=f"/calls/{call.id}")
    assert refused.status_code == 422 and 'class="error"' in refused.text
    assert db.session.scalar(select(Evaluation)) is None
    post_form(qa, f"/calls/{call.id}/evaluate", {"reason": "客户投诉"},
              token_page=f"/calls/{call.id}")
    evaluation = db.session.scalar(select(Evaluation))
    assert evaluation.off_sample and evaluation.off_sample_reason == "客户投诉"
    assert "标准外" in qa.get(f"/evaluations/{evaluation.id}").text


def test_the_call_page_masks_the_customer_number(app, center):
    call = db.session.scalar(select(Call).where(Call.serial_no == "a1-0"))
    page = as_user(app, center["lead"]).get(f"/calls/{call.id}").text
    assert "*******8000" in page and "13800138000" not in page
    assert as_user(app, center["a2"]).get(f"/calls/{call.id}").status_code == 404


def test_a_lead_sees_a_rule_for_the_team_on_the_home_page_once_published(
        app, center, make_user, make_team):
    other_lead = make_user(role=Role.LEAD)
    make_team(lead=other_lead)
    qa = as_user(app, center["qa"])
    post_form(qa, "/sampling-rules/new", rule_form(
        TODAY + timedelta(days=1), scope="team", team_id=str(center["a1"].team_id)),
        token_page="/sampling-rules/new")
    rule = db.session.scalar(select(SamplingRule))
    assert rule.scope == "team"
    lead = as_user(app, center["lead"])
    assert rule.name not in lead.get("/").text  # a draft is nobody's business yet
    post_form(qa, f"/sampling-rules/{rule.id}/publish", {"version": rule.version},
              token_page=f"/sampling-rules/{rule.id}")
    assert rule.name in lead.get("/").text
    assert rule.name not in as_user(app, other_lead).get("/").text  # another team's lead
    # "my team" for a lead is the team they lead (Team.lead_id), not their own record's team
    successor = make_user(role=Role.LEAD)
    db.session.get(Team, center["a1"].team_id).lead_id = successor.id
    db.session.commit()
    assert rule.name in as_user(app, successor).get("/").text
    assert rule.name not in lead.get("/").text


@pytest.mark.parametrize(("typed", "seconds"), [
    ("216", 216), ("3:36", 216), (" 0:05 ", 5), ("12:00", 720), ("0", 0), ("", None),
    ("3:60", None), ("3:6x", None), ("-5", None), ("1:2:3", None), ("99999999", None),
    ("３:３６", 216), ("3：36", 216)])  # full-width digits, as a Chinese input method may type them
def test_a_moment_is_typed_as_minutes_and_seconds_or_seconds(typed, seconds):
    from app.qa.evaluation_routes import moment_seconds

    assert moment_seconds(typed) == seconds

