"""Shift handovers (交接班): items handed over, acknowledged one by one, signed, carried forward."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit
from app.extensions import db
from app.people.models import Role, Team, User
from app.staff import policy
from app.staff.models import Handover, HandoverItem, HandoverItemKind
from app.workflow import NotYourTurnError, Refusal, check_turn


def may_receive(actor: User, handover: Handover) -> bool:
    """The incoming lead is any lead or supervisor other than the writer."""
    return actor.role in (Role.LEAD, Role.SUPERVISOR) and actor.id != handover.written_by_id


def open_items(team_id: int, before: int | None = None) -> list[HandoverItem]:
    """Items of the team not closed yet, oldest first (they carry forward)."""
    stmt = select(HandoverItem).where(HandoverItem.team_id == team_id,
                                      HandoverItem.closed_at.is_(None))
    if before is not None:
        stmt = stmt.where(HandoverItem.handover_id < before)
    return db.session.scalars(stmt.order_by(HandoverItem.id)).all()


def write(team: Team, actor: User, day: date, shift_label: str, notes: str,
          items: list[tuple[str, str, str]], now: datetime) -> Handover:
    """Record a handover with its new items; open items of earlier handovers carry forward."""
    if not policy.can_write_handover(actor, team):
        raise NotYourTurnError
    for kind, details, _contact in items:
        if kind not in set(HandoverItemKind):
            raise Refusal("items", _("Choose what each item is about."))
        if not details.strip():
            raise Refusal("items", _("Every item needs its details."))
    handover = Handover(team_id=team.id, day=day, shift_label=shift_label, notes=notes,
                        written_by_id=actor.id, written_at=now)
    db.session.add(handover)
    db.session.flush()
    for kind, details, contact in items:
        db.session.add(HandoverItem(handover_id=handover.id, team_id=team.id, kind=kind,
                                    details=details.strip(), contact=contact.strip()))
    for item in open_items(team.id, before=handover.id):
        item.ack_status = "pending"  # the new incoming lead acknowledges it afresh
        item.ack_handover_id = handover.id
    audit.record("handover.write", handover, actor=actor, after={
        "team_id": team.id, "day": day, "items": len(items)})
    return handover


def items_to_receive(handover: Handover) -> list[HandoverItem]:
    """The new items plus the carried-forward open ones the incoming lead must acknowledge."""
    return db.session.scalars(select(HandoverItem).where(
        (HandoverItem.handover_id == handover.id)
        | ((HandoverItem.ack_handover_id == handover.id) & HandoverItem.closed_at.is_(None))
    ).order_by(HandoverItem.id)).all()


def acknowledge(item: HandoverItem, handover: Handover, actor: User, needs_more: bool,
                note: str, seen_version: int) -> None:
    """The incoming lead acknowledges one item, or asks for more about it."""
    # Stale too when the item was closed meanwhile, or carried forward to a later handover.
    check_turn(may_receive(actor, handover), item, seen_version,
               still_open=handover.signed_at is None and item.closed_at is None
               and handover.id in (item.handover_id, item.ack_handover_id))
    if needs_more and not note.strip():
        raise Refusal("note", _("Say what more you need to know."))
    item.ack_status = "needs_more" if needs_more else "acknowledged"
    item.ack_note = note.strip()
    audit.record("handover.item_ack", item, actor=actor, after={
        "ack_status": item.ack_status, "handover_id": handover.id})


def sign(handover: Handover, actor: User, seen_version: int, now: datetime) -> None:
    """The incoming lead signs once every item is acknowledged."""
    check_turn(may_receive(actor, handover), handover, seen_version,
               still_open=handover.signed_at is None)
    # A closed item needs no acknowledgment: nothing is left to hand over.
    waiting = [i for i in items_to_receive(handover)
               if i.ack_status != "acknowledged" and i.closed_at is None]
    if waiting:
        raise Refusal("sign", _("Acknowledge every item before signing (%(n)d left).",
                                  n=len(waiting)))
    handover.signed_by_id = actor.id
    handover.signed_at = now
    audit.record("handover.sign", handover, actor=actor, after={"signed_at": now})


def current_handover(item: HandoverItem) -> Handover | None:
    """The handover an item is listed on now: the latest it was carried forward to."""
    return db.session.get(Handover, item.ack_handover_id or item.handover_id)


def close_item(item: HandoverItem, actor: User, seen_version: int, now: datetime) -> None:
    """Someone who may see the handover the item is listed on closes it: it stops carrying
    forward."""
    check_turn(policy.can_close_handover_item(actor, item, current_handover(item)), item,
               seen_version, still_open=item.closed_at is None)
    item.closed_at = now
    item.closed_by_id = actor.id
    audit.record("handover.item_close", item, actor=actor, after={"closed_at": now})
