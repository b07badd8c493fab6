"""What the people area declares: its routes' access, links and home cards."""

from sqlalchemy import select

from app import statements
from app.access import SIGNED_IN, SUPERVISOR
from app.areas import Area, NavLink, Panel
from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.people import bp, policy, services
from app.people.forms import GRADE_LABELS, ROLE_LABELS, STATUS_LABELS
from app.people.models import Role, Status, User


def _team_members(user) -> dict | None:
    """A lead's card of the current members of the team they lead."""
    if user.role != Role.LEAD:
        return None
    # Built once (app/statements.py): see inbox.services.latest_unread for the figure.
    stmt = statements.once(("team members",), lambda: select(User).where(
        User.team_id.in_(policy.led_teams(statements.Person(Role.LEAD))),
        User.status != Status.LEFT,
        User.id != statements.Person(Role.LEAD).id).order_by(User.employee_no))
    members = db.session.scalars(stmt, statements.person_args(user)).all()
    return {"members": members}


def _team(user) -> dict | None:
    """Supervisors and reviewers work for the whole center: no team card unless they have
    one."""
    if user.team is None and user.role not in (Role.AGENT, Role.LEAD):
        return None
    return {"user": user}


def _head_counts(user) -> dict | None:
    if not policy.can_manage_people(user):
        return None
    return {"counts": services.head_counts()}


AREA = Area(
    name="people",
    blueprints=(bp,),
    access={
        "people.list_people": SIGNED_IN,
        "people.show_person": SIGNED_IN,
        "people.new_person": SUPERVISOR,
        "people.edit_person": SUPERVISOR,
        "people.deactivate_person": SUPERVISOR,
        "people.promote_person": SUPERVISOR,
        "people.confirm_person": SUPERVISOR,
        "people.reset_password": SUPERVISOR,
        "people.list_teams": SIGNED_IN,
        "people.new_team": SUPERVISOR,
        "people.edit_team": SUPERVISOR,
        "people.import_people": SUPERVISOR,
        "people.preview_import": SUPERVISOR,
        "people.apply_import": SUPERVISOR,
        "people.import_template": SUPERVISOR,
    },
    nav=(
        NavLink("people.list_people", _l("People"), 180, more=True),
        NavLink("people.list_teams", _l("Teams"), 190, more=True),
    ),
    home_cards=(
        Panel("people/_card_profile.html", lambda user: {"user": user}, 40),
        Panel("people/_card_team.html", _team, 50),
        Panel("people/_card_members.html", _team_members, 60),
        Panel("people/_card_head_counts.html", _head_counts, 70),
    ),
    audit_actions={
        "person.create": _l("Person added"),
        "person.update": _l("Person changed"),
        "person.deactivate": _l("Person deactivated"),
        "person.confirm": _l("Employment confirmed"),
        "person.grade": _l("Grade changed"),
        "person.reset_password": _l("Password reset"),
        "person.locale": _l("Language chosen"),
        "people.import": _l("People imported"),
        "team.create": _l("Team created"),
        "team.update": _l("Team changed"),
    },
    audit_objects={
        "user": (_l("Person"), "people.show_person", "person_id"),
        "team": (_l("Team"), None, None),
    },
    audit_fields={
        "name": _l("Name"), "employee_no": _l("Employee no."), "username": _l("Username"),
        "phone": _l("Phone"), "role": _l("Role"), "team_id": _l("Team"), "grade": _l("Grade"),
        "hire_date": _l("Hire date"), "probation_until": _l("Probation until"),
        "status": _l("Status"), "lead_id": _l("Team lead"), "to_grade": _l("New grade"),
        "effective_on": _l("Effective from"), "note": _l("Note"), "locale": _l("Language"),
    },
    audit_values={("user", "role"): ROLE_LABELS, ("user", "grade"): GRADE_LABELS,
                  ("user", "to_grade"): GRADE_LABELS, ("user", "status"): STATUS_LABELS},
    audit_refs={"team_id": "team", "lead_id": "user", "user_id": "user"},
    audit_names={"user": services.people_names, "team": services.team_names},
    template_globals={"people_policy": policy},
)

