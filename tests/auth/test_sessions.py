"""Sign-in, sessions, throttling and safe redirects (SECURITY.md, "Sign-in and sessions")."""

from datetime import date, timedelta

import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from app import create_app
from app.auth import services
from app.auth.routes import safe_next
from app.config import Config
from app.extensions import db
from app.people import passwords
from app.people.models import Role, Status, User
from tests.conftest import PASSWORD, csrf_from, login, post_form, test_config


def test_password_is_hashed_with_argon2id_and_production_parameters(tmp_path):
    """The shipped defaults are OWASP's argon2id (m=19 MiB, t=2, p=1), and an app created
    without overriding them hashes with exactly those, both for a new password and when it
    upgrades an older hash at sign-in."""
    assert Config.ARGON2_MEMORY_KIB == 19 * 1024 == 19456  # KiB
    assert Config.ARGON2_TIME_COST == 2
    assert Config.ARGON2_PARALLELISM == 1
    # The suite's own cheap settings left out: the app gets nothing but its defaults.
    settings = {k: v for k, v in test_config(tmp_path).items() if not k.startswith("ARGON2_")}
    fresh = create_app(settings)
    assert (fresh.config["ARGON2_MEMORY_KIB"], fresh.config["ARGON2_TIME_COST"],
            fresh.config["ARGON2_PARALLELISM"]) == (19456, 2, 1)
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    with fresh.app_context():
        db.create_all()
        digest = passwords.hash_password("a long enough phrase")
        user = User(username="argon", employee_no="E-ARGON", name="哈希", phone="",
                    role=Role.AGENT, grade="junior", hire_date=date(2025, 1, 1),
                    status=Status.ACTIVE, password_hash=cheap, must_change_password=False)
        db.session.add(user)
        db.session.commit()
        user_id = user.id
        db.session.remove()
    try:
        assert digest.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        used = extract_parameters(digest)  # read back from the hash string itself
        assert used.type is Type.ID and used.version == 19
        assert (used.memory_cost, used.time_cost, used.parallelism) == (19456, 2, 1)
        PasswordHasher().verify(digest, "a long enough phrase")

        assert login(fresh.test_client(), "argon").status_code == 303
        with fresh.app_context():
            upgraded = db.session.get(User, user_id).password_hash
            db.session.remove()
        assert upgraded != cheap
        again = extract_parameters(upgraded)
        assert again.type is Type.ID
        assert (again.memory_cost, again.time_cost, again.parallelism) == (19456, 2, 1)
        PasswordHasher().verify(upgraded, PASSWORD)
    finally:
        with fresh.app_context():
            db.engine.dispose()


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


def _same_across_answers(response, name: str, token: str) -> dict:
    """What a sign-in answer shows, minus what differs between any two answers: the CSRF
    token (per session), the name typed (echoed in the form), the session cookie's value and
    the Date."""
    body = response.text.replace(token, "TOKEN").replace(name, "NAME")
    headers = []
    for key, value in response.headers.items():
        if key.lower() == "date":
            continue
        if key.lower() == "set-cookie":
            cookie, _, attributes = value.partition(";")
            value = f"{cookie.split('=', 1)[0]}=VALUE;{attributes}"
        headers.append((key.lower(), value))
    return {"status": response.status_code, "body": body, "headers": sorted(headers)}


