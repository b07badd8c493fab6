"""Critical items (致命项) and pinned scorecard versions.

DESIGN.md, Quality: "Scorecard (质检表): versioned list of deduction items ... a score starts at
100. An evaluation always records the scorecard version it used. ... A critical item (致命项)
sets the score to 0." Issue: "Deducting it sets the call's score to 0 whatever else was
deducted, and reports count critical errors separately." "Calibration rounds pin their
scorecard version, as evaluations do: editing it afterwards makes a new version."
"""

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.qa import calibration, evaluations, reports, scorecards
from app.qa.models import Call, Evaluation, Scorecard
from app.timeutil import center_tz
from tests.conftest import post_form
from tests.qa.conftest import TODAY, as_user

CRITICAL = "DESIGN.md: A critical item (致命项) sets the score to 0."


def local(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), center_tz()).astimezone(UTC)


@pytest.mark.parametrize(("points", "critical", "score"), [
    ([], False, 100), ([20], False, 80),  # 泄露客户信息 at 20 points, not critical: 80
    ([20], True, 0),  # the same item marked critical: 0
    ([1], True, 0),  # however few points it carries
    ([1, 5], True, 0), ([99], False, 1), ([100], False, 0),
])
def test_a_critical_item_sets_the_score_to_0_whatever_else_was_deducted(points, critical,
                                                                        score):
    """CRITICAL, both sides: without a critical item the score is 100 less the points."""
    assert evaluations.score_of(points, critical) == score


@pytest.fixture
def card(center):
    """The center's scorecard with a critical item 泄露客户信息 (20 points)."""
    found = db.session.scalar(select(Scorecard))
    category = scorecards.latest(found).categories[0]
    scorecards.add_item(found, category, "泄露客户信息", 20, "", center["boss"], critical=True)
    db.session.commit()
    return found


def score(app, center, card, *names: str) -> Evaluation:
    call = db.session.scalar(select(Call).where(Call.serial_no == "a1-0"))
    version = scorecards.latest(card)
    items = [i for i in version.items if i.name in names]
    with app.test_request_context():
        evaluation = evaluations.start(call, center["qa"], version, "抽查", local(TODAY, 21))
        evaluations.save(evaluation, center["qa"], [evaluations.Mark(i.id) for i in items],
                         evaluation.version, True, local(TODAY, 21))
        db.session.commit()
    return evaluation


def test_a_published_evaluation_with_a_critical_item_scores_0(app, center, card):
    evaluation = score(app, center, card, "泄露客户信息", "语气生硬")
    assert evaluation.score == 0


def test_without_the_critical_item_the_points_are_deducted_as_usual(app, center, card):
    evaluation = score(app, center, card, "语气生硬", "打断客户")
    assert evaluation.score == 92


def test_the_running_total_shows_0_once_a_critical_item_is_ticked(app, center, card):
    call = db.session.scalar(select(Call).where(Call.serial_no == "a1-0"))
    qa = as_user(app, center["qa"])
    post_form(qa, f"/calls/{call.id}/evaluate", {"reason": "抽查"}, token_page=f"/calls/{call.id}")
    evaluation = db.session.scalar(select(Evaluation))
    items = {i.name: i.id for i in evaluation.scorecard_version.items}
    page = qa.get(f"/evaluations/{evaluation.id}")
    assert "致命项" in page.text
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    plain = qa.post(f"/evaluations/{evaluation.id}/total", headers={"HX-Request": "true"},
                    data={"csrf_token": token, "item": [str(items["语气生硬"])]})
    assert ">95<" in plain.text
    critical = qa.post(f"/evaluations/{evaluation.id}/total", headers={"HX-Request": "true"},
                       data={"csrf_token": token, "item": [str(items["语气生硬"]),
                                                           str(items["泄露客户信息"])]})
    assert ">0<" in critical.text


def test_reports_count_critical_errors_separately(app, center, card):
    """Issue: "reports count critical errors separately"."""
    score(app, center, card, "泄露客户信息")
    call = db.session.scalar(select(Call).where(Call.serial_no == "a2-0"))
    version = scorecards.latest(card)
    with app.test_request_context():
        other = evaluations.start(call, center["qa"], version, "抽查", local(TODAY, 21))
        evaluations.save(other, center["qa"], [evaluations.Mark(version.items[0].id)],
                         other.version, True, local(TODAY, 21))
        db.session.commit()
    report = reports.build("day", TODAY, "agent")
    assert (report.count, report.critical) == (2, 1)
    assert sorted((r.name, r.critical) for r in report.rows) == sorted(
        [(center["a1"].name, 1), (center["a2"].name, 0)])
    assert ("泄露客户信息", 1, 20, True) in report.items
    assert all(not critical for name, _n, _p, critical in report.items
               if name != "泄露客户信息")
    page = as_user(app, center["boss"]).get(f"/qa/reports?period=day&day={TODAY}").text
    assert "<dt>致命项</dt><dd>1</dd>" in page


def test_marking_an_item_critical_on_the_scorecard_page(app, center, card):
    item = next(i for i in scorecards.latest(card).items if i.name == "语气生硬")
    boss = as_user(app, center["boss"])
    response = post_form(boss, f"/scorecards/items/{item.id}",
                         {"name": "语气生硬", "points": "5", "guidance": "", "critical": "y"},
                         token_page=f"/scorecards/{card.id}")
    assert response.status_code == 303
    db.session.expire_all()
    assert next(i for i in scorecards.latest(card).items if i.name == "语气生硬").critical
    post_form(boss, f"/scorecards/items/{item.id}",
              {"name": "语气生硬", "points": "5", "guidance": ""},
              token_page=f"/scorecards/{card.id}")
    db.session.expire_all()
    assert not next(i for i in scorecards.latest(card).items if i.name == "语气生硬").critical


def test_a_calibration_round_pins_its_version_before_anyone_scores(app, center, card):
    """Issue: "Calibration rounds pin their scorecard version, as evaluations do: editing it
    afterwards makes a new version"."""
    version = scorecards.latest(card)
    call = db.session.scalar(select(Call).where(Call.serial_no == "a1-0"))
    round_ = calibration.create(call, version, center["boss"], local(TODAY, 21))
    db.session.commit()
    assert scorecards.in_use(version)
    item = version.items[0]
    scorecards.change_item(card, item, item.name, item.points + 1, "", center["boss"])
    db.session.commit()
    assert scorecards.latest(card).number == version.number + 1
    assert round_.scorecard_version.items[0].points == item.points  # the round's is unchanged


def test_an_unused_version_is_edited_in_place(app, center, card):
    """The other side: nobody used the version, so a change stays in it."""
    version = scorecards.latest(card)
    assert not scorecards.in_use(version)
    item = version.items[0]
    scorecards.change_item(card, item, item.name, item.points + 1, "", center["boss"])
    db.session.commit()
    assert scorecards.latest(card).id == version.id
