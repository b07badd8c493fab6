"""What the time work declares: its routes' access, links, home cards and what waits for
approvers."""

from app.access import AGENTS, LEADS, ON_THE_FLOOR, SIGNED_IN, SUPERVISOR
from app.areas import Area, NavLink, Panel
from app.i18n import lazy_gettext as _l
from app.people.models import Role
from app.settings import Kind, Spec
from app.staff import (
    away_routes,
    bp,
    demo,
    leave_routes,
    notifications,
    pending,
    policy,
    schedule,
    swap_routes,
)
from app.staff.forms import LEAVE_KIND_LABELS
from app.timeutil import center_today


def _waiting_card(user) -> dict | None:
    found = pending.home_card(user)
    if found is None:
        return None
    return {"waiting": found, "kinds": leave_routes.KIND_LABELS,
            "statuses": leave_routes.STATUS_LABELS, "swap_labels": swap_routes.STATUS_LABELS,
            "swap_buttons": swap_routes.BUTTONS, "shift_text": swap_routes.shift_text}


def _next_shifts(user) -> dict | None:
    shifts = schedule.shift_rows(user, center_today(), limit=3)
    if not shifts and user.role not in (Role.AGENT, Role.LEAD):
        return None
    return {"shifts": shifts}


AREA = Area(
    name="staff",
    title=_l("Shifts, leave and swaps"),
    blueprints=(bp,),
    access={
        # schedules
        "staff.my_shifts": SIGNED_IN,
        "staff.week_view": LEADS,
        "staff.new_shift": LEADS,
        "staff.delete_shift": LEADS,
        "staff.new_pattern": LEADS,
        "staff.import_roster": LEADS,
        "staff.preview_roster": LEADS,
        "staff.apply_roster": LEADS,
        "staff.roster_template": LEADS,
        # leave
        "staff.list_leave": SIGNED_IN,
        "staff.new_leave": SIGNED_IN,
        "staff.show_leave": SIGNED_IN,
        "staff.decide_leave": LEADS,
        "staff.withdraw_leave": SIGNED_IN,
        # shift swaps: between agents and leads; a supervisor approves
        "staff.list_swaps": ON_THE_FLOOR | SUPERVISOR,
        "staff.new_swap": ON_THE_FLOOR,
        "staff.show_swap": ON_THE_FLOOR | SUPERVISOR,
        "staff.decide_swap": ON_THE_FLOOR | SUPERVISOR,
        "staff.withdraw_swap": ON_THE_FLOOR,
        # handovers
        "staff.list_handovers": LEADS,
        "staff.new_handover": LEADS,
        "staff.show_handover": LEADS,
        "staff.ack_handover_item": LEADS,
        "staff.sign_handover": LEADS,
        "staff.close_handover_item": LEADS,
        # away from seat
        "staff.away_board": ON_THE_FLOOR | SUPERVISOR,
        "staff.ask_away": AGENTS,
        "staff.decide_away": LEADS,
        "staff.return_away": ON_THE_FLOOR | SUPERVISOR,
    },
    nav=(
        NavLink("staff.my_shifts", _l("My shifts"), 10),
        NavLink("staff.week_view", _l("Schedule"), 20),
        NavLink("staff.list_leave", _l("Leave"), 30),
        NavLink("staff.list_swaps", _l("Swaps"), 40),
        NavLink("staff.away_board", _l("Away"), 50),
        NavLink("staff.list_handovers", _l("Handovers"), 60),
    ),
    home_cards=(
        Panel("staff/_card_waiting.html", _waiting_card, 10),
        Panel("staff/_card_next_shifts.html", _next_shifts, 30),
    ),
    waiting=pending.WAITING,
    audit_actions={
        "shift.create": _l("Shift added"),
        "shift.delete": _l("Shift deleted"),
        "shift.import": _l("Roster imported"),
        "shift.pattern": _l("Weekly pattern applied"),
        "leave.ask": _l("Leave asked"),
        "leave.approve": _l("Leave approved"),
        "leave.reject": _l("Leave rejected"),
        "leave.withdraw": _l("Leave withdrawn"),
        "swap.ask": _l("Swap asked"),
        "swap.agree": _l("Swap agreed"),
        "swap.decline": _l("Swap declined"),
        "swap.sign": _l("Swap signed by a lead"),
        "swap.approve": _l("Swap approved"),
        "swap.reject": _l("Swap rejected"),
        "swap.withdraw": _l("Swap withdrawn"),
        "handover.write": _l("Handover written"),
        "handover.item_ack": _l("Handover item answered"),
        "handover.sign": _l("Handover signed"),
        "handover.item_close": _l("Handover item closed"),
        "away.ask": _l("Asked to step away"),
        "away.allow": _l("Stepping away allowed"),
        "away.refuse": _l("Stepping away refused"),
        "away.back": _l("Back at the seat"),
    },
    audit_objects={
        "shift": (_l("Shift"), None, None),
        "leave_request": (_l("Leave request"), "staff.show_leave", "leave_id"),
        "shift_swap": (_l("Shift swap"), "staff.show_swap", "swap_id"),
        "handover": (_l("Handover"), "staff.show_handover", "handover_id"),
        "handover_item": (_l("Handover item"), None, None),
        "away_request": (_l("Away request"), None, None),
    },
    audit_fields={"kind": _l("Kind"), "reason": _l("Reason"), "signed_at": _l("Signed"),
                  "closed_at": _l("Closed"), "first_day": _l("First day"),
                  "last_day": _l("Last day"), "day": _l("Day")},
    audit_values={("leave_request", "status"): leave_routes.STATUS_LABELS,
                  ("leave_request", "kind"): LEAVE_KIND_LABELS,
                  ("shift_swap", "status"): swap_routes.STATUS_LABELS,
                  ("away_request", "status"): away_routes.STATUS_LABELS},
    template_globals={"staff_policy": policy},
    notification_kinds=notifications.KINDS,
    settings=(
        Spec("leave_notice_days", Kind.WHOLE, 1, _l("Leave must be asked this many days ahead"),
             _l("days"), 0, 30),
        Spec("sick_notice_minutes", Kind.WHOLE, 60,
             _l("Sick leave may be asked until this long before the shift"), _l("minutes"),
             0, 1440),
        Spec("swap_notice_days", Kind.WHOLE, 1,
             _l("A shift swap must be asked this many days ahead"), _l("days"), 0, 30),
        Spec("swaps_per_month", Kind.WHOLE, 3, _l("Shift swaps per person per calendar month"),
             _l("swaps"), 1, 31),
        Spec("away_minutes", Kind.WHOLE, 5, _l("Longest time away from the seat"),
             _l("minutes"), 1, 60),
    ),
    demo=demo.load,
)
