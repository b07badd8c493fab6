"""Who may see which calls, evaluations and rules. Each `can_see_*` has a `visible_*` twin
that says the same in SQL, so a list and its detail page cannot disagree."""

from __future__ import annotations

from sqlalchemy import Select, false, or_, select

from app.extensions import db
from app.people.models import Role, Team, User
from app.people.policy import is_supervisor, leads_team
from app.qa.models import Calibration, Evaluation, EvaluationStatus, RuleStatus, SamplingRule


def _led(viewer) -> Select:
    if viewer.role != Role.LEAD:
        return select(Team.id).where(false())
    return select(Team.id).where(Team.lead_id == viewer.id)


def sees_agent(viewer, agent: User | None) -> bool:
    """Calls, evaluations and the sampling of an agent: the agent, their lead, QA reviewers
    and supervisors."""
    if agent is None or not viewer.is_authenticated:
        return False
    return (is_supervisor(viewer) or viewer.role == Role.QA or agent.id == viewer.id
            or leads_team(viewer, agent.team_id))


def visible_agents(viewer, column) -> object:
    """An SQL condition on an agent id column matching `sees_agent`."""
    if is_supervisor(viewer) or viewer.role == Role.QA:
        return column.is_not(None)
    team_members = select(User.id).where(User.team_id.in_(_led(viewer)))
    return or_(column == viewer.id, column.in_(team_members))


def can_see_call(viewer, call) -> bool:
    """A call is seen by whoever sees its agent."""
    return call is not None and sees_agent(viewer, call.agent)


def can_see_evaluation(viewer, evaluation: Evaluation | None) -> bool:
    """Reviewers and supervisors see every evaluation; the agent and their lead see published
    ones that count (never calibration scores)."""
    if evaluation is None or not viewer.is_authenticated:
        return False
    if is_supervisor(viewer):
        return True
    if viewer.role == Role.QA:
        # Calibration is blind: another reviewer's score shows once the round is closed.
        return (evaluation.calibration_id is None or evaluation.reviewer_id == viewer.id
                or db.session.get(Calibration, evaluation.calibration_id).closed_at is not None)
    return (evaluation.status == EvaluationStatus.PUBLISHED and evaluation.calibration_id is None
            and sees_agent(viewer, evaluation.agent))


def visible_evaluations(viewer, stmt: Select) -> Select:
    """Restrict a select of evaluations the way can_see_evaluation does."""
    if is_supervisor(viewer):
        return stmt
    if viewer.role == Role.QA:
        closed = select(Calibration.id).where(Calibration.closed_at.is_not(None))
        return stmt.where(or_(Evaluation.calibration_id.is_(None),
                              Evaluation.reviewer_id == viewer.id,
                              Evaluation.calibration_id.in_(closed)))
    return stmt.where(Evaluation.status == EvaluationStatus.PUBLISHED,
                      Evaluation.calibration_id.is_(None),
                      visible_agents(viewer, Evaluation.agent_id))


def can_see_rule(viewer, rule: SamplingRule | None, covering_ids: set[int] | None = None) -> bool:
    """Reviewers and supervisors see every rule, leads every published one; agents the
    published rules that cover them."""
    if rule is None or not viewer.is_authenticated:
        return False
    if can_see_every_rule(viewer):
        return True
    if rule.status != RuleStatus.PUBLISHED:
        return False
    return (can_see_published_rules(viewer)
            or (covering_ids is not None and rule.id in covering_ids))


def _is(viewer, *roles: Role) -> bool:
    return bool(viewer is not None and viewer.is_authenticated and viewer.role in roles)


def can_see_every_rule(viewer) -> bool:
    """Drafts and every published rule: QA reviewers and supervisors."""
    return _is(viewer, Role.QA, Role.SUPERVISOR)


def can_see_published_rules(viewer) -> bool:
    """Every published rule, covering them or not: leads, QA reviewers and supervisors."""
    return _is(viewer, Role.LEAD, Role.QA, Role.SUPERVISOR)


def can_write_rules(viewer) -> bool:
    """Write, change and publish sampling rules: QA reviewers."""
    return _is(viewer, Role.QA)


def can_score(viewer) -> bool:
    """Score calls, and filter the evaluations down to their own: QA reviewers."""
    return _is(viewer, Role.QA)


def can_edit_scorecards(viewer) -> bool:
    """Create scorecards and change their items: supervisors."""
    return _is(viewer, Role.SUPERVISOR)


def can_start_calibration(viewer) -> bool:
    """Open a calibration round on a call: supervisors."""
    return _is(viewer, Role.SUPERVISOR)


def can_score_calibration(viewer, round_: Calibration | None) -> bool:
    """Score an open calibration round blind: QA reviewers."""
    return round_ is not None and round_.closed_at is None and _is(viewer, Role.QA)


def can_close_calibration(viewer, round_: Calibration | None) -> bool:
    """Close an open calibration round: supervisors."""
    return round_ is not None and round_.closed_at is None and _is(viewer, Role.SUPERVISOR)


def can_see_calibration_result(viewer, round_: Calibration | None) -> bool:
    """The agreement of a round: supervisors at any time, the reviewers once it is closed."""
    if round_ is None or not _is(viewer, *Role):
        return False
    return round_.closed_at is not None or _is(viewer, Role.SUPERVISOR)


def can_report_on_center(viewer) -> bool:
    """Reports over every agent, and per reviewer: QA reviewers and supervisors (a lead's
    report covers their own team's agents)."""
    return _is(viewer, Role.QA, Role.SUPERVISOR)
