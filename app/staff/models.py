"""The time work: shifts, leave, swaps, handovers and away from seat."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UTCDateTime, one_of, utc_default
from app.extensions import db
from app.people.models import Team, User
from app.workflow import StepMixin


class Shift(db.Model):
    """One person's working period. A night shift belongs to the day it starts."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    label: Mapped[str] = mapped_column(String(32), default="")
    leave_id: Mapped[int | None] = mapped_column(
        ForeignKey("leave_request.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_default)
    version: Mapped[int] = mapped_column(default=1)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    leave: Mapped[LeaveRequest | None] = relationship(foreign_keys=[leave_id])

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="order"),
        UniqueConstraint("user_id", "starts_at", name="uq_shift_user_start"),
        Index("ix_shift_day_user", "day", "user_id"),
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    @property
    def hours(self) -> float:
        """Length in hours."""
        return (self.ends_at - self.starts_at).total_seconds() / 3600


class LeaveKind(enum.StrEnum):
    """Kinds of leave."""

    PERSONAL = "personal"
    SICK = "sick"
    ANNUAL = "annual"
    OTHER = "other"


class LeaveStatus(enum.StrEnum):
    """Where a leave request stands."""

    PENDING_LEAD = "pending_lead"
    PENDING_SUPERVISOR = "pending_supervisor"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class LeaveRequest(db.Model):
    """A request to be off for a period; counted in the shift hours it removes."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(500), default="")
    hours: Mapped[float] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(24), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_default)
    version: Mapped[int] = mapped_column(default=1)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    steps: Mapped[list[LeaveStep]] = relationship(
        back_populates="leave", order_by="LeaveStep.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint(one_of("kind", LeaveKind), name="kind"),
        CheckConstraint(one_of("status", LeaveStatus), name="status"),
        CheckConstraint("ends_at > starts_at", name="order"),
        CheckConstraint("hours >= 0", name="hours"),
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class LeaveStep(StepMixin, db.Model):
    """One entry in a leave request's history: asked, approved, rejected or withdrawn, and at
    which stage."""

    leave_id: Mapped[int] = StepMixin.parent_key("leave_request.id")
    stage: Mapped[str] = mapped_column(String(24), default="")

    leave: Mapped[LeaveRequest] = relationship(back_populates="steps")


class SwapStatus(enum.StrEnum):
    """Where a shift swap stands."""

    PENDING_COUNTERPART = "pending_counterpart"
    PENDING_LEADS = "pending_leads"
    PENDING_SUPERVISOR = "pending_supervisor"
    APPROVED = "approved"
    REJECTED = "rejected"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class ShiftSwap(db.Model):
    """Two people of the same level exchange one shift each."""

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    counterpart_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    requester_shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id", ondelete="CASCADE"))
    counterpart_shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(24), index=True)
    requester_lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    counterpart_lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    requester_lead_signed: Mapped[bool] = mapped_column(default=False)
    counterpart_lead_signed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_default)
    version: Mapped[int] = mapped_column(default=1)

    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    counterpart: Mapped[User] = relationship(foreign_keys=[counterpart_id])
    requester_shift: Mapped[Shift] = relationship(foreign_keys=[requester_shift_id])
    counterpart_shift: Mapped[Shift] = relationship(foreign_keys=[counterpart_shift_id])
    requester_lead: Mapped[User | None] = relationship(foreign_keys=[requester_lead_id])
    counterpart_lead: Mapped[User | None] = relationship(foreign_keys=[counterpart_lead_id])
    steps: Mapped[list[SwapStep]] = relationship(
        back_populates="swap", order_by="SwapStep.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint(one_of("status", SwapStatus), name="status"),
        CheckConstraint("requester_id <> counterpart_id", name="two_people"),
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class SwapStep(StepMixin, db.Model):
    """One entry in a swap's history."""

    swap_id: Mapped[int] = StepMixin.parent_key("shift_swap.id")

    swap: Mapped[ShiftSwap] = relationship(back_populates="steps")


class Handover(db.Model):
    """What the outgoing shift hands to the incoming one, signed by the incoming lead."""

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(index=True)
    shift_label: Mapped[str] = mapped_column(String(32), default="")
    written_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_default)
    notes: Mapped[str] = mapped_column(String(1000), default="")
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    team: Mapped[Team] = relationship()
    written_by: Mapped[User | None] = relationship(foreign_keys=[written_by_id])
    signed_by: Mapped[User | None] = relationship(foreign_keys=[signed_by_id])
    items: Mapped[list[HandoverItem]] = relationship(
        back_populates="handover", order_by="HandoverItem.id",
        foreign_keys="HandoverItem.handover_id",
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class HandoverItemKind(enum.StrEnum):
    """What a handover item is about."""

    CUSTOMER = "customer"
    INSTRUCTION = "instruction"
    EQUIPMENT = "equipment"


class HandoverItem(db.Model):
    """One matter handed over; open items carry forward until someone closes them."""

    id: Mapped[int] = mapped_column(primary_key=True)
    handover_id: Mapped[int] = mapped_column(
        ForeignKey("handover.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    details: Mapped[str] = mapped_column(String(1000))
    contact: Mapped[str] = mapped_column(String(100), default="")
    ack_status: Mapped[str] = mapped_column(String(16), default="pending")
    ack_note: Mapped[str] = mapped_column(String(500), default="")
    ack_handover_id: Mapped[int | None] = mapped_column(
        ForeignKey("handover.id", ondelete="SET NULL")
    )
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)

    handover: Mapped[Handover] = relationship(back_populates="items", foreign_keys=[handover_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])

    __table_args__ = (
        CheckConstraint(one_of("kind", HandoverItemKind), name="kind"),
        CheckConstraint("ack_status IN ('pending', 'acknowledged', 'needs_more')",
                        name="ack_status"),
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class AwayStatus(enum.StrEnum):
    """An away-from-seat request's state."""

    REQUESTED = "requested"
    AWAY = "away"
    BACK = "back"
    REFUSED = "refused"


class AwayRequest(db.Model):
    """An agent on shift asks to step away from the seat for a few minutes."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("team.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    back_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    __table_args__ = (CheckConstraint(one_of("status", AwayStatus), name="status"),)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
