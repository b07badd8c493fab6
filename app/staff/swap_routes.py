"""Shift swaps: ask, see where a swap stands, agree / sign / approve or turn down, withdraw."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from babel.dates import format_skeleton
from flask import abort, flash, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select, true
from sqlalchemy.orm import contains_eager, joinedload
from wtforms.fields.choices import SelectChoice

from app.database import lock_for_change
from app.extensions import db
from app.htmx import render, see_other, trigger
from app.i18n import lazy_gettext as _l
from app.pagination import paginate
from app.people.models import Role, Status, User
from app.settings import value as setting
from app.staff import bp, policy, swaps
from app.staff.forms import SwapForm
from app.staff.models import Shift, ShiftSwap, SwapStatus
from app.timeutil import center_tz, utcnow
from app.web import date_arg
from app.workflow import PENDING_CHANGED, DecisionForm, Refusal, StepViews, render_card

WINDOW_DAYS = 35  # the shifts offered for a swap: from now to five weeks ahead
MY_CHOICES = 60  # at most this many of my own shifts in the select
THEIR_CHOICES = 600  # and of colleagues' shifts, whatever the size of the center
MINE_SHOWN = 20

STATUS_LABELS = {
    SwapStatus.PENDING_COUNTERPART: _l("Waiting for the other person"),
    SwapStatus.PENDING_LEADS: _l("Waiting for the team leads"),
    SwapStatus.PENDING_SUPERVISOR: _l("Waiting for the supervisor"),
    SwapStatus.APPROVED: _l("Approved"),
    SwapStatus.REJECTED: _l("Rejected"),
    SwapStatus.DECLINED: _l("Declined"),
    SwapStatus.WITHDRAWN: _l("Withdrawn"),
}
ACTION_LABELS = {
    "ask": _l("asked"),
    "agree": _l("agreed"),
    "decline": _l("declined"),
    "sign": _l("signed"),
    "approve": _l("approved"),
    "reject": _l("rejected"),
    "withdraw": _l("withdrew"),
}
# What the yes and no buttons say at each step.
BUTTONS = {
    SwapStatus.PENDING_COUNTERPART: (_l("Agree to the swap"), _l("Decline")),
    SwapStatus.PENDING_LEADS: (_l("Sign"), _l("Reject")),
    SwapStatus.PENDING_SUPERVISOR: (_l("Approve"), _l("Reject")),
}
STEP_STATES = {
    "done": _l("done"),
    "current": _l("waiting now"),
    "waiting": _l("not yet"),
    "failed": _l("turned down"),
    "skipped": _l("not needed any more"),
}
# Every relation a swap card shows is many-to-one: joined into the same query.
EAGER = (joinedload(ShiftSwap.requester), joinedload(ShiftSwap.counterpart),
         joinedload(ShiftSwap.requester_shift), joinedload(ShiftSwap.counterpart_shift))


# --- helpers shared by the views and their templates --------------------------------------

def shift_text(shift: Shift) -> str:
    """"11月23日周一 09:00–17:00 早班" in the page's language; "+1" when it ends the next day."""
    tz = center_tz()
    starts, ends = shift.starts_at.astimezone(tz), shift.ends_at.astimezone(tz)
    text = f"{format_skeleton('MMMEd', shift.day, locale=get_locale())} " \
           f"{starts:%H:%M}–{ends:%H:%M}"
    if ends.date() > shift.day:
        text += " (+1)"
    return f"{text} {shift.label}" if shift.label else text


def load_swap(swap_id: int) -> ShiftSwap:
    """The swap, or 404 when missing or outside the viewer's scope."""
    swap = db.session.get(ShiftSwap, swap_id, with_for_update=lock_for_change(ShiftSwap))
    if swap is None or not policy.can_see_swap(current_user, swap):
        abort(404)
    return swap


