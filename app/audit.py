"""One audit trail for every change of state: append-only and chained with a key.

Each row's hash is an HMAC-SHA-256, keyed with AUDIT_KEY (kept outside the database, in the
instance folder like the secret key), over the row and the previous row's hash. Someone who can
write to the database but not read the key can neither change a row nor recompute the chain
after one. `flask audit-verify` also remembers, outside the database, how long the chain was
and how it ended when it last checked it, so a chain cut short at its end is found too."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from flask import current_app, has_request_context, request
from flask_login import current_user
from sqlalchemy import DDL, ForeignKey, String, Text, event, select, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UTCDateTime
from app.extensions import db
from app.timeutil import utcnow

GENESIS = "0" * 64
# The exact text each link's hash covers (a chain made before the key is resealed from it, so
# it never changes), and how before/after states are written.
PAYLOAD_JSON = {"ensure_ascii": False, "separators": (",", ":")}
STATE_JSON = {"ensure_ascii": False, "sort_keys": True}
# Fields that must never reach the trail, whatever a caller passes in.
SECRET_FIELDS = frozenset({"password", "password_hash", "token", "token_hash", "customer_number"})


class AuditEvent(db.Model):
    """One change of state: who, in which role, did what to which object, when, from where."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="RESTRICT"), index=True
    )
    actor_role: Mapped[str] = mapped_column(String(16), default="")
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(32), index=True)
    object_id: Mapped[str] = mapped_column(String(64), default="")
    before: Mapped[str] = mapped_column(Text, default="{}")
    after: Mapped[str] = mapped_column(Text, default="{}")
    address: Mapped[str] = mapped_column(String(64), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    actor = relationship("User", foreign_keys=[actor_id])

    def payload(self) -> str:
        """The canonical text the hash covers."""
        fields = [
            self.id,
            self.at.isoformat(),
            self.actor_id,
            self.actor_role,
            self.action,
            self.object_type,
            self.object_id,
            self.before,
            self.after,
            self.address,
            self.prev_hash,
        ]
        return json.dumps(fields, **PAYLOAD_JSON)

    def compute_hash(self) -> str:
        """The HMAC-SHA-256 of this row (the previous hash included), with the chain's key."""
        return hmac.new(chain_key(), self.payload().encode(), hashlib.sha256).hexdigest()

    def unkeyed_hash(self) -> str:
        """The plain SHA-256 the chain used before it had a key (for audit-reseal)."""
        return hashlib.sha256(self.payload().encode()).hexdigest()

    def before_dict(self) -> dict[str, Any]:
        """The state before, decoded."""
        return json.loads(self.before or "{}")

    def after_dict(self) -> dict[str, Any]:
        """The state after, decoded."""
        return json.loads(self.after or "{}")

    def changes(self) -> list[tuple[str, bool, Any, Any]]:
        """(field, whether it had a value before, before, after) for every field that changed,
        in the order the fields first appear."""
        before, after = self.before_dict(), self.after_dict()
        return [(key, key in before, before.get(key), after.get(key))
                for key in dict.fromkeys([*before, *after])
                if before.get(key) != after.get(key)]


# The database itself refuses to change or remove a written audit row.
_NO_CHANGE = {
    "sqlite": [
        "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
        "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'audit_event is append-only'; END; $$ LANGUAGE plpgsql",
        "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
    ],
}
for _dialect, _statements in _NO_CHANGE.items():
    for _statement in _statements:
        event.listen(
            AuditEvent.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect)
        )


def chain_key() -> bytes:
    """The key of the chain's HMACs: AUDIT_KEY (app/__init__.py reads it from the instance
    folder when the environment does not set it)."""
    return current_app.config["AUDIT_KEY"].encode()


def append_only_statements(dialect: str) -> list[str]:
    """The trigger DDL for a dialect, for migrations."""
    return list(_NO_CHANGE.get(dialect, []))


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if k not in SECRET_FIELDS}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return value


def _dump(state: dict[str, Any] | None) -> str:
    return json.dumps(_jsonable(state or {}), **STATE_JSON)


def _lock_chain() -> None:
    """Serialise appends so two transactions never chain onto the same row."""
    for statement in _CHAIN_LOCK.get(db.session.get_bind().dialect.name, ()):
        db.session.execute(text(statement))


