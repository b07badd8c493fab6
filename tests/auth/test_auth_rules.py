"""The sign-in rules of SECURITY.md ("Sign-in and sessions"), on the services without HTTP, with
each number checked just inside, at and just outside its boundary."""

import json
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from app.audit import AuditEvent
from app.auth import services
from app.auth.models import LoginThrottle
from app.extensions import db
from app.people import passwords
from app.people.models import Status
from tests.conftest import PASSWORD, audit_rows

ONE_SECOND = timedelta(seconds=1)


def throttle_row(key: str) -> LoginThrottle | None:
    db.session.flush()
    return db.session.get(LoginThrottle, key)


# "At least 8 characters, up to 64+, no composition rules, checked against a list of common
# passwords."
@pytest.mark.parametrize(("password", "problem"), [
    ("", "至少需要 8 个字符。"),
    ("k7#mQ2p", "至少需要 8 个字符。"),          # 7: just outside
    ("k7#mQ2pz", None),                           # 8: at the boundary
    ("k7#mQ2pzx", None),                          # 9: just inside
    ("abc" * 42 + "ab", None),                    # 128: the longest accepted
    ("abc" * 43, "最多 128 个字符。"),               # 129: just outside
    ("password1", "这个密码太常见了，请换一个。"),
    ("PassWord1", "这个密码太常见了，请换一个。"),   # common whatever the case
    ("abababab", "这个密码太常见了，请换一个。"),    # two different characters
    ("abcabcab", None),                           # three different characters
    ("onlylowercaseletters", None),               # no composition rules
])
def test_password_rules_at_their_boundaries(app, password, problem):
    assert services.password_problem(password) == problem


def test_a_password_may_not_be_the_username_or_employee_no_in_any_case(app):
    """Not a composition rule: a password equal to the name anyone can read is refused."""
    same = "密码不能与用户名或工号相同。"
    assert services.password_problem("Wang.Xiaoming", username="wang.xiaoming") == same
    assert services.password_problem("cf100234", employee_no="CF100234") == same
    assert services.password_problem("cf100234x", employee_no="CF100234") is None
    assert services.password_problem("wang.xiaoming", username="wang.xiaomin") is None


def test_one_time_passwords_are_twelve_unambiguous_characters(app):
    """"Accounts are created by a supervisor with a one-time password": readable aloud, with
    none of 0 O 1 l I that are mistaken for each other."""
    seen = {passwords.one_time_password() for _ in range(50)}
    assert len(seen) == 50
    for word in seen:
        assert len(word) == 12
        assert word.isalnum() and word.isascii()
        assert not set(word) & set("0O1lI")


def test_passwords_are_hashed_with_the_configured_argon2id_cost(app):
    """"Passwords hashed with argon2id (m=19 MiB, t=2, p=1)" (tests use a cheaper cost)."""
    app.config.update(ARGON2_MEMORY_KIB=2048, ARGON2_TIME_COST=3, ARGON2_PARALLELISM=2)
    digest = passwords.hash_password(PASSWORD)
    assert digest.startswith("$argon2id$v=19$m=2048,t=3,p=2$")
    assert PasswordHasher().verify(digest, PASSWORD)


def test_verify_password_rehashes_only_when_the_cost_changed(app, make_user):
    """"rehash on login when parameters change"."""
    user = make_user()
    digest = user.password_hash
    assert services.verify_password(user, PASSWORD)
    assert user.password_hash == digest  # same parameters: left alone
    assert not services.verify_password(user, "wrong password")
    assert user.password_hash == digest
    app.config["ARGON2_TIME_COST"] = 2
    assert not services.verify_password(user, "wrong password")
    assert user.password_hash == digest  # never rehashed on a wrong password
    assert services.verify_password(user, PASSWORD)
    assert user.password_hash != digest
    assert ",t=2," in user.password_hash
    user.password_hash = "not an argon2 hash"
    assert not services.verify_password(user, PASSWORD)


def test_an_unknown_name_costs_a_real_check_with_the_configured_parameters(app, monkeypatch):
    """"Unknown user and wrong password look identical, in text, status and time": the unknown
    name is checked against a hash made with the very same parameters."""
    made, checked = [], []
    real_dummy = services._dummy_hash

    def dummy_hash(memory, time_cost, parallelism):
        made.append((memory, time_cost, parallelism))
        return real_dummy(memory, time_cost, parallelism)

    class Hasher(PasswordHasher):
        def verify(self, digest, password):
            checked.append((digest, password))
            return super().verify(digest, password)

    monkeypatch.setattr(services, "_dummy_hash", dummy_hash)
    monkeypatch.setattr(services, "hasher", lambda: Hasher(
        time_cost=app.config["ARGON2_TIME_COST"], memory_cost=app.config["ARGON2_MEMORY_KIB"],
        parallelism=app.config["ARGON2_PARALLELISM"]))
    services.dummy_verify("a guess")
    cfg = app.config
    assert made == [(cfg["ARGON2_MEMORY_KIB"], cfg["ARGON2_TIME_COST"], cfg["ARGON2_PARALLELISM"])]
    assert len(checked) == 1
    assert checked[0][1] == "a guess"
    assert checked[0][0] == real_dummy(*made[0])


