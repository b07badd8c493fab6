"""The machine door: the telephony system posts batches of calls with an API token.

Only a valid, unrevoked token opens it; a browser session never does (the signed-in person is
not even looked at), and CSRF does not apply because no cookie is trusted here.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from app.extensions import csrf, db
from app.qa import calls, tokens
from app.timeutil import utcnow

bp = Blueprint("qa_api", __name__, url_prefix="/api")

MAX_BATCH = 10_000


def _refuse(status: int, error: str, **extra):
    return jsonify({"error": error, **extra}), status


@bp.route("/calls", methods=["POST"])
@csrf.exempt
def receive_calls():
    """Store a batch of calls: all of it, or nothing with every row's problems."""
    token = tokens.from_header(request.headers.get("Authorization"))
    if token is None:
        response = jsonify({"error": "a valid API token is required"})
        response.headers["WWW-Authenticate"] = 'Bearer realm="callfloor"'
        return response, 401
    body = request.get_json(silent=True)
    rows = body.get("calls") if isinstance(body, dict) else body
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        return _refuse(400, 'send JSON: {"calls": [{"serial_no": ..., ...}, ...]}')
    if len(rows) > MAX_BATCH:
        return _refuse(413, f"at most {MAX_BATCH} calls per batch")
    checked = calls.check_rows(rows)
    problems = [{"row": row.line, "serial_no": row.values["serial_no"],
                 "problems": row.problems} for row in checked if row.problems]
    if problems:
        return _refuse(422, "nothing was stored: correct these rows and send the batch again",
                       rows=problems)
    token.last_used_at = utcnow()
    stored = calls.store(checked, "api", what=f"token {token.prefix}")
    db.session.commit()
    return jsonify({"added": stored.added, "already_there": stored.already_there})
