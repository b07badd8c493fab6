"""Sign-in throttling as people meet it (issue 13, SECURITY.md "Sign-in and sessions"):
a shift signing in behind one address, a wrong current password on the change form, the real
client address behind a trusted proxy, and the supervisor's list of locked accounts."""

import pytest
from sqlalchemy import select

from app import create_app
from app.auth import services
from app.auth.models import LoginThrottle
from app.extensions import db
from app.people.models import Role
from tests.conftest import PASSWORD, audit_rows, csrf_from, login, post_form, test_config

WRONG = "not my password"


def test_a_shift_of_25_signs_in_from_one_address_within_a_minute(app, make_user, clock):
    """"successful sign-ins never count, so a whole shift signing in behind one NAT address is
    never locked out": today 22 people got [303 x20, 429, 429]."""
    people = [make_user() for _ in range(25)]
    answers = []
    for person in people:
        client = app.test_client()  # each at their own desk, all behind one address
        answers.append(login(client, person.username).status_code)
        clock.advance(seconds=2)  # 25 sign-ins within 50 seconds
    assert answers == [303] * 25


def test_twenty_failures_from_one_address_close_it_for_the_minute(app, client, make_user,
                                                                   clock):
    """"per client address (20 failures a minute ...)": the 20th failure is still checked and
    answered as a wrong password; then the address waits out its minute."""
    person = make_user()
    for n in range(19):
        assert login(client, f"nobody{n}", WRONG).status_code == 422
    assert login(client, person.username).status_code == 303  # a success between: not counted
    other = app.test_client()
    assert login(other, "nobody19", WRONG).status_code == 422  # the 20th failure
    assert login(other, person.username).status_code == 429
    clock.advance(minutes=1)
    assert login(other, person.username).status_code == 303


def change(client, current: str):
    return post_form(client, "/password", {
        "current_password": current, "new_password": "a brand new passphrase",
        "confirm": "a brand new passphrase"}, token_page="/password")


def test_wrong_current_passwords_are_throttled_as_sign_in_failures(app, client, make_user,
                                                                   clock):
    """"A wrong current password when changing the password is throttled the same way": 5 in
    15 minutes lock the account for 15 minutes, each audited without the password."""
    person = make_user(username="wang.li")
    login(client, "wang.li")
    for n in range(1, 5):
        response = change(client, WRONG)
        assert response.status_code == 422, n
        assert "当前密码不正确" in response.text
    response = change(client, WRONG)  # the fifth locks
    assert response.status_code == 429
    assert "尝试次数过多" in response.text
    response = change(client, PASSWORD)  # locked: even the right one is refused
    assert response.status_code == 429
    db.session.expire_all()
    assert services.verify_password(db.session.get(type(person), person.id), PASSWORD)
    failed = audit_rows("auth.sign_in_failed")
    assert len(failed) == 5
    assert len(audit_rows("auth.account_locked")) == 1
    assert all(WRONG not in row.before + row.after for row in failed)
    assert login(app.test_client(), "wang.li").status_code == 429  # sign-in is locked too
    clock.advance(minutes=15)
    assert change(client, PASSWORD).status_code == 303


def test_four_wrong_current_passwords_then_the_right_one_changes_it(app, client, make_user,
                                                                    clock):
    make_user(username="wang.li")
    login(client, "wang.li")
    for _ in range(4):
        assert change(client, WRONG).status_code == 422
    assert change(client, PASSWORD).status_code == 303


@pytest.mark.parametrize(("proxies", "key"), [
    ("0", "address:127.0.0.1"),        # the default: the connection's address
    ("1", "address:203.0.113.9"),      # behind one trusted proxy: the client it names
])
def test_the_client_address_comes_from_a_trusted_proxy_only(tmp_path, sqlite_schema, proxies,
                                                            key):
    """"Behind a reverse proxy the client address comes from ProxyFix, with the number of
    trusted proxies a setting (off by default)"."""
    if sqlite_schema is not None:
        (tmp_path / "test.sqlite").write_bytes(sqlite_schema.read_bytes())
    application = create_app(test_config(tmp_path, TRUSTED_PROXIES=proxies))
    with application.app_context():
        db.create_all()
        client = application.test_client()
        page = client.get("/login")
        token = csrf_from(page.text)
        client.post("/login", data={"username": "nobody", "password": WRONG,
                                    "csrf_token": token},
                    headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.9"},
                    environ_base={"REMOTE_ADDR": "127.0.0.1"})
        keys = set(db.session.scalars(select(LoginThrottle.key)))
        assert keys == {"account:nobody", key}
        db.session.remove()
        db.engine.dispose()


def test_trusted_proxies_is_off_by_default_and_must_be_a_small_whole_number(tmp_path):
    from app.config import Config

    assert Config.TRUSTED_PROXIES == "0"
    for wrong in ("-1", "one", "11", "1.5"):
        with pytest.raises(RuntimeError, match="TRUSTED_PROXIES"):
            create_app(test_config(tmp_path, TRUSTED_PROXIES=wrong))


def test_the_supervisor_sees_locked_accounts_and_unlocks_from_the_list(
        app, client, make_user, clock):
    """"a supervisor sees a list of locked accounts" (issue 13) and "can unlock" (SECURITY.md)."""
    boss = make_user(role=Role.SUPERVISOR)
    person = make_user(username="wang.li", name="王丽")
    for _ in range(5):
        services.authenticate("wang.li", WRONG, "10.0.0.7")
    for _ in range(5):
        services.authenticate("zhao.si", WRONG, "10.0.0.8")  # a name nobody has
    services.authenticate(person.username, WRONG, "10.0.0.9")
    db.session.commit()
    login(client, boss.username)
    home = client.get("/")
    assert "2 个账号因登录失败被锁定" in home.text
    page = client.get("/locked")
    assert page.status_code == 200
    assert "王丽" in page.text and "zhao.si" in page.text
    assert "没有使用此用户名的账号" in page.text
    done = post_form(client, f"/people/{person.id}/unlock", {"back": "locked"},
                     token_page="/locked")
    assert done.status_code == 303
    assert done.headers["Location"] == "/locked"
    page = client.get("/locked")
    assert "王丽的账号已解锁" in page.text  # the flash says so, and the list no longer has her
    assert f'href="/people/{person.id}"' not in page.text and "zhao.si" in page.text
    clock.advance(minutes=15)  # the other lock runs out by itself
    assert "没有被锁定的账号" in client.get("/locked").text
    assert "个账号因登录失败被锁定" not in client.get("/").text


def test_no_lock_card_for_anyone_when_nothing_is_locked_nor_for_a_lead(app, client, make_user,
                                                                       clock):
    lead = make_user(role=Role.LEAD)
    for _ in range(5):
        services.authenticate("zhao.si", WRONG, "10.0.0.8")
    db.session.commit()
    login(client, lead.username)
    assert "已锁定的账号" not in client.get("/").text
    assert client.get("/locked").status_code in (403, 404)

