"""Quality: the call log, the telephony system's API tokens and the sampling rules."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UTCDateTime, utc_default
from app.extensions import db
from app.staff.models import Team, User


class Direction(enum.StrEnum):
    """Which way a call went."""

    IN = "in"
    OUT = "out"


class Call(db.Model):
    """One call from the telephony system; the recording serial no. identifies it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    serial_no: Mapped[str] = mapped_column(String(64), unique=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    duration_s: Mapped[int] = mapped_column(Integer)
    direction: Mapped[str] = mapped_column(String(8))
    customer_number: Mapped[str] = mapped_column(String(32), default="")
    recording_url: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(8), default="file")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_default)

    agent: Mapped[User] = relationship(foreign_keys=[agent_id])

    __table_args__ = (
        CheckConstraint("duration_s >= 0", name="duration"),
        CheckConstraint("direction IN ('in', 'out')", name="direction"),
        CheckConstraint("source IN ('file', 'api')", name="source"),
        Index("ix_call_agent_started", "agent_id", "started_at"),
    )

    @property
    def masked_number(self) -> str:
        """The customer's number as staff may see it: only its last 4 digits."""
        number = self.customer_number or ""
        return "*" * max(0, min(len(number), 11) - 4) + number[-4:] if number else ""


class ApiToken(db.Model):
    """A key the telephony system sends its call batches with; only its hash is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_default)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])


class Scope(enum.StrEnum):
    """Whose calls a sampling rule covers."""

    ALL = "all"
    TEAM = "team"
    PEOPLE = "people"


class RuleStatus(enum.StrEnum):
    """A sampling rule is written as a draft and then published, after which it is fixed."""

    DRAFT = "draft"
    PUBLISHED = "published"


sampling_rule_person = Table(
    "sampling_rule_person",
    db.metadata,
    Column("rule_id", ForeignKey("sampling_rule.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


class SamplingRule(db.Model):
    """录音抽取标准: which calls of which agents will be scored, stated before the day.

    Of an agent's calls on a day that qualify (on one of the weekdays, started in the time
    window, longer than `longer_than_s` and at most `at_most_s` seconds, in the direction),
    taken in the order they started, the rule takes the `nth_from`-th to the `nth_to`-th.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(8))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="RESTRICT"))
    weekdays: Mapped[int] = mapped_column(Integer, default=0b1111111)  # bit 0 is Monday
    first_day: Mapped[date]
    last_day: Mapped[date | None]
    window_start: Mapped[time | None]
    window_end: Mapped[time | None]
    longer_than_s: Mapped[int] = mapped_column(Integer, default=0)
    at_most_s: Mapped[int | None] = mapped_column(Integer)
    direction: Mapped[str] = mapped_column(String(8), default="any")
    nth_from: Mapped[int] = mapped_column(Integer, default=1)
    nth_to: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(12), default=RuleStatus.DRAFT, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_default)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    follows_id: Mapped[int | None] = mapped_column(
        ForeignKey("sampling_rule.id", ondelete="SET NULL"))
    ended_by_successor: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(default=1)

    team: Mapped[Team | None] = relationship(foreign_keys=[team_id])
    people: Mapped[list[User]] = relationship(secondary=sampling_rule_person,
                                              order_by=User.employee_no)
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        CheckConstraint("scope IN ('all', 'team', 'people')", name="scope"),
        CheckConstraint("direction IN ('any', 'in', 'out')", name="direction"),
        CheckConstraint("status IN ('draft', 'published')", name="status"),
        CheckConstraint("weekdays BETWEEN 1 AND 127", name="weekdays"),
        CheckConstraint("nth_from >= 1 AND nth_to >= nth_from", name="nth"),
        CheckConstraint("longer_than_s >= 0", name="longer_than"),
        CheckConstraint("at_most_s IS NULL OR at_most_s > longer_than_s", name="at_most"),
        CheckConstraint("last_day IS NULL OR last_day >= first_day", name="days"),
        CheckConstraint("scope != 'team' OR team_id IS NOT NULL", name="team"),
    )
