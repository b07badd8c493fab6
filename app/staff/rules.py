"""The center's rule numbers (DESIGN.md "Staff and time"): defaults a supervisor can change."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, has_request_context
from sqlalchemy import select

from app import audit
from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.settings import Setting
from app.timeutil import utcnow


@dataclass(frozen=True)
class Rule:
    """One rule number with its bounds and the words shown to a supervisor."""

    key: str
    default: int
    minimum: int
    maximum: int
    label: object
    unit: object


RULES = {
    rule.key: rule
    for rule in (
        Rule("leave_notice_days", 1, 0, 30, _l("Leave must be asked this many days ahead"),
             _l("days")),
        Rule("sick_notice_minutes", 60, 0, 1440,
             _l("Sick leave may be asked until this long before the shift"), _l("minutes")),
        Rule("swap_notice_days", 1, 0, 30, _l("A shift swap must be asked this many days ahead"),
             _l("days")),
        Rule("swaps_per_month", 3, 1, 31, _l("Shift swaps per person per calendar month"),
             _l("swaps")),
        Rule("away_minutes", 5, 1, 60, _l("Longest time away from the seat"), _l("minutes")),
        Rule("rule_notice_days", 1, 1, 30,
             _l("A sampling rule must be published this many days before its first day"),
             _l("days")),
    )
}


def rule_values() -> dict[str, int]:
    """Every rule's current number: the saved one, or the default."""
    if has_request_context() and "rule_values" in g:
        return g.rule_values
    values = {key: rule.default for key, rule in RULES.items()}
    for setting in db.session.scalars(select(Setting)):
        if setting.key in values:
            values[setting.key] = setting.value
    if has_request_context():
        g.rule_values = values
    return values


def rule(key: str) -> int:
    """One rule's current number."""
    return rule_values()[key]


def save_rules(new: dict[str, int], actor) -> list[str]:
    """Store changed numbers (within their bounds); return the keys that changed."""
    changed = []
    current = {s.key: s for s in db.session.scalars(select(Setting))}
    for key, value in new.items():
        spec = RULES[key]
        if not spec.minimum <= value <= spec.maximum:
            raise ValueError(key)
        setting = current.get(key)
        old = setting.value if setting else spec.default
        if old == value:
            continue
        if setting is None:
            setting = Setting(key=key, value=value)
            db.session.add(setting)
        setting.value = value
        setting.updated_by_id = actor.id if actor is not None else None
        setting.updated_at = utcnow()
        audit.record("rule.change", object_type="setting", object_id=key, actor=actor,
                     before={"value": old}, after={"value": value})
        changed.append(key)
    if has_request_context():
        g.pop("rule_values", None)
    return changed
