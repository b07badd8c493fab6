"""Reports, consistency, calibration and Fleiss' kappa."""

import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.audit import AuditEvent
from app.extensions import db
from app.people.models import Role
from app.qa import calibration, evaluations, reports, scorecards
from app.qa.models import Calibration, Call, Evaluation
from app.timeutil import center_tz
from tests.conftest import csrf_from, login, post_form

DAY = date(2026, 11, 18)


def test_fleiss_kappa_against_the_worked_example():
    # Fleiss (1971) as worked in the literature: 10 subjects, 14 raters, 5 categories.
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0],
             [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2],
             [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    assert calibration.fleiss_kappa(table) == pytest.approx(0.210, abs=0.001)


def test_fleiss_kappa_edges():
    assert calibration.fleiss_kappa([[3, 0], [0, 3]]) == pytest.approx(1.0)
    assert calibration.fleiss_kappa([[3, 0], [3, 0]]) == 1.0  # one category for everything
    assert calibration.fleiss_kappa([[1, 0]]) is None  # a single rater
    assert calibration.fleiss_kappa([[2, 0], [1, 0]]) is None  # unequal raters


@pytest.fixture
def scored(app, make_user, make_team):
    """Two teams' agents scored by a strict and a lenient reviewer on DAY."""
    boss = make_user(role=Role.SUPERVISOR)
    lead = make_user(role=Role.LEAD)
    team, other = make_team(lead=lead), make_team()
    strict, lenient = make_user(role=Role.QA, name="严"), make_user(role=Role.QA, name="宽")
    mine, theirs = make_user(team=team), make_user(team=other)
    with app.test_request_context():
        card = scorecards.create("通用质检表", boss)
        category = scorecards.add_category(card, "服务态度", boss)
        rude = scorecards.add_item(card, category, "语气生硬", 10, "", boss)
        late = scorecards.add_item(card, category, "未记录工单", 5, "", boss)
        version = scorecards.latest(card)
        when = datetime.combine(DAY, time(15), center_tz()).astimezone(UTC)
        n = 0
        for agent in (mine, theirs):
            for reviewer, ticks in ((strict, [rude.id, late.id]), (lenient, [])):
                for _ in range(2):
                    n += 1
                    call = Call(serial_no=f"S{n}", agent_id=agent.id, started_at=when,
                                duration_s=300, direction="in")
                    db.session.add(call)
                    db.session.flush()
                    evaluation = evaluations.start(call, reviewer, version, "抽查", when)
                    evaluations.save(evaluation, reviewer,
                                     [evaluations.Mark(i) for i in ticks], evaluation.version,
                                     True, when)
        db.session.commit()
    return {"boss": boss, "lead": lead, "strict": strict, "lenient": lenient, "mine": mine,
            "theirs": theirs, "version": version, "rude": rude}


def test_the_report_counts_averages_and_distribution(app, scored):
    with app.test_request_context():
        report = reports.build("month", DAY, "reviewer")
        assert report.count == 8 and report.average == pytest.approx(92.5)
        assert {r.name: (r.count, r.average) for r in report.rows} == {
            "严": (4, 85.0), "宽": (4, 100.0)}
        assert dict(report.buckets)["80–89"] == 4 and dict(report.buckets)["100"] == 4
        # "most deducted items": as often as each other, so by name (未 U+672A before 语 U+8BED)
        assert report.items == [("未记录工单", 4, 20, False), ("语气生硬", 4, 40, False)]
        assert [d for d, avg, n in report.trend if n] == [DAY]
        assert reports.build("month", DAY + timedelta(days=31), "agent").count == 0
        week = reports.build("week", DAY, "team")
        assert sum(r.count for r in week.rows) == 8


def test_a_lead_sees_the_own_teams_agents_only(app, scored):
    client = app.test_client()
    assert login(client, scored["lead"].username).status_code == 303
    page = client.get(f"/qa/reports?period=month&day={DAY}&by=agent").text
    assert scored["mine"].name in page and scored["theirs"].name not in page
    assert post_form(client, f"/qa/reports.xlsx?day={DAY}", {},
                     token_page="/qa/reports").status_code == 403


def test_consistency_marks_the_strictest_and_the_most_lenient(app, scored):
    with app.test_request_context():
        found = reports.consistency("month", DAY)
    assert found.center_average == pytest.approx(92.5)
    assert found.strictest == scored["strict"].id
    assert found.most_lenient == scored["lenient"].id
    rude = next(i for i in found.items if i.name == "语气生硬")
    assert rude.rates[scored["strict"].id] == 1.0 and rude.others[scored["strict"].id] == 0.0


def test_the_export_is_for_supervisors_audited_and_safe(app, scored, make_user):
    db.session.get(type(scored["mine"]), scored["mine"].id).name = "=HYPERLINK(1)"
    db.session.commit()
    client = app.test_client()
    assert login(client, scored["boss"].username).status_code == 303
    response = post_form(client, f"/qa/reports.xlsx?period=month&day={DAY}&by=agent", {},
                         token_page="/qa/reports")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    names = [row[1].value for row in sheet.iter_rows(min_row=3)]
    assert "'=HYPERLINK(1)" in names
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "report.export")) == 1


