"""The shell: home page, pending counter, language, health check and the audit trail. It only
merges what the areas declare (app/areas.py)."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from app.main import routes, settings_routes  # noqa: E402, F401  (the views register on bp)
