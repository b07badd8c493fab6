"""Who may see and change shifts, leave, swaps, handovers and away requests. Every check fails
closed."""

from sqlalchemy import Select, false, or_, select

from app.people.models import Role, Status, Team, User
from app.people.policy import is_supervisor, leads_team, led_team_ids
from app.staff.models import AwayRequest, Handover, LeaveRequest, ShiftSwap


def _has_role(viewer, *roles: Role) -> bool:
    """The signed-in viewer has one of these roles (an anonymous one has none)."""
    return bool(viewer and viewer.is_authenticated and viewer.role in roles)


def can_see_team_leave(viewer) -> bool:
    """Leads and supervisors see, beyond their own requests, those of the people they
    oversee (which ones: visible_leave)."""
    return _has_role(viewer, Role.LEAD, Role.SUPERVISOR)


def can_see_leave(viewer, leave) -> bool:
    """The requester, their team's lead and supervisors see a leave request."""
    return (
        leave.user_id == viewer.id
        or is_supervisor(viewer)
        or leads_team(viewer, leave.user.team_id)
    )


def visible_leave(viewer, stmt: Select) -> Select:
    """Restrict a select of leave requests joined to their User, in SQL."""
    if is_supervisor(viewer):
        return stmt
    if viewer.role == Role.LEAD:
        led = select(Team.id).where(Team.lead_id == viewer.id)
        return stmt.where(or_(LeaveRequest.user_id == viewer.id, User.team_id.in_(led)))
    return stmt.where(LeaveRequest.user_id == viewer.id)


def schedulable_people(viewer, stmt: Select) -> Select:
    """Restrict a select of people to those the viewer may give shifts: a supervisor anyone
    current, a lead the current people of the team they lead, everyone else nobody."""
    stmt = stmt.where(User.status != Status.LEFT)
    if is_supervisor(viewer):
        return stmt
    return stmt.where(User.team_id.in_(led_team_ids(viewer)))


def can_schedule_team(viewer, team: Team | None) -> bool:
    """Weekly patterns and the week view: supervisors any team, a lead the team they lead."""
    if team is None or not viewer.is_authenticated:
        return False
    return is_supervisor(viewer) or (viewer.role == Role.LEAD and team.lead_id == viewer.id)


def can_schedule_every_team(viewer) -> bool:
    """Supervisors schedule every team; a lead only the team they lead."""
    return is_supervisor(viewer)


def can_schedule(viewer, person: User | None) -> bool:
    """Add or remove a person's shifts: supervisors, and the lead of the person's team."""
    if person is None or not viewer.is_authenticated:
        return False
    return is_supervisor(viewer) or leads_team(viewer, person.team_id)


# Shift swaps, handovers and away from seat (the parties to a request, their leads,
# supervisors). Each `can_see_*` and its `visible_*` twin say the same thing, one per object
# and one in SQL, so a list and its detail page cannot disagree.


def _teams_led_by(viewer) -> Select:
    """A select of the ids of the teams the viewer leads (none unless a lead)."""
    if viewer.role != Role.LEAD:
        return select(Team.id).where(false())
    return select(Team.id).where(Team.lead_id == viewer.id)


def can_ask_swap(viewer) -> bool:
    """Swaps are between agents (of the same grade) or between leads."""
    return _has_role(viewer, Role.AGENT, Role.LEAD)


def can_see_team_swaps(viewer) -> bool:
    """Leads and supervisors see, beyond their own swaps, those of the people they oversee
    (which ones: visible_swaps)."""
    return _has_role(viewer, Role.LEAD, Role.SUPERVISOR)


def can_see_swap(viewer, swap) -> bool:
    """The two parties, the leads who sign for them (or lead their teams) and supervisors."""
    if swap is None or not viewer.is_authenticated:
        return False
    if is_supervisor(viewer):
        return True
    if viewer.id in (swap.requester_id, swap.counterpart_id, swap.requester_lead_id,
                     swap.counterpart_lead_id):
        return True
    return leads_team(viewer, swap.requester.team_id) or leads_team(viewer,
                                                                   swap.counterpart.team_id)


def visible_swaps(viewer, stmt: Select) -> Select:
    """Restrict a select of shift swaps to those the viewer may see, in SQL."""
    if is_supervisor(viewer):
        return stmt
    members = select(User.id).where(User.team_id.in_(_teams_led_by(viewer)))
    return stmt.where(or_(
        ShiftSwap.requester_id == viewer.id, ShiftSwap.counterpart_id == viewer.id,
        ShiftSwap.requester_lead_id == viewer.id, ShiftSwap.counterpart_lead_id == viewer.id,
        ShiftSwap.requester_id.in_(members), ShiftSwap.counterpart_id.in_(members),
    ))


def can_write_handover(viewer, team: Team | None) -> bool:
    """Leads write their own team's handovers; supervisors any team's."""
    if team is None or not viewer.is_authenticated:
        return False
    return is_supervisor(viewer) or (viewer.role == Role.LEAD and team.lead_id == viewer.id)


def can_see_all_handovers(viewer) -> bool:
    """Supervisors see every team's handovers and filter them by team; a lead's list keeps to
    the teams they lead, with those teams' open items."""
    return is_supervisor(viewer)


def can_see_handover(viewer, handover) -> bool:
    """Supervisors; leads see their own team's, the ones they wrote or signed, and unsigned
    ones of other teams (the incoming lead may be any lead)."""
    if handover is None or not viewer.is_authenticated:
        return False
    if is_supervisor(viewer):
        return True
    if viewer.role != Role.LEAD:
        return False
    return (handover.signed_at is None
            or viewer.id in (handover.written_by_id, handover.signed_by_id)
            or leads_team(viewer, handover.team_id))


def visible_handovers(viewer, stmt: Select) -> Select:
    """Restrict a select of handovers to those the viewer may see, in SQL."""
    if is_supervisor(viewer):
        return stmt
    if viewer.role != Role.LEAD:
        return stmt.where(false())
    return stmt.where(or_(
        Handover.signed_at.is_(None), Handover.written_by_id == viewer.id,
        Handover.signed_by_id == viewer.id, Handover.team_id.in_(_teams_led_by(viewer)),
    ))


def can_close_handover_item(viewer, item, handover) -> bool:
    """Whoever may see the handover an open item is now listed on may close it."""
    return item.closed_at is None and can_see_handover(viewer, handover)


def can_ask_away(viewer) -> bool:
    """Agents ask to step away from their seat."""
    return _has_role(viewer, Role.AGENT)


def can_watch_away(viewer) -> bool:
    """Leads and supervisors watch who is away, allow or refuse, and mark returns."""
    return _has_role(viewer, Role.LEAD, Role.SUPERVISOR)


def can_see_away(viewer, away) -> bool:
    """The agent, the lead of the agent's team and supervisors."""
    if away is None or not viewer.is_authenticated:
        return False
    return (away.user_id == viewer.id or is_supervisor(viewer)
            or leads_team(viewer, away.team_id) or leads_team(viewer, away.user.team_id))


def visible_away(viewer, stmt: Select) -> Select:
    """Restrict a select of away requests to those the viewer may see, in SQL."""
    if is_supervisor(viewer):
        return stmt
    return stmt.where(or_(AwayRequest.user_id == viewer.id,
                          AwayRequest.team_id.in_(_teams_led_by(viewer))))
