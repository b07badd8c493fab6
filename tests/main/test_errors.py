"""Error pages: full page or fragment, never a traceback, a reference id for 500."""

import pytest
from sqlalchemy import event, func, select

from app import access
from app.areas import access_table
from app.extensions import db
from app.people.models import Role, Team
from tests.conftest import HX, csrf_from


@pytest.fixture
def broken_app(app, monkeypatch):
    """The app with one route that fails, as a bug would."""

    def explode():
        raise RuntimeError("secret internals: password=hunter2")

    app.add_url_rule("/explode", "explode", explode)
    monkeypatch.setitem(access_table(app), "explode", access.PUBLIC)
    return app


def test_500_shows_a_reference_and_no_traceback(broken_app, caplog):
    client = broken_app.test_client()
    response = client.get("/explode")
    assert response.status_code == 500
    assert "Traceback" not in response.text
    assert "hunter2" not in response.text
    assert "<html" in response.text
    reference = response.text.split("<code>")[1].split("</code>")[0]
    assert len(reference) == 8
    assert reference in caplog.text  # the log carries the same reference for support


def test_500_as_a_fragment(broken_app):
    response = broken_app.test_client().get("/explode", headers=HX)
    assert response.status_code == 500
    assert "<html" not in response.text
    assert "<code>" in response.text


@pytest.mark.parametrize("headers", [{}, HX])
@pytest.mark.parametrize(("path", "status", "text"), [
    ("/people/99999", 404, "未找到"),
    ("/audit", 403, "您无权进行此操作"),
])
def test_error_page_and_fragment(client, login_as, headers, path, status, text):
    login_as("agent")
    response = client.get(path, headers=headers)
    assert response.status_code == status
    assert ("<html" in response.text) is (not headers)
    assert text in response.text


def test_405_is_a_page_not_a_crash(client):
    response = client.put("/login")
    assert response.status_code == 405


def test_409_on_htmx_goes_to_the_flash_area(client, login_as, make_user):
    from app.extensions import db
    from tests.conftest import csrf_from

    login_as("supervisor")
    agent = make_user()
    token = csrf_from(client.get(f"/people/{agent.id}/edit").text)
    response = client.post(f"/people/{agent.id}/edit", headers=HX, data={
        "csrf_token": token, "version": "999", "name": "x", "employee_no": agent.employee_no,
        "username": agent.username, "role": "agent", "grade": "junior", "status": "active",
        "hire_date": "2025-01-01", "team_id": ""})
    assert response.status_code == 409
    assert response.headers["HX-Retarget"] == "#flash"
    assert "<html" not in response.text
    assert "刷新页面" in response.text
    db.session.refresh(agent)
    assert agent.name != "x"


def test_413_for_huge_uploads(app, client, login_as):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    login_as("supervisor")
    response = client.post("/people/import", data={"file": (__import__("io").BytesIO(
        b"x" * 4096), "big.csv")}, content_type="multipart/form-data")
    assert response.status_code == 413


def test_nul_characters_are_refused_before_any_database_sees_them(client, login_as):
    """A NUL in the query or the form is refused with 400: no team is stored, and no SQL
    statement the database receives carries the value. The same requests without the NUL do
    reach the database, so the listener would have seen it."""
    login_as("supervisor")
    teams_before = db.session.scalar(select(func.count(Team.id)))
    sent: list[str] = []

    def record(_conn, _cursor, statement, parameters, _context, _executemany):
        sent.append(f"{statement} {parameters!r}")

    token = csrf_from(client.get("/teams/new").text)
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        searched = client.get("/people?q=qzx%00probe")
        response = client.post("/teams/new", data={"name": "qzx\x00team", "csrf_token": token})
        refused = list(sent)
        sent.clear()
        control_search = client.get("/people?q=qzxprobe")
        control_form = client.post("/teams/new", data={"name": "qzxteam", "csrf_token": token})
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert searched.status_code == 400
    assert response.status_code == 400
    assert not [s for s in refused if "qzx" in s or "\\x00" in s], "the value reached the database"

    assert control_search.status_code == 200 and control_form.status_code == 303
    assert any("qzxprobe" in s for s in sent) and any("qzxteam" in s for s in sent)
    db.session.expire_all()
    names = db.session.scalars(select(Team.name)).all()
    assert len(names) == teams_before + 1  # only the control's team
    assert not [n for n in names if "\x00" in n] and "qzxteam" in names


def test_row_id_pattern_takes_exactly_the_numbers_a_row_id_can_be():
    import re

    from app.web import ROW_ID_MAX, digits_up_to

    for limit in (7, 10, 99, 100, 2026, ROW_ID_MAX):
        pattern = re.compile(digits_up_to(limit) + r"\Z")
        for number in {n for n in (0, 1, 9, 10, limit // 2, limit - 1, limit) if n <= limit}:
            assert pattern.match(str(number)), (limit, number)
        for number in (limit + 1, limit * 10, 10 ** len(str(limit))):
            assert not pattern.match(str(number)), (limit, number)
    every = re.compile(digits_up_to(2026) + r"\Z")
    assert [n for n in range(5000) if every.match(str(n))] == list(range(2027))


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_id_past_the_largest_row_id_is_missing_for_every_method(client, login_as, method):
    login_as(Role.SUPERVISOR)
    # /people/import/<id> takes GET (preview) and POST (apply) on the same path.
    response = client.open("/people/import/2147483648", method=method,
                           data={"csrf_token": csrf_from(client.get("/").text)})
    assert response.status_code == 404
