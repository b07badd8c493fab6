"""away_routes views (being written)."""

from app.staff.routes import bp  # noqa: F401
