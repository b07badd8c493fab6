"""Every form and filter gets arbitrary input: never a 500, never a traceback, nothing half-saved.

Forms are drawn two ways: wholly arbitrary, and valid with a few fields replaced by anything or
left out, so the service rules and the saving paths are reached as well as the validators.
Each test shares one app and database across its examples (hence the suppressed health check),
so the assertions hold whatever earlier examples left behind.
"""

from datetime import date
from itertools import count
from urllib.parse import unquote_plus

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.auth import services as auth_services
from app.extensions import db
from app.forms import has_control
from app.people.models import GradeChange, Role, Team, User
from tests.conftest import HX, PASSWORD, csrf_from, login
from tests.routes_helper import ACCESS

FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

TRACEBACK = "Traceback (most recent call last)"

# Placeholders in drawn forms that the test replaces with real values before sending.
UNIQUE = "<a fresh unique value>"
LEAD = "<the lead's id>"
TEAM = "<the team's id>"
CURRENT = "<the current version>"

# --- strategies -----------------------------------------------------------------------------

NASTY = st.sampled_from([
    "", " ", "\x00", "\t\n", "None", "null", "0", "-1", "1e9", "<script>alert(1)</script>",
    "' OR 1=1 --", "%", "_", "\\", "../../etc/passwd", "{{ 7*7 }}", "İ", "Ä", "ß", "\u202e",
    "\ufeff", "😀", "𝟙𝟚", "١٢٣", "2026-02-30", "9999-12-31", "0001-01-01", "9" * 30,
])
HUGE = st.builds(lambda piece, times: piece * times,
                 st.sampled_from(["a", "界", "😀", "9", " ", "-"]), st.integers(500, 40_000))
UNICODE = st.characters(codec="utf-8")  # what a browser can send: no lone surrogates
TEXT = st.one_of(
    st.text(UNICODE, max_size=80),
    st.text(st.characters(codec="utf-8", min_codepoint=0x80), max_size=30),
    st.integers().map(str),
    NASTY,
    HUGE,
)
DATES = st.one_of(
    st.dates().map(date.isoformat),
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
    TEXT,
)
INTS = st.one_of(st.integers(-3, 50).map(str), st.integers().map(str), TEXT)


def field(*valid, anything=TEXT):
    """A field's value: often a sensible one, else anything; None leaves the field out."""
    options = [st.sampled_from(list(valid))] if valid else []
    return st.one_of(st.none(), *options, anything)


def _without_missing(values: dict) -> dict:
    return {name: value for name, value in values.items() if value is not None}


def _spoil(valid: dict, drawn: dict, chosen: set) -> dict:
    return _without_missing({**valid, **{name: drawn[name] for name in chosen}})


def form(valid, **fields):
    """A form: wholly arbitrary, or a valid one (a dict, or a strategy of them) with up to
    three fields spoilt or left out."""
    arbitrary = st.fixed_dictionaries(fields).map(_without_missing)
    valid = valid if isinstance(valid, st.SearchStrategy) else st.just(valid)
    spoilt = st.builds(_spoil, valid, st.fixed_dictionaries(fields),
                       st.sets(st.sampled_from(sorted(fields)), max_size=3))
    return st.one_of(spoilt, spoilt, arbitrary)


def query(**fields):
    """A query string as (key, value) pairs: known keys with any values, repeats, strays."""
    known = st.one_of(*(st.tuples(st.just(name), strategy) for name, strategy in fields.items()))
    stray = st.tuples(st.one_of(TEXT, st.sampled_from(["order", "sort", "id", "page"])), TEXT)
    return st.lists(st.one_of(known, known, stray), max_size=8)


_unique = count(1)


def fill(values: dict, **real) -> dict:
    """Replace the placeholders with real values (UNIQUE with a new one each time)."""
    n = next(_unique)
    mapping = {UNIQUE: f"fz{n}", **real}
    return {name: mapping.get(value, value) for name, value in values.items()}


# --- checks ---------------------------------------------------------------------------------


def sent_nul(request) -> bool:
    """Whether the request carried what every route refuses before reading it (400): a NUL
    character (url-encoded, so as %00) anywhere, or a control character (app/forms.py,
    CONTROL) in its path or query. In a form's field, a control character is a 422 beside
    the field instead."""
    stream = request.environ["wsgi.input"]
    stream.seek(0)
    query = request.environ.get("QUERY_STRING", "")
    return b"%00" in stream.read() + query.encode() or "\x00" in request.path \
        or has_control(unquote_plus(query)) or has_control(request.path)


