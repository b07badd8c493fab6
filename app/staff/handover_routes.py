"""Shift handovers (交接班): write one, acknowledge each item, sign, close open items."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app import confirm
from app.database import lock_for_change
from app.extensions import db
from app.forms import choices
from app.htmx import render, see_other, trigger, wants_fragment
from app.i18n import lazy_gettext as _l
from app.pagination import paginate
from app.people.models import Team
from app.staff import bp, handovers, pending, policy
from app.staff.forms import ITEM_KIND_LABELS as KIND_LABELS
from app.staff.forms import MAX_HANDOVER_ROWS as MAX_ROWS
from app.staff.forms import AckForm, HandoverForm
from app.staff.models import Handover, HandoverItem
from app.timeutil import center_today, utcnow
from app.workflow import PENDING_CHANGED, Refusal, StepViews, VersionedForm

ACK_LABELS = {
    "pending": _l("Not acknowledged yet"),
    "acknowledged": _l("Acknowledged"),
    "needs_more": _l("More asked for"),
}


def load_handover(handover_id: int) -> Handover:
    """The handover, or 404 when missing or outside the viewer's scope."""
    handover = db.session.get(Handover, handover_id, with_for_update=lock_for_change(Handover))
    if handover is None or not policy.can_see_handover(current_user, handover):
        abort(404)
    return handover


def writable_teams() -> list[Team]:
    """Teams the signed-in person may write handovers for."""
    stmt = select(Team).order_by(Team.name)
    if not policy.is_supervisor(current_user):
        stmt = stmt.where(Team.lead_id == current_user.id)
    return list(db.session.scalars(stmt))


def _show_url(handover: Handover) -> str:
    return url_for("staff.show_handover", handover_id=handover.id)


def waiting_count(handover: Handover, items: list[HandoverItem]) -> int:
    """Items the incoming lead still has to acknowledge before signing."""
    return sum(1 for i in items if i.ack_status != "acknowledged" and i.closed_at is None)


def _show_context(handover: Handover, **extra) -> dict:
    items = handovers.items_to_receive(handover)
    receiving = handover.signed_at is None and handovers.may_receive(current_user, handover)
    waiting = waiting_count(handover, items)
    return {"handover": handover, "items": items, "receiving": receiving, "waiting": waiting,
            "kinds": KIND_LABELS, "acks": ACK_LABELS, "sign_error": "", "item_errors": {},
            "sign_hint": sign_hint(waiting) if waiting else "", "with_sign": True, **extra}


def sign_hint(waiting: int) -> str:
    """Why the sign button is disabled."""
    return ngettext("Acknowledge every item first: %(num)d item is still waiting.",
                    "Acknowledge every item first: %(num)d items are still waiting.", waiting)


# --- views ---------------------------------------------------------------------------------

@bp.route("/handovers")
def list_handovers():
    """What waits for my signature, my team's open items, and the handover history."""
    teams = writable_teams()
    team_id = request.args.get("team", type=int)
    if team_id not in {t.id for t in teams}:
        team_id = None  # whitelisted: only teams the viewer may filter by
    stmt = select(Handover).options(joinedload(Handover.team),
                                    joinedload(Handover.written_by),
                                    joinedload(Handover.signed_by),
                                    selectinload(Handover.items))
    if team_id is not None:
        stmt = stmt.where(Handover.team_id == team_id)
    elif not policy.can_see_all_handovers(current_user):
        stmt = stmt.where(Handover.team_id.in_([t.id for t in teams]))
    page = paginate(policy.visible_handovers(current_user, stmt)
                    .order_by(Handover.day.desc(), Handover.id.desc()))
    waiting = db.session.scalars(
        pending.handovers_waiting(current_user).options(joinedload(Handover.team),
                                                        joinedload(Handover.written_by))
        .order_by(Handover.written_at)).all()
    open_items = []
    if not policy.can_see_all_handovers(current_user):
        for team in teams:
            open_items.extend(handovers.open_items(team.id))
    return render("staff/list_handovers.html", block="results", page=page, teams=teams,
                  team_id=team_id, args={"team": team_id} if team_id else {},
                  waiting=waiting, open_items=open_items, kinds=KIND_LABELS, acks=ACK_LABELS,
                  show_team_filter=policy.can_see_all_handovers(current_user))


