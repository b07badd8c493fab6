"""Quality: the call log, scorecards, sampling rules, evaluations and reports."""

from flask import Blueprint

bp = Blueprint("qa", __name__)

# The views register on bp, one module per topic.
from app.qa import (  # noqa: E402, F401
    calibration_routes,
    call_routes,
    evaluation_routes,
    report_routes,
    rule_routes,
    scorecard_routes,
    token_routes,
)