def check(response, allowed: set[int]):
    """Never a 500 or a traceback; only the statuses the route is meant to give, or 400 for
    input holding a NUL character, which every route refuses before reading it."""
    where = f"{response.request.method} {response.request.url}"
    if sent_nul(response.request):
        allowed = allowed | {400}
    assert response.status_code < 500, f"{where} answered {response.status_code}"
    assert TRACEBACK not in response.text, f"{where} shows a traceback"
    assert response.status_code in allowed, f"{where} answered {response.status_code}"
    event(f"{response.request.method} status {response.status_code}")  # statistics
    return response


def token(client, page: str) -> str:
    """A CSRF token for the client's current session."""
    return csrf_from(client.get(page).text)


def post(client, url: str, data: dict, token_page: str | None = None):
    """POST the form with a valid CSRF token."""
    return client.post(url, data={**data, "csrf_token": token(client, token_page or url)})


def explains(response) -> bool:
    """A refusal says why: a 422 form page next to a field or above the form, a 400 (input
    holding a NUL) on the error page."""
    if response.status_code == 400:
        return 'class="error-page"' in response.text
    return 'class="error"' in response.text or 'class="form-errors"' in response.text


def total(model) -> int:
    """Rows of a model."""
    number = db.session.scalar(select(func.count()).select_from(model))
    db.session.rollback()
    return number


def row(obj) -> dict:
    """A model object's columns, freshly read."""
    db.session.expire_all()
    state = {c.key: getattr(obj, c.key) for c in obj.__mapper__.column_attrs}
    db.session.rollback()
    return state


# Fields no form may bind, whatever the request says.
STRAYS = {"id": field("1"), "session_epoch": field("99"), "password_hash": field("x"),
          "must_change_password": field("", "0", "false"), "created_at": field("2020-01-01"),
          "created_by_id": field("1")}


# --- sign-in and password -------------------------------------------------------------------

_addresses = count(1)


@pytest.fixture
def known_agent(make_user):
    """Someone who can sign in, so some examples do."""
    return make_user(username="agent_fuzz")


@FUZZ
@given(data=form({"username": "agent_fuzz", "password": PASSWORD},
                 username=field("agent_fuzz", "AGENT_FUZZ", " agent_fuzz "),
                 password=field(PASSWORD), **STRAYS))
def test_fuzz_login(app, known_agent, data):
    n = next(_addresses)
    client = app.test_client()  # each example a new visitor from a new address
    client.environ_base["REMOTE_ADDR"] = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
    response = check(post(client, "/login", data), {303, 422, 429})
    if response.status_code == 303:
        assert data["password"] == PASSWORD
        assert data["username"].strip().lower() == known_agent.username
        assert response.headers["Location"] in {"/", "/password"}
    elif response.status_code == 422:
        assert explains(response)


@pytest.fixture
def agent(login_as):
    """A signed-in agent (the test's `client`), shared by every example of a test."""
    return login_as(Role.AGENT)


NEW_PASSWORD = "a much longer passphrase 7"


