"""The time work: shifts and schedules, leave, shift swaps, handovers and away from seat."""

from flask import Blueprint

bp = Blueprint("staff", __name__)

# The views register on bp, one module per topic.
from app.staff import (  # noqa: E402, F401
    away_routes,
    handover_routes,
    leave_routes,
    schedule_routes,
    swap_routes,
)
