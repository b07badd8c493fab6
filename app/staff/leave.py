"""Leave requests: the center's notice rules and the two-step approval state machine."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import false, select

from app import audit
from app.extensions import db
from app.inbox import services as inbox
from app.people.models import Role, Team, User
from app.settings import value as setting
from app.staff.models import LeaveKind, LeaveRequest, LeaveStatus, LeaveStep, Shift
from app.timeutil import center_tz
from app.workflow import NotYourTurnError, Refusal, check_seen, check_turn

OPEN = (LeaveStatus.PENDING_LEAD, LeaveStatus.PENDING_SUPERVISOR)
FIELDS = ["kind", "starts_at", "ends_at", "hours", "status"]


def shifts_removed(user_id: int, starts: datetime, ends: datetime) -> list[Shift]:
    """The person's shifts that the period touches."""
    return db.session.scalars(
        select(Shift).where(Shift.user_id == user_id, Shift.starts_at < ends,
                            Shift.ends_at > starts).order_by(Shift.starts_at)
    ).all()


def hours_removed(shifts: list[Shift], starts: datetime, ends: datetime) -> float:
    """按实际误工小时计算: the hours of shift time inside the period."""
    seconds = sum(
        max(0.0, (min(s.ends_at, ends) - max(s.starts_at, starts)).total_seconds())
        for s in shifts
    )
    return round(seconds / 3600, 2)


def lead_of(user: User) -> User | None:
    """The lead who gives an agent's first approval, if the team has one (and it is not them)."""
    if user.role != Role.AGENT or user.team_id is None:
        return None
    team = db.session.get(Team, user.team_id)
    if team is None or team.lead_id is None or team.lead_id == user.id:
        return None
    return team.lead


def check_request(user: User, kind: str, starts: datetime, ends: datetime,
                  now: datetime) -> list[Shift]:
    """Every rule a new request must meet; returns the shifts it removes."""
    if kind not in set(LeaveKind):
        raise Refusal("kind", _("Choose a kind of leave."))
    if ends <= starts:
        raise Refusal("ends_at", _("The end must come after the start."))
    if ends - starts > timedelta(days=62):
        raise Refusal("ends_at", _("One request covers at most 62 days."))
    local_start_day = starts.astimezone(center_tz()).date()
    if kind == LeaveKind.PERSONAL and user.on_probation(local_start_day):
        raise Refusal("kind", _("No personal leave during probation (until %(date)s).",
                                  date=user.probation_until.isoformat()))
    shifts = shifts_removed(user.id, starts, ends)
    if not shifts:
        raise Refusal("starts_at", _("You have no shift in this period, so there is nothing "
                                       "to take leave from."))
    if kind == LeaveKind.SICK:
        minutes = setting("sick_notice_minutes")
        first = max(shifts[0].starts_at, starts)
        if now > first - timedelta(minutes=minutes):
            raise Refusal("starts_at", _(
                "Sick leave must be asked at least %(n)d minutes before the shift starts.",
                n=minutes))
    else:
        days = setting("leave_notice_days")
        if now > starts - timedelta(days=days):
            raise Refusal("starts_at", _(
                "Leave must be asked at least %(n)d day(s) before it starts.", n=days))
    clash = db.session.scalar(select(LeaveRequest.id).where(
        LeaveRequest.user_id == user.id,
        LeaveRequest.status.in_([*OPEN, LeaveStatus.APPROVED]),
        LeaveRequest.starts_at < ends, LeaveRequest.ends_at > starts))
    if clash is not None:
        raise Refusal("starts_at", _("You already have leave asked or approved in this period."))
    return shifts


def ask(user: User, kind: str, starts: datetime, ends: datetime, reason: str,
        now: datetime) -> LeaveRequest:
    """Create a request: an agent's goes to the lead first, anyone else's to the supervisor."""
    shifts = check_request(user, kind, starts, ends, now)
    status = LeaveStatus.PENDING_LEAD if lead_of(user) else LeaveStatus.PENDING_SUPERVISOR
    leave = LeaveRequest(user_id=user.id, kind=kind, starts_at=starts, ends_at=ends,
                         reason=reason, hours=hours_removed(shifts, starts, ends), status=status)
    db.session.add(leave)
    leave.steps.append(LeaveStep(action="ask", stage=status, actor_id=user.id, reason=reason,
                                 at=now))
    audit.record("leave.ask", leave, actor=user, after=audit.snapshot(leave, FIELDS))
    return leave


