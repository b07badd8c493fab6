"""CSRF on every unsafe route, GET never changes anything, and the security headers."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.audit import AuditEvent
from app.extensions import db
from tests.conftest import HX, PASSWORD
from tests.routes_helper import (
    ROLES,
    build_url,
    case_id,
    changed_tables,
    copy_seed,
    csrf_token,
    find_rule,
    make_seed,
    open_world,
    recorded_writes,
    request_route,
    route_cases,
    row_counts,
    sign_in,
    snapshot,
    urls,
)

POST_CASES = [case for case in route_cases() if case[2] == "POST"]
# Routes for machines: they trust no cookie, so instead of a CSRF token they want an API token
# and refuse everything else with 401 (tests/qa/test_calls.py tries real and revoked tokens).
TOKEN_ONLY = {"qa_api.receive_calls"}


def test_only_the_token_routes_are_exempt_from_csrf(app):
    from app.extensions import csrf

    exempt = {f"{view.__module__}.{view.__name__}" for view in app.view_functions.values()
              if f"{view.__module__}.{view.__name__}" in csrf._exempt_views}
    endpoints = {name for name, view in app.view_functions.items()
                 if f"{view.__module__}.{view.__name__}" in exempt}
    assert endpoints == TOKEN_ONLY


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


def audit_count() -> int:
    """Rows in the audit trail."""
    count = db.session.query(AuditEvent).count()
    db.session.rollback()
    return count


def post_cases_with_roles():
    """Every POST route as a supervisor; the sign-in form also as an anonymous visitor."""
    for endpoint, path, method in POST_CASES:
        yield pytest.param(endpoint, path, method, "supervisor",
                           id=f"{case_id((endpoint, path, method))}-supervisor")
        if endpoint == "auth.login":
            yield pytest.param(endpoint, path, method, "anonymous",
                               id=f"{case_id((endpoint, path, method))}-anonymous")


@pytest.mark.parametrize(("endpoint", "path", "method", "role"), list(post_cases_with_roles()))
def test_unsafe_routes_refuse_a_missing_or_forged_token(app, client, world, endpoint, path,
                                                        method, role):
    url = build_url(find_rule(app, endpoint, path), world)
    sign_in(client, world, role)
    other = app.test_client()
    sign_in(other, world, "agent")
    forged = csrf_token(other, world, "agent")  # valid, but for somebody else's session
    assert forged != csrf_token(client, world, role)
    before = snapshot()
    counts = row_counts()
    refusal = 401 if endpoint in TOKEN_ONLY else 400
    for token in (None, forged):
        for htmx in (False, True):
            with recorded_writes() as writes:
                response = request_route(client, method, url, htmx=htmx, token=token)
            where = f"{role} POST {url} ({'htmx' if htmx else 'page'}, " \
                    f"{'forged' if token else 'no'} token)"
            assert response.status_code == refusal, f"{where} answered {response.status_code}"
            assert "Location" not in response.headers and "HX-Location" not in response.headers
            assert not writes, f"{where} wrote: {writes}"
    assert row_counts() == counts
    assert not changed_tables(before, snapshot())
    # The refusals signed nobody out.
    if role != "anonymous":
        assert client.get("/").status_code == 200


def test_the_same_post_with_its_token_goes_through(app, client, world):
    """Control for the test above: the refusal is about the token, nothing else."""
    sign_in(client, world, "supervisor")
    url = f"/people/{world.ids['target']}/reset-password"
    assert client.post(url).status_code == 400
    response = client.post(url, data={"csrf_token": csrf_token(client, world, "supervisor"),
                                      "confirmed": "yes"})
    assert response.status_code == 200
    assert 'class="otp-value"' in response.text


@pytest.mark.parametrize("role", ROLES)
def test_no_get_changes_the_database(app, client, world, role):
    sign_in(client, world, role)
    get_urls = urls(app, world, "GET")
    before = snapshot()  # after signing in: signing in writes audit rows of its own
    audited = audit_count()
    counts = row_counts()
    for url in get_urls:
        for headers in ({}, HX):
            with recorded_writes() as writes:
                response = client.get(url, headers=headers)
            assert response.status_code < 500, f"{role} GET {url} crashed"
            assert not writes, f"{role} GET {url} wrote: {writes}"
    assert row_counts() == counts
    assert audit_count() == audited
    assert not changed_tables(before, snapshot())


def csp_directives(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as directive -> sources."""
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        directives[name.lower()] = sources
    return directives


