"""Scorecards: categories and deduction items, versioned once an evaluation has used them."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import exists, select

from app import audit
from app.extensions import db
from app.people.models import User
from app.qa.models import (
    Calibration,
    Evaluation,
    Scorecard,
    ScorecardCategory,
    ScorecardItem,
    ScorecardVersion,
)
from app.workflow import Refusal

FULL_SCORE = 100


def latest(scorecard: Scorecard) -> ScorecardVersion:
    """The scorecard's newest version: the one new evaluations use."""
    return db.session.scalar(select(ScorecardVersion).where(
        ScorecardVersion.scorecard_id == scorecard.id)
        .order_by(ScorecardVersion.number.desc()).limit(1))


def in_use(version: ScorecardVersion) -> bool:
    """Whether an evaluation or a calibration round has used this version (a round pins its
    version from the moment it starts, before anyone has scored)."""
    return bool(db.session.scalar(select(
        exists().where(Evaluation.scorecard_version_id == version.id)
        | exists().where(Calibration.scorecard_version_id == version.id))))


def create(name: str, actor: User) -> Scorecard:
    """A new, empty scorecard with its first version."""
    name = name.strip()
    if not name:
        raise Refusal("name", _("Give the scorecard a name."))
    if db.session.scalar(select(Scorecard.id).where(Scorecard.name == name)) is not None:
        raise Refusal("name", _("A scorecard with this name already exists."))
    card = Scorecard(name=name)
    card.versions.append(ScorecardVersion(number=1, created_by_id=actor.id))
    db.session.add(card)
    db.session.flush()
    audit.record("scorecard.create", card, actor=actor, after={"name": name})
    return card


def editable(scorecard: Scorecard, actor: User) -> ScorecardVersion:
    """The version a change goes into: the newest if nobody used it, else a copy of it as
    the next version (the used one stays as it was, with every evaluation shown against it)."""
    current = latest(scorecard)
    if not in_use(current):
        return current
    copy = ScorecardVersion(scorecard_id=scorecard.id, number=current.number + 1,
                            created_by_id=actor.id)
    for category in current.categories:
        new_category = ScorecardCategory(name=category.name, position=category.position)
        for item in category.items:
            new_category.items.append(ScorecardItem(
                name=item.name, points=item.points, guidance=item.guidance,
                critical=item.critical, position=item.position))
        copy.categories.append(new_category)
    db.session.add(copy)
    db.session.flush()
    audit.record("scorecard.new_version", copy, actor=actor,
                 before={"number": current.number}, after={"number": copy.number})
    return copy


def _check_item(name: str, points: int) -> None:
    if not name.strip():
        raise Refusal("name", _("Name the deduction item."))
    if not 1 <= points <= FULL_SCORE:
        raise Refusal("points", _("Points must be from 1 to 100."))


def add_category(scorecard: Scorecard, name: str, actor: User) -> ScorecardCategory:
    """A new heading at the end of the newest version."""
    if not name.strip():
        raise Refusal("name", _("Name the category."))
    version = editable(scorecard, actor)
    category = ScorecardCategory(name=name.strip(), position=len(version.categories))
    version.categories.append(category)
    db.session.flush()
    audit.record("scorecard.add_category", category, actor=actor,
                 after={"version": version.number, "name": category.name})
    return category


def _counterpart(version: ScorecardVersion, category: ScorecardCategory) -> ScorecardCategory:
    """The category in `version` that stands where `category` stood (after a copy)."""
    if category.scorecard_version_id == version.id:
        return category
    return next(c for c in version.categories if c.position == category.position)


def add_item(scorecard: Scorecard, category: ScorecardCategory, name: str, points: int,
             guidance: str, actor: User, critical: bool = False) -> ScorecardItem:
    """A new deduction item at the end of a category of the newest version; a critical one
    (致命项) sets the score to 0 when deducted."""
    _check_item(name, points)
    version = editable(scorecard, actor)
    target = _counterpart(version, category)
    item = ScorecardItem(name=name.strip(), points=points, guidance=guidance.strip(),
                         critical=critical, position=len(target.items))
    target.items.append(item)
    db.session.flush()
    audit.record("scorecard.add_item", item, actor=actor, after={
        "version": version.number, "name": item.name, "points": points,
        "critical": critical})
    return item


def change_item(scorecard: Scorecard, item: ScorecardItem, name: str, points: int,
                guidance: str, actor: User, critical: bool = False) -> ScorecardItem:
    """Change an item's words, points or criticality (in a new version if the current one was
    used)."""
    _check_item(name, points)
    version = editable(scorecard, actor)
    category = _counterpart(version, item.category)
    target = item if item.category_id == category.id else next(
        i for i in category.items if i.position == item.position)
    before = {"name": target.name, "points": target.points, "guidance": target.guidance,
              "critical": target.critical}
    target.name, target.points, target.guidance = name.strip(), points, guidance.strip()
    target.critical = critical
    audit.record("scorecard.change_item", target, actor=actor, before=before, after={
        "version": version.number, "name": target.name, "points": points,
        "guidance": target.guidance, "critical": critical})
    return target


def remove_item(scorecard: Scorecard, item: ScorecardItem, actor: User) -> None:
    """Take an item off the newest version (used versions keep it)."""
    version = editable(scorecard, actor)
    category = _counterpart(version, item.category)
    target = item if item.category_id == category.id else next(
        i for i in category.items if i.position == item.position)
    audit.record("scorecard.remove_item", target, actor=actor,
                 before={"version": version.number, "name": target.name})
    category.items.remove(target)