def test_throttle_keys(app):
    """Counters per account name (as typed, in any case) and per client address."""
    assert services.account_key("  Wang.Li ") == "account:wang.li"
    assert services.account_key("x" * 200) == "account:" + "x" * 150
    assert services.address_key("10.0.0.7") == "address:10.0.0.7"
    assert services.address_key("") == "address:unknown"
    assert services.address_key(None) == "address:unknown"
    assert services.address_key("f" * 200) == "address:" + "f" * 150


# "per client address (20 failures a minute; successful sign-ins never count, so a whole shift
# signing in behind one NAT address is never locked out)"
def test_nineteen_failures_a_minute_leave_the_address_open_and_the_twentieth_closes_it(
        app, clock):
    assert not services.address_over_limit("10.0.0.7")  # no failure yet
    for n in range(1, 20):
        services.record_address_failure("10.0.0.7")
        assert not services.address_over_limit("10.0.0.7"), n
    services.record_address_failure("10.0.0.7")
    assert services.address_over_limit("10.0.0.7")
    assert throttle_row("address:10.0.0.7").count == 20
    assert services.address_over_limit("10.0.0.7")  # asking counts nothing
    assert throttle_row("address:10.0.0.7").count == 20
    assert not services.address_over_limit("10.0.0.8")  # another address has its own count


def test_the_address_window_is_one_minute(app, clock):
    start = clock.now
    for _ in range(20):
        services.record_address_failure("10.0.0.7")
    clock.set(start + timedelta(minutes=1) - ONE_SECOND)  # still inside the minute
    assert services.address_over_limit("10.0.0.7")
    clock.set(start + timedelta(minutes=1))  # a new minute: counting starts again
    assert not services.address_over_limit("10.0.0.7")
    services.record_address_failure("10.0.0.7")
    row = throttle_row("address:10.0.0.7")
    assert row.count == 1
    assert row.window_start == start + timedelta(minutes=1)


def test_successful_sign_ins_never_count_against_the_address(app, make_user, clock):
    """The issue's case: a shift of 25 signing in from one address within a minute."""
    users = [make_user() for _ in range(25)]
    results = [services.authenticate(u.username, PASSWORD, "10.0.0.7") for u in users]
    assert all(r.user is not None for r in results)
    assert throttle_row("address:10.0.0.7") is None
    # ... and the address still has its twenty failures of the minute
    for n in range(1, 21):
        result = services.authenticate(f"nobody{n}", "wrong password", "10.0.0.7")
        assert (result.user, result.throttled) == (None, False), n
    result = services.authenticate(users[0].username, PASSWORD, "10.0.0.7")
    assert (result.user, result.throttled) == (None, True)


def test_failed_sign_ins_and_locks_are_audited_without_the_password(app, make_user, clock):
    """SECURITY.md: "Failed sign-ins and locks are audited, never with the attempted password."."""
    make_user(username="wang.li")
    for _ in range(4):
        services.authenticate("Wang.Li", "Secret-guess-1", "10.0.0.7")
    assert audit_rows("auth.account_locked") == []
    services.authenticate("wang.li", "Secret-guess-1", "10.0.0.7")
    services.authenticate("nobody", "Secret-guess-2", "10.0.0.7")
    db.session.commit()
    failed = audit_rows("auth.sign_in_failed")
    assert [(r.object_type, r.object_id) for r in failed] == [
        ("login_throttle", "wang.li")] * 5 + [("login_throttle", "nobody")]
    assert all(json.loads(r.after) == {"username": "wang.li"} for r in failed[:5])
    (locked,) = audit_rows("auth.account_locked")
    assert (locked.object_type, locked.object_id) == ("login_throttle", "wang.li")
    assert json.loads(locked.after) == {"username": "wang.li",
                                        "locked_until": (clock.now + timedelta(minutes=15))
                                        .isoformat()}
    for row in [*failed, locked]:
        assert "Secret-guess" not in row.before + row.after
    services.authenticate("wang.li", "Secret-guess-3", "10.0.0.7")  # locked: not checked
    db.session.commit()
    assert len(audit_rows("auth.sign_in_failed")) == 6


