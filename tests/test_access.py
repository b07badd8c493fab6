"""Who may use which route, both as a page and as an htmx request; what each role sees."""

import functools

import pytest
from werkzeug.routing import Map, Rule

from tests.access_expected import EXPECTED
from tests.conftest import HX, HX_BOOSTED
from tests.routes_helper import (
    ACCESS,
    ROLES,
    World,
    build_url,
    case_id,
    copy_seed,
    csrf_token,
    find_rule,
    make_seed,
    open_world,
    request_route,
    route_cases,
    rule_cases,
    sign_in,
)

CASES = route_cases()


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    """The world and a session per role, made once for this module."""
    return make_seed(tmp_path_factory.mktemp("seed"))


@pytest.fixture(autouse=True)
def seeded(seed, tmp_path):
    """Every test starts from its own copy of the seeded database (before `app` opens it)."""
    copy_seed(seed, tmp_path)


@pytest.fixture
def world(app, seed):
    """Users of every role and the objects route arguments point at."""
    return open_world(app, seed)


def test_every_route_has_an_access_entry_and_every_entry_a_route(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - ACCESS.keys())
    assert not missing, f"routes no area declares an access entry for: {missing}"
    stale = sorted(ACCESS.keys() - endpoints)
    assert not stale, f"ACCESS entries that are no longer routes: {stale}"
    for endpoint, roles in ACCESS.items():
        assert roles, f"{endpoint} is allowed to nobody"
        assert roles <= set(ROLES), f"{endpoint} names unknown roles {set(roles) - set(ROLES)}"


def test_the_matrix_covers_every_route_and_method(app):
    assert rule_cases(app) == CASES
    assert {endpoint for endpoint, _path, _method in CASES} == set(app.view_functions)


def test_a_route_missing_from_the_table_is_refused_to_everyone(app, client, world):
    @app.route("/forgotten")
    def forgotten():
        return "should never be served"

    for role in ("supervisor", "anonymous"):
        sign_in(client, world, role)
        response = client.get("/forgotten")
        assert response.status_code == 403
        assert "should never be served" not in response.text


def test_a_route_with_an_argument_nobody_provides_fails_loudly():
    rule = Rule("/complaints/<int:complaint_id>", endpoint="staff.show_complaint")
    Map([rule])
    with pytest.raises(pytest.fail.Exception, match="complaint_id.*add it to ARGUMENTS"):
        build_url(rule, World(ids={}))


def is_login_redirect(response, htmx: bool) -> bool:
    """The answer enforce_access gives an anonymous visitor."""
    if htmx:
        return (response.status_code == 204
                and response.headers.get("HX-Redirect", "").startswith("/login"))
    return (response.status_code == 302
            and response.headers.get("Location", "").startswith("/login"))


def spy_on(app, endpoint: str) -> list:
    """Record each call of the endpoint's view, to tell the access check from the view."""
    calls = []
    view = app.view_functions[endpoint]

    @functools.wraps(view)
    def spy(*args, **kwargs):
        calls.append(kwargs)
        return view(*args, **kwargs)

    app.view_functions[endpoint] = spy
    return calls


def matrix():
    """Every route, method and role, as a page and as an htmx request.

    The expected answer comes from tests/access_expected.py, written from DESIGN.md, not from
    the table the areas declare: the real answer of the app must match the design.

    A request that may change something (a POST the role is allowed) gets a fresh app for each
    shape; the others cannot change anything (GET never does, see test_csrf; a refusal comes
    before the view, checked below), so both shapes share one fresh app.
    """
    for endpoint, path, method in CASES:
        allowed = EXPECTED.get(endpoint, frozenset())  # a missing entry fails in the test
        for role in ROLES:
            if method == "POST" and role in allowed:
                shapes = [("page",), ("htmx",)]
            else:
                shapes = [("page", "htmx")]
            for shape in shapes:
                yield pytest.param(endpoint, path, method, role, shape,
                                   id=f"{case_id((endpoint, path, method))}-{role}-"
                                      f"{'+'.join(shape)}")


@pytest.mark.parametrize(("endpoint", "path", "method", "role", "shapes"), list(matrix()))
def test_access_matrix(app, client, world, endpoint, path, method, role, shapes):
    assert endpoint in EXPECTED, f"{endpoint} has no entry in tests/access_expected.py"
    url = build_url(find_rule(app, endpoint, path), world)
    sign_in(client, world, role)
    token = csrf_token(client, world, role) if method == "POST" else None
    calls = spy_on(app, endpoint)
    for shape in shapes:
        htmx = shape == "htmx"
        calls.clear()
        response = request_route(client, method, url, htmx=htmx, token=token)
        check_access(response, calls, f"{role} {method} {url} ({shape})",
                     allowed=role in EXPECTED[endpoint], anonymous=role == "anonymous",
                     method=method, htmx=htmx)


