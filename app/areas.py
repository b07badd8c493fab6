"""The areas of callfloor and what each one declares about itself.

An area (people, auth, inbox, staff, qa, ...) is a package with one `AREA` object: its
blueprints, its access entries, its navigation links, its home cards, its "waiting for you"
queries and its sections on a person's page and on My shifts. `create_app` registers each
area with one line; the access check, the navigation, the home page and the pending counter
merge what the registered areas declare, so adding an area never edits another one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, current_app
from markupsafe import Markup
from sqlalchemy import func, select

from app import statements
from app.extensions import db

EXTENSION = "callfloor.areas"
ACCESS_EXTENSION = "callfloor.access"
AUDIT_ACTIONS = "callfloor.audit_actions"
AUDIT_WORDS = "callfloor.audit_words"
AUDIT_OBJECTS = "callfloor.audit_objects"


@dataclass(frozen=True)
class NavLink:
    """A link of the main navigation, shown to whoever may open its endpoint.

    `more` puts it in the "More" menu; `order` sorts the links of every area together.
    """

    endpoint: str
    label: Any
    order: int
    more: bool = False


@dataclass(frozen=True)
class Panel:
    """A home card or a page section.

    `build(*args)` returns the template's arguments, or None when it has nothing for this
    person; the template is rendered with exactly those arguments (it reads nothing else from
    the page).
    """

    template: str
    build: Callable[..., Mapping[str, Any] | None]
    order: int

    def render(self, *args, page: Mapping[str, Any]) -> Markup | None:
        """The panel's HTML for these arguments, or None when it is left out. `page` is the
        context every template of the request gets (the signed-in person, can_visit, ...),
        worked out once for all the panels of a page."""
        context = self.build(*args)
        if context is None:
            return None
        template = current_app.jinja_env.get_template(self.template)
        return Markup(template.render({**page, **context}))  # noqa: S704 (autoescaped)


@dataclass(frozen=True)
class Waiting:
    """One kind of item that waits for a person's decision.

    `query(actor)` returns a select of the items waiting for that person (no rows for people
    who never decide them); `label(n)` says how many in the reader's language, and `endpoint`
    is the page where they are decided.
    """

    kind: str
    query: Callable[[Any], Any]
    label: Callable[[int], str]
    endpoint: str


@dataclass
class Area:
    """Everything an area declares. Only `name` is required."""

    name: str
    # What people call the area (the settings page heads its group with it).
    title: Any = ""
    blueprints: tuple[Blueprint, ...] = ()
    access: Mapping[str, frozenset] = field(default_factory=dict)
    # Routes a person who must still change their one-time password may open.
    before_password_change: frozenset[str] = frozenset()
    nav: tuple[NavLink, ...] = ()
    home_cards: tuple[Panel, ...] = ()
    waiting: tuple[Waiting, ...] = ()
    # Built with (viewer, person): sections on a person's page.
    person_sections: tuple[Panel, ...] = ()
    # Built with (viewer, first_day, last_day): sections on My shifts.
    shift_sections: tuple[Panel, ...] = ()
    # The audit trail's words: what each action this area records is called, and each kind
    # of object it records, with the page that shows one: (label, endpoint, argument).
    audit_actions: Mapping[str, Any] = field(default_factory=dict)
    audit_objects: Mapping[str, tuple[Any, str | None, str | None]] = field(default_factory=dict)
    # ... and in words: what each recorded field is called (the form's label), the words for
    # a field's values by kind of object ((object kind, field) -> {value: words}), which kind
    # of object a field's id names (team_id -> team), and how to name objects of a kind
    # (ids -> {id: "张三 (CF1001)"}, one query for a page of rows).
    audit_fields: Mapping[str, Any] = field(default_factory=dict)
    audit_values: Mapping[tuple[str, str], Mapping[str, Any]] = field(default_factory=dict)
    audit_refs: Mapping[str, str] = field(default_factory=dict)
    audit_names: Mapping[str, Callable[[list[int]], dict[int, str]]] = field(default_factory=dict)
    # The settings this area owns (app.settings.Spec); the settings page groups them by area.
    settings: tuple[Any, ...] = ()
    # The kinds of notification this area posts to the inbox (app/inbox): each kind's words,
    # built from the notification's stored parameters when it is read, so in the reader's
    # language.
    notification_kinds: Mapping[str, Callable[[dict], str]] = field(default_factory=dict)
    # Called with the demo's people once they exist (app/demo.py): the area's demo data.
    demo: Callable[..., None] | None = None
    # Names every template may use, such as the area's policy module (`staff_policy`).
    template_globals: Mapping[str, Any] = field(default_factory=dict)
    # Called once with the app: flask commands, hooks, settings.
    setup: Callable[[Flask], None] | None = None


def register(app: Flask, area: Area) -> None:
    """Add an area to the app: its blueprints and everything it declares."""
    registered: dict[str, Area] = app.extensions.setdefault(EXTENSION, {})
    if area.name in registered:
        raise ValueError(f"area {area.name!r} is registered twice")
    for other in registered.values():
        clash = set(other.access) & set(area.access)
        if clash:
            raise ValueError(f"areas {other.name!r} and {area.name!r} both declare {clash}")
    for blueprint in area.blueprints:
        app.register_blueprint(blueprint)
    keys = {spec.key for other in registered.values() for spec in other.settings}
    clash = keys & {spec.key for spec in area.settings}
    if clash:
        raise ValueError(f"area {area.name!r} declares settings already declared: {clash}")
    registered[area.name] = area
    app.jinja_env.globals.update(area.template_globals)
    app.extensions.setdefault(ACCESS_EXTENSION, {}).update(area.access)
    app.extensions.setdefault(AUDIT_ACTIONS, {}).update(area.audit_actions)
    app.extensions.setdefault(AUDIT_OBJECTS, {}).update(area.audit_objects)
    words = app.extensions.setdefault(AUDIT_WORDS, AuditWords({}, {}, {}, {}))
    words.fields.update(area.audit_fields)
    words.values.update(area.audit_values)
    words.refs.update(area.audit_refs)
    words.names.update(area.audit_names)
    if area.setup is not None:
        area.setup(app)


def registered(app: Flask | None = None) -> list[Area]:
    """The app's areas in the order they were registered."""
    app = app or current_app
    return list(app.extensions.get(EXTENSION, {}).values())


