"""The access table: which roles may use each route. One table enforces and the tests read it.

A route missing from the table is refused for everyone (fail closed), and the test suite
fails on it, so nobody can add a route without deciding who may use it.
"""

from flask import Response, abort, redirect, request, url_for
from flask_login import current_user

from app.htmx import is_htmx
from app.staff.models import Role

PUBLIC = frozenset({"anonymous", *Role})
SIGNED_IN = frozenset(Role)
SUPERVISOR = frozenset({Role.SUPERVISOR})
LEADS = frozenset({Role.LEAD, Role.SUPERVISOR})
ON_THE_FLOOR = frozenset({Role.AGENT, Role.LEAD})
AGENTS = frozenset({Role.AGENT})
QA = frozenset({Role.QA})
QA_AND_SUPERVISOR = frozenset({Role.QA, Role.SUPERVISOR})
QUALITY_VIEWERS = frozenset({Role.QA, Role.LEAD, Role.SUPERVISOR})

ACCESS: dict[str, frozenset] = {
    # Quality: objects are filtered further by app/qa/policy.py (an agent sees their own).
    "qa.list_calls": SIGNED_IN,
    "qa.show_call": SIGNED_IN,
    "qa.list_rules": SIGNED_IN,
    "qa.show_rule": SIGNED_IN,
    "qa.why_sampled": SIGNED_IN,
    "qa.new_rule": QA,
    "qa.edit_rule": QA,
    "qa.publish_rule": QA,
    "qa.queue": QA,
    "qa.draw_sample": QA,
    "qa.start_evaluation": QA,
    "qa.show_evaluation": SIGNED_IN,
    "qa.save_evaluation": QA,
    "qa.evaluation_total": QA,
    "qa.confirm_read": ON_THE_FLOOR,
    "qa.list_evaluations": SIGNED_IN,
    "qa.list_scorecards": QUALITY_VIEWERS,
    "qa.show_scorecard": QUALITY_VIEWERS,
    "qa.add_category": SUPERVISOR,
    "qa.add_item": SUPERVISOR,
    "qa.change_item": SUPERVISOR,
    "qa.remove_item": SUPERVISOR,
    "qa.import_calls": QA_AND_SUPERVISOR,
    "qa.preview_calls": QA_AND_SUPERVISOR,
    "qa.apply_calls": QA_AND_SUPERVISOR,
    "qa.list_calibrations": QA_AND_SUPERVISOR,
    "qa.new_calibration": SUPERVISOR,
    "qa.show_calibration": QA_AND_SUPERVISOR,
    "qa.score_calibration": QA,
    "qa.close_calibration": SUPERVISOR,
    "qa.show_report": QUALITY_VIEWERS,
    "qa.show_consistency": QA_AND_SUPERVISOR,
    "qa.export_report": SUPERVISOR,
    "qa.list_tokens": SUPERVISOR,
    "qa.revoke_token": SUPERVISOR,
    "static": PUBLIC,
    "main.health": PUBLIC,
    "main.set_language": PUBLIC,
    # The telephony system's door: an API token, never a session (see app/qa/api.py).
    "qa_api.receive_calls": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": SIGNED_IN,
    "auth.change_password": SIGNED_IN,
    "main.home": SIGNED_IN,
    "staff.list_people": SIGNED_IN,
    "staff.show_person": SIGNED_IN,
    "staff.new_person": SUPERVISOR,
    "staff.edit_person": SUPERVISOR,
    "staff.deactivate_person": SUPERVISOR,
    "staff.promote_person": SUPERVISOR,
    "staff.confirm_person": SUPERVISOR,
    "staff.reset_password": SUPERVISOR,
    "staff.unlock_person": SUPERVISOR,
    "staff.list_teams": SIGNED_IN,
    "staff.new_team": SUPERVISOR,
    "staff.edit_team": SUPERVISOR,
    "staff.import_people": SUPERVISOR,
    "staff.preview_import": SUPERVISOR,
    "staff.apply_import": SUPERVISOR,
    "staff.import_template": SUPERVISOR,
    "main.list_audit": SUPERVISOR,
    "main.pending_count": SIGNED_IN,
    "staff.edit_rules": SUPERVISOR,
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
    # shift swaps
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
}

# Routes a person with a one-time password may still reach.
BEFORE_PASSWORD_CHANGE = frozenset(
    {"static", "main.health", "main.set_language", "auth.login", "auth.logout",
     "auth.change_password", "qa_api.receive_calls"}
)


def role_of(user) -> str:
    """The access-table key for a user (or the anonymous visitor)."""
    return str(user.role) if user.is_authenticated else "anonymous"


def enforce_access():
    """before_request: refuse what the table does not allow; unknown endpoints fail closed."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # routing already failed: 404 or 405 follows
    allowed = ACCESS.get(endpoint)
    if allowed is None:
        abort(403)
    who = role_of(current_user)
    if who in allowed:
        if (
            who != "anonymous"
            and current_user.must_change_password
            and endpoint not in BEFORE_PASSWORD_CHANGE
        ):
            return redirect(url_for("auth.change_password"))
        return None
    if who == "anonymous":
        target = url_for("auth.login", next=request.full_path.rstrip("?"))
        if is_htmx():  # never a plain redirect into a fragment target: reload the whole page
            return Response(status=204, headers={"HX-Redirect": target})
        return redirect(target)
    abort(403)