def test_unknown_user_and_wrong_password_look_identical(app, make_user, monkeypatch):
    """Same status, same page and same headers, and both answers spend one argon2
    verification of the same cost. (Their timing is compared over many samples by
    bench/sign_in.py, not here: one sample of each is noise.)"""
    user = make_user(username="agent-known")
    unknown = "agent-ghost"  # as long as the real name, so the page lengths can match too
    verified = []
    real_verify = PasswordHasher.verify

    def counting_verify(self, digest, password):
        parameters = extract_parameters(digest)
        verified.append((parameters.type, parameters.memory_cost, parameters.time_cost,
                         parameters.parallelism, self.memory_cost, self.time_cost))
        return real_verify(self, digest, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    answers, spent = {}, {}
    for label, name in (("unknown", unknown), ("wrong", user.username)):
        client = app.test_client()  # each from a fresh browser, so nothing carries over
        token = csrf_from(client.get("/login").text)
        verified.clear()
        response = client.post("/login", data={
            "username": name, "password": "not the password", "csrf_token": token})
        assert response.status_code == 422
        # The page carries the same session token, signed again: its timestamp part moves
        # when a second ticks between the two requests, so that token is what gets masked.
        shown = csrf_from(response.text)
        assert shown.split(".")[0] == token.split(".")[0]
        answers[label] = _same_across_answers(response, name, shown)
        spent[label] = list(verified)
    assert answers["unknown"]["status"] == answers["wrong"]["status"] == 422
    assert answers["unknown"]["body"] == answers["wrong"]["body"]
    assert answers["unknown"]["headers"] == answers["wrong"]["headers"]
    assert any(key == "set-cookie" for key, _value in answers["wrong"]["headers"])
    # Both run one argon2 verification at the configured cost; neither returns early.
    assert len(spent["unknown"]) == len(spent["wrong"]) == 1
    assert spent["unknown"] == spent["wrong"]
    assert spent["wrong"][0][0] is Type.ID


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
    from app.people import services as staff_services

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
    monkeypatch.setenv("CALLFLOOR_INSTANCE", str(tmp_path))  # no instance/secret_key there
    for weak in ("", "dev", "short-secret"):
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app({"SECRET_KEY": weak, "TESTING": False, "DEMO": False,
                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    create_app({"SECRET_KEY": "9f8e7d6c5b4a39281706f5e4d3c2b1a0" * 2, "TESTING": False,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})


def test_commands_find_the_secret_make_run_keeps_in_the_instance_folder(tmp_path, monkeypatch):
    """Issue 13: "flask audit-verify, flask backup, flask demo --force and the rest find the
    instance secret as make run does, instead of failing with 'SECRET_KEY is missing'"."""
    from app import create_app

    monkeypatch.delenv("CALLFLOOR_DEMO", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("CALLFLOOR_INSTANCE", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")
    secret = "9f8e7d6c5b4a39281706f5e4d3c2b1a0" * 2
    (tmp_path / "secret_key").write_text(secret + "\n")
    monkeypatch.setattr("app.config.Config.SECRET_KEY", "")
    assert create_app({"DEMO": False}).config["SECRET_KEY"] == secret
    environment = "0a1b2c3d4e5f60718293a4b5c6d7e8f9" * 2
    monkeypatch.setattr("app.config.Config.SECRET_KEY", environment)  # the environment's wins
    assert create_app({"DEMO": False}).config["SECRET_KEY"] == environment
    (tmp_path / "secret_key").write_text("short\n")  # a weak file is refused like a weak key
    monkeypatch.setattr("app.config.Config.SECRET_KEY", "")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"DEMO": False})


@pytest.mark.parametrize("free_after", [timedelta(minutes=15),
                                        timedelta(minutes=15, seconds=1)])
def test_lock_expiry_is_fifteen_minutes(app, client, make_user, clock, free_after):
    """Five wrong passwords (the real throttle) lock the account; the lock runs 15 minutes
    from the fifth failure: the right password is still refused at 14:59 and accepted at
    15:00 and after."""
    expected = {"LOGIN_LOCK_DURATION": timedelta(minutes=15), "LOGIN_MAX_FAILURES": 5,
                "SESSION_IDLE_TIMEOUT": timedelta(minutes=30),
                "SESSION_ABSOLUTE_TIMEOUT": timedelta(hours=12)}
    for name, value in expected.items():  # the shipped defaults, and what this app runs with
        assert getattr(Config, name) == value, name
        assert app.config[name] == value, name
    user = make_user()
    for n in range(5):
        if n:
            clock.advance(minutes=1)  # one a minute: the lock must run from the fifth
        assert not services.account_locked(user.username), f"locked after {n} failures"
        assert login(client, user.username, "wrong password").status_code == 422
    locked_at = clock.now
    assert services.account_locked(user.username)
    assert login(client, user.username).status_code == 429  # the right password, refused

    clock.set(locked_at + timedelta(minutes=14, seconds=59))
    assert services.account_locked(user.username)
    assert login(client, user.username).status_code == 429
    clock.set(locked_at + timedelta(minutes=14, seconds=59, microseconds=999_999))
    assert services.account_locked(user.username)

    clock.set(locked_at + free_after)
    assert not services.account_locked(user.username)
    assert login(client, user.username).status_code == 303
    assert _is_signed_in(client)
