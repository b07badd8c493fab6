"""The role checks of the time work and of people, each for every role on both sides.

STYLE.md, "Authorization": "Per area, `policy.py` holds `can_<action>(user, obj)` functions that
fail closed. Views ask them; templates ask the same functions to show or hide buttons."
"""

import pytest
from flask_login import AnonymousUserMixin

from app.people import policy as people_policy
from app.people.models import Role
from app.staff import policy

# Each check with the roles it allows; every other role is refused.
ALLOWED = {
    # "Leads and supervisors see, beyond their own requests, those of the people they oversee"
    policy.can_see_team_leave: {Role.LEAD, Role.SUPERVISOR},
    # "Supervisors schedule every team; a lead only the team they lead"
    policy.can_schedule_every_team: {Role.SUPERVISOR},
    # "Swaps are between agents (of the same grade) or between leads"
    policy.can_ask_swap: {Role.AGENT, Role.LEAD},
    # "Leads and supervisors see, beyond their own swaps, those of the people they oversee"
    policy.can_see_team_swaps: {Role.LEAD, Role.SUPERVISOR},
    # "Supervisors see every team's handovers and filter them by team"
    policy.can_see_all_handovers: {Role.SUPERVISOR},
    # "Agents ask to step away from their seat"
    policy.can_ask_away: {Role.AGENT},
    # "Leads and supervisors watch who is away, allow or refuse, and mark returns"
    policy.can_watch_away: {Role.LEAD, Role.SUPERVISOR},
    # "Supervisors filter the whole center by details; a lead's filters search their own team"
    people_policy.can_filter_everyone_by_details: {Role.SUPERVISOR},
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("check", list(ALLOWED), ids=lambda check: check.__name__)
def test_each_role_check_allows_its_roles_and_refuses_the_others(make_user, check, role):
    assert check(make_user(role=role)) is (role in ALLOWED[check])


@pytest.mark.parametrize("check", list(ALLOWED), ids=lambda check: check.__name__)
def test_each_role_check_refuses_nobody_signed_in(app, check):
    """Fail closed: nobody signed in has no role."""
    with app.test_request_context():
        assert check(AnonymousUserMixin()) is False


@pytest.mark.parametrize("viewer", list(Role))
@pytest.mark.parametrize("person", list(Role))
def test_only_a_supervisor_changes_grades_and_only_an_agents(make_user, viewer, person):
    """people.policy.can_change_grade: "Grades are an agent's: a supervisor changes them
    (promotes), for agents only"."""
    allowed = viewer == Role.SUPERVISOR and person == Role.AGENT
    assert people_policy.can_change_grade(make_user(role=viewer),
                                          make_user(role=person)) is allowed


def test_nobody_signed_in_changes_a_grade(app, make_user):
    with app.test_request_context():
        assert people_policy.can_change_grade(AnonymousUserMixin(), make_user()) is False