def can_decide(actor: User, leave: LeaveRequest) -> bool:
    """Whether it is this person's turn to approve or reject."""
    if actor.id == leave.user_id:
        return False  # nobody approves their own request
    if leave.status == LeaveStatus.PENDING_LEAD:
        lead = lead_of(leave.user)
        return lead is not None and lead.id == actor.id
    if leave.status == LeaveStatus.PENDING_SUPERVISOR:
        return actor.role == Role.SUPERVISOR
    return False


def _add_step(leave: LeaveRequest, **fields) -> None:
    """Add to the request's history without loading the history first (a decision never
    needs it; it shows up in leave.steps whenever that is read)."""
    db.session.add(LeaveStep(leave=leave, **fields))


def decide(leave: LeaveRequest, actor: User, approve: bool, reason: str, seen_version: int,
           now: datetime) -> None:
    """Approve or reject the current step. One decision per step, whoever clicks first."""
    check_turn(can_decide(actor, leave), leave, seen_version, still_open=leave.status in OPEN)
    if not approve and not reason.strip():
        raise Refusal("reason", _("Say why the request is rejected."))
    before = audit.snapshot(leave, FIELDS)
    stage = leave.status
    if not approve:
        leave.status = LeaveStatus.REJECTED
    elif stage == LeaveStatus.PENDING_LEAD:
        leave.status = LeaveStatus.PENDING_SUPERVISOR
    else:
        shifts = shifts_removed(leave.user_id, leave.starts_at, leave.ends_at)
        leave.hours = hours_removed(shifts, leave.starts_at, leave.ends_at)
        for shift in shifts:
            shift.leave_id = leave.id
        leave.status = LeaveStatus.APPROVED
    _add_step(leave, action="approve" if approve else "reject", stage=stage, actor_id=actor.id,
              reason=reason.strip(), at=now)
    audit.record("leave.approve" if approve else "leave.reject", leave, actor=actor,
                 before=before, after=audit.snapshot(leave, FIELDS))
    if leave.status in (LeaveStatus.APPROVED, LeaveStatus.REJECTED):  # the final decision
        inbox.post(leave.user_id, f"leave.{leave.status}", "staff.show_leave",
                   {"leave_id": leave.id}, at=now, kind=leave.kind, starts=leave.starts_at,
                   ends=leave.ends_at)


def withdraw(leave: LeaveRequest, actor: User, seen_version: int, now: datetime) -> None:
    """The requester takes the request back before the final decision."""
    if actor.id != leave.user_id:
        raise NotYourTurnError  # whichever version they saw: it was never theirs to withdraw
    check_seen(leave, seen_version, still_open=leave.status in OPEN)
    before = audit.snapshot(leave, FIELDS)
    stage = leave.status
    leave.status = LeaveStatus.WITHDRAWN
    _add_step(leave, action="withdraw", stage=stage, actor_id=actor.id, at=now)
    audit.record("leave.withdraw", leave, actor=actor, before=before,
                 after=audit.snapshot(leave, FIELDS))


def waiting_for(actor: User):
    """A select of the requests whose next step is this person's."""
    stmt = select(LeaveRequest).join(User, LeaveRequest.user_id == User.id).where(
        LeaveRequest.user_id != actor.id)
    if actor.role == Role.SUPERVISOR:
        return stmt.where(LeaveRequest.status == LeaveStatus.PENDING_SUPERVISOR)
    if actor.role == Role.LEAD:
        return stmt.join(Team, User.team_id == Team.id).where(
            LeaveRequest.status == LeaveStatus.PENDING_LEAD, Team.lead_id == actor.id,
            User.role == Role.AGENT)
    return stmt.where(false())
