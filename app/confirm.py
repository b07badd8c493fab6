"""Irreversible actions are asked first, and the server holds to it.

An irreversible POST (publish an evaluation or a rule, approve, decide, deactivate, withdraw,
delete, revoke) carries `confirmed=yes`. In the browser, htmx asks the question (`hx-confirm`)
and then sends the field (`hx-vals`); see the `confirm` macro. A request without the field
changes nothing: `ask()` ends it with a page that asks the same question and posts the same
form again with the field, so a page without JavaScript is asked first too.

The questions hold no user text ("Publish this evaluation?"), so nothing a person typed is
ever put inside an `hx-*` attribute.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, request

from app.htmx import render

FIELD = "confirmed"


def confirmed() -> bool:
    """Whether the request says its question was answered yes."""
    return request.form.get(FIELD) == "yes"


def _back() -> str:
    """Where "No" leads: the page the form was on, when it is one of ours."""
    came_from = urlsplit(request.referrer or "")
    if came_from.netloc != request.host or not came_from.path.startswith("/"):
        return "/"
    return came_from.path + (f"?{came_from.query}" if came_from.query else "")


def ask(question) -> None:
    """Stop here with the question page unless the request came with its answer.

    A view calls it once it has loaded what it acts on and checked that the person may act
    (so a question never shows that an object exists), and before it changes anything:
    `confirm.ask(_l("Publish this rule? It can never be changed afterwards."))`. Without the
    answer the request ends there (abort with the page), and nothing has changed.
    """
    if confirmed():
        return
    fields = [(name, value) for name, value in request.form.items(multi=True)
              if name not in (FIELD, "csrf_token")]
    abort(render("confirm.html", question=question, action=request.full_path, fields=fields,
                 back=_back()))
