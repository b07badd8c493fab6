"""Passwords, sign-in throttling and session rules."""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select

from app import audit
from app.auth.models import LoginThrottle
from app.extensions import db
from app.people.models import User
from app.people.passwords import hash_password, hasher
from app.timeutil import as_utc, utcnow

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


@cache
def common_passwords() -> frozenset[str]:
    """The passwords every attacker tries first."""
    path = Path(__file__).with_name("common_passwords.txt")
    return frozenset(line.strip().lower() for line in path.read_text().splitlines() if line)


def password_problem(password: str, *, username: str = "", employee_no: str = "") -> str | None:
    """Why a new password is refused, or None; length and common-ness only, no composition."""
    from flask_babel import gettext as _

    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return _("Use at most %(n)d characters.", n=MAX_PASSWORD_LENGTH)
    lowered = password.lower()
    if lowered in common_passwords() or len(set(password)) < 3:
        return _("This password is too common. Choose another.")
    if lowered in {username.lower(), employee_no.lower()}:
        return _("The password must not be your username or employee no.")
    return None


@cache
def _dummy_hash(memory: int, time_cost: int, parallelism: int) -> str:
    return PasswordHasher(time_cost, memory, parallelism).hash(secrets.token_hex(16))


def dummy_verify(password: str) -> None:
    """Spend the same time as a real check so an unknown name is not told apart by timing."""
    cfg = current_app.config
    digest = _dummy_hash(
        cfg["ARGON2_MEMORY_KIB"], cfg["ARGON2_TIME_COST"], cfg["ARGON2_PARALLELISM"]
    )
    with contextlib.suppress(VerificationError):
        hasher().verify(digest, password)


def verify_password(user: User, password: str) -> bool:
    """Check a password; rehash in place when the cost parameters have changed."""
    ph = hasher()
    try:
        ph.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if ph.check_needs_rehash(user.password_hash):
        user.password_hash = ph.hash(password)
    return True


def _throttle(key: str) -> LoginThrottle:
    row = db.session.get(LoginThrottle, key, with_for_update=True)
    if row is None:
        row = LoginThrottle(key=key, count=0, window_start=utcnow())
        db.session.add(row)
    return row


def account_key(username: str) -> str:
    """Throttle key for an account name, known or not."""
    return "account:" + username.strip().lower()[:150]


def address_key(address: str) -> str:
    """Throttle key for a client address."""
    return "address:" + (address or "unknown")[:150]


def address_over_limit(address: str) -> bool:
    """True while this address has used up its failures of the minute: "per client address
    (20 failures a minute; successful sign-ins never count ...)". Reading counts nothing."""
    row = db.session.get(LoginThrottle, address_key(address))
    if row is None or utcnow() - as_utc(row.window_start) >= timedelta(minutes=1):
        return False
    return row.count >= current_app.config["LOGIN_MAX_PER_ADDRESS_PER_MINUTE"]


def record_address_failure(address: str) -> None:
    """Count one failed sign-in from this address in its minute."""
    row = _throttle(address_key(address))
    now = utcnow()
    if now - as_utc(row.window_start) >= timedelta(minutes=1):
        row.window_start, row.count = now, 0
    row.count += 1


def account_locked(username: str) -> bool:
    """True while the account name is soft-locked after too many failures."""
    row = db.session.get(LoginThrottle, account_key(username))
    return bool(row and row.locked_until and as_utc(row.locked_until) > utcnow())


def record_failure(username: str) -> None:
    """Count a failed password, audited with the name typed (never the password); the Nth
    failure in the window locks the account name, and the lock is audited too."""
    cfg = current_app.config
    key = account_key(username)
    row = _throttle(key)
    now = utcnow()
    if now - as_utc(row.window_start) >= cfg["LOGIN_FAILURE_WINDOW"]:
        row.window_start, row.count = now, 0
    row.count += 1
    name = key.removeprefix("account:")
    audit.record("auth.sign_in_failed", object_type="login_throttle", object_id=name[:64],
                 after={"username": name})
    if row.count >= cfg["LOGIN_MAX_FAILURES"]:
        row.locked_until = now + cfg["LOGIN_LOCK_DURATION"]
        row.count = 0
        row.window_start = now
        audit.record("auth.account_locked", object_type="login_throttle", object_id=name[:64],
                     after={"username": name, "locked_until": row.locked_until})


def clear_failures(username: str) -> None:
    """Forget failures after a successful sign-in."""
    row = db.session.get(LoginThrottle, account_key(username))
    if row is not None:
        db.session.delete(row)


def unlock_account(user: User) -> bool:
    """A supervisor lifts a soft lock; True if there was one."""
    row = db.session.get(LoginThrottle, account_key(user.username))
    locked = bool(row and row.locked_until and as_utc(row.locked_until) > utcnow())
    if row is not None:
        db.session.delete(row)
    if locked:
        audit.record("account.unlock", user)
    return locked


@dataclass
class SignInResult:
    """The outcome of a sign-in attempt."""

    user: User | None = None
    throttled: bool = False


def authenticate(username: str, password: str, address: str) -> SignInResult:
    """Check one sign-in attempt. Unknown name and wrong password are indistinguishable; each
    failure counts against the name typed and the address, a success against neither."""
    name = username.strip().lower()
    if address_over_limit(address) or account_locked(name):
        dummy_verify(password)
        return SignInResult(throttled=True)
    user = db.session.scalar(select(User).where(func.lower(User.username) == name))
    if user is None or not user.is_active:
        dummy_verify(password)
    elif verify_password(user, password):
        clear_failures(name)
        audit.record("auth.sign_in", user, actor=user, after={"username": user.username})
        return SignInResult(user=user)
    record_failure(name)
    record_address_failure(address)
    return SignInResult()


def check_current_password(user: User, password: str) -> str | None:
    """Why the current password given on the change form is not accepted, or None: "A wrong
    current password when changing the password is throttled the same way" as sign-in."""
    if account_locked(user.username):
        dummy_verify(password)
        return "locked"
    if verify_password(user, password):
        return None
    record_failure(user.username)
    return "locked" if account_locked(user.username) else "wrong"


def locked_accounts() -> list[tuple[User | None, str, datetime]]:
    """Every account name locked now, with its person (None for a name nobody has) and the
    moment the lock ends, the latest lock first. (Only account names lock: an address is
    refused while its minute's failures are used up, and never gets a lock.)"""
    rows = db.session.scalars(select(LoginThrottle).where(LoginThrottle.locked_until > utcnow())
                              .order_by(LoginThrottle.locked_until.desc(), LoginThrottle.key)).all()
    names = [row.key.removeprefix("account:") for row in rows]
    people = {person.username.lower(): person for person in db.session.scalars(
        select(User).where(func.lower(User.username).in_(names)))} if names else {}
    return [(people.get(row.key.removeprefix("account:")), row.key.removeprefix("account:"),
             as_utc(row.locked_until)) for row in rows]


def change_password(user: User, new_password: str) -> None:
    """Set a new password chosen by its owner; every other session ends."""
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.end_sessions()
    audit.record("auth.password_change", user, actor=user)


def sign_out(user: User) -> None:
    """Sign-out ends every session of this person, not just this browser's."""
    user.end_sessions()
    audit.record("auth.sign_out", user, actor=user)