@FUZZ
@given(data=form({"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                  "confirm": NEW_PASSWORD},
                 current_password=field(PASSWORD), new_password=field(NEW_PASSWORD),
                 confirm=field(NEW_PASSWORD), **STRAYS))
def test_fuzz_change_password(client, agent, data):
    before = row(agent)
    response = check(post(client, "/password", data), {303, 422, 429})
    if response.status_code != 303:
        assert explains(response)
        assert row(agent) == before
        if response.status_code == 429:  # five wrong current passwords lock the account
            auth_services.unlock_account(db.session.get(User, agent.id))
            db.session.commit()
    else:
        assert row(agent)["session_epoch"] == before["session_epoch"] + 1
        assert client.get("/").status_code == 200  # still signed in, on a fresh session
        # Change it back, so the next example may succeed with PASSWORD again.
        check(post(client, "/password", {"current_password": data["new_password"],
                                         "new_password": PASSWORD, "confirm": PASSWORD}),
              {303})


# --- people ---------------------------------------------------------------------------------

PERSON = {
    "name": "李娜", "employee_no": UNIQUE, "username": UNIQUE, "phone": "13912345678",
    "role": "agent", "team_id": TEAM, "grade": "junior", "hire_date": "2026-09-01",
    "probation_until": "2026-12-01", "status": "active",
}
PERSON_FIELDS = {
    "name": field("李娜", "Li Na"),
    "employee_no": field(UNIQUE, "CF9001", "cf-9001"),
    "username": field(UNIQUE, "lina", "li.na_2"),
    "phone": field("13912345678", "+86 139 1234 5678"),
    "role": field(*Role),
    "team_id": field(TEAM, "", anything=INTS),
    "grade": field("junior", "intermediate", "senior", ""),
    "hire_date": field("2026-09-01", anything=DATES),
    "probation_until": field("2026-12-01", "", anything=DATES),
    "status": field("active", "retraining", "left"),
    **STRAYS,
}


@pytest.fixture
def supervisor(client, login_as, make_team, make_user):
    """A signed-in supervisor, a team with a lead, and an agent to work on."""
    login_as(Role.SUPERVISOR)
    lead = make_user(role=Role.LEAD)
    team = make_team("一组", lead=lead)
    agent = make_user(role=Role.AGENT, team=team)
    return {"team": team.id, "lead": lead.id, "agent": agent.id}


@FUZZ
@given(values=form(PERSON, **PERSON_FIELDS))
def test_fuzz_new_person(client, supervisor, values):
    values = fill(values, **{TEAM: str(supervisor["team"])})
    people = total(User)
    response = check(post(client, "/people/new", values), {200, 422})
    if response.status_code == 200:
        assert total(User) == people + 1
        created = db.session.scalar(select(User).order_by(User.id.desc()).limit(1))
        assert created.username == values["username"].strip().lower()
        assert created.must_change_password and created.session_epoch == 1
        assert created.password_hash != values.get("password_hash")
        assert 'class="otp-value"' in response.text
    else:
        assert total(User) == people  # nothing half-saved
        assert explains(response)


@FUZZ
@given(values=form({**PERSON, "version": CURRENT}, **PERSON_FIELDS,
                   version=field(CURRENT, anything=INTS)))
def test_fuzz_edit_person(client, supervisor, values):
    person = db.session.get(User, supervisor["agent"])
    before = row(person)
    values = fill(values, **{TEAM: str(supervisor["team"]), CURRENT: str(before["version"])})
    url = f"/people/{person.id}/edit"
    response = check(post(client, url, values), {303, 409, 422})
    after = row(person)
    if response.status_code == 303:
        assert response.headers["Location"] == f"/people/{person.id}"
        assert after["username"] == values["username"].strip().lower()
        for name in ("id", "password_hash", "must_change_password", "created_at"):
            assert after[name] == before[name], f"{name} was bound from the request"
    else:
        assert after == before  # nothing half-saved
        if response.status_code == 422:
            assert explains(response)


@FUZZ
@given(values=form(st.fixed_dictionaries({"to_grade": st.sampled_from(["intermediate", "senior"]),
                                          "effective_on": st.just("2026-11-01"),
                                          "note": st.just("考核优秀")}),
                   to_grade=field("junior", "intermediate", "senior"),
                   effective_on=field("2026-11-01", anything=DATES),
                   note=field("考核优秀"), **STRAYS))
def test_fuzz_grade_change(client, supervisor, values):
    person = db.session.get(User, supervisor["agent"])
    before, changes = row(person), total(GradeChange)
    url = f"/people/{person.id}/grade"
    response = check(post(client, url, values), {303, 422})
    if response.status_code == 303:
        assert total(GradeChange) == changes + 1
        assert row(person)["grade"] == values["to_grade"] != before["grade"]
    else:
        assert explains(response)
        assert total(GradeChange) == changes and row(person) == before


# --- teams ----------------------------------------------------------------------------------

TEAM_FIELDS = {
    "name": field(UNIQUE, "一组", "Team B"),
    "lead_id": field(LEAD, "", anything=INTS),
    **STRAYS,
}


@FUZZ
@given(values=form({"name": UNIQUE, "lead_id": ""}, **TEAM_FIELDS))
@example(values={"name": "Äbc"})  # SQLite's lower() folds ASCII letters only
@example(values={"name": "İ", "lead_id": LEAD})
def test_fuzz_new_team(client, supervisor, values):
    values = fill(values, **{LEAD: str(supervisor["lead"])})
    teams = total(Team)
    response = check(post(client, "/teams/new", values), {303, 422})
    if response.status_code == 303:
        assert total(Team) == teams + 1
        # The same name again is refused beside the field, not by the database.
        again = check(post(client, "/teams/new", {"name": values["name"]}), {422})
        assert explains(again)
        assert total(Team) == teams + 1
    else:
        assert explains(response)
        assert total(Team) == teams


@FUZZ
@given(values=form({"name": "一组", "lead_id": LEAD, "version": CURRENT}, **TEAM_FIELDS,
                   version=field(CURRENT, anything=INTS)))
@example(values={"name": "三组", "lead_id": LEAD, "version": CURRENT})  # another team's name
def test_fuzz_edit_team(client, supervisor, make_team, values):
    if not db.session.scalar(select(Team).where(Team.name == "三组")):
        make_team("三组")
    team = db.session.get(Team, supervisor["team"])
    before = row(team)
    values = fill(values, **{LEAD: str(supervisor["lead"]), CURRENT: str(before["version"])})
    response = check(post(client, f"/teams/{team.id}/edit", values), {303, 409, 422})
    if response.status_code == 303:
        assert row(team)["name"] == values["name"].strip()
    else:
        assert row(team) == before
        if response.status_code == 422:
            assert explains(response)


# --- language switch ------------------------------------------------------------------------

NEXT = field("/people", "/people?q=王", "//evil.example", "https://evil.example/", "/\\evil",
             "/login", "/static/app.css", "javascript:alert(1)", "/%2F%2Fevil", "/people/1")


@pytest.fixture
def visitor(app, make_user, role):
    """A client for the role, anonymous or signed in, shared by the examples."""
    client = app.test_client()
    if role != "anonymous":
        assert login(client, make_user(role=role).username).status_code == 303
    return client


@pytest.mark.parametrize("role", ["anonymous", Role.SUPERVISOR])
@FUZZ
@given(values=form({"locale": "en", "next": "/people"}, locale=field("zh", "en"), next=NEXT))
def test_fuzz_language_switch(app, visitor, role, values):
    page = "/login" if role == "anonymous" else "/"
    response = check(post(visitor, "/language", values, token_page=page), {303, 422})
    if response.status_code == 303:
        assert values["locale"] in app.config["LANGUAGES"]
        target = response.headers["Location"]
        assert target.startswith("/") and not target.startswith("//") and "\\" not in target
    elif response.status_code == 422:
        assert values.get("locale") not in app.config["LANGUAGES"]


# --- query strings --------------------------------------------------------------------------


@FUZZ
@given(params=query(action=field("person.", "auth.sign_in"),
                    object_type=field("user", "team", "login_throttle", "import_batch"),
                    actor=field("supervisor1"),
                    start=field("2026-01-01", anything=DATES),
                    end=field("2026-12-31", anything=DATES),
                    page=INTS, per_page=INTS))
@example(params=[("start", "0001-01-01")])  # before the first instant UTC can hold
@example(params=[("end", "9999-12-31")])  # the day after does not exist
@example(params=[("page", "9" * 30)])
def test_fuzz_audit_filter(client, supervisor, params):
    params = [(key, value) for key, value in params if value is not None]
    response = check(client.get("/audit", query_string=params), {200, 422})
    assert "<html" in response.text


@pytest.fixture
def directory_client(app, make_user, make_team, role):
    """A client signed in as a lead (of a team) or a supervisor, shared by the examples."""
    client = app.test_client()
    team = make_team() if role == Role.LEAD else None
    user = make_user(role=role, team=team)
    if team is not None:
        team.lead_id = user.id
        db.session.commit()
    assert login(client, user.username).status_code == 303
    return client


@pytest.mark.parametrize("role", [Role.LEAD, Role.SUPERVISOR])
@FUZZ
@given(params=query(q=field("测试", "E0", "%", "_"), team=INTS, role=field(*Role),
                    grade=field("junior", "senior"), status=field("active", "left"),
                    page=INTS, per_page=INTS))
@example(params=[("team", "9" * 30)])
@example(params=[("page", "9" * 30), ("per_page", "100"), ("role", "agent")])
def test_fuzz_people_directory(directory_client, role, params):
    params = [(key, value) for key, value in params if value is not None]
    for headers in ({}, HX):
        response = directory_client.get("/people", query_string=params, headers=headers)
        check(response, {200})
        assert ("<html" in response.text) is (not headers)


# --- ids in URLs ----------------------------------------------------------------------------


def id_routes(app) -> list[tuple]:
    """(rule, method, argument names) for every route whose arguments are all ids."""
    return [
        (rule, method, sorted(rule.arguments))
        for rule in app.url_map.iter_rules()
        for method in ("GET", "POST")
        if method in (rule.methods or ())
        and rule.arguments and all(name.endswith("_id") for name in rule.arguments)
        and not rule.defaults
    ]


@settings(FUZZ, max_examples=10)  # every example requests every such route
@given(number=st.one_of(st.integers(min_value=10**6, max_value=2**63 - 1),
                        st.integers(min_value=2**63 - 1, max_value=10**40)))
@example(number=2**63)
@example(number=10**30)
def test_fuzz_ids_in_urls(app, client, supervisor, number):
    routes = id_routes(app)
    assert routes, "no route takes an id?"
    page_token = token(client, "/")
    for rule, method, names in routes:
        _domain, url = rule.build(dict.fromkeys(names, number), append_unknown=False)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": page_token})
        # An id nobody has is missing, however large; routes a supervisor may not use refuse
        # first (or, past 18 digits, match no route at all).
        allowed = {404} if Role.SUPERVISOR in ACCESS[rule.endpoint] else {403, 404}
        check(response, allowed)
