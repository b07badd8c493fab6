"""The call log: rows checked in words, stored once per serial no., and the token-only API."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.audit import AuditEvent
from app.extensions import db
from app.people.models import Role
from app.qa import calls, tokens
from app.qa.models import ApiToken, Call
from tests.conftest import csrf_from, login

NOW = datetime(2026, 12, 2, 8, tzinfo=UTC)


def row(serial="R-1", employee_no=None, **extra):
    return {"serial_no": serial, "employee_no": employee_no, "started_at": "2026-12-01 09:30:05",
            "duration_s": "245", "direction": "呼入", "customer_number": "138 0013 8000",
            "recording_url": "/static/demo/call-1.mp3", **extra}


@pytest.fixture
def agent(make_user):
    return make_user(role=Role.AGENT, employee_no="A0001")


def count() -> int:
    return db.session.scalar(select(func.count(Call.id)))


def test_a_good_row_becomes_a_call_in_utc(agent):
    checked = calls.check_rows([row(employee_no="A0001")])
    assert checked[0].problems == []
    stored = calls.store(checked, "file")
    db.session.commit()
    assert (stored.added, stored.already_there) == (1, 0)
    saved = db.session.scalar(select(Call))
    assert saved.agent_id == agent.id
    assert saved.started_at == datetime(2026, 12, 1, 1, 30, 5, tzinfo=UTC)  # 09:30 Shanghai
    assert saved.direction == "in" and saved.duration_s == 245
    assert saved.customer_number == "13800138000"
    assert saved.masked_number == "*******8000"


def test_the_same_serial_no_twice_never_makes_two_calls(agent):
    for _ in range(2):
        stored = calls.store(calls.check_rows([row(employee_no="A0001"),
                                               row("R-2", employee_no="A0001")]), "api")
        db.session.commit()
    assert count() == 2
    assert (stored.added, stored.already_there) == (0, 2)
    audit_rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "call.import"))
    assert [a.after_dict()["added"] for a in audit_rows] == [2, 0]
    assert all("138" not in (a.after or "") for a in db.session.scalars(select(AuditEvent)))


@pytest.mark.parametrize(("change", "words"), [
    ({"serial_no": ""}, "missing"),
    ({"serial_no": "有空格 的"}, "serial no."),
    ({"employee_no": "NOBODY"}, "NOBODY"),
    ({"started_at": "yesterday"}, "yesterday"),
    ({"started_at": "1999-01-01 10:00"}, "1999"),
    ({"duration_s": "-5"}, "duration"),
    ({"duration_s": "abc"}, "duration"),
    ({"duration_s": "86401"}, "duration"),
    ({"direction": "sideways"}, "direction"),
    ({"customer_number": "call me"}, "customer number"),
    ({"recording_url": "javascript:alert(1)"}, "recording address"),
])
def test_every_bad_field_is_named(app, agent, change, words):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        checked = calls.check_rows([{**row(employee_no="A0001"), **change}])
    assert checked[0].call is None
    assert any(words.lower() in problem.lower() for problem in checked[0].problems), \
        checked[0].problems


def test_a_serial_no_twice_in_one_file_is_a_problem(agent):
    checked = calls.check_rows([row(employee_no="A0001"), row(employee_no="A0001")])
    assert checked[0].problems == [] and checked[1].problems


# --- the API ---------------------------------------------------------------------------------


@pytest.fixture
def token(make_user):
    supervisor = make_user(role=Role.SUPERVISOR)
    saved, plain = tokens.create("电话系统", supervisor, NOW)
    db.session.commit()
    return saved, plain


def send(client, body, plain=None, **headers):
    if plain:
        headers["Authorization"] = f"Bearer {plain}"
    return client.post("/api/calls", json=body, headers=headers)


def test_the_api_stores_a_batch_with_a_token(client, agent, token):
    saved, plain = token
    response = send(client, {"calls": [row(employee_no="A0001"), row("R-2", "A0001")]}, plain)
    assert response.status_code == 200
    assert response.json == {"added": 2, "already_there": 0}
    again = send(client, [row(employee_no="A0001")], plain)  # a bare list is fine too
    assert again.json == {"added": 0, "already_there": 1}
    assert count() == 2
    assert db.session.get(ApiToken, saved.id).last_used_at is not None
    assert db.session.get(ApiToken, saved.id).token_hash != plain  # only the hash is kept


def test_a_bad_batch_stores_nothing_and_names_each_row(client, agent, token):
    _saved, plain = token
    response = send(client, [row(employee_no="A0001"), row("R-2", "NOBODY")], plain)
    assert response.status_code == 422
    assert [r["row"] for r in response.json["rows"]] == [2]
    assert count() == 0


@pytest.mark.parametrize("header", [None, "Bearer ", "Bearer cf_not-a-real-token",
                                    "Basic dXNlcjpwYXNz", "cf_token-without-scheme"])
def test_no_valid_token_no_entry(client, agent, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.post("/api/calls", json=[row(employee_no="A0001")], headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.is_json
    assert count() == 0


def test_a_revoked_token_is_refused(client, agent, token, make_user):
    saved, plain = token
    tokens.revoke(saved, make_user(role=Role.SUPERVISOR), NOW)
    db.session.commit()
    assert send(client, [row(employee_no="A0001")], plain).status_code == 401
    assert count() == 0


def test_a_browser_session_is_not_a_token(client, agent, make_user):
    supervisor = make_user(role=Role.SUPERVISOR)
    assert login(client, supervisor.username).status_code == 303
    response = send(client, [row(employee_no="A0001")])
    assert response.status_code == 401
    assert count() == 0


def test_not_json_is_a_clear_400(client, token):
    _saved, plain = token
    response = client.post("/api/calls", data="serial_no=1",
                           headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 400
    assert "JSON" in response.json["error"]


# --- the file import --------------------------------------------------------------------------

CSV_HEADER = "录音流水号,工号,开始时间,通话时长,呼叫方向,客户号码\n"


def upload(client, body: str, name="calls.csv"):
    import io

    token = csrf_from(client.get("/calls/import").text)
    return client.post("/calls/import", data={
        "csrf_token": token, "file": (io.BytesIO(body.encode("utf-8")), name)},
        content_type="multipart/form-data")


def test_a_file_is_checked_row_by_row_then_stored_all_or_nothing(client, agent, make_user):
    supervisor = make_user(role=Role.SUPERVISOR)
    assert login(client, supervisor.username).status_code == 303
    bad = upload(client, CSV_HEADER + "F-1,A0001,2026-12-01 09:30,245,呼入,13800138000\n"
                                      "F-2,NOBODY,2026-12-01 09:40,100,呼出,\n")
    preview = client.get(bad.headers["Location"])
    assert "NOBODY" in preview.text and "第 3 行" not in preview.text
    assert "有 1 行存在问题" in preview.text
    batch_url = bad.headers["Location"]
    assert f'action="{batch_url}"' not in preview.text  # no import button while rows are bad
    refused = client.post(batch_url, data={"csrf_token": csrf_from(preview.text),
                                           "confirmed": "yes"})
    assert refused.status_code == 422 and count() == 0
    good = upload(client, CSV_HEADER + "F-1,A0001,2026-12-01 09:30,245,呼入,13800138000\n"
                                       "F-3,A0001,2026-12-01 10:30,60,呼出,\n")
    preview = client.get(good.headers["Location"])
    assert "导入 2 通录音记录" in preview.text
    done = client.post(good.headers["Location"], data={"csrf_token": csrf_from(preview.text),
                                                       "confirmed": "yes"})
    assert done.status_code == 200 and count() == 2
    assert client.post(good.headers["Location"], data={
        "csrf_token": csrf_from(preview.text)}).status_code == 409  # not twice
    again = upload(client, CSV_HEADER + "F-1,A0001,2026-12-01 09:30,245,呼入,13800138000\n")
    page = client.get(again.headers["Location"])
    stored = client.post(again.headers["Location"], data={"csrf_token": csrf_from(page.text),
                                                          "confirmed": "yes"})
    assert "1 通已在记录中" in stored.text and count() == 2


def test_a_file_without_the_columns_is_refused_beside_the_field(client, make_user):
    assert login(client, make_user(role=Role.QA).username).status_code == 303
    response = upload(client, "hello,world\n1,2\n")
    assert response.status_code == 422
    assert 'id="file-error"' in response.text and "录音流水号" in response.text
