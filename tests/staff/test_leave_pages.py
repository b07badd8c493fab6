"""Leave through the pages: ask, approve from the home page, withdraw, concurrent decisions."""

import json
import re
import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.staff import schedule
from app.staff.models import LeaveRequest, LeaveStatus, Shift
from tests.conftest import HX, csrf_from, login, post_form

TZ_DAY = date(2026, 11, 20)


@pytest.fixture
def floor(app, make_user, make_team, clock):
    lead = make_user(role="lead")
    team = make_team(lead=lead)
    agent = make_user(team=team, name="请假人")
    boss = make_user(role="supervisor")
    for offset in range(0, 6):
        schedule.add_shift(agent, TZ_DAY + timedelta(days=offset), time(9), time(18), "早班", None)
    db.session.commit()
    return {"lead": lead, "agent": agent, "boss": boss, "clock": clock}


def triggered(response) -> list[str]:
    """The events a response's HX-Trigger header names (a list, or a JSON object's keys)."""
    header = response.headers["HX-Trigger"].strip()
    if header.startswith("{"):
        return list(json.loads(header))
    return [event.strip() for event in header.split(",")]


def leave_state(item: LeaveRequest) -> tuple:
    """What a refused decision must leave as it was: status, version and every step."""
    return (item.status, item.version,
            [(s.id, s.action, s.stage, s.actor_id, s.reason, s.at) for s in item.steps])


def ask_form(**overrides):
    values = {"kind": "annual", "first_day": "2026-11-23", "start_time": "", "last_day":
              "2026-11-23", "end_time": "", "reason": "回老家"}
    values.update(overrides)
    return values


@pytest.mark.parametrize(("times", "hours"), [({}, 9), ({"start_time": "09:00",
                                                         "end_time": "13:00"}, 4)])
def test_an_empty_last_day_means_a_single_day(client, floor, times, hours):
    """The form opens with the last day empty: the request is for the first day alone, whole
    or between the times given."""
    login(client, floor["agent"].username)
    response = post_form(client, "/leave/new", ask_form(last_day="", **times),
                         token_page="/leave/new")
    assert response.status_code == 303, response.text
    item = db.session.scalar(select(LeaveRequest))
    assert item.hours == hours
    assert item.starts_at.astimezone(ZoneInfo("Asia/Shanghai")).date() == date(2026, 11, 23)
    assert item.ends_at - item.starts_at == (timedelta(days=1) if not times
                                             else timedelta(hours=4))


def test_the_kind_of_leave_is_chosen_by_the_person(client, floor):
    """The form opens with no kind chosen; sending it so is refused beside the field."""
    login(client, floor["agent"].username)
    form = client.get("/leave/new").text.split('id="kind"')[1].split("</select>")[0]
    assert "selected" not in form and form.split("<option", 2)[1].startswith(' value=""')
    response = post_form(client, "/leave/new", ask_form(kind=""), token_page="/leave/new")
    assert response.status_code == 422
    assert "请选择请假类型" in response.text.split('id="kind-error"')[1].split("</small>")[0]
    assert db.session.scalar(select(func.count(LeaveRequest.id))) == 0


@pytest.mark.parametrize("missing", ["last_day", "first_day"])
def test_a_missing_day_is_explained_not_a_crash(client, floor, missing):
    """Without a last day the request is for the first day alone; without a first day the
    form comes back with the reason beside that field, and nothing is stored."""
    login(client, floor["agent"].username)
    values = ask_form()
    del values[missing]
    response = post_form(client, "/leave/new", values, token_page="/leave/new")
    assert response.status_code == (303 if missing == "last_day" else 422)
    if missing == "last_day":
        item = db.session.scalar(select(LeaveRequest))
        assert item.hours == 9 and item.ends_at - item.starts_at == timedelta(days=1)
        assert item.starts_at.astimezone(ZoneInfo("Asia/Shanghai")).date() == date(2026, 11, 23)
        return
    assert "<html" in response.text and "Traceback" not in response.text
    error = response.text.split('id="first_day-error"')[1].split("</small>")[0]
    assert "该字段是必填字段" in error  # "This field is required", beside the first day
    field = re.search(r'<input[^>]*\bid="first_day"[^>]*>', response.text).group(0)
    assert 'aria-invalid="true"' in field and 'aria-describedby="first_day-error"' in field
    assert db.session.scalar(select(func.count(LeaveRequest.id))) == 0


