"""What waits for each approver: the home cards and the counter in the navigation."""

from __future__ import annotations

from sqlalchemy import false, func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.staff import leave, swaps
from app.staff.models import (
    AwayRequest,
    AwayStatus,
    Handover,
    LeaveRequest,
    Role,
    ShiftSwap,
    Team,
    User,
)


def away_waiting(actor: User):
    """Away requests this person may allow: their team's, or every team's for a supervisor."""
    stmt = select(AwayRequest).where(AwayRequest.status == AwayStatus.REQUESTED,
                                     AwayRequest.user_id != actor.id)
    if actor.role == Role.SUPERVISOR:
        return stmt
    if actor.role == Role.LEAD:
        return stmt.join(Team, AwayRequest.team_id == Team.id).where(Team.lead_id == actor.id)
    return stmt.where(false())


def handovers_waiting(actor: User):
    """Handovers this lead could receive and sign: unsigned, written by someone else."""
    if actor.role != Role.LEAD:
        return select(Handover).where(false())
    return select(Handover).where(Handover.signed_at.is_(None),
                                  Handover.written_by_id != actor.id)


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


def count(actor: User) -> int:
    """Everything waiting for this person, in one number."""
    return sum(_count(stmt) for stmt in (
        leave.waiting_for(actor), swaps.waiting_for(actor), away_waiting(actor),
        handovers_waiting(actor)))


def lists(actor: User, limit: int = 20) -> dict[str, list]:
    """The waiting items themselves, oldest first, for the home cards.

    Every related row is many-to-one, so it comes joined into the same query: one query
    per card (a selectin load would cost one more query per relation, each ~0.3 ms).
    """
    return {
        "leave": db.session.scalars(
            leave.waiting_for(actor).options(joinedload(LeaveRequest.user))
            .order_by(LeaveRequest.starts_at).limit(limit)).all(),
        "swaps": db.session.scalars(
            swaps.waiting_for(actor).options(
                joinedload(ShiftSwap.requester), joinedload(ShiftSwap.counterpart),
                joinedload(ShiftSwap.requester_shift), joinedload(ShiftSwap.counterpart_shift))
            .order_by(ShiftSwap.created_at).limit(limit)).all(),
        "away": db.session.scalars(
            away_waiting(actor).options(joinedload(AwayRequest.user))
            .order_by(AwayRequest.requested_at).limit(limit)).all(),
        "handovers": db.session.scalars(
            handovers_waiting(actor).options(joinedload(Handover.team))
            .order_by(Handover.written_at).limit(limit)).all(),
    }
