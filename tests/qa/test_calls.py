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
            "recording_url": "https://rec.example.cn/2026/12/01/R-1.mp3", **extra}


@pytest.fixture
def agent(make_user):
    """An agent, and the center's recording server named in the settings."""
    from app.settings import save

    boss = make_user(role=Role.SUPERVISOR)
    save({"recording_hosts": ["rec.example.cn"]}, boss)
    db.session.commit()
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
    # Issue 13: "A recording URL is an absolute http(s) URL on the recording hosts the settings
    # name. Today //evil.example/x.wav and URLs holding NUL or CR/LF are stored."
    ({"recording_url": "//evil.example/x.wav"}, "full address"),
    ({"recording_url": "/static/demo/call-1.wav"}, "full address"),
    ({"recording_url": "https://evil.example/x.wav"}, "evil.example is not one of"),
    ({"recording_url": "https://rec.example.cn.evil.example/x.wav"}, "is not one of"),
    ({"recording_url": "https://rec.example.cn/a\r\nSet-Cookie: x"}, "one line"),
    ({"recording_url": "https://rec.example.cn/a\x00.wav"}, "one line"),
    ({"recording_url": "https://[::1/x.wav"}, "full address"),
    # "duration_s is a plain integer"
    ({"duration_s": "+5"}, "duration"),
    ({"duration_s": "1_000"}, "duration"),
    ({"duration_s": "5.0"}, "duration"),
])
def test_every_bad_field_is_named(app, agent, change, words):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        checked = calls.check_rows([{**row(employee_no="A0001"), **change}])
    assert checked[0].call is None
    assert any(words.lower() in problem.lower() for problem in checked[0].problems), \
        checked[0].problems


@pytest.mark.parametrize("url", ["https://rec.example.cn/x.wav", "http://REC.example.cn:8443/x",
                                 "https://rec.example.cn/2026/12/01/R-1.mp3?sig=abc"])
def test_a_recording_on_a_named_server_is_kept(agent, url):
    checked = calls.check_rows([row(employee_no="A0001", recording_url=url)])
    assert checked[0].problems == [] and checked[0].call["recording_url"] == url


@pytest.mark.parametrize(("role", "takes"), [(Role.AGENT, True), (Role.LEAD, True),
                                             (Role.QA, False), (Role.SUPERVISOR, False)])
def test_calls_belong_to_people_who_take_calls(app, agent, make_user, role, takes):
    """Issue 13: "Calls belong to people who take calls" (agents and team leads)."""
    make_user(role=role, employee_no="P0001")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        checked = calls.check_rows([row(employee_no="p0001")])  # any case, as typed
    assert (checked[0].problems == []) is takes
    if not takes:
        assert "does not take calls" in checked[0].problems[0]


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


# --- issue 13: what centers really upload --------------------------------------------------------

def xlsx_upload(client, rows, name="calls.xlsx"):
    import io

    from openpyxl import Workbook

    book = Workbook()
    for line in rows:
        book.active.append(line)
    data = io.BytesIO()
    book.save(data)
    token = csrf_from(client.get("/calls/import").text)
    return client.post("/calls/import", data={"csrf_token": token, "file": (io.BytesIO(
        data.getvalue()), name)}, content_type="multipart/form-data")


def apply_upload(client, response):
    preview = client.get(response.headers["Location"])
    return client.post(response.headers["Location"], data={
        "csrf_token": csrf_from(preview.text), "confirmed": "yes"})


def test_an_xlsx_call_list_keeps_each_calls_time_of_day(client, agent, make_user):
    """"Times survive. Excel date-time cells keep their time of day. Today an .xlsx call list
    saves every call at 00:00, so rules that filter on time of day pick the wrong calls.\""""
    login(client, make_user(role=Role.SUPERVISOR).username)
    response = xlsx_upload(client, [
        ["录音流水号", "工号", "开始时间", "通话时长（秒）", "呼叫方向"],
        ["X-1", "A0001", datetime(2026, 12, 1, 9, 30, 5), 245, "呼入"],
        ["X-2", "A0001", datetime(2026, 12, 1, 23, 59, 59), 60, "呼出"]])
    assert response.status_code == 303
    assert apply_upload(client, response).status_code == 200
    times = db.session.scalars(select(Call.started_at).order_by(Call.serial_no)).all()
    assert times == [datetime(2026, 12, 1, 1, 30, 5, tzinfo=UTC),   # 09:30:05 in Shanghai
                     datetime(2026, 12, 1, 15, 59, 59, tzinfo=UTC)]  # 23:59:59


@pytest.mark.parametrize("typed", ["2026/12/1 9:30", "2026年12月1日 09:30", "2026-12-01 09:30",
                                   "2026.12.01 09:30:00", "２０２６年１２月１日 09:30"])
def test_start_times_typed_as_text_are_read(agent, typed):
    """"Dates as Excel dates or typed as text (2026/12/3, 2026年12月3日, 2026-12-03) in every
    import, the call log's start times included.\""""
    from app.imports import cell_text

    checked = calls.check_rows([row(employee_no="A0001", started_at=cell_text(typed))])
    assert checked[0].problems == []
    assert checked[0].call["started_at"] == datetime(2026, 12, 1, 1, 30, tzinfo=UTC)


def test_a_duplicate_names_the_row_the_preview_numbers(client, agent, make_user):
    """"Row numbers are the spreadsheet's own. Today they are off by one after a blank row,
    and 'duplicate of row 1' points at a row the preview numbers 2.\""""
    login(client, make_user(role=Role.SUPERVISOR).username)
    response = upload(client, "12月呼叫记录\n" + CSV_HEADER
                      + "F-1,A0001,2026-12-01 09:30,245,呼入,\n\n"
                      + "F-1,A0001,2026-12-01 09:40,9,呼入,\n")
    page = client.get(response.headers["Location"]).text
    assert "录音流水号 F-1 也出现在第 3 行" in page  # the first F-1 is on row 3 of the sheet
    assert "<td>5</td>" in page  # the second is on row 5, after the blank row 4


def test_a_call_in_the_future_is_refused_with_the_reason(agent, clock):
    """"a call dated in the future is refused with the reason" (issue 13, point 6)."""
    clock.set(datetime(2026, 12, 1, 1, 30, tzinfo=UTC))  # 09:30 in Shanghai
    now = calls.check_rows([row(employee_no="A0001", started_at="2026-12-01 09:30:00")])
    assert now[0].problems == []
    later = calls.check_rows([row(employee_no="A0001", started_at="2026-12-01 09:30:01")])
    assert later[0].call is None
    assert any("未来" in problem for problem in later[0].problems)


def test_the_preview_shows_the_encoding_found(client, agent, make_user):
    """"The preview shows the encoding found.\""""
    import io

    login(client, make_user(role=Role.SUPERVISOR).username)
    body = (CSV_HEADER + "F-1,A0001,2026-12-01 09:30,245,呼入,\n").encode("gbk")
    token = csrf_from(client.get("/calls/import").text)
    response = client.post("/calls/import", data={"csrf_token": token, "file": (
        io.BytesIO(body), "calls.csv")}, content_type="multipart/form-data")
    assert "文本编码：GB18030" in client.get(response.headers["Location"]).text