def check_access(response, calls, where, *, allowed, anonymous, method, htmx):
    """What a role allowed or refused by the design (tests/access_expected.py) must get."""
    if allowed:
        assert calls, f"{where} never reached the view ({response.status_code})"
        assert not is_login_redirect(response, htmx), f"{where} is sent to sign in"
        assert response.status_code < 500, f"{where} crashed"
        if method == "GET":  # a POST may still meet a workflow's "not your turn" (403)
            assert response.status_code != 403, f"{where} is refused but the design allows it"
        return
    assert not calls, f"{where} ran the view although the design refuses it"
    if anonymous:
        assert is_login_redirect(response, htmx), (
            f"{where} answered {response.status_code} instead of a redirect to sign in"
        )
        target = response.headers["HX-Redirect" if htmx else "Location"]
        assert "next=" in target
        if htmx:
            assert "Location" not in response.headers  # never a plain redirect into a fragment
    else:
        assert response.status_code == 403, f"{where} answered {response.status_code}"
        assert "HX-Redirect" not in response.headers
        assert ("<html" in response.text) is (not htmx)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_a_person_outside_scope_is_as_missing_as_a_missing_one(app, client, world, htmx):
    headers = HX if htmx else {}
    left = world.user("left")
    sign_in(client, world, "agent")
    hidden = client.get(f"/people/{left.id}", headers=headers)
    missing = client.get("/people/999999", headers=headers)
    assert hidden.status_code == missing.status_code == 404
    # Nothing tells "left" from "never existed" (the language switch links back to the URL).
    assert hidden.text.replace(f"/people/{left.id}", "/people/999999") == missing.text
    assert left.name not in hidden.text

    supervisor = app.test_client()
    sign_in(supervisor, world, "supervisor")
    shown = supervisor.get(f"/people/{left.id}", headers=headers)
    assert shown.status_code == 200
    assert left.name in shown.text
    assert supervisor.get("/people/999999", headers=headers).status_code == 404


def profile(client, world, role: str, person) -> str:
    """The profile page of `person` as the world's `role` user sees it, in English."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in(client, world, role)
    response = client.get(f"/people/{person.id}")
    assert response.status_code == 200
    return response.text


DETAILS = ("Phone", "Grade", "Hire date", "Probation", "Username", "Status")


@pytest.mark.parametrize("role", ["agent", "qa"])
def test_colleagues_see_name_number_and_team_only(client, world, role):
    target = world.target
    text = profile(client, world, role, target)
    assert target.name in text and target.employee_no in text and world.team.name in text
    assert target.phone not in text and "tel:" not in text
    for label in DETAILS:
        assert f"<dt>{label}</dt>" not in text, f"{role} sees {label}"
    assert "Jan 1, 2025" not in text  # the hire date
    assert target.username not in text


def test_the_supervisor_sees_the_whole_profile(client, world):
    target = world.target
    text = profile(client, world, "supervisor", target)
    assert target.phone in text and target.username in text and "Jan 1, 2025" in text
    for label in DETAILS:
        assert f"<dt>{label}</dt>" in text


def test_a_lead_sees_own_team_phone_but_not_another_teams(client, world):
    own = profile(client, world, "lead", world.target)
    assert world.target.phone in own and "<dt>Grade</dt>" in own and "Jan 1, 2025" in own
    elsewhere = world.user("elsewhere")
    other = client.get(f"/people/{elsewhere.id}").text
    assert elsewhere.name in other
    assert elsewhere.phone not in other and "<dt>Phone</dt>" not in other
    assert "Jan 1, 2025" not in other


@pytest.mark.parametrize("role", ["agent", "qa", "lead", "supervisor"])
def test_management_buttons_only_for_supervisors(client, world, role):
    person_id = world.ids["target"]
    text = profile(client, world, role, world.target)
    buttons = {
        "Edit": f'href="/people/{person_id}/edit"',
        "Mark as left": f'action="/people/{person_id}/deactivate"',
        "Reset password": f'action="/people/{person_id}/reset-password"',
        "Change grade": f'href="/people/{person_id}/grade"',
    }
    for label, marker in buttons.items():
        if role == "supervisor":
            assert marker in text and f">{label}<" in text, f"the supervisor misses {label}"
        else:
            assert marker not in text and f">{label}<" not in text, f"{role} sees {label}"


@pytest.mark.parametrize(("headers", "full"), [({}, True), (HX_BOOSTED, True), (HX, False)],
                         ids=["plain", "boosted", "targeted"])
def test_people_is_a_page_or_a_fragment(client, world, headers, full):
    sign_in(client, world, "agent")
    response = client.get("/people", headers=headers)
    assert response.status_code == 200
    assert ("<html" in response.text) is full
    assert world.target.name in response.text
    vary = {v.strip().lower() for v in response.headers.get("Vary", "").split(",")}
    assert {"hx-request", "hx-target"} <= vary


def test_navigation_offers_each_role_exactly_what_it_may_open(app, world):
    """The navigation is rendered once per role, language and page and then reused: signing
    in as one role after another in one process still shows each only its own links, and
    marks the page it is on."""
    import re

    links = {}
    for role in ("supervisor", "agent", "qa", "lead", "agent"):
        client = app.test_client()
        sign_in(client, world, role)
        for path in ("/", "/shifts/mine"):
            page = client.get(path, headers={"Accept-Language": "zh-CN"})
            if page.status_code != 200:
                continue
            nav = page.text.split('<ul class="nav-links">', 1)[1].split("</ul>\n      <ul", 1)[0]
            hrefs = set(re.findall(r'<a href="(/[^"]*)"', nav))
            current = re.findall(r'<a href="(/[^"]*)" aria-current="page"', nav)
            assert current == [path], (role, path, current)
            links.setdefault(role, hrefs)
            assert hrefs == links[role], role
    for role, hrefs in links.items():
        for rule in app.url_map.iter_rules():
            if rule.rule in hrefs and "GET" in rule.methods:
                assert role in ACCESS[rule.endpoint], (role, rule.rule)
    assert "/audit" in links["supervisor"] and "/audit" not in links["agent"]
    assert "/qa/queue" in links["qa"] and "/qa/queue" not in links["lead"]
