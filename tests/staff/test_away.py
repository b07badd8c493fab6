"""Away from seat through the pages: ask on shift, one-tap allow, the live list, I'm back."""

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.settings import save as save_settings
from app.staff import away, policy, schedule
from app.staff.models import AwayRequest, AwayStatus
from app.timeutil import center_today
from tests.conftest import HX, HX_BOOSTED, csrf_from, login, post_form


@pytest.fixture
def floor(app, make_user, make_team, clock):
    """Team A's agent works 08:00-18:00 today (it is 10:00); the colleague is off today."""
    lead = make_user(role="lead", name="甲组长")
    team = make_team(lead=lead)
    other_lead = make_user(role="lead", name="乙组长")
    other_team = make_team(lead=other_lead)
    agent = make_user(team=team, name="在班人")
    off = make_user(team=team, name="休息人")
    elsewhere = make_user(team=other_team, name="乙组员")
    today = center_today()
    for person in (agent, elsewhere):
        schedule.add_shift(person, today, time(8), time(18), "白班", None)
    db.session.commit()
    return {"lead": lead, "other_lead": other_lead, "agent": agent, "off": off,
            "elsewhere": elsewhere, "boss": make_user(role="supervisor"), "clock": clock}


def signed_in(app, user):
    client = app.test_client()
    assert login(client, user.username).status_code == 303
    return client


def asked(floor, who="agent") -> AwayRequest:
    item = away.ask(floor[who], floor["clock"].now)
    db.session.commit()
    return item


def post(client, url, data=None, headers=None):
    token = csrf_from(client.get("/away").text)
    # the page sends the answer to the question of a decision (app/confirm.py)
    return client.post(url, data={**(data or {}), "csrf_token": token, "confirmed": "yes"},
                       headers=headers or {})


def test_an_agent_on_shift_asks_and_sees_it_waiting(app, floor):
    agent = signed_in(app, floor["agent"])
    page = agent.get("/away").text
    assert "申请离席" in page and 'action="/away/ask"' in page and "甲组长" in page
    response = post(agent, "/away/ask")
    assert response.status_code == 303 and response.headers["Location"] == "/away"
    item = db.session.scalar(select(AwayRequest))
    assert item.status == AwayStatus.REQUESTED and item.user_id == floor["agent"].id
    page = agent.get("/away").text
    assert "等待组长批准" in page and 'action="/away/ask"' not in page
    again = post(agent, "/away/ask", headers={**HX, "HX-Target": "away-mine"})
    assert again.status_code == 422 and "<html" not in again.text
    assert "已有一个未结束的离席申请" in again.text


def test_off_shift_the_request_is_refused_beside_the_button(app, floor):
    off = signed_in(app, floor["off"])
    page = off.get("/away").text  # off shift: no button to tap in vain, but why and where next
    assert 'action="/away/ask"' not in page and "您现在不在班上" in page
    assert 'href="/shifts/mine"' in page.split('id="away-off"')[1].split("</p>")[0]
    response = post(off, "/away/ask", headers={**HX, "HX-Target": "away-mine"})
    assert response.status_code == 422
    assert "<html" not in response.text and 'id="away-mine"' in response.text
    error = response.text.split('id="away-error"')[1].split("</small>")[0]
    assert "只有在班时才能申请离席" in error
    assert db.session.scalar(select(AwayRequest)) is None
    plain = post(off, "/away/ask")
    assert plain.status_code == 422 and "<html" in plain.text


def test_the_lead_allows_with_one_tap_and_the_list_marks_overdue(app, floor):
    item = asked(floor)
    lead = signed_in(app, floor["lead"])
    page = lead.get("/away").text
    assert "在班人" in page and f'action="/away/{item.id}/decide"' in page
    assert 'hx-trigger="every 10s"' in page and 'id="away-live"' in page
    answer = post(lead, f"/away/{item.id}/decide", {"decision": "allow", "version": item.version},
                  headers={**HX, "HX-Target": "away-live"})
    assert answer.status_code == 200 and "<html" not in answer.text
    assert answer.headers["HX-Trigger"] == "pending-changed"
    assert 'id="away-live"' in answer.text and "0 分 00 秒" in answer.text
    db.session.refresh(item)
    assert item.status == AwayStatus.AWAY and item.decided_by_id == floor["lead"].id

    floor["clock"].advance(minutes=5)  # exactly the limit: not yet over
    live = lead.get("/away", headers={**HX, "HX-Target": "away-live"})
    assert "<html" not in live.text and "away-overdue" not in live.text
    assert "5 分 00 秒" in live.text
    floor["clock"].advance(seconds=30)
    live = lead.get("/away", headers={**HX, "HX-Target": "away-live"}).text
    assert "away-overdue" in live and "超过 5 分钟" in live and "5 分 30 秒" in live
    agent = signed_in(app, floor["agent"]).get("/away", headers={**HX, "HX-Target": "away-mine"})
    assert "<html" not in agent.text and "您已超过 5 分钟" in agent.text
    assert "<html" in lead.get("/away", headers=HX_BOOSTED).text


