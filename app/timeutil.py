"""One clock for the whole app, so tests can freeze it."""

from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from flask import current_app

_frozen: datetime | None = None

# The days the center works with: a day outside is a typing error (or a probe), never a shift,
# a sample or a report.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (or the frozen time, in tests)."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def freeze(at: datetime | None) -> None:
    """Stop the clock at `at` (None lets it run again). For tests and benchmarks only."""
    global _frozen  # noqa: PLW0603 — one process-wide clock is the point
    _frozen = at


def center_tz() -> tzinfo:
    """The center's time zone from settings."""
    return ZoneInfo(current_app.config["CENTER_TIMEZONE"])


def center_today() -> date:
    """Today's date in the center's time zone."""
    return utcnow().astimezone(center_tz()).date()


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; treat them as the UTC they were stored as."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def ago(delta: timedelta) -> datetime:
    """The moment `delta` before now."""
    return utcnow() - delta