def access_table(app: Flask | None = None) -> dict[str, frozenset]:
    """Every endpoint with the roles that may open it, merged from the areas as they were
    registered."""
    return (app or current_app).extensions.get(ACCESS_EXTENSION, {})


def open_before_password_change(app: Flask | None = None) -> frozenset[str]:
    """Endpoints a person with a one-time password may still reach."""
    return frozenset().union(*(area.before_password_change for area in registered(app)))


def nav_links(app: Flask | None = None) -> list[NavLink]:
    """Every area's navigation links, in order."""
    return sorted((link for area in registered(app) for link in area.nav),
                  key=lambda link: link.order)


def home_cards(app: Flask | None = None) -> list[Panel]:
    """Every area's home cards, in order."""
    return sorted((card for area in registered(app) for card in area.home_cards),
                  key=lambda card: card.order)


def waiting_kinds(app: Flask | None = None) -> list[Waiting]:
    """Every area's "waiting for you" queries, in registration order."""
    return [kind for area in registered(app) for kind in area.waiting]


def person_sections(app: Flask | None = None) -> list[Panel]:
    """Every area's sections on a person's page, in order."""
    return sorted((s for area in registered(app) for s in area.person_sections),
                  key=lambda s: s.order)


def shift_sections(app: Flask | None = None) -> list[Panel]:
    """Every area's sections on My shifts, in order."""
    return sorted((s for area in registered(app) for s in area.shift_sections),
                  key=lambda s: s.order)


def render_panels(panels: list[Panel], *args) -> list[Markup]:
    """The HTML of each panel that has something for these arguments.

    The context processors run once for the page, not once per panel: rendering each card
    with render_template cost the home page 0.65 ms a card, half its time (measured in
    process on the demo center, agent01's home: 6.0 ms a request against 4.0 before cards).
    """
    page: dict[str, Any] = {}
    current_app.update_template_context(page)
    found = (panel.render(*args, page=page) for panel in panels)
    return [html for html in found if html is not None]


def waiting_counts(actor, kinds: list[Waiting] | None = None) -> dict[str, int]:
    """How many items of each kind wait for this person, in one query.

    The query is built once per role and set of kinds for a stand-in Person
    (app/statements.py): the pending counter answered 999 requests a second with it and 553
    without (make bench, /pending/count lead1), and every home page counts too.
    """
    kinds = waiting_kinds() if kinds is None else kinds
    if not kinds:
        return {}

    def build():
        someone = statements.Person(actor.role)
        return select(*(select(func.count()).select_from(kind.query(someone).subquery())
                        .scalar_subquery() for kind in kinds))

    stmt = statements.once(("waiting", actor.role, *(kind.kind for kind in kinds)), build)
    row = db.session.execute(stmt, statements.person_args(actor)).one()
    return {kind.kind: number for kind, number in zip(kinds, row, strict=True)}


def audit_actions(app: Flask | None = None) -> dict[str, Any]:
    """What each audited action is called, from every area (merged as they registered)."""
    return (app or current_app).extensions.get(AUDIT_ACTIONS, {})


@dataclass(frozen=True)
class AuditWords:
    """Every area's audit words together (Area.audit_fields, _values, _refs, _names)."""

    fields: dict[str, Any]
    values: dict[tuple[str, str], Mapping[str, Any]]
    refs: dict[str, str]
    names: dict[str, Callable[[list[int]], dict[int, str]]]


def audit_words(app: Flask | None = None) -> AuditWords:
    """The audit trail's words, from every area."""
    return (app or current_app).extensions.get(AUDIT_WORDS, AuditWords({}, {}, {}, {}))


def audit_objects(app: Flask | None = None) -> dict[str, tuple[Any, str | None, str | None]]:
    """Each kind of audited object with its label and page, from every area (merged as they
    registered)."""
    return (app or current_app).extensions.get(AUDIT_OBJECTS, {})
