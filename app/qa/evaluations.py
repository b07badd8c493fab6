"""Evaluations: a reviewer scores a call against the scorecard, as a draft, then publishes.

A score starts at 100 and each ticked deduction item takes its points (never below 0).
Scoring a call that no published rule sampled needs a written reason and is marked off sample
wherever it shows. A published evaluation is never edited here (corrections come through
appeals); the agent confirms having read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import case, select
from sqlalchemy.exc import IntegrityError

from app import audit
from app.extensions import db
from app.inbox import services as inbox
from app.people.models import Role, User
from app.qa.models import (
    Call,
    Deduction,
    Evaluation,
    EvaluationStatus,
    SampledCall,
    ScorecardItem,
    ScorecardVersion,
)
from app.qa.scorecards import FULL_SCORE, latest
from app.workflow import NotYourTurnError, Refusal, StaleError

FIELDS = ("status", "score", "off_sample_reason", "comment", "scorecard_version_id",
          "published_at", "read_at")


@dataclass
class Mark:
    """A ticked item: its note and the moment in the recording (seconds)."""

    item_id: int
    note: str = ""
    moment_s: int | None = None


def score_of(points: list[int], critical: bool = False) -> int:
    """100 less the deducted points, never below 0; 0 when a critical item (致命项) was
    deducted, whatever else was."""
    if critical:
        return 0
    return max(0, FULL_SCORE - sum(points))


def score_for(deducted: list[ScorecardItem]) -> int:
    """The score of an evaluation that deducts these items."""
    return score_of([item.points for item in deducted], any(item.critical for item in deducted))


def sample_pick(call: Call, reviewer: User | None = None) -> SampledCall | None:
    """The sample entry that took this call and has no in-sample evaluation yet (the one
    shared out to `reviewer` first), if a published rule took it."""
    free = select(SampledCall).where(
        SampledCall.call_id == call.id,
        ~select(Evaluation.id).where(Evaluation.sampled_call_id == SampledCall.id).exists())
    theirs_first = case((SampledCall.reviewer_id == (reviewer.id if reviewer else None), 0),
                        else_=1)
    return db.session.scalar(free.order_by(theirs_first, SampledCall.id).limit(1))


def in_sample_evaluation(call: Call) -> Evaluation | None:
    """The call's in-sample evaluation, when one exists."""
    return db.session.scalar(select(Evaluation).join(
        SampledCall, Evaluation.sampled_call_id == SampledCall.id)
        .where(SampledCall.call_id == call.id).order_by(Evaluation.id).limit(1))


def start(call: Call, reviewer: User, version: ScorecardVersion, reason: str,
          now: datetime, calibration_id: int | None = None) -> Evaluation:
    """A reviewer's draft for a call: sampled (on the newest version of the scorecard its
    rule names), calibration, or off sample with a reason (on `version`).

    "Each sampled call has at most one in-sample evaluation": once a reviewer has started it,
    anyone else scoring the call scores it off sample, with a reason (the database refuses a
    second in-sample evaluation too, should two start at the same moment)."""
    if reviewer.role != Role.QA:
        raise NotYourTurnError
    mine = db.session.scalar(select(Evaluation).where(
        Evaluation.call_id == call.id, Evaluation.reviewer_id == reviewer.id,
        Evaluation.calibration_id.is_(None) if calibration_id is None
        else Evaluation.calibration_id == calibration_id))
    if mine is not None:
        return mine
    pick = None if calibration_id else sample_pick(call, reviewer)
    if pick is not None and pick.draw.rule.scorecard is not None:
        version = latest(pick.draw.rule.scorecard)  # "the sampling rule names the one"
    reason = reason.strip()
    if pick is None and calibration_id is None and not reason:
        if in_sample_evaluation(call) is not None:
            raise Refusal("reason", _("This call's in-sample evaluation has been started by "
                                        "another reviewer: to score it too, say why (it "
                                        "counts as off sample)."))
        raise Refusal("reason", _("This call was not taken by a published sampling rule: "
                                    "say why you score it."))
    evaluation = Evaluation(call_id=call.id, agent_id=call.agent_id, reviewer_id=reviewer.id,
                            scorecard_version_id=version.id,
                            sampled_call_id=pick.id if pick else None,
                            calibration_id=calibration_id,
                            off_sample_reason="" if pick or calibration_id else reason,
                            status=EvaluationStatus.DRAFT, score=FULL_SCORE, created_at=now)
    db.session.add(evaluation)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # nothing of this start is kept
        raise Refusal("reason", _("Another reviewer started this call's in-sample evaluation "
                                  "a moment ago: to score it too, say why (it counts as off "
                                  "sample).")) from None
    audit.record("evaluation.start", evaluation, actor=reviewer,
                 after=audit.snapshot(evaluation, FIELDS))
    return evaluation


def save(evaluation: Evaluation, reviewer: User, marks: list[Mark], seen_version: int,
         publish: bool, now: datetime, comment: str = "") -> None:
    """Replace the draft's deductions, total and overall comment; publish it when asked."""
    if evaluation.reviewer_id != reviewer.id:
        raise NotYourTurnError
    if evaluation.version != seen_version or evaluation.status != EvaluationStatus.DRAFT:
        raise StaleError
    items = {item.id: item for item in evaluation.scorecard_version.items}
    for mark in marks:
        if mark.item_id not in items:
            raise Refusal("items", _("That deduction item is not on this scorecard."))
        if mark.moment_s is not None and not 0 <= mark.moment_s <= evaluation.call.duration_s:
            end = evaluation.call.duration_s
            raise Refusal(f"moment-{mark.item_id}", _(
                "The moment must fall within the call: 0:00 to %(end)s.",
                end=f"{end // 60}:{end % 60:02d}"))
    before = audit.snapshot(evaluation, FIELDS)
    evaluation.deductions.clear()
    db.session.flush()  # the old rows go before the new ones come (one row per item)
    evaluation.deductions = [
        Deduction(item_id=m.item_id, points=items[m.item_id].points, note=m.note.strip()[:500],
                  moment_s=m.moment_s) for m in marks]
    evaluation.score = score_for([items[m.item_id] for m in marks])
    evaluation.comment = comment.strip()[:2000]
    if publish:
        evaluation.status = EvaluationStatus.PUBLISHED
        evaluation.published_at = now
        if evaluation.calibration_id is None:  # calibration scores are never the agent's
            inbox.post(evaluation.agent_id, "evaluation.published", "qa.show_evaluation",
                       {"evaluation_id": evaluation.id}, at=now,
                       serial=evaluation.call.serial_no, score=evaluation.score)
    audit.record("evaluation.publish" if publish else "evaluation.save", evaluation,
                 actor=reviewer, before=before, after={
                     **audit.snapshot(evaluation, FIELDS),
                     "deductions": sorted(m.item_id for m in marks)})


def confirm_read(evaluation: Evaluation, agent: User, now: datetime) -> None:
    """The agent confirms having read a published evaluation of their call."""
    if evaluation.agent_id != agent.id or evaluation.status != EvaluationStatus.PUBLISHED:
        raise NotYourTurnError
    if evaluation.read_at is not None:
        return
    evaluation.read_at = now
    audit.record("evaluation.read", evaluation, actor=agent, after={"read_at": now})
