"""Sign-in, sign-out, password change, sessions and throttling. Part of the base: it builds on
people only."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import routes  # noqa: E402, F401  (the views register on bp)