def fill_choices(form: SwapForm, user: User, now, who: str = "",
                 on_day: date | None = None, giving: int | None = None) -> None:
    """My upcoming shifts, and the upcoming shifts of colleagues of my level (same grade for
    agents), by person; shifts too soon for the notice rule, on leave or already in an open
    swap are left out (the rules still hold for any shift posted). `who` narrows the
    colleagues to a part of a name or the start of an employee no., `on_day` to one day; once
    the shift I give is chosen (`giving`), only shifts that exchange with it without anyone
    holding two shifts at once are offered."""
    until = now + timedelta(days=WINDOW_DAYS)
    offerable = swaps.offerable(now)
    mine = db.session.scalars(
        select(Shift).where(Shift.user_id == user.id, Shift.starts_at < until, *offerable)
        .order_by(Shift.starts_at).limit(MY_CHOICES)).all()
    blank = SelectChoice("", _("— choose —"))
    form.my_shift.choices = [blank, *(SelectChoice(str(s.id), shift_text(s)) for s in mine)]
    narrow = []
    if who:
        narrow.append(or_(User.name.icontains(who, autoescape=True),
                          User.employee_no.istartswith(who, autoescape=True)))
    if on_day is not None:
        narrow.append(Shift.day == on_day)
    given = next((shift for shift in mine if shift.id == giving), None)
    if given is not None:
        narrow.extend(swaps.clash_free_with(given))
    theirs = db.session.scalars(
        select(Shift).join(User, Shift.user_id == User.id)
        .where(User.role == user.role, User.role.in_((Role.AGENT, Role.LEAD)),
               User.grade == user.grade if user.role == Role.AGENT else true(),
               User.id != user.id, User.status == Status.ACTIVE,
               Shift.starts_at < until, *offerable, *narrow)
        .options(contains_eager(Shift.user))
        .order_by(User.name, User.employee_no, Shift.starts_at).limit(THEIR_CHOICES)).all()
    form.their_shift.choices = [blank, *(
        # The name is in the label too: a closed select does not show the group.
        SelectChoice(str(s.id), f"{s.user.name} · {shift_text(s)}",
                     optgroup=f"{s.user.name} · {s.user.employee_no}")
        for s in theirs)]


@dataclass
class Step:
    """One box of the stepper on the detail page."""

    label: str
    state: str  # a key of STEP_STATES
    who: str = ""  # shown after the state when the label does not name the person


def stepper(swap: ShiftSwap) -> list[Step]:
    """Where the swap stands for every party, in the order the steps happen."""
    actions = {s.action: s for s in swap.steps}
    status = swap.status
    final = status not in swaps.OPEN
    leads_done = ((swap.requester_lead_id is None or swap.requester_lead_signed)
                  and (swap.counterpart_lead_id is None or swap.counterpart_lead_signed))
    rejecter = actions["reject"].actor_id if "reject" in actions else None

    def state(done: bool, current: bool, failed: bool) -> str:
        if done:
            return "done"
        if failed:
            return "failed"
        if current:
            return "current"
        return "skipped" if final else "waiting"

    steps = [Step(_("Asked"), "done", swap.requester.name),
             Step(_("%(name)s agrees", name=swap.counterpart.name),
                  state("agree" in actions, status == SwapStatus.PENDING_COUNTERPART,
                        "decline" in actions))]
    leads = []
    if swap.requester_lead_id is not None:
        leads.append((swap.requester_lead_id, swap.requester_lead, swap.requester_lead_signed))
    if swap.counterpart_lead_id is not None and swap.counterpart_lead_id != swap.requester_lead_id:
        leads.append((swap.counterpart_lead_id, swap.counterpart_lead,
                      swap.counterpart_lead_signed))
    for lead_id, lead, signed in leads:
        steps.append(Step(
            _("Team lead %(name)s signs", name=lead.name if lead is not None else "—"),
            state(signed, status == SwapStatus.PENDING_LEADS,
                  status == SwapStatus.REJECTED and not leads_done and rejecter == lead_id)))
    decider = actions.get("approve") or (actions.get("reject") if leads_done else None)
    steps.append(Step(
        _("The supervisor approves"),
        state(status == SwapStatus.APPROVED, status == SwapStatus.PENDING_SUPERVISOR,
              status == SwapStatus.REJECTED and leads_done),
        decider.actor.name if decider is not None and decider.actor else ""))
    return steps


def _context(**extra) -> dict:
    return {"statuses": STATUS_LABELS, "actions": ACTION_LABELS, "buttons": BUTTONS,
            "step_states": STEP_STATES, "shift_text": shift_text, **extra}


def swap_card(swap: ShiftSwap, status: int = 200, form: DecisionForm | None = None):
    """The swap as a compact card, the answer to a decision made from one: the current
    person's buttons when it is their turn, a refusal, or (409) why nothing happened."""
    error = ""
    if status == 409:
        error = _("Someone else changed this swap first: this is where it stands now.")
    elif form is not None:
        error = " ".join(form.reason_errors())
    return render_card("staff/_swap_row.html", "swap_row", swap, STATUS_LABELS, BUTTONS,
                       shift_text, can_decide=swaps.can_act(current_user, swap), error=error,
                       rejecting=form is not None and form.approves() is False, status=status)


def swap_page(swap: ShiftSwap, status: int = 200, form: DecisionForm | None = None):
    """The detail page: the two shifts, the stepper, the history and the buttons (a refusal
    above them)."""
    return render("staff/show_swap.html", swap=swap, steps=stepper(swap),
                  error=" ".join(form.reason_errors()) if form else "",
                  rejecting=form is not None and form.approves() is False,
                  can_decide=swaps.can_act(current_user, swap),
                  can_withdraw=swap.requester_id == current_user.id and swap.status in swaps.OPEN,
                  status=status, **_context())


