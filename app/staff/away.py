"""Away from seat (离席): an agent on shift asks, the lead allows with one tap, a live list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import audit
from app.extensions import db
from app.inbox import services as inbox
from app.people.models import User
from app.settings import value as setting
from app.staff.leave import lead_of
from app.staff.models import AwayRequest, AwayStatus, Shift
from app.workflow import Refusal, check_turn

OPEN = (AwayStatus.REQUESTED, AwayStatus.AWAY)


def current_shift(user: User, now: datetime) -> Shift | None:
    """The shift the person is working right now (not one they are on leave from)."""
    return db.session.scalar(select(Shift).where(
        Shift.user_id == user.id, Shift.starts_at <= now, Shift.ends_at > now,
        Shift.leave_id.is_(None)))


def ask(user: User, now: datetime) -> AwayRequest:
    """Ask the lead to step away; only on shift and one request at a time."""
    if current_shift(user, now) is None:
        raise Refusal("away", _("You can ask to step away only while you are on shift."))
    open_one = db.session.scalar(select(AwayRequest.id).where(
        AwayRequest.user_id == user.id, AwayRequest.status.in_(OPEN)))
    if open_one is not None:
        raise Refusal("away", _("You already have an open away request."))
    away = AwayRequest(user_id=user.id, team_id=user.team_id, status=AwayStatus.REQUESTED,
                       requested_at=now)
    db.session.add(away)
    audit.record("away.ask", away, actor=user, after={"status": away.status})
    return away


def can_decide(actor: User, away: AwayRequest) -> bool:
    """The agent's lead (or a supervisor) allows; never the agent themselves."""
    if actor.id == away.user_id:
        return False
    if actor.role == "supervisor":
        return True
    lead = lead_of(away.user)
    return lead is not None and lead.id == actor.id


def decide(away: AwayRequest, actor: User, allow: bool, seen_version: int,
           now: datetime) -> None:
    """One tap: allow (the clock starts) or refuse."""
    check_turn(can_decide(actor, away), away, seen_version,
               still_open=away.status == AwayStatus.REQUESTED)
    away.status = AwayStatus.AWAY if allow else AwayStatus.REFUSED
    away.decided_by_id = actor.id
    if allow:
        away.left_at = now
    audit.record("away.allow" if allow else "away.refuse", away, actor=actor,
                 after={"status": away.status})
    inbox.post(away.user_id, "away.allowed" if allow else "away.refused", "staff.away_board", {},
               at=now, asked=away.requested_at)


def come_back(away: AwayRequest, actor: User, seen_version: int, now: datetime) -> None:
    """The agent (or the lead for them) marks the return."""
    check_turn(actor.id == away.user_id or can_decide(actor, away), away, seen_version,
               still_open=away.status == AwayStatus.AWAY)
    away.status = AwayStatus.BACK
    away.back_at = now
    audit.record("away.back", away, actor=actor, after={
        "status": away.status, "minutes": round((now - away.left_at).total_seconds() / 60, 1)})


@dataclass
class AwayRow:
    """One line of the live list."""

    away: AwayRequest
    minutes: float
    overdue: bool


def live(team_id: int | None, now: datetime) -> list[AwayRow]:
    """Who is away or waiting to go, for one team (or every team), with minutes and overdue."""
    stmt = select(AwayRequest).where(AwayRequest.status.in_(OPEN)).options(
        joinedload(AwayRequest.user)).order_by(AwayRequest.requested_at)
    if team_id is not None:
        stmt = stmt.where(AwayRequest.team_id == team_id)
    limit = setting("away_minutes")
    rows = []
    for away in db.session.scalars(stmt):
        since = away.left_at or away.requested_at
        minutes = (now - since).total_seconds() / 60
        rows.append(AwayRow(away, minutes, away.status == AwayStatus.AWAY and minutes > limit))
    return rows