# PostgreSQL takes a lock for the rest of the transaction; on SQLite every write transaction
# is BEGIN IMMEDIATE, which already serialises writers.
_CHAIN_LOCK = {"postgresql": ["SELECT pg_advisory_xact_lock(7301)"]}


def record(
    action: str,
    obj: Any = None,
    *,
    object_type: str | None = None,
    object_id: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor: Any = None,
) -> AuditEvent:
    """Add an audit row to the current transaction; the caller commits both together."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    if obj is not None:
        object_type = object_type or obj.__tablename__
        if object_id is None:
            db.session.flush()
            object_id = obj.id
    _lock_chain()
    last = db.session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    row = AuditEvent(
        id=(last.id + 1) if last else 1,
        at=utcnow().replace(microsecond=0),
        actor_id=actor.id if actor is not None else None,
        actor_role=str(actor.role) if actor is not None else "",
        action=action,
        object_type=object_type or "",
        object_id="" if object_id is None else str(object_id),
        before=_dump(before),
        after=_dump(after),
        address=(request.remote_addr or "")[:64] if has_request_context() else "",
        prev_hash=last.hash if last else GENESIS,
    )
    row.hash = row.compute_hash()
    db.session.add(row)
    return row


@dataclass
class ChainReport:
    """What audit-verify found: how many rows it checked, the first bad row and why, and the
    last row's hash."""

    checked: int
    broken_at: int | None
    reason: str = ""
    head: str = GENESIS

    @property
    def ok(self) -> bool:
        """True when every row links and hashes correctly."""
        return self.broken_at is None


def verify_chain(batch: int = 5000, keyed: bool = True) -> ChainReport:
    """Walk the chain in id order and check every link and hash (`keyed=False`: the plain
    SHA-256 of a chain made before the key, which only audit-reseal accepts)."""
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            return ChainReport(checked, None, head=prev)
        for row in rows:
            if row.prev_hash != prev:
                return ChainReport(checked, row.id, "link")
            if (row.compute_hash() if keyed else row.unkeyed_hash()) != row.hash:
                return ChainReport(checked, row.id, "hash")
            prev = row.hash
            checked += 1
            last_id = row.id
        db.session.expunge_all()


def shortened(report: ChainReport, last: dict | None) -> str:
    """Why a verified chain is not the one the last verification saw, or "": it must still
    hold that many rows, the last of them with the hash seen then."""
    if not last:
        return ""
    count, head = last["count"], last["head"]
    if report.checked < count:
        return f"the chain has {report.checked} rows, {count} at the last verification"
    if count and db.session.scalar(select(AuditEvent.hash).where(AuditEvent.id == count)) != head:
        return f"row {count} is not the row the last verification ended with"
    return ""


def reseal() -> int:
    """Move a chain made before the key to keyed HMACs: check it as it was made, then
    recompute every link with the key, the append-only triggers lifted for this transaction
    only. Returns how many rows were resealed; ValueError when the old chain is broken."""
    report = verify_chain(keyed=False)
    if not report.ok:
        raise ValueError(f"the chain is broken at row {report.broken_at} ({report.reason}); "
                         "nothing was resealed")
    _set_append_only(False)
    prev = GENESIS
    for row in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        row.prev_hash = prev
        row.hash = prev = row.compute_hash()
    db.session.flush()
    _set_append_only(True)
    record("audit.reseal", object_type="audit_event", object_id=report.checked,
           after={"rows": report.checked})
    return report.checked


# Lifting the append-only triggers for one transaction, and setting them again (audit-reseal).
_LIFT = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_event_no_update",
               "DROP TRIGGER IF EXISTS audit_event_no_delete"],
    "postgresql": ["ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change"],
}
_SET_AGAIN = {
    "sqlite": _NO_CHANGE["sqlite"],
    "postgresql": ["ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_change"],
}


def _set_append_only(on: bool) -> None:
    for statement in (_SET_AGAIN if on else _LIFT)[db.session.get_bind().dialect.name]:
        db.session.execute(text(statement))


def snapshot(obj: Any, fields: list[str]) -> dict[str, Any]:
    """The named attributes of an object, for before/after."""
    return {name: getattr(obj, name) for name in fields}
