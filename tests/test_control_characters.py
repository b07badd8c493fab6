"""Issue 13: "NUL and control characters (BEL, ESC, U+202E ...) are refused everywhere, JSON
and files included." In a form: beside the field (422), nothing saved. In the path, the query
or a JSON body: 400. In an imported cell: the file is refused with the reason."""

import pytest
from sqlalchemy import func, select

from app import sheets
from app.extensions import db
from app.forms import has_control
from app.imports import ImportFileError
from app.people.models import User
from tests.conftest import post_form

PERSON = {"name": "李娜", "employee_no": "CF9001", "username": "lina", "phone": "13912345678",
          "role": "agent", "team_id": "", "grade": "junior", "hire_date": "2026-09-01",
          "probation_until": "", "status": "active"}


@pytest.mark.parametrize(("text", "refused"), [
    ("李娜", False), ("第一行\r\n第二行\t制表", False), ("ｆｕｌｌ　ｗｉｄｔｈ", False),
    ("\x00", True), ("\x07", True), ("\x1b[31m", True), ("\x7f", True), ("\x85", True),
    ("gnp\u202e.exe", True), ("\u2066x\u2069", True), ("\x0b", True), ("\x1f", True),
])
def test_what_counts_as_a_control_character(text, refused):
    assert has_control(text) is refused


def test_a_form_field_with_one_is_refused_beside_the_field(client, login_as):
    login_as("supervisor")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    before = db.session.scalar(select(func.count(User.id)))
    response = post_form(client, "/people/new", {**PERSON, "name": "李\u202e娜"},
                         token_page="/people/new")
    assert response.status_code == 422
    error = response.text.split('id="name-error"')[1].split("</small>")[0]
    assert "control characters" in error
    assert db.session.scalar(select(func.count(User.id))) == before
    done = post_form(client, "/people/new", PERSON, token_page="/people/new")
    assert done.status_code == 200 and "李娜" in done.text  # the one-time password page
    assert db.session.scalar(select(func.count(User.id))) == before + 1


def test_a_query_with_one_is_refused(client, login_as):
    login_as("supervisor")
    assert client.get("/people", query_string={"q": "王\x1b"}).status_code == 400
    assert client.get("/people", query_string={"q": "王"}).status_code == 200


@pytest.mark.parametrize(("body", "status"), [
    ({"calls": [{"serial_no": "R-1\x07"}]}, 400),
    ({"calls\u202e": []}, 400),
    ({"calls": []}, 401),  # no token: what a clean body gets
])
def test_a_json_body_with_one_is_refused(client, body, status):
    assert client.post("/api/calls", json=body).status_code == status


@pytest.mark.parametrize(("depth", "status"), [(20, 401), (21, 400), (100_000, 400)])
def test_deeply_nested_json_is_refused_not_a_500(client, depth, status):
    """Issue 13, "No request answers 500 ... deeply nested JSON"."""
    body = "[" * depth + "]" * depth
    response = client.post("/api/calls", data=body, content_type="application/json")
    assert response.status_code == status


def test_an_imported_cell_with_one_is_refused(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(ImportFileError, match="control characters"):
            sheets.read("p.csv", "工号,姓名\r\nCF1,张\x1b三\r\n".encode(), 10)
        assert sheets.read("p.csv", "工号,姓名\r\nCF1,张三\r\n".encode(), 10).rows
