"""Shift swaps: same level only, notice, a monthly cap, and four signatures before the exchange."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import aliased

from app import audit
from app.extensions import db
from app.inbox import services as inbox
from app.people.models import Role, Status, Team, User
from app.settings import value as setting
from app.staff.models import Shift, ShiftSwap, SwapStatus, SwapStep
from app.workflow import NotYourTurnError, Refusal, StaleError, check_seen, check_turn

OPEN = (SwapStatus.PENDING_COUNTERPART, SwapStatus.PENDING_LEADS, SwapStatus.PENDING_SUPERVISOR)
COUNTED = (*OPEN, SwapStatus.APPROVED)
FIELDS = ["status", "requester_lead_signed", "counterpart_lead_signed"]


def team_lead_id(user: User) -> int | None:
    """The lead who signs for this person: their team's lead. Only agents have one: a swap
    between leads goes straight to the supervisor (a lead filed under another lead's team
    would otherwise wait forever for a signature the counterpart is barred from giving)."""
    if user.role != Role.AGENT or user.team_id is None:
        return None
    team = db.session.get(Team, user.team_id)
    if team is None or team.lead_id == user.id:
        return None
    return team.lead_id


def month_of(day: date) -> date:
    """The first day of the calendar month holding `day`."""
    return day.replace(day=1)


def swaps_in_month(user_id: int, month: date) -> int:
    """Swaps that count against the person's monthly cap (pending ones included)."""
    return db.session.scalar(select(func.count(ShiftSwap.id)).where(
        or_(ShiftSwap.requester_id == user_id, ShiftSwap.counterpart_id == user_id),
        ShiftSwap.month == month, ShiftSwap.status.in_(COUNTED)))


def shifts_in_open_swaps():
    """A select of the ids of the shifts an open swap holds."""
    return select(ShiftSwap.requester_shift_id).where(ShiftSwap.status.in_(OPEN)).union(
        select(ShiftSwap.counterpart_shift_id).where(ShiftSwap.status.in_(OPEN)))


def offerable(now: datetime) -> list:
    """SQL conditions on Shift for a shift a swap may be asked for now: far enough ahead for
    the notice rule, not on leave, not already in an open swap."""
    return [Shift.starts_at >= now + timedelta(days=setting("swap_notice_days")),
            Shift.leave_id.is_(None), Shift.id.not_in(shifts_in_open_swaps())]


def swappable(shifts, now: datetime) -> set[int]:
    """The ids of these shifts that a swap may be asked for now (one query)."""
    ids = [s.id for s in shifts]
    if not ids:
        return set()
    return set(db.session.scalars(select(Shift.id).where(Shift.id.in_(ids), *offerable(now))))


def same_level(one: User, other: User) -> bool:
    """Agents of the same grade, or two leads: the people who may swap shifts."""
    if one.role != other.role or one.role not in (Role.AGENT, Role.LEAD):
        return False
    return one.role == Role.LEAD or one.grade == other.grade


def check_swap(requester: User, mine: Shift, theirs: Shift, now: datetime) -> None:
    """Every rule a new swap must meet."""
    counterpart = theirs.user
    if mine.user_id != requester.id:
        raise Refusal("my_shift", _("Choose one of your own shifts."))
    if counterpart.id == requester.id:
        raise Refusal("their_shift", _("Choose a shift of another person."))
    if mine.starts_at == theirs.starts_at:
        raise Refusal("their_shift", _("Both shifts start at the same time: nothing to swap."))
    if counterpart.status == Status.LEFT:
        raise Refusal("their_shift", _("%(name)s has left the center.", name=counterpart.name))
    if not same_level(requester, counterpart):
        raise Refusal("their_shift", _(
            "Swaps are only between people of the same level: agents of the same grade, or "
            "lead with lead."))
    days = setting("swap_notice_days")
    earliest = min(mine.starts_at, theirs.starts_at)
    if now > earliest - timedelta(days=days):
        raise Refusal("my_shift", _(
            "A shift swap must be asked at least %(n)d day(s) ahead.", n=days))
    if mine.leave_id is not None or theirs.leave_id is not None:
        raise Refusal("my_shift", _("A shift covered by approved leave cannot be swapped."))
    busy = set(db.session.scalars(select(shifts_in_open_swaps().subquery().c[0])))
    if mine.id in busy:
        raise Refusal("my_shift", _("This shift of yours is already in an open swap."))
    if theirs.id in busy:
        raise Refusal("their_shift", _("%(name)s's shift is already in an open swap.",
                                         name=counterpart.name))
    limit = setting("swaps_per_month")
    month = month_of(min(mine.day, theirs.day))
    for person, field in ((requester, "my_shift"), (counterpart, "their_shift")):
        if swaps_in_month(person.id, month) >= limit:
            raise Refusal(field, _(
                "%(name)s already has %(n)d shift swaps in %(month)s, the most allowed.",
                name=person.name, n=limit, month=month.strftime("%Y-%m")))
    _check_no_overlap(requester, theirs, mine)
    _check_no_overlap(counterpart, mine, theirs)