def test_the_limit_follows_the_rule(app, floor):
    save_settings({"away_minutes": 10}, floor["boss"])
    db.session.commit()
    item = asked(floor)
    away.decide(item, floor["lead"], True, item.version, floor["clock"].now)
    db.session.commit()
    floor["clock"].advance(minutes=7)
    lead = signed_in(app, floor["lead"])
    assert "away-overdue" not in lead.get("/away").text
    floor["clock"].advance(minutes=4)
    assert "超过 10 分钟" in lead.get("/away").text


def test_refuse_and_back(app, floor):
    item = asked(floor)
    lead = signed_in(app, floor["lead"])
    assert post(lead, f"/away/{item.id}/decide",
                {"decision": "refuse", "version": item.version}).status_code == 303
    db.session.refresh(item)
    assert item.status == AwayStatus.REFUSED
    agent = signed_in(app, floor["agent"])
    assert "未获批准" in agent.get("/away").text

    second = asked(floor)
    away.decide(second, floor["lead"], True, second.version, floor["clock"].now)
    db.session.commit()
    page = agent.get("/away").text
    assert "我已回座" in page and "您正在离席" in page
    floor["clock"].advance(minutes=3)
    back = post(agent, f"/away/{second.id}/back", {"version": second.version},
                headers={**HX, "HX-Target": "away-mine"})
    assert back.status_code == 200 and "<html" not in back.text and "申请离席" in back.text
    db.session.refresh(second)
    assert second.status == AwayStatus.BACK
    assert second.back_at - second.left_at == timedelta(minutes=3)
    recent = lead.get("/away").text
    assert "所有人都在座位上" in recent and "离席 3 分 00 秒" in recent


def test_the_lead_marks_the_return(app, floor):
    item = asked(floor)
    away.decide(item, floor["lead"], True, item.version, floor["clock"].now)
    db.session.commit()
    lead = signed_in(app, floor["lead"])
    response = post(lead, f"/away/{item.id}/back", {"version": item.version},
                    headers={**HX, "HX-Target": "away-live"})
    assert response.status_code == 200 and 'id="away-live"' in response.text
    db.session.refresh(item)
    assert item.status == AwayStatus.BACK


def test_scope_roles_and_double_clicks(app, floor, make_user):
    item = asked(floor)
    mine = signed_in(app, floor["agent"])
    assert post(mine, f"/away/{item.id}/decide",
                {"decision": "allow", "version": item.version}).status_code == 403
    other_lead = signed_in(app, floor["other_lead"])
    assert "在班人" not in other_lead.get("/away").text
    assert post(other_lead, f"/away/{item.id}/decide",
                {"decision": "allow", "version": item.version}).status_code == 404
    qa = signed_in(app, make_user(role="qa"))  # QA is not on the floor: no away board at all
    assert qa.get("/away").status_code == 403
    assert post_form(qa, f"/away/{item.id}/back", {"version": item.version}).status_code == 403
    assert post_form(qa, "/away/ask").status_code == 403
    colleague = signed_in(app, floor["off"])
    assert post(colleague, f"/away/{item.id}/back", {"version": item.version}).status_code == 404

    boss = signed_in(app, floor["boss"])
    elsewhere = asked(floor, "elsewhere")
    page = boss.get("/away").text
    assert "在班人" in page and "乙组员" in page
    lead = signed_in(app, floor["lead"])
    first = post(lead, f"/away/{item.id}/decide", {"decision": "allow", "version": item.version})
    second = post(boss, f"/away/{item.id}/decide", {"decision": "refuse", "version": item.version})
    assert (first.status_code, second.status_code) == (303, 409)
    db.session.refresh(item)
    assert item.status == AwayStatus.AWAY
    for user in (floor["agent"], floor["lead"], floor["other_lead"], floor["boss"],
                 floor["elsewhere"]):
        visible = set(db.session.scalars(policy.visible_away(user, select(AwayRequest.id))))
        expected = {a.id for a in (item, elsewhere) if policy.can_see_away(user, a)}
        assert visible == expected


def test_the_request_counts_as_pending_for_the_lead(app, floor):
    lead = signed_in(app, floor["lead"])
    assert lead.get("/pending/count").text == ""
    asked(floor)
    assert lead.get("/pending/count").text == "1"


def test_no_shift_no_away_even_just_after_it_ends(app, floor):
    floor["clock"].set(datetime(2026, 11, 20, 10, 0, 1, tzinfo=UTC))  # 18:00:01 in Shanghai
    response = post(signed_in(app, floor["agent"]), "/away/ask")
    assert response.status_code == 422


@pytest.mark.parametrize(("role", "section"), [("agent", 'id="away-mine"'),
                                               ("lead", 'id="away-live"'),
                                               ("supervisor", 'id="away-live"')])
def test_the_away_board_shows_each_role_its_own_part(client, login_as, role, section):
    """staff.policy.can_ask_away and can_watch_away, asked by the page: "Agents ask to step
    away from their seat"; "Leads and supervisors watch who is away"."""
    login_as(role)
    page = client.get("/away").text
    other = 'id="away-live"' if section == 'id="away-mine"' else 'id="away-mine"'
    assert section in page and other not in page
