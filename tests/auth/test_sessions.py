"""Sign-in, sessions, throttling and safe redirects (SECURITY.md, "Sign-in and sessions")."""

import time
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from app.auth import services
from app.auth.routes import safe_next
from app.extensions import db
from app.staff.models import User
from tests.conftest import PASSWORD, csrf_from, login, post_form


def test_password_is_hashed_with_argon2id_and_production_parameters(app):
    app.config.update(ARGON2_MEMORY_KIB=19 * 1024, ARGON2_TIME_COST=2, ARGON2_PARALLELISM=1)
    digest = services.hash_password("a long enough phrase")
    assert digest.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_hash_is_upgraded_on_login_when_parameters_change(app, client, make_user):
    user = make_user()
    old = user.password_hash
    assert "m=1024,t=1" in old
    app.config.update(ARGON2_MEMORY_KIB=2048, ARGON2_TIME_COST=2)
    assert login(client, user.username).status_code == 303
    db.session.refresh(user)
    assert user.password_hash != old
    assert "m=2048,t=2" in user.password_hash
    PasswordHasher().verify(user.password_hash, PASSWORD)


@pytest.mark.parametrize(
    ("password", "ok"),
    [("short", False), ("12345678", False), ("password", False), ("aaaaaaaaaaa", False),
     ("correct horse battery", True), ("x" * 64 + "yz", True), ("我的密码很长很长", True)],
)
def test_password_rules_are_length_and_commonness_only(app, password, ok):
    assert (services.password_problem(password) is None) is ok


def test_sign_in_form_requires_csrf(client, make_user):
    user = make_user()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_unknown_user_and_wrong_password_look_identical(client, make_user):
    user = make_user()
    timings = {}
    bodies = {}
    for label, name in (("unknown", "nobody-here"), ("wrong", user.username)):
        page = client.get("/login")
        start = time.perf_counter()
        response = client.post("/login", data={
            "username": name, "password": "not the password", "csrf_token": csrf_from(page.text)})
        timings[label] = time.perf_counter() - start
        assert response.status_code == 422
        bodies[label] = response.text.replace(name, "NAME")
    strip = lambda html: "".join(  # noqa: E731 — tokens differ per page; compare the rest
        line for line in html.splitlines() if "csrf" not in line.lower())
    assert strip(bodies["unknown"]) == strip(bodies["wrong"])
    # Both run one argon2 verification; neither returns early.
    assert timings["unknown"] > 0.3 * timings["wrong"]


def test_five_failures_lock_the_account_for_fifteen_minutes(client, make_user, clock):
    user = make_user()
    for _ in range(5):
        assert login(client, user.username, "wrong password").status_code == 422
    locked = login(client, user.username)
    assert locked.status_code == 429
    clock.advance(minutes=14)
    assert login(client, user.username).status_code == 429
    clock.advance(minutes=2)
    assert login(client, user.username).status_code == 303


def test_unknown_names_lock_the_same_way(client, clock):
    for _ in range(5):
        login(client, "ghost", "wrong password")
    assert login(client, "ghost", "wrong password").status_code == 429


def test_failures_outside_the_window_do_not_add_up(client, make_user, clock):
    user = make_user()
    for _ in range(4):
        login(client, user.username, "wrong password")
    clock.advance(minutes=16)
    for _ in range(4):
        login(client, user.username, "wrong password")
    assert login(client, user.username).status_code == 303


def test_supervisor_unlocks_an_account(app, client, make_user, clock):
    agent = make_user()
    boss = make_user(role="supervisor")
    for _ in range(5):
        login(client, agent.username, "wrong password")
    assert services.account_locked(agent.username)
    other = app.test_client()
    login(other, boss.username)
    page = other.get(f"/people/{agent.id}")
    assert "/unlock" in page.text
    response = post_form(other, f"/people/{agent.id}/unlock", token_page=f"/people/{agent.id}")
    assert response.status_code == 303
    assert not services.account_locked(agent.username)
    assert login(client, agent.username).status_code == 303


def test_more_than_twenty_attempts_a_minute_from_one_address_are_refused(client, make_user, clock):
    user = make_user()
    for n in range(20):
        login(client, f"someone{n}", "wrong password")
    assert login(client, user.username).status_code == 429
    clock.advance(seconds=61)
    assert login(client, user.username).status_code == 303


def test_throttle_counters_live_in_the_database(app, client, make_user):
    user = make_user()
    login(client, user.username, "wrong password")
    from app.auth.models import LoginThrottle

    keys = {row.key for row in db.session.query(LoginThrottle)}
    assert f"account:{user.username}" in keys
    assert any(key.startswith("address:") for key in keys)


def _signed_in_pair(app, make_user):
    user = make_user()
    first, second = app.test_client(), app.test_client()
    assert login(first, user.username).status_code == 303
    assert login(second, user.username).status_code == 303
    return user, first, second


def _is_signed_in(client) -> bool:
    return client.get("/").status_code == 200


def test_sign_out_ends_every_session(app, make_user):
    _user, first, second = _signed_in_pair(app, make_user)
    response = post_form(first, "/logout")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    assert not _is_signed_in(first)
    assert not _is_signed_in(second)


