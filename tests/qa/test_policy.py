"""Who may do what in quality (app/qa/policy.py): every role on both sides of each check, and
a visitor who is not signed in refused by all of them (the checks fail closed)."""

from datetime import UTC, datetime

from flask_login import AnonymousUserMixin

from app.people.models import Role, User
from app.qa import policy
from app.qa.models import Calibration

ROLES = list(Role)
CLOSED = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def person(role: Role) -> User:
    return User(id=1, role=role)


def open_round() -> Calibration:
    return Calibration(id=1, closed_at=None)


def closed_round() -> Calibration:
    return Calibration(id=1, closed_at=CLOSED)


def allowed(check, *args) -> set[Role]:
    """The roles the check lets through."""
    return {role for role in ROLES if check(person(role), *args)}


def test_a_visitor_who_is_not_signed_in_may_do_nothing():
    """Each check fails closed: a visitor who is not signed in is refused by all of them."""
    visitor = AnonymousUserMixin()
    for check in (policy.can_see_every_rule, policy.can_see_published_rules,
                  policy.can_write_rules, policy.can_score, policy.can_edit_scorecards,
                  policy.can_start_calibration, policy.can_report_on_center):
        assert check(visitor) is False, check.__name__
    for check in (policy.can_score_calibration, policy.can_close_calibration,
                  policy.can_see_calibration_result):
        assert check(visitor, open_round()) is False, check.__name__
        assert check(visitor, closed_round()) is False, check.__name__


def test_reviewers_and_supervisors_see_every_rule_drafts_included():
    """"qa 质检员: publishes sampling rules ahead of time"; "supervisor 主管: ... sees
    everything". Only they see drafts."""
    assert allowed(policy.can_see_every_rule) == {Role.QA, Role.SUPERVISOR}


def test_leads_reviewers_and_supervisors_see_every_published_rule():
    """"A rule must be published at least one day before the day it applies to; from then on
    it cannot change, and leads and agents can see it." A lead sees every published rule, an
    agent only the rules that cover them."""
    assert allowed(policy.can_see_published_rules) == {Role.LEAD, Role.QA, Role.SUPERVISOR}


def test_only_reviewers_write_rules():
    """"qa 质检员: publishes sampling rules ahead of time" """
    assert allowed(policy.can_write_rules) == {Role.QA}


def test_only_reviewers_score_calls():
    """"qa 质检员: ... scores the sampled calls on a scorecard" """
    assert allowed(policy.can_score) == {Role.QA}


def test_only_supervisors_edit_scorecards():
    """"supervisor 主管: ... manages people, teams, grades, scorecards" """
    assert allowed(policy.can_edit_scorecards) == {Role.SUPERVISOR}


def test_only_supervisors_start_a_calibration_round():
    """"Every reviewer scores the same call without seeing the others' scores" (the
    calibration page): a supervisor opens the round, on a call of their choice."""
    assert allowed(policy.can_start_calibration) == {Role.SUPERVISOR}


def test_reviewers_score_an_open_round_and_nobody_a_closed_one():
    """"qa 质检员: ... runs QA reports and calibration"; a closed round takes no more
    scores."""
    assert allowed(policy.can_score_calibration, open_round()) == {Role.QA}
    assert allowed(policy.can_score_calibration, closed_round()) == set()
    assert allowed(policy.can_score_calibration, None) == set()


def test_supervisors_close_an_open_round_and_nobody_a_closed_one():
    """"Close the round? The reviewers will see one another's scores." (the round's page):
    a supervisor closes it, once."""
    assert allowed(policy.can_close_calibration, open_round()) == {Role.SUPERVISOR}
    assert allowed(policy.can_close_calibration, closed_round()) == set()
    assert allowed(policy.can_close_calibration, None) == set()


def test_the_agreement_shows_to_supervisors_at_once_and_to_the_rest_once_closed():
    """Calibration is blind: another reviewer's score shows once the round is closed; the
    supervisor who runs the round follows it while it is open."""
    assert allowed(policy.can_see_calibration_result, open_round()) == {Role.SUPERVISOR}
    assert allowed(policy.can_see_calibration_result, closed_round()) == set(ROLES)
    assert allowed(policy.can_see_calibration_result, None) == set()


def test_reports_cover_the_whole_center_for_reviewers_and_supervisors_only():
    """"lead 组长: runs one team ... sees the team's numbers"; "qa 质检员: ... runs QA
    reports": reviewers and supervisors report on every agent, and per reviewer."""
    assert allowed(policy.can_report_on_center) == {Role.QA, Role.SUPERVISOR}
