"""Settings read from the environment, with safe defaults."""

import os
from datetime import timedelta

WEAK_SECRETS = {"", "dev", "secret", "changeme", "change-me", "callfloor"}


class Config:
    """Defaults; every value can be overridden from the environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "")
    # The audit chain's HMAC key; without it, instance/audit_key (made on first start).
    AUDIT_KEY = os.environ.get("AUDIT_KEY", "")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    CENTER_NAME = os.environ.get("CENTER_NAME", "")
    CENTER_TIMEZONE = os.environ.get("CENTER_TIMEZONE", "Asia/Shanghai")
    BABEL_DEFAULT_LOCALE = "zh"
    LANGUAGES = ("zh", "en")
    BABEL_TRANSLATION_DIRECTORIES = "translations"

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "").lower() in {"1", "true"}
    SESSION_COOKIE_NAME = "callfloor_session"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # The cookie's own lifetime is the absolute timeout; the idle clock is refreshed by
    # check_session_age at most every 30 s, so the cookie need not be re-signed every request.
    SESSION_REFRESH_EACH_REQUEST = False
    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session, which has its own limits
    WTF_CSRF_SSL_STRICT = False  # behind an intranet proxy the Referer often lacks https
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024

    # argon2id as OWASP recommends: m=19 MiB, t=2, p=1
    ARGON2_MEMORY_KIB = 19 * 1024
    ARGON2_TIME_COST = 2
    ARGON2_PARALLELISM = 1

    LOGIN_MAX_FAILURES = 5
    LOGIN_FAILURE_WINDOW = timedelta(minutes=15)
    LOGIN_LOCK_DURATION = timedelta(minutes=15)
    LOGIN_MAX_PER_ADDRESS_PER_MINUTE = 20
    # How many reverse proxies in front of the app are trusted to say the client's address
    # (X-Forwarded-For) and scheme; 0 (the default) trusts none and uses the connection's.
    TRUSTED_PROXIES = os.environ.get("TRUSTED_PROXIES", "0")

    PAGE_SIZE = 25
    PAGE_SIZE_MAX = 100
    TESTING = False
    DEMO = os.environ.get("CALLFLOOR_DEMO", "").lower() in {"1", "true"}


def secret_is_strong(secret: str) -> bool:
    """A production secret must be long and not a well-known placeholder."""
    return len(secret) >= 32 and secret.lower() not in WEAK_SECRETS and len(set(secret)) >= 10
