"""Who may see and change which person and team. Every check fails closed."""

from sqlalchemy import Select, false, or_, select

from app.extensions import db
from app.people.models import Role, Status, Team, User


def is_supervisor(user) -> bool:
    """Supervisors manage people and see everything."""
    return bool(user and user.is_authenticated and user.role == Role.SUPERVISOR)


def led_teams(viewer) -> Select:
    """"My team" for a lead, the one meaning everywhere: the teams they lead (Team.lead_id),
    as a select of team ids. Not the team the lead's own record is in: a lead removed from a
    team no longer leads it, whatever their record says."""
    if viewer.role != Role.LEAD:
        return select(Team.id).where(false())
    return select(Team.id).where(Team.lead_id == viewer.id)


def leads_team_of(viewer, person: User) -> bool:
    """A lead sees the members of the team they lead in full."""
    return leads_team(viewer, person.team_id)


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


def can_change_grade(viewer, person: User) -> bool:
    """Grades are an agent's: a supervisor changes them (promotes), for agents only."""
    return can_manage_people(viewer) and person.role == Role.AGENT


def can_filter_details(viewer) -> bool:
    """Filtering by role, grade or status reveals details: supervisors and leads only."""
    return viewer.role in (Role.SUPERVISOR, Role.LEAD)


def can_filter_everyone_by_details(viewer) -> bool:
    """Supervisors filter the whole center by details; a lead's filters search their own team
    (detail_scope)."""
    return is_supervisor(viewer)


def visible_people(viewer, stmt: Select) -> Select:
    """Restrict a select of people to those the viewer may see, in SQL."""
    if is_supervisor(viewer):
        return stmt
    return stmt.where(or_(User.status != Status.LEFT, User.id == viewer.id))


def detail_scope(viewer, stmt: Select) -> Select:
    """When a lead filters by details, only the details of the team they lead are searchable."""
    if can_filter_everyone_by_details(viewer):
        return stmt
    return stmt.where(User.team_id.in_(led_teams(viewer)))


def leads_team(viewer, team_id: int | None) -> bool:
    """Whether the viewer is the lead of this team."""
    if viewer.role != Role.LEAD or team_id is None:
        return False
    team = db.session.get(Team, team_id)
    return team is not None and team.lead_id == viewer.id


def led_team_ids(viewer) -> Select:
    """A select of the ids of the teams the viewer leads (none unless a lead)."""
    if viewer.role != Role.LEAD:
        return select(Team.id).where(false())
    return select(Team.id).where(Team.lead_id == viewer.id)
