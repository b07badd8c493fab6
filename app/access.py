"""The access check: which roles may use each route.

Each area declares the entries of its own routes (`app/<area>/area.py`); the app merges them
into one table (`app.areas.access_table`), which this check enforces and the tests read. A
route missing from the table is refused for everyone (fail closed), and the test suite fails
on it, so nobody can add a route without deciding who may use it.
"""

from flask import Response, abort, redirect, request, url_for
from flask_login import current_user

from app.areas import access_table, open_before_password_change
from app.htmx import is_htmx
from app.people.models import Role

PUBLIC = frozenset({"anonymous", *Role})
SIGNED_IN = frozenset(Role)
SUPERVISOR = frozenset({Role.SUPERVISOR})
LEADS = frozenset({Role.LEAD, Role.SUPERVISOR})
ON_THE_FLOOR = frozenset({Role.AGENT, Role.LEAD})
AGENTS = frozenset({Role.AGENT})
QA = frozenset({Role.QA})
QA_AND_SUPERVISOR = frozenset({Role.QA, Role.SUPERVISOR})
QUALITY_VIEWERS = frozenset({Role.QA, Role.LEAD, Role.SUPERVISOR})


def role_of(user) -> str:
    """The access-table key for a user (or the anonymous visitor)."""
    return str(user.role) if user.is_authenticated else "anonymous"


def enforce_access():
    """before_request: refuse what the table does not allow; unknown endpoints fail closed."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # routing already failed: 404 or 405 follows
    allowed = access_table().get(endpoint)
    if allowed is None:
        abort(403)
    who = role_of(current_user)
    if who in allowed:
        if (
            who != "anonymous"
            and current_user.must_change_password
            and endpoint not in open_before_password_change()
        ):
            return redirect(url_for("auth.change_password"))
        return None
    if who == "anonymous":
        target = url_for("auth.login", next=request.full_path.rstrip("?"))
        if is_htmx():  # never a plain redirect into a fragment target: reload the whole page
            return Response(status=204, headers={"HX-Redirect": target})
        return redirect(target)
    abort(403)