def _show_url(swap: ShiftSwap) -> str:
    return url_for("staff.show_swap", swap_id=swap.id)


STEPS = StepViews(load_swap, _show_url, swap_card, swap_page)


# --- views ---------------------------------------------------------------------------------

@bp.route("/swaps")
def list_swaps():
    """What waits for me, my swaps, and (for leads and supervisors) the swaps they can see."""
    status = request.args.get("status", "")
    waiting = db.session.scalars(
        swaps.waiting_for(current_user).options(*EAGER).order_by(ShiftSwap.created_at)).all()
    mine = db.session.scalars(
        select(ShiftSwap).where(or_(ShiftSwap.requester_id == current_user.id,
                                    ShiftSwap.counterpart_id == current_user.id))
        .options(*EAGER).order_by(ShiftSwap.created_at.desc(), ShiftSwap.id.desc())
        .limit(MINE_SHOWN)).all()
    page = None
    if policy.can_see_team_swaps(current_user):
        stmt = policy.visible_swaps(current_user, select(ShiftSwap)).options(*EAGER)
        if status in STATUS_LABELS:
            stmt = stmt.where(ShiftSwap.status == status)
        page = paginate(stmt.order_by(ShiftSwap.created_at.desc(), ShiftSwap.id.desc()))
    return render("staff/list_swaps.html", block="results", waiting=waiting, mine=mine,
                  page=page, chosen=status, args={"status": status} if status else {},
                  can_ask=policy.can_ask_swap(current_user), **_context())


@bp.route("/swaps/new", methods=["GET", "POST"])
def new_swap():
    """Offer one of my shifts for a colleague's; rule violations show beside the field."""
    now = utcnow()
    form = SwapForm()
    who = request.values.get("who", "").strip()[:32]
    on_day = date_arg("on_day")
    if request.method == "GET":
        form.my_shift.data = (request.args.get("my_shift", type=int)
                              or request.args.get("shift", type=int))
        form.their_shift.data = request.args.get("their_shift", type=int)
    fill_choices(form, current_user, now, who, on_day, form.my_shift.data)
    offered = {choice.value for choice in form.my_shift.choices}
    if request.method == "GET" and form.my_shift.data and str(form.my_shift.data) not in offered:
        # Came from "swap this shift" on a shift that cannot be swapped (any more).
        form.my_shift.errors = [_(
            "That shift cannot be swapped now: it starts in less than %(n)d day(s), is on "
            "leave or is already in another swap. Choose another one.",
            n=setting("swap_notice_days"))]
        form.my_shift.data = None
    # The filter's own button (and Enter in its box) only narrows the list: nothing is asked.
    narrowing = request.method == "POST" and "narrow" in request.form
    if not narrowing and form.validate_on_submit():
        mine = db.session.get(Shift, form.my_shift.data)
        theirs = db.session.get(Shift, form.their_shift.data)
        if mine is None or mine.user_id != current_user.id:
            form.my_shift.errors = [_("Choose one of your own shifts.")]
        elif theirs is None:
            form.their_shift.errors = [_("Choose a shift of another person.")]
        else:
            try:
                swap = swaps.ask(current_user, mine, theirs, (form.reason.data or "").strip(),
                                 now)
            except Refusal as error:
                field = getattr(form, error.field, form.my_shift)
                field.errors = [*field.errors, error.message]
            else:
                db.session.commit()
                flash(_("Your swap request has been sent to %(name)s.", name=theirs.user.name),
                      "success")
                return trigger(see_other(_show_url(swap)), PENDING_CHANGED)
    # Typing in the colleague filter redraws only the list of their shifts.
    block = "theirs" if request.headers.get("HX-Target") == "swap-theirs" else "form"
    return render("staff/swap_form.html", block=block, form=form, who=who, on_day=on_day,
                  notice_days=setting("swap_notice_days"), per_month=setting("swaps_per_month"),
                  status=422 if form.errors else 200)


@bp.route("/swaps/<int:swap_id>")
def show_swap(swap_id: int):
    """One swap: the two shifts, where it stands for every party, and its history."""
    return swap_page(load_swap(swap_id))


@bp.route("/swaps/<int:swap_id>/decide", methods=["POST"])
def decide_swap(swap_id: int):
    """Agree, sign or approve (or turn down) the current step; the first of two clicks wins."""
    return STEPS.decide(swap_id, swaps.decide)


@bp.route("/swaps/<int:swap_id>/withdraw", methods=["POST"])
def withdraw_swap(swap_id: int):
    """The requester takes the swap back before the final decision."""
    return STEPS.withdraw(swap_id, swaps.withdraw, _("The swap request has been withdrawn."))
