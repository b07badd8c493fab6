"""People: who works in the center, their teams and grades. The base every area builds on; it
imports no other area."""

from flask import Blueprint

bp = Blueprint("people", __name__)

from app.people import routes  # noqa: E402, F401  (the views register on bp)
