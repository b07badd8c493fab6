"""One pagination helper for every list."""

from flask import current_app, request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from app.extensions import db

MAX_PAGE = 1_000_000  # far past any list; keeps OFFSET inside a 64-bit integer


def page_args() -> tuple[int, int]:
    """Page number and size from the query string, clamped to the configured cap."""
    page = request.args.get("page", 1, type=int) or 1
    size = request.args.get("per_page", current_app.config["PAGE_SIZE"], type=int) or 1
    cap = current_app.config["PAGE_SIZE_MAX"]
    return min(max(page, 1), MAX_PAGE), min(max(size, 1), cap)


def paginate(stmt: Select) -> Pagination:
    """Paginate a select with the request's page and the capped size."""
    page, size = page_args()
    return db.paginate(
        stmt, page=page, per_page=size, max_per_page=current_app.config["PAGE_SIZE_MAX"],
        error_out=False,
    )