# "Throttling per account (5 failures in 15 minutes -> 15-minute soft lock, a supervisor can
# unlock)"
def test_a_long_name_typed_is_audited_as_far_as_the_trail_keeps_it(app, clock):
    """The audit row names the account as typed, cut to the 64 characters its object id
    holds (the throttle's own key keeps 150)."""
    long = "x" * 70
    for _ in range(5):
        services.record_failure(long)
    db.session.commit()
    assert {r.object_id for r in audit_rows("auth.sign_in_failed")} == {"x" * 64}
    assert audit_rows("auth.account_locked")[0].object_id == "x" * 64


def test_locked_accounts_are_listed_latest_lock_first(app, make_user, clock):
    """"a supervisor sees a list of locked accounts" (issue 13): who, and until when."""
    person = make_user(username="wang.li")
    start = clock.now
    for name in ("zhao.si", "wang.li"):
        for _ in range(5):
            services.record_failure(name)
        clock.advance(minutes=1)
    for name in ("bo.le", "an.ke"):  # locked at the same moment: by name
        for _ in range(5):
            services.record_failure(name)
    for _ in range(3):
        services.record_failure("qian.wu")  # failures, no lock
    services.record_address_failure("10.0.0.7")
    db.session.commit()
    listed = services.locked_accounts()
    until = start + timedelta(minutes=2 + 15)
    assert listed == [
        (None, "an.ke", until),
        (None, "bo.le", until),
        (person, "wang.li", start + timedelta(minutes=1 + 15)),
        (None, "zhao.si", start + timedelta(minutes=15)),
    ]
    clock.set(start + timedelta(minutes=15))  # zhao.si's lock has run out
    assert [name for _p, name, _u in services.locked_accounts()] == ["an.ke", "bo.le",
                                                                      "wang.li"]


def test_four_failures_leave_the_account_open_and_the_fifth_locks_it_for_fifteen_minutes(
        app, clock):
    for n in range(1, 5):
        services.record_failure("wang.li")
        assert not services.account_locked("wang.li"), n
        assert throttle_row("account:wang.li").count == n
    services.record_failure("wang.li")
    locked_at = clock.now
    assert services.account_locked("wang.li")
    row = throttle_row("account:wang.li")
    assert row.locked_until == locked_at + timedelta(minutes=15)
    assert (row.count, row.window_start) == (0, locked_at)  # a fresh window after the lock
    clock.set(locked_at + timedelta(minutes=15) - ONE_SECOND)
    assert services.account_locked("wang.li")
    clock.set(locked_at + timedelta(minutes=15))
    assert not services.account_locked("wang.li")


def test_failures_count_within_fifteen_minutes_of_the_first(app, clock):
    start = clock.now
    for _ in range(4):
        services.record_failure("wang.li")
    clock.set(start + timedelta(minutes=15) - ONE_SECOND)
    services.record_failure("wang.li")  # the fifth inside the window locks
    assert services.account_locked("wang.li")


def test_failures_fifteen_minutes_apart_do_not_add_up(app, clock):
    start = clock.now
    for _ in range(4):
        services.record_failure("wang.li")
    clock.set(start + timedelta(minutes=15))
    services.record_failure("wang.li")  # a new window: this is the first failure of it
    assert not services.account_locked("wang.li")
    row = throttle_row("account:wang.li")
    assert (row.count, row.window_start) == (1, start + timedelta(minutes=15))


def test_the_throttle_numbers_come_from_the_config(app, clock):
    app.config.update(LOGIN_MAX_FAILURES=2, LOGIN_LOCK_DURATION=timedelta(minutes=3),
                      LOGIN_MAX_PER_ADDRESS_PER_MINUTE=1)
    services.record_failure("wang.li")
    assert not services.account_locked("wang.li")
    services.record_failure("wang.li")
    assert throttle_row("account:wang.li").locked_until == clock.now + timedelta(minutes=3)
    assert not services.address_over_limit("10.0.0.7")
    services.record_address_failure("10.0.0.7")
    assert services.address_over_limit("10.0.0.7")


def test_a_successful_sign_in_clears_the_failures(app, make_user, clock):
    """The count is of failures in a row: four, a success, then one more does not lock."""
    user = make_user(username="wang.li")
    for _ in range(4):
        assert services.authenticate("wang.li", "wrong password", "10.0.0.7").user is None
    assert services.authenticate("wang.li", PASSWORD, "10.0.0.7").user == user
    db.session.commit()
    assert throttle_row("account:wang.li") is None
    assert services.authenticate("wang.li", "wrong password", "10.0.0.7").user is None
    db.session.commit()
    assert not services.account_locked("wang.li")
    assert services.authenticate("wang.li", PASSWORD, "10.0.0.7").user == user


def test_sign_in_takes_the_name_in_any_case_and_audits_who(app, make_user, clock):
    user = make_user(username="wang.li")
    result = services.authenticate("  WANG.Li ", PASSWORD, "10.0.0.7")
    assert (result.user, result.throttled) == (user, False)
    db.session.commit()
    (row,) = audit_rows("auth.sign_in")
    assert (row.actor_id, row.actor_role, row.object_type, row.object_id) == (
        user.id, "agent", "user", str(user.id))
    assert json.loads(row.after) == {"username": "wang.li"}
    assert json.loads(row.before) == {}


