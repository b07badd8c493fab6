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
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false

from app.db_types import UTCDateTime, utc_default
from app.extensions import db
from app.people.models import Team, User


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

# Who a published rule covers, fixed when it is published: the people its scope named then
# (agents and leads who had not left; for "all agents", every agent). Someone who joins the
# team later is not sampled by it; someone who leaves stays on the list (with no calls).
sampling_rule_covered = Table(
    "sampling_rule_covered",
    db.metadata,
    Column("rule_id", ForeignKey("sampling_rule.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True,
           index=True),
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
    # The scorecard its sampled calls are scored on (its newest version at the time); none
    # named means the center's first scorecard.
    scorecard_id: Mapped[int | None] = mapped_column(
        ForeignKey("scorecard.id", ondelete="RESTRICT"))
    version: Mapped[int] = mapped_column(default=1)

    team: Mapped[Team | None] = relationship(foreign_keys=[team_id])
    scorecard: Mapped[Scorecard | None] = relationship()
    people: Mapped[list[User]] = relationship(secondary=sampling_rule_person,
                                              order_by=User.employee_no)
    covered_people: Mapped[list[User]] = relationship(secondary=sampling_rule_covered,
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


class Scorecard(db.Model):
    """质检表: the deduction items reviewers score against. Its content lives in versions."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_default)

    versions: Mapped[list[ScorecardVersion]] = relationship(
        back_populates="scorecard", order_by="ScorecardVersion.number")


class ScorecardVersion(db.Model):
    """One state of a scorecard. A version some evaluation used never changes again: a change
    to it makes the next version."""

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecard.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_default)
    version: Mapped[int] = mapped_column(default=1)

    scorecard: Mapped[Scorecard] = relationship(back_populates="versions")
    categories: Mapped[list[ScorecardCategory]] = relationship(
        back_populates="scorecard_version", order_by="ScorecardCategory.position",
        cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (UniqueConstraint("scorecard_id", "number"),
                      CheckConstraint("number >= 1", name="number"))

    @property
    def items(self) -> list[ScorecardItem]:
        """Every deduction item, category by category."""
        return [item for category in self.categories for item in category.items]


class ScorecardCategory(db.Model):
    """A heading of a scorecard version (e.g. 服务态度)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_version_id: Mapped[int] = mapped_column(
        ForeignKey("scorecard_version.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)

    scorecard_version: Mapped[ScorecardVersion] = relationship(back_populates="categories")
    items: Mapped[list[ScorecardItem]] = relationship(
        back_populates="category", order_by="ScorecardItem.position",
        cascade="all, delete-orphan")


class ScorecardItem(db.Model):
    """扣分项: a fault and what it costs."""

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("scorecard_category.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    points: Mapped[int] = mapped_column(Integer)
    guidance: Mapped[str] = mapped_column(String(1000), default="")
    # 致命项: deducting it sets the call's score to 0, whatever else was deducted.
    critical: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    position: Mapped[int] = mapped_column(Integer, default=0)

    category: Mapped[ScorecardCategory] = relationship(back_populates="items")

    __table_args__ = (CheckConstraint("points BETWEEN 1 AND 100", name="points"),)


class SampleDraw(db.Model):
    """The sample a rule took on one day, as drawn at `drawn_at` from the log of that moment."""

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("sampling_rule.id", ondelete="CASCADE"))
    day: Mapped[date]
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_default)

    rule: Mapped[SamplingRule] = relationship()
    picks: Mapped[list[SampledCall]] = relationship(back_populates="draw",
                                                    cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("rule_id", "day"),)


class SampledCall(db.Model):
    """One call a draw took, and the reviewer it was shared out to."""

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("sample_draw.id", ondelete="CASCADE"))
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    reviewer_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True)

    draw: Mapped[SampleDraw] = relationship(back_populates="picks")
    call: Mapped[Call] = relationship()
    agent: Mapped[User] = relationship(foreign_keys=[agent_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])

    __table_args__ = (UniqueConstraint("draw_id", "call_id"),)


class EvaluationStatus(enum.StrEnum):
    """A reviewer's evaluation is a draft until published; published ones never change here."""

    DRAFT = "draft"
    PUBLISHED = "published"


class Calibration(db.Model):
    """A call every reviewer scores blind, to see how far they agree. Never counts for the
    agent."""

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"))
    scorecard_version_id: Mapped[int] = mapped_column(
        ForeignKey("scorecard_version.id", ondelete="RESTRICT"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_default)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    call: Mapped[Call] = relationship()
    scorecard_version: Mapped[ScorecardVersion] = relationship()


class Evaluation(db.Model):
    """质检评分: a reviewer's score of one call against one scorecard version."""

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"),
                                             index=True)
    scorecard_version_id: Mapped[int] = mapped_column(
        ForeignKey("scorecard_version.id", ondelete="RESTRICT"))
    sampled_call_id: Mapped[int | None] = mapped_column(
        ForeignKey("sampled_call.id", ondelete="SET NULL"))
    calibration_id: Mapped[int | None] = mapped_column(
        ForeignKey("calibration.id", ondelete="CASCADE"), index=True)
    off_sample_reason: Mapped[str] = mapped_column(String(1000), default="")
    comment: Mapped[str] = mapped_column(String(2000), default="", server_default="")
    status: Mapped[str] = mapped_column(String(12), default=EvaluationStatus.DRAFT)
    score: Mapped[int] = mapped_column(Integer, default=100)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_default)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    call: Mapped[Call] = relationship()
    agent: Mapped[User] = relationship(foreign_keys=[agent_id])
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
    scorecard_version: Mapped[ScorecardVersion] = relationship()
    sampled_call: Mapped[SampledCall | None] = relationship()
    deductions: Mapped[list[Deduction]] = relationship(
        back_populates="evaluation", cascade="all, delete-orphan", order_by="Deduction.id")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published')", name="status"),
        CheckConstraint("score BETWEEN 0 AND 100", name="score"),
        CheckConstraint("sampled_call_id IS NOT NULL OR calibration_id IS NOT NULL "
                        "OR off_sample_reason != ''", name="off_sample_reason"),
        Index("ix_evaluation_reviewer_call", "reviewer_id", "call_id"),
        # "Each sampled call has at most one in-sample evaluation."
        UniqueConstraint("sampled_call_id"),
    )

    @property
    def off_sample(self) -> bool:
        """Scored although no published rule took the call (a reason is then required)."""
        return self.sampled_call_id is None and self.calibration_id is None


class Deduction(db.Model):
    """An item ticked on an evaluation: what was wrong, where in the recording, a note."""

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("scorecard_item.id", ondelete="RESTRICT"),
                                         index=True)
    points: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500), default="")
    moment_s: Mapped[int | None] = mapped_column(Integer)

    evaluation: Mapped[Evaluation] = relationship(back_populates="deductions")
    item: Mapped[ScorecardItem] = relationship()

    __table_args__ = (UniqueConstraint("evaluation_id", "item_id"),
                      CheckConstraint("moment_s IS NULL OR moment_s >= 0", name="moment"))
