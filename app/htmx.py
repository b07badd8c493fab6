"""Full page or fragment from the same view, and the HX-* response helpers."""

import json

from flask import Response, redirect, request
from flask import render_template as flask_render
from jinja2_fragments.flask import render_block


def is_htmx() -> bool:
    """Any request htmx made (boosted or targeted)."""
    return request.headers.get("HX-Request") == "true"


def wants_fragment() -> bool:
    """A targeted htmx request gets a fragment; normal, boosted and history loads the page."""
    return (
        is_htmx()
        and bool(request.headers.get("HX-Target"))
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(template: str, block: str | None = None, status: int = 200, **context) -> Response:
    """Render the page, or only `block` of it when htmx asked for a fragment."""
    if block and wants_fragment():
        body = render_block(template, block, **context)
    else:
        body = flask_render(template, **context)
    response = Response(body, status=status, mimetype="text/html")
    if request.method != "GET" and request.headers.get("HX-Boosted") == "true":
        # A boosted form answered with a page (a refusal, a result): keep the address of the
        # page the form was on, not the POST-only address of the form's action.
        response.headers["HX-Push-Url"] = "false"
    return response


def see_other(url: str) -> Response:
    """After a change: htmx follows HX-Location, everything else a 303."""
    if wants_fragment():
        response = Response(status=204)
        response.headers["HX-Location"] = json.dumps({"path": url, "target": "body"})
        return response
    return redirect(url, code=303)


def trigger(response: Response, *events: str) -> Response:
    """Add HX-Trigger events (for counters and the like)."""
    if events:
        response.headers["HX-Trigger"] = ", ".join(events)
    return response


def add_vary(response: Response) -> Response:
    """One URL serves page and fragment, so caches must key on the htmx headers."""
    response.vary.add("HX-Request")
    response.vary.add("HX-Target")
    return response