def _check_no_overlap(person: User, incoming: Shift, outgoing: Shift) -> None:
    """After the exchange the person must not hold two shifts at once."""
    clash = db.session.scalar(select(Shift.id).where(
        Shift.user_id == person.id, Shift.id != outgoing.id,
        Shift.starts_at < incoming.ends_at, Shift.ends_at > incoming.starts_at))
    if clash is not None:
        raise Refusal("their_shift", _(
            "%(name)s would have two shifts at the same time.", name=person.name))


def clash_free_with(mine: Shift) -> list:
    """SQL conditions on a colleague's Shift that exchanging it for `mine` would leave nobody
    with two shifts at once (the checks of _check_no_overlap, for a whole list): the swap form
    offers only those once the person has chosen the shift they give."""
    other = aliased(Shift)
    mine_clashes = select(other.id).where(
        other.user_id == mine.user_id, other.id != mine.id,
        other.starts_at < Shift.ends_at, other.ends_at > Shift.starts_at)
    theirs_clash = select(other.id).where(
        other.user_id == Shift.user_id, other.id != Shift.id,
        other.starts_at < mine.ends_at, other.ends_at > mine.starts_at)
    return [Shift.starts_at != mine.starts_at, ~mine_clashes.exists(), ~theirs_clash.exists()]


def ask(requester: User, mine: Shift, theirs: Shift, reason: str, now: datetime) -> ShiftSwap:
    """Propose a swap; the other person agrees first."""
    check_swap(requester, mine, theirs, now)
    counterpart = theirs.user
    swap = ShiftSwap(
        requester_id=requester.id, counterpart_id=counterpart.id, requester_shift_id=mine.id,
        counterpart_shift_id=theirs.id, month=month_of(min(mine.day, theirs.day)),
        reason=reason, status=SwapStatus.PENDING_COUNTERPART,
        requester_lead_id=team_lead_id(requester), counterpart_lead_id=team_lead_id(counterpart),
    )
    db.session.add(swap)
    swap.steps.append(SwapStep(action="ask", actor_id=requester.id, reason=reason, at=now))
    audit.record("swap.ask", swap, actor=requester, after={
        "status": swap.status, "requester_shift_id": mine.id, "counterpart_shift_id": theirs.id})
    return swap


def can_act(actor: User, swap: ShiftSwap) -> bool:
    """Whether this person has a step to take now."""
    if swap.status == SwapStatus.PENDING_COUNTERPART:
        return actor.id == swap.counterpart_id
    if swap.status == SwapStatus.PENDING_LEADS:
        return actor.id not in (swap.requester_id, swap.counterpart_id) and (
            (actor.id == swap.requester_lead_id and not swap.requester_lead_signed)
            or (actor.id == swap.counterpart_lead_id and not swap.counterpart_lead_signed))
    if swap.status == SwapStatus.PENDING_SUPERVISOR:
        return actor.role == Role.SUPERVISOR and actor.id not in (
            swap.requester_id, swap.counterpart_id)
    return False


def _leads_done(swap: ShiftSwap) -> bool:
    return ((swap.requester_lead_id is None or swap.requester_lead_signed)
            and (swap.counterpart_lead_id is None or swap.counterpart_lead_signed))


def _add_step(swap: ShiftSwap, **fields) -> None:
    """Add to the swap's history without loading the history first."""
    db.session.add(SwapStep(swap=swap, **fields))