def test_password_change_ends_other_sessions_but_keeps_this_one(app, make_user):
    _user, first, second = _signed_in_pair(app, make_user)
    response = post_form(first, "/password", {
        "current_password": PASSWORD, "new_password": "a brand new phrase",
        "confirm": "a brand new phrase"}, token_page="/password")
    assert response.status_code == 303
    assert _is_signed_in(first)
    assert not _is_signed_in(second)


@pytest.mark.parametrize("change", ["role", "deactivate"])
def test_role_change_and_deactivation_end_sessions(app, make_user, change):
    from app.staff import services as staff_services

    user, first, _second = _signed_in_pair(app, make_user)
    if change == "role":
        data = staff_services.PersonData(
            username=user.username, employee_no=user.employee_no, name=user.name,
            phone=user.phone, role="qa", team_id=None, grade=None, hire_date=user.hire_date,
            probation_until=None)
        staff_services.update_person(user, data)
    else:
        staff_services.deactivate_person(user)
    db.session.commit()
    assert not _is_signed_in(first)


def test_people_who_left_cannot_sign_in(client, make_user):
    user = make_user(status="left")
    assert login(client, user.username).status_code == 422


def test_idle_timeout_after_thirty_minutes(client, make_user, clock):
    user = make_user()
    login(client, user.username)
    clock.advance(minutes=29)
    assert _is_signed_in(client)
    clock.advance(minutes=29)  # active a moment ago, so still fine
    assert _is_signed_in(client)
    clock.advance(minutes=31)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_absolute_timeout_after_twelve_hours(client, make_user, clock):
    user = make_user()
    login(client, user.username)
    for _ in range(24):  # busy all day, never idle
        clock.advance(minutes=29)
        assert _is_signed_in(client)
    clock.advance(minutes=29)
    assert not _is_signed_in(client)


def test_one_time_password_forces_a_change(client, make_user):
    user = make_user(must_change_password=True)
    response = login(client, user.username)
    assert response.headers["Location"] == "/password"
    for path in ("/", "/people", f"/people/{user.id}"):
        blocked = client.get(path)
        assert blocked.status_code == 302
        assert blocked.headers["Location"] == "/password"
    weak = post_form(client, "/password", {
        "current_password": PASSWORD, "new_password": "password", "confirm": "password"},
        token_page="/password")
    assert weak.status_code == 422
    assert "too common" in weak.text or "太常见" in weak.text
    done = post_form(client, "/password", {
        "current_password": PASSWORD, "new_password": "my own passphrase",
        "confirm": "my own passphrase"}, token_page="/password")
    assert done.status_code == 303
    assert client.get("/").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, user.id).must_change_password is False


def test_change_password_errors_sit_beside_their_fields(client, make_user):
    user = make_user()
    login(client, user.username)
    response = post_form(client, "/password", {
        "current_password": "wrong one", "new_password": "short", "confirm": "other"},
        token_page="/password")
    assert response.status_code == 422
    assert 'id="current_password-error"' in response.text
    assert 'id="new_password-error"' in response.text
    assert 'id="confirm-error"' in response.text
    assert 'aria-invalid="true"' in response.text


@pytest.mark.parametrize("target", [
    "/people", "/people/1", "/people?q=%E7%8E%8B",
])
def test_next_accepts_app_paths(client, make_user, target):
    user = make_user()
    make_user(role="agent")
    response = login(client, user.username, next_url=target.replace("?", "%3F").replace("=", "%3D"))
    assert response.status_code == 303
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "http:/evil",
    "javascript:alert(1)", "/no-such-page", "evil.example", "/static/app.css", "/logout",
    "/%0d%0aSet-Cookie:x=1",
])
def test_next_refuses_anything_but_an_app_path(app, target):
    with app.test_request_context():
        assert safe_next(target) is None


def test_next_after_being_sent_to_sign_in(client, make_user):
    user = make_user()
    first = client.get("/people")
    assert first.status_code == 302
    assert first.headers["Location"] == "/login?next=/people"
    page = client.get(first.headers["Location"])
    response = client.post(first.headers["Location"], data={
        "username": user.username, "password": PASSWORD, "csrf_token": csrf_from(page.text)})
    assert response.headers["Location"] == "/people"


def test_session_cookie_flags(client, make_user):
    user = make_user()
    response = login(client, user.username)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_refuses_to_start_without_a_strong_secret(tmp_path, monkeypatch):
    from app import create_app

    monkeypatch.delenv("CALLFLOOR_DEMO", raising=False)
    for weak in ("", "dev", "short-secret"):
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app({"SECRET_KEY": weak, "TESTING": False, "DEMO": False,
                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    create_app({"SECRET_KEY": "9f8e7d6c5b4a39281706f5e4d3c2b1a0" * 2, "TESTING": False,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})


def test_lock_expiry_is_fifteen_minutes(app):
    assert app.config["LOGIN_LOCK_DURATION"] == timedelta(minutes=15)
    assert app.config["SESSION_IDLE_TIMEOUT"] == timedelta(minutes=30)
    assert app.config["SESSION_ABSOLUTE_TIMEOUT"] == timedelta(hours=12)
