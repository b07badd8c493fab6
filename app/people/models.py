"""People, teams and grade history: the base every area builds on."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UTCDateTime, one_of, utc_default
from app.extensions import db


class Role(enum.StrEnum):
    """What a person does in the center."""

    AGENT = "agent"
    QA = "qa"
    LEAD = "lead"
    SUPERVISOR = "supervisor"


class Grade(enum.StrEnum):
    """Agent grades, lowest first."""

    JUNIOR = "junior"
    INTERMEDIATE = "intermediate"
    SENIOR = "senior"


class Status(enum.StrEnum):
    """Employment status."""

    ACTIVE = "active"
    RETRAINING = "retraining"
    LEFT = "left"


class Team(db.Model):
    """A team of agents run by one lead."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", use_alter=True, ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_default)
    version: Mapped[int] = mapped_column(default=1)

    lead: Mapped[User | None] = relationship(foreign_keys=[lead_id], post_update=True)
    members: Mapped[list[User]] = relationship(
        back_populates="team", foreign_keys="User.team_id", order_by="User.employee_no"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class User(UserMixin, db.Model):
    """A person who works in the center and signs in to callfloor."""

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    employee_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    phone: Mapped[str] = mapped_column(String(32), default="")
    role: Mapped[str] = mapped_column(String(16), index=True)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("team.id", ondelete="SET NULL"), index=True
    )
    grade: Mapped[str | None] = mapped_column(String(16))
    hire_date: Mapped[date]
    probation_until: Mapped[date | None]
    confirmed_early_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), default=Status.ACTIVE, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(default=True)
    session_epoch: Mapped[int] = mapped_column(default=1)
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_default)
    version: Mapped[int] = mapped_column(default=1)

    team: Mapped[Team | None] = relationship(back_populates="members", foreign_keys=[team_id])

    __table_args__ = (
        CheckConstraint(one_of("role", Role), name="role"),
        CheckConstraint(one_of("status", Status), name="status"),
        CheckConstraint(f"grade IS NULL OR {one_of('grade', Grade)}", name="grade"),
        CheckConstraint("session_epoch >= 1", name="session_epoch"),
        # Employee nos. are unique ignoring case: CF1001 and cf1001 are one person's number.
        Index("uq_user_employee_no_nocase", func.lower(employee_no), unique=True),
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    def get_id(self) -> str:
        """Flask-Login identity: the id and the session epoch, so raising the epoch signs out."""
        return f"{self.id}.{self.session_epoch}"

    @property
    def is_active(self) -> bool:
        """People who have left cannot sign in."""
        return self.status != Status.LEFT

    def on_probation(self, today: date) -> bool:
        """True while the probation end date lies ahead."""
        return self.probation_until is not None and self.probation_until >= today

    def end_sessions(self) -> None:
        """Raise the session epoch: every session older than now stops working."""
        self.session_epoch += 1


class GradeChange(db.Model):
    """One promotion (or correction) of a person's grade; the history is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    from_grade: Mapped[str | None] = mapped_column(String(16))
    to_grade: Mapped[str] = mapped_column(String(16))
    effective_on: Mapped[date]
    note: Mapped[str] = mapped_column(String(200), default="")
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_default)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    changed_by: Mapped[User | None] = relationship(foreign_keys=[changed_by_id])

    __table_args__ = (CheckConstraint(one_of("to_grade", Grade), name="to_grade"),)