@pytest.mark.parametrize("case", ["unknown", "wrong", "left"])
def test_unknown_name_wrong_password_and_people_who_left_all_fail_alike(
        app, make_user, clock, case):
    """Each counts a failure against the name typed and signs nobody in."""
    make_user(username="wang.li", status=Status.LEFT if case == "left" else Status.ACTIVE)
    name, password = {"unknown": ("zhao.si", PASSWORD), "wrong": ("wang.li", "wrong password"),
                      "left": ("wang.li", PASSWORD)}[case]
    result = services.authenticate(name, password, "10.0.0.7")
    assert (result.user, result.throttled) == (None, False)
    assert throttle_row(services.account_key(name)).count == 1
    assert audit_rows("auth.sign_in") == []


def test_a_locked_account_is_refused_even_with_the_right_password(app, make_user, clock):
    user = make_user(username="wang.li")
    for _ in range(5):
        services.authenticate("wang.li", "wrong password", "10.0.0.7")
    result = services.authenticate("wang.li", PASSWORD, "10.0.0.8")
    assert (result.user, result.throttled) == (None, True)
    clock.advance(minutes=15)
    assert services.authenticate("wang.li", PASSWORD, "10.0.0.8").user == user


def test_an_address_over_its_limit_is_refused_even_with_the_right_password(
        app, make_user, clock):
    make_user(username="wang.li")
    app.config["LOGIN_MAX_PER_ADDRESS_PER_MINUTE"] = 2
    for _ in range(2):
        services.authenticate("zhao.si", "wrong password", "10.0.0.7")
    result = services.authenticate("wang.li", PASSWORD, "10.0.0.7")
    assert (result.user, result.throttled) == (None, True)
    assert throttle_row("account:wang.li") is None  # a throttled try is not a failure


def test_a_supervisor_unlocks_a_locked_account_and_it_is_audited(app, make_user, clock):
    """"a supervisor can unlock"."""
    user = make_user(username="wang.li")
    for _ in range(5):
        services.record_failure("wang.li")
    assert services.unlock_account(user) is True
    db.session.commit()
    assert throttle_row("account:wang.li") is None
    assert not services.account_locked("wang.li")
    (row,) = audit_rows("account.unlock")
    assert (row.object_type, row.object_id) == ("user", str(user.id))


def test_unlocking_an_open_account_changes_nothing_and_audits_nothing(app, make_user, clock):
    user = make_user(username="wang.li")
    assert services.unlock_account(user) is False
    services.record_failure("wang.li")  # failures, but no lock
    assert services.unlock_account(user) is False
    for _ in range(5):
        services.record_failure("wang.li")
    clock.advance(minutes=15)  # the lock has run out by itself
    assert services.unlock_account(user) is False
    db.session.commit()
    assert throttle_row("account:wang.li") is None  # the spent row is cleared all the same
    assert audit_rows("account.unlock") == []


def test_a_password_change_ends_other_sessions_and_is_audited(app, make_user):
    """"sign-out, password change, role change and deactivation raise [the session epoch]"."""
    user = make_user(must_change_password=True)
    epoch, digest = user.session_epoch, user.password_hash
    services.change_password(user, "a new long passphrase")
    db.session.commit()
    assert user.session_epoch == epoch + 1
    assert user.password_hash != digest
    assert services.verify_password(user, "a new long passphrase")
    assert user.must_change_password is False
    (row,) = audit_rows("auth.password_change")
    assert (row.actor_id, row.object_type, row.object_id) == (user.id, "user", str(user.id))
    assert "a new long passphrase" not in row.before + row.after


def test_sign_out_ends_every_session_and_is_audited(app, make_user):
    user = make_user()
    epoch = user.session_epoch
    services.sign_out(user)
    db.session.commit()
    assert user.session_epoch == epoch + 1
    (row,) = audit_rows("auth.sign_out")
    assert (row.actor_id, row.object_type, row.object_id) == (user.id, "user", str(user.id))
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_the_address_limit_counts_each_address_on_its_own(app, make_user, clock):
    """"per client address": one address over its limit leaves another's sign-in alone."""
    user = make_user(username="wang.li")
    app.config["LOGIN_MAX_PER_ADDRESS_PER_MINUTE"] = 2
    for _ in range(3):
        services.authenticate("zhao.si", "wrong password", "10.0.0.7")
    assert throttle_row("address:10.0.0.7").count == 2  # the third was refused, not counted
    assert services.authenticate("wang.li", PASSWORD, "10.0.0.8").user == user
    assert throttle_row("address:10.0.0.8") is None
    assert throttle_row("address:unknown") is None
