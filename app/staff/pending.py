"""What waits for each approver in the time work: the kinds the pending counter adds up, and
the home card that lets a lead or supervisor decide on the spot."""

from __future__ import annotations

from flask_babel import ngettext
from sqlalchemy import false, select
from sqlalchemy.orm import joinedload

from app import areas, statements
from app.areas import Waiting
from app.extensions import db
from app.people.models import Role, Team, User
from app.staff import leave, swaps
from app.staff.models import AwayRequest, AwayStatus, Handover, LeaveRequest, ShiftSwap


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


WAITING = (
    Waiting("leave", leave.waiting_for,
            lambda n: ngettext("%(num)d leave request waits for you",
                               "%(num)d leave requests wait for you", n),
            "staff.list_leave"),
    Waiting("swaps", swaps.waiting_for,
            lambda n: ngettext("%(num)d shift swap waits for you",
                               "%(num)d shift swaps wait for you", n),
            "staff.list_swaps"),
    Waiting("away", away_waiting,
            lambda n: ngettext("%(num)d person asks to step away",
                               "%(num)d people ask to step away", n),
            "staff.away_board"),
    Waiting("handovers", handovers_waiting,
            lambda n: ngettext("%(num)d handover waits for your signature",
                               "%(num)d handovers wait for your signature", n),
            "staff.list_handovers"),
)


def home_card(actor: User, limit: int = 5) -> dict | None:
    """The counts, and the oldest leave requests and swaps waiting, which the card lets the
    person decide on the spot; None when nothing waits. Kinds with nothing waiting cost no
    query.

    Every related row is many-to-one, so it comes joined into the same query: one query
    per list (a selectin load would cost one more query per relation, each ~0.3 ms). Both
    lists are built once per role (app/statements.py), with the counts: the lead's home page
    answered 312 requests a second before they were built per request and 181 after
    (make bench, / lead1).
    """
    numbers = areas.waiting_counts(actor, list(WAITING))
    if not any(numbers.values()):
        return None
    found = {"counts": numbers, "leave": [], "swaps": []}
    someone, args = statements.Person(actor.role), statements.person_args(actor)
    if numbers["leave"]:
        found["leave"] = db.session.scalars(statements.once(
            ("home leave", actor.role, limit),
            lambda: leave.waiting_for(someone).options(joinedload(LeaveRequest.user))
            .order_by(LeaveRequest.starts_at).limit(limit)), args).all()
    if numbers["swaps"]:
        found["swaps"] = db.session.scalars(statements.once(
            ("home swaps", actor.role, limit),
            lambda: swaps.waiting_for(someone).options(
                joinedload(ShiftSwap.requester), joinedload(ShiftSwap.counterpart),
                joinedload(ShiftSwap.requester_shift), joinedload(ShiftSwap.counterpart_shift))
            .order_by(ShiftSwap.created_at).limit(limit)), args).all()
    return found
