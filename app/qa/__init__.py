"""Quality: the call log, scorecards, sampling rules, evaluations and reports."""

from flask import Blueprint

bp = Blueprint("qa", __name__)

from app.qa import routes  # noqa: E402, F401  (the views register on bp)
