"""Calibration: every reviewer scores the same call blind, and the result shows how far they
agree, item by item and overall (Fleiss' kappa). Calibration scores never count for the agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import false, select

from app import audit
from app.extensions import db
from app.people.models import Role, User
from app.qa.models import Calibration, Call, Evaluation, EvaluationStatus, ScorecardVersion
from app.workflow import Refusal, StaleError


def waiting_for(actor: User):
    """Open rounds this QA reviewer has not submitted a score for yet (their "waiting for
    you" items); none for anyone else."""
    if actor.role != Role.QA:
        return select(Calibration).where(false())
    submitted = select(Evaluation.id).where(
        Evaluation.calibration_id == Calibration.id, Evaluation.reviewer_id == actor.id,
        Evaluation.status == EvaluationStatus.PUBLISHED)
    return select(Calibration).where(Calibration.closed_at.is_(None), ~submitted.exists())


def fleiss_kappa(table: list[list[int]]) -> float | None:
    """Fleiss' kappa of a table with one row per subject and one column per category, each
    cell the number of raters who put the subject in that category (the same number of
    raters for every subject). None when it is undefined (fewer than two raters or subjects)."""
    if len(table) < 1:
        return None
    raters = sum(table[0])
    if raters < 2 or any(sum(row) != raters for row in table):
        return None
    subjects = len(table)
    agreement = sum((sum(n * n for n in row) - raters) / (raters * (raters - 1))
                    for row in table) / subjects
    shares = [sum(row[j] for row in table) / (subjects * raters) for j in range(len(table[0]))]
    chance = sum(p * p for p in shares)
    if chance == 1:
        return 1.0  # everybody put everything in one category: complete agreement
    return (agreement - chance) / (1 - chance)


def create(call: Call, version: ScorecardVersion, actor: User, now: datetime) -> Calibration:
    """A calibration round on a call, against the given scorecard version."""
    round_ = Calibration(call_id=call.id, scorecard_version_id=version.id,
                         created_by_id=actor.id, created_at=now)
    db.session.add(round_)
    db.session.flush()
    audit.record("calibration.create", round_, actor=actor,
                 after={"call": call.serial_no, "scorecard_version": version.id})
    return round_


def close(round_: Calibration, actor: User, now: datetime) -> None:
    """End the round: from now on every reviewer sees everybody's scores."""
    if round_.closed_at is not None:
        raise StaleError
    submitted = db.session.scalar(select(Evaluation.id).where(
        Evaluation.calibration_id == round_.id,
        Evaluation.status == EvaluationStatus.PUBLISHED).limit(1))
    if submitted is None:
        raise Refusal("close", _("No reviewer has submitted a score yet."))
    round_.closed_at = now
    audit.record("calibration.close", round_, actor=actor, after={"closed_at": now})


@dataclass
class ItemAgreement:
    """One deduction item across the reviewers."""

    name: str
    points: int
    deducted_by: list[str]
    kept_by: list[str]

    @property
    def agreement(self) -> float:
        """The share of reviewers on the majority side."""
        total = len(self.deducted_by) + len(self.kept_by)
        return max(len(self.deducted_by), len(self.kept_by)) / total if total else 1.0

    @property
    def unanimous(self) -> bool:
        """Whether every reviewer agreed: all deducted it, or all kept it."""
        return not self.deducted_by or not self.kept_by

    @property
    def dissenters(self) -> list[str]:
        """Who stood apart from the majority (nobody on a tie)."""
        if len(self.deducted_by) > len(self.kept_by):
            return self.kept_by
        if len(self.kept_by) > len(self.deducted_by):
            return self.deducted_by
        return []


@dataclass
class Result:
    """The round's outcome over the reviewers who submitted."""

    scores: list[tuple[str, int]]
    items: list[ItemAgreement]
    kappa: float | None

    @property
    def items_agreed(self) -> int:
        """On how many items every reviewer agreed."""
        return sum(1 for i in self.items if i.unanimous)

    @property
    def agreed_share(self) -> float | None:
        """The share of items on which every reviewer agreed (10 of 12 is 83%)."""
        return self.items_agreed / len(self.items) if self.items else None

    @property
    def kappa_band(self) -> str | None:
        """What the kappa means, in Landis and Koch's bands (see KAPPA_BANDS)."""
        return None if self.kappa is None else band_of(self.kappa)


# Landis and Koch (1977): how far the reviewers agree beyond what chance would give, by the
# upper bound of each band of kappa.
KAPPA_BANDS = ((0.0, "poor"), (0.20, "slight"), (0.40, "fair"), (0.60, "moderate"),
               (0.80, "substantial"), (1.0, "almost perfect"))


def band_of(kappa: float) -> str:
    """The Landis–Koch band of a kappa: below 0 poor, up to 0.20 slight, 0.40 fair, 0.60
    moderate, 0.80 substantial, above that almost perfect."""
    if kappa < 0:
        return KAPPA_BANDS[0][1]
    return next((name for upper, name in KAPPA_BANDS[1:-1] if kappa <= upper),
                KAPPA_BANDS[-1][1])


def result(round_: Calibration) -> Result:
    """Agreement per item and overall, from the submitted (published) calibration scores."""
    submitted = db.session.scalars(select(Evaluation).where(
        Evaluation.calibration_id == round_.id, Evaluation.status == EvaluationStatus.PUBLISHED)
        .order_by(Evaluation.id)).all()
    names = {e.reviewer_id: e.reviewer.name for e in submitted}
    ticked = {e.reviewer_id: {d.item_id for d in e.deductions} for e in submitted}
    items, table = [], []
    for item in round_.scorecard_version.items:
        yes = [names[r] for r in names if item.id in ticked[r]]
        no = [names[r] for r in names if item.id not in ticked[r]]
        items.append(ItemAgreement(item.name, item.points, yes, no))
        table.append([len(yes), len(no)])
    scores = [(e.reviewer.name, e.score) for e in submitted]
    return Result(scores, items, fleiss_kappa(table) if len(submitted) >= 2 else None)