def test_agent_asks_lead_and_supervisor_approve_from_home(app, client, floor):
    login(client, floor["agent"].username)
    response = post_form(client, "/leave/new", ask_form(), token_page="/leave/new")
    assert response.status_code == 303
    item = db.session.scalar(select(LeaveRequest))
    assert item.status == LeaveStatus.PENDING_LEAD and item.hours == 9
    assert "HX-Trigger" in response.headers, "asking must refresh the approvers' counters"
    assert "pending-changed" in triggered(response)

    lead = app.test_client()
    login(lead, floor["lead"].username)
    home = lead.get("/")
    assert "请假人" in home.text and f"/leave/{item.id}/decide" in home.text
    assert lead.get("/pending/count").text == "1"
    token = csrf_from(home.text)
    decided = lead.post(f"/leave/{item.id}/decide", headers={**HX, "HX-Target": f"leave-{item.id}"},
                        data={"csrf_token": token, "decision": "approve", "confirmed": "yes",
                              "version": item.version})
    assert decided.status_code == 200
    assert "<html" not in decided.text
    assert decided.headers["HX-Trigger"] == "pending-changed"
    assert lead.get("/pending/count").text == ""

    boss = app.test_client()
    login(boss, floor["boss"].username)
    db.session.refresh(item)
    response = post_form(boss, f"/leave/{item.id}/decide",
                         {"decision": "approve", "version": item.version})
    assert response.status_code == 303
    db.session.refresh(item)
    assert item.status == LeaveStatus.APPROVED
    marked = db.session.scalar(select(func.count(Shift.id)).where(Shift.leave_id == item.id))
    assert marked == 1
    page = client.get(f"/leave/{item.id}")
    assert "已批准" in page.text


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"first_day": "2026-11-20", "last_day": "2026-11-20"}, "first_day", "至少"),
    ({"kind": "sick", "first_day": "2026-11-20", "last_day": "2026-11-20"}, "first_day", "分钟"),
    ({"last_day": "2026-11-22"}, "last_day", "早于"),
    ({"first_day": "2027-02-01", "last_day": "2027-02-01"}, "first_day", "没有班次"),
    ({"first_day": "not a date"}, "first_day", "日期"),
])
def test_rule_violations_are_explained_beside_the_field(client, floor, overrides, field,
                                                        message):
    login(client, floor["agent"].username)
    response = post_form(client, "/leave/new", ask_form(**overrides), token_page="/leave/new")
    assert response.status_code == 422
    assert message in response.text.split(f'id="{field}-error"')[1].split("</small>")[0]
    assert db.session.scalar(select(func.count(LeaveRequest.id))) == 0


def test_rules_in_english_too(client, floor):
    login(client, floor["agent"].username)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = post_form(client, "/leave/new", ask_form(first_day="2026-11-20",
                                                        last_day="2026-11-20"),
                         token_page="/leave/new")
    assert "at least 1 day(s) before it starts" in response.text


def test_reject_without_reason_is_422_and_nothing_changes(app, client, floor):
    login(client, floor["agent"].username)
    post_form(client, "/leave/new", ask_form(), token_page="/leave/new")
    item = db.session.scalar(select(LeaveRequest))
    lead = app.test_client()
    login(lead, floor["lead"].username)
    response = post_form(lead, f"/leave/{item.id}/decide",
                         {"decision": "reject", "reason": "", "version": item.version})
    assert response.status_code == 422
    db.session.refresh(item)
    assert item.status == LeaveStatus.PENDING_LEAD


def test_withdraw_and_scope(app, client, floor, make_user):
    login(client, floor["agent"].username)
    post_form(client, "/leave/new", ask_form(), token_page="/leave/new")
    item = db.session.scalar(select(LeaveRequest))
    stranger = app.test_client()
    login(stranger, make_user(name="外人").username)
    assert stranger.get(f"/leave/{item.id}").status_code == 404
    other_lead = app.test_client()
    login(other_lead, make_user(role="lead").username)
    assert other_lead.get(f"/leave/{item.id}").status_code == 404
    response = post_form(client, f"/leave/{item.id}/withdraw", {"version": item.version},
                         token_page=f"/leave/{item.id}")
    assert response.status_code == 303
    db.session.refresh(item)
    assert item.status == LeaveStatus.WITHDRAWN
    again = post_form(client, f"/leave/{item.id}/withdraw", {"version": item.version - 1},
                      token_page=f"/leave/{item.id}")
    assert again.status_code == 409


