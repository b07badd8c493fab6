"""The quality card on the home page: one query for whoever it concerns."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from sqlalchemy import bindparam, func, select

from app.extensions import db
from app.people.models import Role, User
from app.qa.models import Evaluation, EvaluationStatus, SampledCall, SampleDraw, SamplingRule
from app.qa.rules import recently_published_for_team
from app.timeutil import center_today, utcnow


@cache
def _statements() -> dict:
    """The card's query per role, built once; the person and the day are bound per request."""
    return {
        Role.LEAD: recently_published_for_team(bindparam("team"), bindparam("since"))
        .order_by(SamplingRule.published_at.desc()).limit(5),
        Role.AGENT: select(func.count(Evaluation.id)).where(
            Evaluation.agent_id == bindparam("me"),
            Evaluation.status == EvaluationStatus.PUBLISHED,
            Evaluation.calibration_id.is_(None), Evaluation.read_at.is_(None)),
        Role.QA: select(func.count(SampledCall.id)).join(
            SampleDraw, SampledCall.draw_id == SampleDraw.id).where(
            SampleDraw.day == bindparam("day"), SampledCall.reviewer_id == bindparam("me")),
    }


def card(user: User) -> dict | None:
    """Rules just published for a lead's team, what an agent has to read, a reviewer's share
    of today's sample; nothing for a supervisor."""
    statements = _statements()
    if user.role == Role.LEAD and user.team_id:
        since = utcnow() - timedelta(days=14)
        found = db.session.scalars(statements[Role.LEAD],
                                   {"team": user.team_id, "since": since}).all()
        return {"rules": found}
    if user.role == Role.AGENT:
        return {"unread": db.session.scalar(statements[Role.AGENT], {"me": user.id})}
    if user.role == Role.QA:
        return {"share": db.session.scalar(statements[Role.QA],
                                           {"me": user.id, "day": center_today()})}
    return None
