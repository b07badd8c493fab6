"""Several scorecards: the sampling rule names the one that applies.

DESIGN.md, Quality: "A center may keep several scorecards; the sampling rule names the one
that applies." Issue: "the reviewer and the agent see which."
"""

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from app.extensions import db
from app.qa import evaluations, rules, scorecards
from app.qa.models import Calibration, Call, Evaluation, SamplingRule, Scorecard
from app.timeutil import center_tz
from tests.conftest import post_form
from tests.qa.conftest import TODAY, as_user, published_rule


def local(hh: int, days: int = 0) -> datetime:
    return datetime.combine(TODAY + timedelta(days=days), time(hh), center_tz()).astimezone(UTC)


def sales_card(center) -> Scorecard:
    card = scorecards.create("外呼营销质检表", center["boss"])
    category = scorecards.add_category(card, "营销规范", center["boss"])
    scorecards.add_item(card, category, "未告知资费", 10, "", center["boss"])
    db.session.commit()
    return card


def test_a_sampled_call_is_scored_on_the_scorecard_its_rule_names(app, center):
    sales = sales_card(center)
    service = db.session.scalar(select(Scorecard).where(Scorecard.name == "通用质检表"))
    rule = published_rule(center, scorecard_id=sales.id)
    with app.test_request_context():
        rules.draw(rule, TODAY, local(9, days=1))
        db.session.commit()
        call = db.session.scalar(select(Call).where(Call.serial_no == "a1-1"))
        # whatever version the caller offers, the rule's scorecard applies
        found = evaluations.start(call, center["qa"], scorecards.latest(service), "",
                                  local(10, days=1))
        db.session.commit()
    assert found.scorecard_version.scorecard_id == sales.id
    page = as_user(app, center["qa"]).get(f"/evaluations/{found.id}").text
    assert "外呼营销质检表" in page and "未告知资费" in page
    assert "外呼营销质检表" in as_user(app, center["qa"]).get(f"/sampling-rules/{rule.id}").text


def test_an_off_sample_call_is_scored_on_the_scorecard_the_reviewer_chooses(app, center):
    sales = sales_card(center)
    call = db.session.scalar(select(Call).where(Call.serial_no == "a2-0"))
    qa = as_user(app, center["qa"])
    page = qa.get(f"/calls/{call.id}").text
    assert 'name="scorecard_id"' in page and "外呼营销质检表" in page
    post_form(qa, f"/calls/{call.id}/evaluate", {"reason": "客户投诉", "scorecard_id": sales.id},
              token_page=f"/calls/{call.id}")
    evaluation = db.session.scalar(select(Evaluation))
    assert evaluation.scorecard_version.scorecard_id == sales.id


def test_a_rule_names_its_scorecard_on_the_form(app, center):
    sales = sales_card(center)
    qa = as_user(app, center["qa"])
    assert "外呼营销质检表" in qa.get("/sampling-rules/new").text
    form = {"name": "外呼规则", "scope": "all", "team_id": "0",
            "first_day": (TODAY + timedelta(days=1)).isoformat(), "direction": "out",
            "nth_from": "1", "nth_to": "1", "longer_than_s": "0",
            "weekdays": [str(d) for d in range(7)], "scorecard_id": str(sales.id)}
    assert post_form(qa, "/sampling-rules/new", form,
                     token_page="/sampling-rules/new").status_code == 303
    assert db.session.scalar(select(SamplingRule.scorecard_id)) == sales.id
    bad = post_form(qa, "/sampling-rules/new", {**form, "scorecard_id": "999999"},
                    token_page="/sampling-rules/new")
    assert bad.status_code == 422 and 'id="scorecard_id-error"' in bad.text


def test_a_calibration_round_takes_the_chosen_scorecard_and_any_case_of_serial(app, center):
    """Issue: "Serial nos. are matched case-insensitively"; the round pins the chosen
    scorecard's newest version."""
    sales = sales_card(center)
    db.session.add(Call(serial_no="CAL-ab12", agent_id=center["a1"].id,
                        started_at=local(9), duration_s=120, direction="out"))
    db.session.commit()
    boss = as_user(app, center["boss"])
    response = post_form(boss, "/calibrations", {"serial_no": " cal-AB12 ",
                                                 "scorecard_id": sales.id},
                         token_page="/calibrations")
    assert response.status_code == 303
    round_ = db.session.scalar(select(Calibration))
    assert round_.call.serial_no == "CAL-ab12"
    assert round_.scorecard_version.scorecard_id == sales.id
