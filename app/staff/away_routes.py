"""Away from seat (离席): ask, allow or refuse with one tap, the live list, "I'm back"."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import confirm
from app.database import lock_for_change
from app.extensions import db
from app.forms import ConfirmForm
from app.htmx import render, see_other, trigger, wants_fragment
from app.i18n import lazy_gettext as _l
from app.people.models import Team
from app.settings import value as setting
from app.staff import away, bp, policy
from app.staff.forms import AwayDecisionForm
from app.staff.leave import lead_of
from app.staff.models import AwayRequest, AwayStatus
from app.timeutil import utcnow
from app.workflow import APPROVE, PENDING_CHANGED, REFUSE, Refusal, VersionedForm

POLL = "every 10s"  # how often the live list and the agent's own status redraw themselves

STATUS_LABELS = {
    AwayStatus.REQUESTED: _l("Asks to step away"),
    AwayStatus.AWAY: _l("Away"),
    AwayStatus.BACK: _l("Back"),
    AwayStatus.REFUSED: _l("Refused"),
}


def stopwatch(minutes: float) -> str:
    """Minutes as "m:ss", for the big clock."""
    seconds = max(int(minutes * 60), 0)
    return f"{seconds // 60}:{seconds % 60:02d}"


def elapsed(minutes: float) -> str:
    """Minutes as "7 min 05 s" in the page's language (a bare "7:05" reads like a time)."""
    seconds = max(int(minutes * 60), 0)
    return _("%(m)d min %(s)02d s", m=seconds // 60, s=seconds % 60)


def load_away(away_id: int) -> AwayRequest:
    """The request, or 404 when missing or outside the viewer's scope."""
    item = db.session.get(AwayRequest, away_id, with_for_update=lock_for_change(AwayRequest))
    if item is None or not policy.can_see_away(current_user, item):
        abort(404)
    return item


def board_context(error: str = "") -> dict:
    """What the page shows: an agent their own request, a lead or supervisor the live list."""
    now = utcnow()
    context = {"limit": setting("away_minutes"), "statuses": STATUS_LABELS, "elapsed": elapsed,
               "stopwatch": stopwatch,
               "error": error, "poll": POLL, "rows": [],
               "mine": None, "mine_minutes": 0.0, "lead": None, "show_team": False,
               "teams": {}, "recent": [], "on_shift": False}
    if policy.can_ask_away(current_user):
        mine = db.session.scalar(
            select(AwayRequest).where(AwayRequest.user_id == current_user.id)
            .order_by(AwayRequest.requested_at.desc(), AwayRequest.id.desc()).limit(1))
        if mine is not None:
            since = mine.left_at or mine.requested_at
            context.update(mine=mine, mine_minutes=(now - since).total_seconds() / 60)
        context["lead"] = lead_of(current_user)
        context["on_shift"] = away.current_shift(current_user, now) is not None
    elif policy.can_watch_away(current_user):
        if policy.is_supervisor(current_user):
            rows = away.live(None, now)
        else:
            led = db.session.scalars(select(Team.id).where(Team.lead_id == current_user.id))
            rows = [row for team_id in led for row in away.live(team_id, now)]
        teams = {t.id: t.name for t in db.session.scalars(
            select(Team).where(Team.id.in_({r.away.team_id for r in rows})))}
        context.update(rows=rows, teams=teams, show_team=policy.is_supervisor(current_user),
                       recent=recent(now), minutes_away=minutes_away)
    return context


def recent(now, limit: int = 10) -> list[AwayRequest]:
    """The latest finished requests of the last 12 hours the viewer may see, newest first."""
    return db.session.scalars(
        policy.visible_away(current_user, select(AwayRequest))
        .where(AwayRequest.status.in_((AwayStatus.BACK, AwayStatus.REFUSED)),
               AwayRequest.requested_at >= now - timedelta(hours=12))
        .options(joinedload(AwayRequest.user))
        .order_by(AwayRequest.requested_at.desc()).limit(limit)).all()


def minutes_away(item: AwayRequest) -> float:
    """How long a finished absence lasted."""
    if item.left_at is None or item.back_at is None:
        return 0.0
    return (item.back_at - item.left_at).total_seconds() / 60


def _block() -> str | None:
    if policy.can_ask_away(current_user):
        return "mine"
    if policy.can_watch_away(current_user):
        return "live"
    return None


@bp.route("/away")
def away_board():
    """An agent's "step away" button and status; a lead's live list. The same URL answers
    the polling with the fragment alone."""
    return render("staff/away_board.html", block=_block(), **board_context())


@bp.route("/away/ask", methods=["POST"])
def ask_away():
    """An agent on shift asks the lead to step away."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        away.ask(current_user, utcnow())
    except Refusal as error:
        return render("staff/away_board.html", block="mine", status=422,
                      **board_context(error=error.message))
    db.session.commit()
    if wants_fragment():
        return trigger(render("staff/away_board.html", block="mine", **board_context()),
                       PENDING_CHANGED)
    flash(_("Your team lead has been asked."), "success")
    return trigger(see_other(url_for("staff.away_board")), PENDING_CHANGED)


@bp.route("/away/<int:away_id>/decide", methods=["POST"])
def decide_away(away_id: int):
    """The lead allows (the clock starts) or refuses, with one tap."""
    item = load_away(away_id)
    form = AwayDecisionForm()
    if not form.validate_on_submit():
        abort(400)
    confirm.ask(APPROVE if form.approves() else REFUSE)
    away.decide(item, current_user, form.approves(), form.seen_version(), utcnow())
    db.session.commit()
    if wants_fragment():
        return trigger(render("staff/away_board.html", block="live", **board_context()),
                       PENDING_CHANGED)
    return trigger(see_other(url_for("staff.away_board")), PENDING_CHANGED)


@bp.route("/away/<int:away_id>/back", methods=["POST"])
def return_away(away_id: int):
    """The agent (or the lead for them) marks the return to the seat."""
    item = load_away(away_id)
    form = VersionedForm()
    if not form.validate_on_submit():
        abort(400)
    away.come_back(item, current_user, form.seen_version(), utcnow())
    db.session.commit()
    if wants_fragment():
        block = "mine" if item.user_id == current_user.id else "live"
        return render("staff/away_board.html", block=block, **board_context())
    return see_other(url_for("staff.away_board"))
