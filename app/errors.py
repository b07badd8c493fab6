"""Error pages as full page or fragment; never a traceback, always a reference id for 500."""

import logging
import secrets

from flask import Flask, jsonify, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.htmx import render, wants_fragment
from app.i18n import lazy_gettext as _l
from app.workflow import NotYourTurnError, StaleError

log = logging.getLogger(__name__)

TITLES = {
    400: _l("The request could not be understood"),
    403: _l("You may not do this"),
    404: _l("Not found"),
    405: _l("Not allowed here"),
    409: _l("Someone else changed this first"),
    413: _l("The file is too large"),
    422: _l("Please check what you entered"),
    429: _l("Too many requests"),
    500: _l("Something went wrong on our side"),
}
HINTS = {
    400: _l("Go back, reload the page and try again."),
    403: _l("Your role does not allow this. If you need it, ask a supervisor."),
    404: _l("The page or record does not exist, or it is not yours to see."),
    405: _l("Go back and use the buttons on the page."),
    409: _l("Reload the page to see the latest version, then make your change again."),
    413: _l("Files of up to 16 MB can be uploaded."),
    422: _l("Go back, correct the form and send it again."),
    429: _l("Wait a minute and try again."),
    500: _l("Please try again. If it happens again, give this reference to support:"),
}


API_PREFIX = "/api/"


def error_page(status: int, reference: str = "", message: str = ""):
    """Render the error page (or its fragment for a targeted htmx request); the machine API
    answers JSON instead."""
    code = status if status in TITLES else 400
    if request.path.startswith(API_PREFIX):
        body = {"error": str(message or TITLES[code])}
        if reference:
            body["reference"] = reference
        return jsonify(body), status
    response = render(
        "errors/error.html", block="content", status=status,
        title=TITLES[code], hint=HINTS[code], reference=reference, message=message,
        fragment=wants_fragment(),
    )
    if status == 409 and request.headers.get("HX-Request"):
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        db.session.rollback()
        return error_page(400, message=str(_l("The form's security token was missing or old.")))

    @app.errorhandler(StaleDataError)
    @app.errorhandler(StaleError)
    def stale(_error):
        db.session.rollback()
        return error_page(409)

    @app.errorhandler(NotYourTurnError)
    def not_your_turn(_error):
        db.session.rollback()
        return error_page(403)

    @app.errorhandler(HTTPException)
    def http_error(error):
        db.session.rollback()
        return error_page(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected(error):
        db.session.rollback()
        reference = secrets.token_hex(4)
        log.exception("unhandled error, reference %s", reference, exc_info=error)
        return error_page(500, reference=reference)
