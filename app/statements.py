"""Statements built once per app, for the few pages where building them costs more than
running them.

SQLAlchemy caches the compiled SQL of a statement, but building the statement object and its
cache key still costs 0.1 to 0.5 ms per select on every request. Plain queries are the rule
here; a page keeps a statement in this cache only where `make bench` shows the page at least
10% faster with it, and says the figure where it does.

A statement kept here is built without a person: where it depends on who asks, it is built for
a `Person` (a role, and an id that is the bind parameter `person_id`) and run with
`{"person_id": user.id}`. A query function that reads anything of the person but the role and
the id fails at once on the stand-in, so a cached statement can never hold one person's values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import BindParameter, Integer, bindparam

EXTENSION = "callfloor.statements"


@dataclass(frozen=True, slots=True)
class Person:
    """Stands in for anyone of a role while a statement is built: `id` is the bind parameter
    `person_id`, given when the statement runs."""

    role: str
    id: BindParameter = field(default_factory=lambda: bindparam("person_id", type_=Integer))


def once(key: tuple, build: Callable[[], Any]) -> Any:
    """The statement stored under `key` for this app, built by `build()` the first time."""
    store: dict = current_app.extensions.setdefault(EXTENSION, {})
    statement = store.get(key)
    if statement is None:
        statement = store[key] = build()
    return statement


def person_args(user) -> dict[str, int]:
    """The bind parameters that make a statement built for a Person ask about `user`."""
    return {"person_id": user.id}
