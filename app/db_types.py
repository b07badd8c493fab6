"""Column types shared by every area."""

import enum
from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Store UTC; refuse naive datetimes so no local time slips in."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        """Hand back aware UTC datetimes."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def __repr__(self) -> str:
        return "UTCDateTime()"


def utc_default() -> datetime:
    """Default for created/updated columns."""
    return datetime.now(UTC)


def render_item(type_, obj, autogen_context):
    """Alembic autogenerate: write UTCDateTime as the plain type it stores."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


# Indexes on an expression (lower(employee_no)): autogenerate can neither reflect nor compare
# them, so it leaves them to their migration; tests/test_migrations.py checks each one works.
EXPRESSION_INDEXES = frozenset({"uq_user_employee_no_nocase"})


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic autogenerate: everything but the expression indexes above."""
    return not (type_ == "index" and name in EXPRESSION_INDEXES)


def one_of(column: str, values: type[enum.Enum]) -> str:
    """A CHECK constraint's text: the column holds one of an enum's values."""
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"