@bp.route("/handovers/new", methods=["GET", "POST"])
def new_handover():
    """Write a handover; open items of earlier handovers carry forward into it."""
    teams = writable_teams()
    form = HandoverForm()
    rows_ok = True
    form.team_id.choices = choices((str(t.id), t.name) for t in teams)
    form.team_id.render_kw = {  # another team: show that team's open items instead
        "hx-get": url_for("staff.new_handover", carried=1), "hx-target": "#carried",
        "hx-trigger": "change", "hx-swap": "outerHTML"}
    if request.method == "GET":
        form.day.data = center_today()
        form.team_id.data = request.args.get("team_id", type=int) or (teams[0].id if teams
                                                                       else None)
        row = request.args.get("row", type=int)
        if row is not None and wants_fragment():
            return _extra_row(form, row)
    elif request.form.get("add_row"):
        if len(form.items) < MAX_ROWS:  # no JavaScript: draw the form again with one more row
            form.items.append_entry()
    else:
        valid = form.validate_on_submit()
        rows_ok = form.check_items()  # both run, so every error shows at once
        team = next((t for t in teams if t.id == form.team_id.data), None)
        if valid and rows_ok and team is None:
            form.team_id.errors = [_("Choose a team.")]
        elif valid and rows_ok:
            try:
                handover = handovers.write(
                    team, current_user, form.day.data, (form.shift_label.data or "").strip(),
                    (form.notes.data or "").strip(), form.filled_items(), utcnow())
            except Refusal as error:
                form.form_errors.append(error.message)
            else:
                db.session.commit()
                flash(_("The handover has been written. The incoming lead acknowledges each "
                        "item and signs."), "success")
                return trigger(see_other(_show_url(handover)), PENDING_CHANGED)
    status = 422 if form.errors or not rows_ok else 200
    team_id = form.team_id.data if form.team_id.data in {t.id for t in teams} else None
    carried = handovers.open_items(team_id) if team_id else []
    block = "carried" if request.args.get("carried") else "form"
    return render("staff/handover_form.html", block=block, form=form, teams=teams,
                  carried=carried, kinds=KIND_LABELS, acks=ACK_LABELS, status=status,
                  next_row=len(form.items), max_rows=MAX_ROWS)


def _extra_row(form: HandoverForm, row: int):
    """One more empty item row for the htmx "add another item" button."""
    row = max(row, 0)
    if row >= MAX_ROWS:
        return render("staff/_handover_extra_row.html", row=None, next_row=MAX_ROWS,
                      max_rows=MAX_ROWS)
    while len(form.items) <= row:
        form.items.append_entry()
    return render("staff/_handover_extra_row.html", row=form.items[row], next_row=row + 1,
                  max_rows=MAX_ROWS)


@bp.route("/handovers/<int:handover_id>")
def show_handover(handover_id: int):
    """One handover: its items (new and carried forward), acknowledgments and signature."""
    return render("staff/show_handover.html", **_show_context(load_handover(handover_id)))


@bp.route("/handovers/<int:handover_id>/items/<int:item_id>/ack", methods=["POST"])
def ack_handover_item(handover_id: int, item_id: int):
    """The incoming lead acknowledges one item (or asks for more about it)."""
    handover = load_handover(handover_id)
    item = db.session.get(HandoverItem, item_id)
    if item is None or item.team_id != handover.team_id:
        abort(404)
    form = AckForm()
    if not form.validate_on_submit() or form.decision.data not in ("ack", "more"):
        abort(400)
    try:
        handovers.acknowledge(item, handover, current_user, form.decision.data == "more",
                              form.note.data or "", form.seen_version())
    except Refusal as error:
        context = _show_context(handover, item_errors={item.id: error.message})
        if wants_fragment():
            return render("staff/_handover_answer.html", item=item, status=422, **context)
        return render("staff/show_handover.html", status=422, **context)
    db.session.commit()
    if wants_fragment():
        return render("staff/_handover_answer.html", item=item, **_show_context(handover))
    return see_other(_show_url(handover))


@bp.route("/handovers/<int:handover_id>/sign", methods=["POST"])
def sign_handover(handover_id: int):
    """The incoming lead signs once every item is acknowledged."""
    return StepViews(load_handover, _show_url, page=_refused_signature).take(
        handover_id, VersionedForm(),
        lambda handover, form: handovers.sign(handover, current_user, form.seen_version(),
                                              utcnow()),
        _("The handover is signed."), _l("Sign this handover? Once signed it is closed."))


def _refused_signature(handover: Handover, status: int, form: VersionedForm):
    """The handover's page with why it cannot be signed yet, beside the signature."""
    return render("staff/show_handover.html", status=status,
                  **_show_context(handover, sign_error=" ".join(form.form_errors)))


@bp.route("/handovers/items/<int:item_id>/close", methods=["POST"])
def close_handover_item(item_id: int):
    """Close an open item so it stops carrying forward."""
    item = db.session.get(HandoverItem, item_id)
    if item is None:
        abort(404)
    handover = handovers.current_handover(item)
    if not policy.can_see_handover(current_user, handover):
        abort(404)
    form = VersionedForm()
    if not form.validate_on_submit():
        abort(400)
    confirm.ask(_l("Close this item? It is no longer carried forward."))
    handovers.close_item(item, current_user, form.seen_version(), utcnow())
    db.session.commit()
    if wants_fragment():
        # From a handover's page the sign button is redrawn too (a closed item waits no more).
        page = db.session.get(Handover, request.form.get("handover", 0, type=int))
        on_page = page is not None and policy.can_see_handover(current_user, page)
        return render("staff/_handover_answer.html", item=item,
                      **_show_context(page if on_page else handover, with_sign=on_page))
    flash(_("The item is closed and no longer carried forward."), "success")
    return see_other(_show_url(handover))