def decide(swap: ShiftSwap, actor: User, approve: bool, reason: str, seen_version: int,
           now: datetime) -> None:
    """The current step: the other person agrees, a lead signs, or the supervisor approves.
    Approval exchanges the two shifts in the same transaction."""
    check_turn(can_act(actor, swap), swap, seen_version, still_open=swap.status in OPEN)
    if not approve and not reason.strip():
        raise Refusal("reason", _("Say why you turn the swap down."))
    if approve and now >= min(swap.requester_shift.starts_at, swap.counterpart_shift.starts_at):
        # Too late to go ahead; turning it down stays possible so the request can be closed.
        raise Refusal("reason", _(
            "One of the two shifts has already started: the swap can only be turned down."))
    before = audit.snapshot(swap, FIELDS)
    stage = swap.status
    if not approve:
        swap.status = (SwapStatus.DECLINED if stage == SwapStatus.PENDING_COUNTERPART
                       else SwapStatus.REJECTED)
        action = "decline" if stage == SwapStatus.PENDING_COUNTERPART else "reject"
    elif stage == SwapStatus.PENDING_COUNTERPART:
        swap.status = SwapStatus.PENDING_LEADS
        action = "agree"
    elif stage == SwapStatus.PENDING_LEADS:
        # One signature covers both sides when the two people share a lead.
        if actor.id == swap.requester_lead_id:
            swap.requester_lead_signed = True
        if actor.id == swap.counterpart_lead_id:
            swap.counterpart_lead_signed = True
        action = "sign"
    else:
        _exchange(swap)
        swap.status = SwapStatus.APPROVED
        action = "approve"
    if swap.status == SwapStatus.PENDING_LEADS and _leads_done(swap):
        swap.status = SwapStatus.PENDING_SUPERVISOR
    _add_step(swap, action=action, actor_id=actor.id, reason=reason.strip(), at=now)
    audit.record(f"swap.{action}", swap, actor=actor, before=before,
                 after=audit.snapshot(swap, FIELDS))
    if swap.status in (SwapStatus.APPROVED, SwapStatus.REJECTED, SwapStatus.DECLINED):
        _tell_parties(swap, now)


def _shift_words(shift: Shift) -> dict:
    """What a notification needs to name a shift in its reader's language."""
    return {"day": shift.day, "starts_at": shift.starts_at, "ends_at": shift.ends_at,
            "label": shift.label}


def _tell_parties(swap: ShiftSwap, now: datetime) -> None:
    """How the swap ended, to both parties; a decline only to the requester (the other
    person declined it)."""
    parties = [(swap.requester_id, swap.requester_shift, swap.counterpart_shift,
                swap.counterpart.name)]
    if swap.status != SwapStatus.DECLINED:
        parties.append((swap.counterpart_id, swap.counterpart_shift, swap.requester_shift,
                        swap.requester.name))
    for person, given, taken, other in parties:
        inbox.post(person, f"swap.{swap.status}", "staff.show_swap", {"swap_id": swap.id},
                   at=now, name=other, given=_shift_words(given), taken=_shift_words(taken))


def _exchange(swap: ShiftSwap) -> None:
    """Give each person the other's shift; re-check the shifts did not change meanwhile."""
    mine, theirs = swap.requester_shift, swap.counterpart_shift
    if mine.user_id != swap.requester_id or theirs.user_id != swap.counterpart_id:
        raise StaleError
    if mine.leave_id is not None or theirs.leave_id is not None:
        raise Refusal("reason", _("A shift covered by approved leave cannot be swapped."))
    _check_no_overlap(swap.requester, theirs, mine)
    _check_no_overlap(swap.counterpart, mine, theirs)
    mine.user_id, theirs.user_id = swap.counterpart_id, swap.requester_id
    db.session.flush()


def withdraw(swap: ShiftSwap, actor: User, seen_version: int, now: datetime) -> None:
    """The requester takes the swap back before the final approval."""
    if actor.id != swap.requester_id:
        raise NotYourTurnError  # whichever version they saw: it was never theirs to withdraw
    check_seen(swap, seen_version, still_open=swap.status in OPEN)
    before = audit.snapshot(swap, FIELDS)
    swap.status = SwapStatus.WITHDRAWN
    _add_step(swap, action="withdraw", actor_id=actor.id, at=now)
    audit.record("swap.withdraw", swap, actor=actor, before=before,
                 after=audit.snapshot(swap, FIELDS))


def waiting_for(actor: User):
    """A select of the swaps whose next step is this person's."""
    stmt = select(ShiftSwap)
    if actor.role == Role.SUPERVISOR:
        return stmt.where(ShiftSwap.status == SwapStatus.PENDING_SUPERVISOR,
                          ShiftSwap.requester_id != actor.id, ShiftSwap.counterpart_id != actor.id)
    counterpart = (ShiftSwap.status == SwapStatus.PENDING_COUNTERPART) & (
        ShiftSwap.counterpart_id == actor.id)
    if actor.role != Role.LEAD:
        return stmt.where(counterpart)
    signs = (ShiftSwap.status == SwapStatus.PENDING_LEADS) & or_(
        (ShiftSwap.requester_lead_id == actor.id) & (ShiftSwap.requester_lead_signed == false()),
        (ShiftSwap.counterpart_lead_id == actor.id)
        & (ShiftSwap.counterpart_lead_signed == false()))
    return stmt.where(or_(counterpart, signs))