def test_calibration_is_blind_never_counts_and_shows_who_differed(app, scored, make_user):
    third = make_user(role=Role.QA, name="中")
    call = db.session.scalar(select(Call).where(Call.serial_no == "S1"))
    boss = app.test_client()
    assert login(boss, scored["boss"].username).status_code == 303
    call_page = boss.get(f"/calls/{call.id}").text  # started from the call's own page
    start = call_page.split('class="calibrate-call"')[1].split("</form>")[0]
    assert 'name="serial_no" value="S1"' in start and "hx-confirm" in call_page
    response = post_form(boss, "/calibrations", {"serial_no": "S1"},
                         token_page=f"/calls/{call.id}")
    round_ = db.session.scalar(select(Calibration))
    assert response.headers["Location"] == f"/calibrations/{round_.id}"
    before = reports_count(app)
    ids = {}
    for reviewer, ticks in ((scored["strict"], [scored["rude"].id]), (scored["lenient"], []),
                            (third, [scored["rude"].id])):
        client = app.test_client()
        assert login(client, reviewer.username).status_code == 303
        opened = post_form(client, f"/calibrations/{round_.id}/score", {},
                           token_page=f"/calibrations/{round_.id}")
        evaluation_id = int(opened.headers["Location"].rsplit("/", 1)[1])
        ids[reviewer.name] = evaluation_id
        evaluation = db.session.get(Evaluation, evaluation_id)
        assert evaluation.calibration_id == round_.id and evaluation.call_id == call.id
        token = csrf_from(client.get(f"/evaluations/{evaluation_id}").text)
        client.post(f"/evaluations/{evaluation_id}", data={
            "csrf_token": token, "version": evaluation.version, "publish": "1", "confirmed": "yes",
            "item": [str(i) for i in ticks]})
        if reviewer is scored["strict"]:
            first_reviewer = client
    assert 'class="calibrate-call"' not in first_reviewer.get(f"/calls/{call.id}").text
    # blind while open: the first reviewer cannot open another's calibration score
    assert first_reviewer.get(f"/evaluations/{ids['宽']}").status_code == 404
    assert "Fleiss" not in first_reviewer.get(f"/calibrations/{round_.id}").text
    agent = app.test_client()
    assert login(agent, scored["mine"].username).status_code == 303
    assert agent.get(f"/evaluations/{ids['中']}").status_code == 404  # never for the agent
    assert reports_count(app) == before  # never counts in the reports
    with app.test_request_context():
        result = calibration.result(db.session.get(Calibration, round_.id))
    rude = next(i for i in result.items if i.name == "语气生硬")
    assert rude.dissenters == ["宽"] and rude.agreement == pytest.approx(2 / 3)
    assert result.kappa is not None
    post_form(boss, f"/calibrations/{round_.id}/close", {}, token_page=f"/calibrations/{round_.id}")
    assert "宽" in first_reviewer.get(f"/calibrations/{round_.id}").text
    assert first_reviewer.get(f"/evaluations/{ids['宽']}").status_code == 200


def reports_count(app) -> int:
    with app.test_request_context():
        return reports.build("month", DAY, "agent").count
