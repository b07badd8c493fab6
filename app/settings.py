"""The center's settings: numbers, switches, times of day and lists a supervisor can change.

Each area declares its own settings (`Area.settings`) with a default, bounds and the words a
supervisor reads; the settings page groups them by area. A stored value is kept as JSON text so
every kind fits one column; `value(key)` answers in the setting's own type.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from flask import current_app, g, has_request_context
from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from app import audit
from app.areas import registered
from app.db_types import UTCDateTime
from app.extensions import db
from app.timeutil import utcnow


class Kind(enum.StrEnum):
    """What a setting holds."""

    WHOLE = "whole"  # a whole number between bounds
    SWITCH = "switch"  # yes or no
    TIME = "time"  # a time of day, HH:MM
    TEXTS = "texts"  # a list of short texts (host names, codes)


@dataclass(frozen=True)
class Spec:
    """One setting as its area declares it."""

    key: str
    kind: Kind
    default: Any
    label: Any
    unit: Any = ""
    minimum: int = 0
    maximum: int = 0
    # For a list: at most this many entries, each at most 200 characters.
    max_items: int = 50

    def check(self, value: Any) -> Any:
        """The value in this setting's type, or ValueError when it does not fit."""
        if self.kind == Kind.WHOLE:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(self.key)
            if not self.minimum <= value <= self.maximum:
                raise ValueError(self.key)
            return value
        if self.kind == Kind.SWITCH:
            if not isinstance(value, bool):
                raise ValueError(self.key)
            return value
        if self.kind == Kind.TIME:
            if not isinstance(value, time):
                raise ValueError(self.key)
            return value.replace(second=0, microsecond=0, tzinfo=None)
        items = [str(item).strip() for item in value]
        items = [item for item in items if item]
        if len(items) > self.max_items or any(len(item) > 200 for item in items):
            raise ValueError(self.key)
        return items

    def dump(self, value: Any) -> str:
        """The stored text of a checked value."""
        if self.kind == Kind.TIME:
            return json.dumps(value.strftime("%H:%M"))
        return json.dumps(value, ensure_ascii=False)

    def load(self, text: str) -> Any:
        """A stored text back in this setting's type; the default when it no longer fits."""
        try:
            raw = json.loads(text)
            if self.kind == Kind.TIME:
                raw = time.fromisoformat(raw)
            return self.check(raw)
        except (ValueError, TypeError):
            return self.default


class Setting(db.Model):
    """A setting a supervisor changed from its default."""

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


def declared(app=None) -> dict[str, list[Spec]]:
    """Every area's settings, by area name, in the order the areas were registered."""
    return {area.name: list(area.settings) for area in registered(app) if area.settings}


def specs(app=None) -> dict[str, Spec]:
    """Every declared setting by key."""
    return {spec.key: spec for group in declared(app).values() for spec in group}


def values() -> dict[str, Any]:
    """Every setting's current value: the saved one, or the default (read once per request)."""
    if has_request_context() and "setting_values" in g:
        return g.setting_values
    known = specs(current_app)
    found = {key: spec.default for key, spec in known.items()}
    for row in db.session.scalars(select(Setting)):
        if row.key in known:
            found[row.key] = known[row.key].load(row.value)
    if has_request_context():
        g.setting_values = found
    return found


def value(key: str) -> Any:
    """One setting's current value."""
    return values()[key]


def save(new: dict[str, Any], actor) -> list[str]:
    """Store the changed values (each checked against its declaration); return the changed
    keys. ValueError names the first value that does not fit, and nothing is stored."""
    known = specs(current_app)
    checked = {key: known[key].check(raw) for key, raw in new.items()}
    current = values()
    rows = {row.key: row for row in db.session.scalars(select(Setting))}
    changed = []
    for key, new_value in checked.items():
        spec = known[key]
        old = current[key]
        if old == new_value:
            continue
        row = rows.get(key)
        if row is None:
            row = Setting(key=key, value=spec.dump(new_value))
            db.session.add(row)
        row.value = spec.dump(new_value)
        row.updated_by_id = actor.id if actor is not None else None
        row.updated_at = utcnow()
        audit.record("setting.change", object_type="setting", object_id=key, actor=actor,
                     before={"value": json.loads(spec.dump(old))},
                     after={"value": json.loads(spec.dump(new_value))})
        changed.append(key)
    if has_request_context():
        g.pop("setting_values", None)
    return changed