def test_lead_cannot_approve_at_the_supervisor_step(app, client, floor):
    login(client, floor["agent"].username)
    post_form(client, "/leave/new", ask_form(), token_page="/leave/new")
    item = db.session.scalar(select(LeaveRequest))
    lead = app.test_client()
    login(lead, floor["lead"].username)
    first = post_form(lead, f"/leave/{item.id}/decide",
                      {"decision": "approve", "version": item.version})
    assert first.status_code == 303
    db.session.refresh(item)
    assert item.status == LeaveStatus.PENDING_SUPERVISOR
    before = leave_state(item)
    response = post_form(lead, f"/leave/{item.id}/decide",
                         {"decision": "approve", "version": item.version})
    assert response.status_code == 403
    db.session.expire_all()
    item = db.session.get(LeaveRequest, item.id)
    assert leave_state(item) == before  # status, version and step history untouched
    assert item.status == LeaveStatus.PENDING_SUPERVISOR
    assert [s.action for s in item.steps] == ["ask", "approve"]
    assert db.session.scalar(select(func.count(Shift.id)).where(Shift.leave_id == item.id)) == 0


def test_many_approvers_at_once_give_one_decision(app, client, floor, make_user):
    login(client, floor["lead"].username)
    start = datetime.combine(TZ_DAY + timedelta(days=3), time(0), UTC)
    from app.staff import leave

    item = leave.ask(floor["agent"], "annual", start, start + timedelta(days=1), "", floor[
        "clock"].now)
    leave.decide(item, floor["lead"], True, "", item.version, floor["clock"].now)
    db.session.commit()
    version, item_id = item.version, item.id
    bosses = [make_user(role="supervisor") for _ in range(8)]
    clients = []
    for boss in bosses:
        c = app.test_client()
        login(c, boss.username)
        clients.append((c, csrf_from(c.get(f"/leave/{item.id}").text)))
    db.session.commit()  # the test's own session holds no lock while the approvers race
    barrier = threading.Barrier(len(clients))
    statuses = []

    def decide(c, token):
        barrier.wait()
        response = c.post(f"/leave/{item_id}/decide", data={
            "csrf_token": token, "decision": "approve", "confirmed": "yes", "version": version})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=decide, args=pair) for pair in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [303] + [409] * 7
    db.session.expire_all()
    item = db.session.get(LeaveRequest, item_id)
    assert item.status == LeaveStatus.APPROVED
    assert [s.action for s in item.steps] == ["ask", "approve", "approve"]


def test_leave_lists_for_each_role(app, client, floor):
    login(client, floor["agent"].username)
    post_form(client, "/leave/new", ask_form(), token_page="/leave/new")
    mine = client.get("/leave")
    assert mine.status_code == 200 and "年假" in mine.text
    lead = app.test_client()
    login(lead, floor["lead"].username)
    waiting = lead.get("/leave")
    assert "等待您审批" in waiting.text and "请假人" in waiting.text
    filtered = lead.get("/leave?status=approved", headers={**HX, "HX-Target": "results"})
    assert filtered.status_code == 200 and "<html" not in filtered.text
    assert "请假人" not in filtered.text
    assert lead.get("/leave?status=nonsense").status_code == 200


def test_a_card_decided_after_a_withdrawal_shows_where_the_request_stands(app, client, floor):
    login(client, floor["agent"].username)
    post_form(client, "/leave/new", ask_form(), token_page="/leave/new")
    item = db.session.scalar(select(LeaveRequest))
    seen = item.version
    lead = app.test_client()
    login(lead, floor["lead"].username)
    token = csrf_from(lead.get("/").text)  # the lead's home card, drawn before the withdrawal
    post_form(client, f"/leave/{item.id}/withdraw", {"version": seen},
              token_page=f"/leave/{item.id}")
    response = lead.post(f"/leave/{item.id}/decide", data={
        "csrf_token": token, "decision": "approve", "confirmed": "yes", "version": seen},
        headers={**HX, "HX-Target": f"leave-{item.id}"})
    assert response.status_code == 409
    assert "<html" not in response.text
    assert f'id="leave-{item.id}"' in response.text  # the card itself, redrawn
    assert "已撤回" in response.text  # where it stands now
    assert 'name="decision"' not in response.text  # no buttons left to press
    assert "pending-changed" in response.headers["HX-Trigger"]
    db.session.refresh(item)
    assert item.status == LeaveStatus.WITHDRAWN
