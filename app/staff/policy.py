"""Who may see and change which person and team. Every check fails closed."""

from sqlalchemy import Select, false, or_, select

from app.extensions import db
from app.staff.models import (
    AwayRequest,
    Handover,
    LeaveRequest,
    Role,
    ShiftSwap,
    Status,
    Team,
    User,
)


def is_supervisor(user) -> bool:
    """Supervisors manage people and see everything."""
    return bool(user and user.is_authenticated and user.role == Role.SUPERVISOR)


def leads_team_of(viewer, person: User) -> bool:
    """A lead sees the members of their own team in full."""
    return (
        viewer.role == Role.LEAD
        and viewer.team_id is not None
        and person.team_id == viewer.team_id
    )


def can_see_person(viewer, person: User | None) -> bool:
    """Anyone sees current colleagues; people who left are visible to supervisors only."""
    if person is None or not viewer.is_authenticated:
        return False
    if is_supervisor(viewer) or person.id == viewer.id:
        return True
    return person.status != Status.LEFT


def can_see_full(viewer, person: User) -> bool:
    """Phone, grade, dates and status: supervisors, the person, and their lead."""
    if not can_see_person(viewer, person):
        return False
    return is_supervisor(viewer) or person.id == viewer.id or leads_team_of(viewer, person)


def can_manage_people(viewer) -> bool:
    """Create, edit, deactivate, promote, confirm, reset and unlock."""
    return is_supervisor(viewer)


def can_filter_details(viewer) -> bool:
    """Filtering by role, grade or status reveals details: supervisors and leads only."""
    return viewer.role in (Role.SUPERVISOR, Role.LEAD)


def visible_people(viewer, stmt: Select) -> Select:
    """Restrict a select of people to those the viewer may see, in SQL."""
    if is_supervisor(viewer):
        return stmt
    return stmt.where(or_(User.status != Status.LEFT, User.id == viewer.id))


def detail_scope(viewer, stmt: Select) -> Select:
    """When a lead filters by details, only their own team's details are searchable."""
    if is_supervisor(viewer):
        return stmt
    return stmt.where(User.team_id == viewer.team_id)


def leads_team(viewer, team_id: int | None) -> bool:
    """Whether the viewer is the lead of this team."""
    if viewer.role != Role.LEAD or team_id is None:
        return False
    team = db.session.get(Team, team_id)
    return team is not None and team.lead_id == viewer.id


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


def led_team_ids(viewer) -> Select:
    """A select of the ids of the teams the viewer leads (none unless a lead)."""
    if viewer.role != Role.LEAD:
        return select(Team.id).where(false())
    return select(Team.id).where(Team.lead_id == viewer.id)


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