@pytest.mark.parametrize("role", ["anonymous", "agent"])
@pytest.mark.parametrize("path", ["/login", "/people", "/people/999999", "/health",
                                  "/static/app.css", "/audit"])
def test_csp_and_friends_on_every_response(client, world, role, path):
    sign_in(client, world, role)
    response = client.get(path)
    csp = csp_directives(response)
    assert csp.get("default-src") == ["'self'"]
    assert csp.get("object-src") == ["'none'"]
    assert csp.get("base-uri") == ["'none'"]
    assert csp.get("frame-ancestors") == ["'none'"]
    assert csp.get("form-action") == ["'self'"]
    assert "'unsafe-inline'" not in csp.get("script-src", csp["default-src"])
    for sources in csp.values():
        assert "'unsafe-eval'" not in sources
        assert "*" not in sources
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy")


@pytest.mark.parametrize("role", ["agent", "supervisor"])
@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_signed_in_pages_are_not_cached(client, world, role, headers):
    sign_in(client, world, role)
    response = client.get("/people", headers=headers)
    assert response.status_code == 200
    assert "no-store" in response.headers.get("Cache-Control", "")


def session_cookie_header(response, name: str) -> str:
    """The Set-Cookie header that sets the session cookie."""
    cookies = [v for v in response.headers.getlist("Set-Cookie") if v.startswith(name + "=")]
    assert cookies, "the response sets no session cookie"
    return cookies[-1]


def test_session_cookie_is_httponly_and_lax(app, client, world):
    sign_in(client, world, "anonymous")
    response = client.post("/login", data={
        "username": world.user("agent").username, "password": PASSWORD,
        "csrf_token": csrf_token(client, world, "anonymous"),
    })
    assert response.status_code == 303
    header = session_cookie_header(response, app.config["SESSION_COOKIE_NAME"])
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in header.split(";")}
    assert "httponly" in attributes
    assert attributes.get("samesite", "").lower() == "samesite=lax"


# Runs in a fresh interpreter: app.config reads SESSION_COOKIE_SECURE from the environment when
# it is imported, so only a new process shows what a deployment with that environment gets.
# It prints the class default, the app's setting and the cookies of /login over http and https.
COOKIE_PROBE = """
import json, sys
from app import create_app
from app.config import Config
from app.extensions import db
app = create_app({"TESTING": True, "SECRET_KEY": "probe-secret-0123456789abcdefghijklmnop",
                  "SQLALCHEMY_DATABASE_URI": sys.argv[1]})
with app.app_context():
    db.create_all()
answers = {scheme: app.test_client().get("/login", base_url=scheme + "://localhost")
           for scheme in ("http", "https")}
print(json.dumps({
    "default": Config.SESSION_COOKIE_SECURE, "setting": app.config["SESSION_COOKIE_SECURE"],
    "name": app.config["SESSION_COOKIE_NAME"],
    "cookies": {scheme: r.headers.getlist("Set-Cookie") for scheme, r in answers.items()},
}))
"""


@pytest.mark.parametrize(("environment", "secure"), [
    (None, False), ("", False), ("0", False), ("false", False),
    ("1", True), ("true", True), ("True", True),
])
def test_session_cookie_is_secure_over_https(tmp_path, environment, secure):
    """README: SESSION_COOKIE_SECURE=true when served over HTTPS (off by default, so the plain
    http intranet keeps working). A freshly started app follows the variable: its session
    cookie carries Secure exactly when the variable says so, and is always HttpOnly."""
    env = {k: v for k, v in os.environ.items() if k != "SESSION_COOKIE_SECURE"}
    if environment is not None:
        env["SESSION_COOKIE_SECURE"] = environment
    env["CALLFLOOR_INSTANCE"] = str(tmp_path / "instance")
    done = subprocess.run(
        [sys.executable, "-c", COOKIE_PROBE, f"sqlite:///{tmp_path / 'probe.sqlite'}"],
        cwd=Path(__file__).resolve().parent.parent, env=env, capture_output=True, text=True,
        timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["default"] is secure  # app.config.Config, as imported in that environment
    assert probe["setting"] is secure  # and the app created from it
    for scheme in ("http", "https"):
        cookies = [c for c in probe["cookies"][scheme] if c.startswith(probe["name"] + "=")]
        assert cookies, f"/login over {scheme} sets no session cookie"
        attributes = [part.strip().lower() for part in cookies[-1].split(";")]
        assert ("secure" in attributes) is secure, (scheme, cookies[-1])
        assert "httponly" in attributes
        assert "samesite=lax" in attributes
