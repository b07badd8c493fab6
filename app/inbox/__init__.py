"""The one notification inbox (消息): any area tells a person something through one call, and
the person reads it in their own language. Part of the base: it builds on people only."""

from flask import Blueprint

bp = Blueprint("inbox", __name__)

from app.inbox import routes  # noqa: E402, F401  (the views register on bp)
