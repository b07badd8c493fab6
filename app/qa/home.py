"""The quality card on the home page: one query for whoever it concerns."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, func, select

from app import statements
from app.extensions import db
from app.people.models import Role, User
from app.people.policy import led_teams
from app.qa.calibration import waiting_for as calibrations_waiting
from app.qa.models import Evaluation, EvaluationStatus, SampledCall, SampleDraw, SamplingRule
from app.qa.rules import recently_published_for_team
from app.timeutil import center_today, utcnow


def card(user: User) -> dict | None:
    """Rules just published for a lead's team, what an agent has to read, a reviewer's share
    of today's sample and the calibration rounds waiting for their score; nothing for a
    supervisor."""
    if user.role == Role.LEAD:
        # Built once (app/statements.py): see inbox.services.latest_unread for the figure.
        stmt = statements.once(("lead quality card",), lambda: recently_published_for_team(
            led_teams(statements.Person(Role.LEAD)).scalar_subquery(), bindparam("since"))
            .order_by(SamplingRule.published_at.desc()).limit(5))
        found = db.session.scalars(stmt, {**statements.person_args(user),
                                          "since": utcnow() - timedelta(days=14)}).all()
        return {"rules": found}
    if user.role == Role.AGENT:
        return {"unread": db.session.scalar(select(func.count(Evaluation.id)).where(
            Evaluation.agent_id == user.id, Evaluation.status == EvaluationStatus.PUBLISHED,
            Evaluation.calibration_id.is_(None), Evaluation.read_at.is_(None)))}
    if user.role == Role.QA:
        return {"share": db.session.scalar(select(func.count(SampledCall.id)).join(
            SampleDraw, SampledCall.draw_id == SampleDraw.id).where(
            SampleDraw.day == center_today(), SampledCall.reviewer_id == user.id)),
            "calibrations": db.session.scalar(select(func.count()).select_from(
                calibrations_waiting(user).subquery()))}
    return None
