"""Request plumbing shared by every page: locale, headers, template helpers."""

from datetime import date
from functools import partial

from flask import Flask, abort, current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2 import StrictUndefined
from markupsafe import Markup
from werkzeug.routing import IntegerConverter

from app import access, areas, htmx
from app.forms import has_control
from app.timeutil import FIRST_DAY, LAST_DAY

ROW_ID_MAX = 2**31 - 1  # ids are 32-bit integers on PostgreSQL


def digits_up_to(limit: int) -> str:
    """A regular expression for the decimal numbers from 0 to `limit` (no sign)."""
    text = str(limit)
    size = len(text)
    parts = [rf"\d{{1,{size - 1}}}"] if size > 1 else []
    for i, char in enumerate(text):
        low = 1 if i == 0 and size > 1 else 0
        rest = size - i - 1
        if int(char) > low:
            parts.append(f"{text[:i]}[{low}-{int(char) - 1}]" + (rf"\d{{{rest}}}" if rest else ""))
    parts.append(text)
    return "(?:" + "|".join(parts) + ")"


class RowIdConverter(IntegerConverter):
    """`<int:...>` in every URL: a number no row id can be matches no route (404) instead of
    overflowing the database driver (500). The bound is in the pattern itself: a number that
    only failed a later check would let the router answer 405 when the same path takes
    another method."""

    regex = digits_up_to(ROW_ID_MAX)

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", ROW_ID_MAX)
        super().__init__(url_map, *args, **kwargs)


def row_id(value: str) -> int:
    """A row id from the query string (`request.args.get(..., type=row_id)`)."""
    number = int(value)
    if not 0 < number <= ROW_ID_MAX:
        raise ValueError(value)
    return number


def date_arg(name: str) -> date | None:
    """A YYYY-MM-DD value of the query string (or the form), or None when it is absent,
    malformed or outside the days the center works with."""
    try:
        value = date.fromisoformat(request.values.get(name, ""))
    except ValueError:
        return None
    return value if FIRST_DAY <= value <= LAST_DAY else None


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


def select_locale() -> str:
    """The person's saved choice, then this browser's choice, then the primary language tag."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    # Werkzeug's best_match would pick "en" for "zh-CN"; compare primary tags instead.
    for tag, _quality in request.accept_languages:
        primary = tag.split("-")[0].split("_")[0].lower()
        if primary in languages:
            return primary
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """Everything is shown in the center's time zone."""
    return current_app.config["CENTER_TIMEZONE"]


def security_headers(response):
    """CSP and friends on every response; no caching of signed-in pages."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    htmx.add_vary(response)
    return response


def csrf_field() -> Markup:
    """The hidden CSRF input of a form: the same token Flask-WTF's field renders, without
    going through WTForms' widget machinery (a list of cards has two forms per card)."""
    return Markup('<input type="hidden" name="csrf_token" value="%s">') % generate_csrf()


def labels(mapping: dict, value):
    """`{{ labels(role_labels, person.role) }}`: a code's label, else the code, else a dash."""
    return mapping.get(value, value or "—")


def may_visit(role: str, endpoint: str) -> bool:
    """Whether a role may open a route of the current app (for links)."""
    allowed = areas.access_table().get(endpoint)
    return allowed is not None and endpoint in current_app.view_functions and role in allowed


def _navigation_links(role: str, locale: str, endpoint: str | None) -> Markup:
    """templates/_nav_links.html for a role, language and current page. What the links are
    depends on nothing else (the areas, the access table and the routes are fixed once the
    app is built), so each one is rendered once per app instead of on every page: the twenty
    links with their access checks, URLs and translations were a fifth of a short page."""
    cache: dict[tuple, Markup] = current_app.extensions.setdefault("callfloor.navigation", {})
    key = (role, locale, endpoint, request.script_root)
    links = cache.get(key)
    if links is None:
        template = current_app.jinja_env.get_template("_nav_links.html")
        # An autoescaped template's output: safe as it stands.
        html = template.render(links=areas.nav_links(), can_visit=partial(may_visit, role),
                               current=endpoint)
        links = cache[key] = Markup(html)  # noqa: S704
    return links


def refuse_nul():
    """before_request: no NUL character anywhere in the input (PostgreSQL cannot store one in
    text, and no person types one; refusing it here keeps both databases alike), and no
    control character (app/forms.py, CONTROL) in the path, the query or a JSON body. A form's
    fields say so beside the field instead (app.forms.Form)."""
    values = [*request.args.values(), *request.form.values(), request.path]
    if any("\x00" in value for value in values):
        abort(400)
    if any(has_control(value) for value in [*request.args.values(), request.path]):
        abort(400)
    if request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # nested past what the parser follows: no person sends that
            abort(400)
        if _json_has_control(body):
            abort(400)


def _json_has_control(value, depth: int = 0) -> bool:
    """Whether a JSON body holds a control character in any text, keys included; a body
    nested deeper than 20 levels counts as one that does."""
    if isinstance(value, str):
        return has_control(value)
    if isinstance(value, dict | list) and depth >= 20:
        return True
    if isinstance(value, dict):
        return any(_json_has_control(k, depth + 1) or _json_has_control(v, depth + 1)
                   for k, v in value.items())
    if isinstance(value, list):
        return any(_json_has_control(v, depth + 1) for v in value)
    return False


def init_app(app: Flask) -> None:
    """Register the before/after hooks and template globals."""
    app.url_map.converters["int"] = RowIdConverter  # before any blueprint adds its rules
    app.jinja_env.undefined = StrictUndefined
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.before_request(refuse_nul)
    from app.auth.sessions import check_session_age

    app.before_request(check_session_age)
    app.before_request(access.enforce_access)
    app.after_request(security_headers)

    from app.people.forms import GRADE_LABELS, ROLE_LABELS, STATUS_LABELS
    from app.timeutil import center_today

    @app.context_processor
    def inject():
        # The person itself rather than Flask-Login's proxy: a page reads it dozens of times,
        # and every read through the proxy looks the request context up again.
        user = current_user._get_current_object()
        role = access.role_of(user)

        def navigation_links() -> Markup:
            """The main navigation's links for this person's role on this page."""
            if not user.is_authenticated or user.must_change_password:
                return Markup()
            return _navigation_links(role, str(get_locale()), request.endpoint)

        return {
            "navigation_links": navigation_links,
            "current_user": user,
            "csrf_token": generate_csrf,
            "current_locale": str(get_locale()),
            "languages": current_app.config["LANGUAGES"],
            "role_of": access.role_of,
            "can_visit": partial(may_visit, role),
        }

    app.jinja_env.globals.update(
        role_labels=ROLE_LABELS, grade_labels=GRADE_LABELS, status_labels=STATUS_LABELS,
        today_date=center_today, labels=labels, csrf_field=csrf_field,
    )
