"""Translation through Flask-Babel's public API.

Code translates with `flask_babel.gettext as _` (and `ngettext`); text made before a request
knows its language (labels of statuses, kinds, roles, form fields) with `lazy_gettext as _l`
from here; templates with `_()`, `gettext()` and `ngettext()`. The `date` and `datetime`
filters are Flask-Babel's format_date and format_datetime.

One helper, kept for speed: templates and lazy labels read their strings through
request_catalog(), which asks Flask-Babel for the catalog once a request instead of once a
string. flask_babel.gettext() and the template gettext Flask-Babel installs find the domain,
the locale and the catalog again for every string (nine trips through Flask's context-local
`g`, and str(locale) to key the catalog cache), and a list page reads a hundred labels.
Measured in process on the demo center, CPU time per request against the same pages
translated by Flask-Babel's own template gettext and lazy_gettext (two runs, each the median
over 8-10 interleaved processes of each one's best batch of 5 requests): /people (supervisor)
14-17% less, /audit 11-12% less, / (lead1) 8-10% less. Date filters that take the locale and
zone once gained 3-5%, so they are Flask-Babel's own.
"""

from contextlib import contextmanager
from datetime import date, datetime
from functools import total_ordering

import flask_babel
from babel import support
from flask import Flask, g, has_app_context
from jinja2 import pass_context
from markupsafe import Markup

CATALOG = "callfloor_catalog"  # the request's catalog, kept in `g` (see request_catalog)


def request_catalog() -> support.NullTranslations:
    """flask_babel.get_translations(), asked once a request and kept in `g`.

    A list page reads a hundred lazy labels and template strings; asking Flask-Babel for each
    finds the locale again through Flask's context locals (flask_babel.get_locale() for every
    string cost the supervisor's /people 11% of its requests a second: bench/compare.py, page
    by page interleaved, 473 against 532). The language only changes within a request through
    force_locale() and refresh() below, which forget the kept catalog; a test keeps the
    app from calling Flask-Babel's own."""
    if not has_app_context():
        return flask_babel.get_translations()
    found = g.get(CATALOG)
    if found is None:
        found = g.callfloor_catalog = flask_babel.get_translations()
    return found


def _forget() -> None:
    if has_app_context():
        g.pop(CATALOG, None)


@contextmanager
def force_locale(locale: str):
    """flask_babel.force_locale(), for the catalog kept in `g` too (the app's only way to
    change the language inside a request, as for a notification in its reader's language)."""
    with flask_babel.force_locale(locale):
        _forget()
        try:
            yield
        finally:
            _forget()


def refresh() -> None:
    """flask_babel.refresh(), for the catalog kept in `g` too."""
    flask_babel.refresh()
    _forget()


@pass_context
def template_gettext(context, message: str, /, **variables) -> str:
    """`{{ _("...") }}`: Jinja's newstyle gettext over request_catalog(). The translation is
    Markup where the template escapes (our catalog, trusted as Jinja's own gettext trusts it),
    and always %-formatted, so variables are escaped and `%%` is a percent sign."""
    text = request_catalog().ugettext(message)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704
    if not variables and "%" not in text:
        return text  # nothing to format (most labels): spares building Markup's format helper
    return text % variables


@pass_context
def template_ngettext(context, singular: str, plural: str, num: int, /, **variables) -> str:
    """`{{ ngettext("%(num)d call", "%(num)d calls", n) }}`: Jinja's newstyle ngettext over
    request_catalog(); `num` is a variable too."""
    variables.setdefault("num", num)
    text = request_catalog().ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704
    return text % variables


@total_ordering
class LazyText:
    """A message translated each time it is read, in the language of the request reading it:
    what flask_babel.lazy_gettext gives, read through request_catalog(). It stands in for the
    text wherever a string is read (str(), templates, +, %, comparisons, str methods)."""

    __slots__ = ("message", "variables")

    def __init__(self, message: str, **variables) -> None:
        self.message = message
        self.variables = variables

    def __str__(self) -> str:
        text = request_catalog().ugettext(self.message)
        return text % self.variables if self.variables else text

    def __html__(self) -> str:  # as Flask-Babel's lazy strings: the catalog is trusted
        return str(self)

    def __repr__(self) -> str:
        return f"l{str(self)!r}"

    def __getattr__(self, name: str):
        if name.startswith("__"):  # copy and pickle look for hooks; the text has none
            raise AttributeError(name)
        return getattr(str(self), name)

    def __len__(self) -> int:
        return len(str(self))

    def __iter__(self):
        return iter(str(self))

    def __contains__(self, part: str) -> bool:
        return part in str(self)

    def __getitem__(self, key):
        return str(self)[key]

    def __add__(self, other: str) -> str:
        return str(self) + other

    def __radd__(self, other: str) -> str:
        return other + str(self)

    def __mul__(self, times: int) -> str:
        return str(self) * times

    __rmul__ = __mul__

    def __mod__(self, values) -> str:
        return str(self) % values

    def __eq__(self, other: object) -> bool:
        return str(self) == other

    def __lt__(self, other: str) -> bool:
        return str(self) < other

    def __hash__(self) -> int:
        return hash(str(self))


def lazy_gettext(message: str, **variables) -> LazyText:
    """`_l("...")`: flask_babel.lazy_gettext, read through request_catalog()."""
    return LazyText(message, **variables)


def date_filter(value: date | datetime | None, fmt: str = "medium") -> str:
    """`{{ day | date }}`: a date in the request's language; a datetime gives its own date,
    as stored (not moved into the center's time zone)."""
    if not value:
        return ""
    return flask_babel.format_date(value, fmt, rebase=False)


def datetime_filter(value: datetime | None, fmt: str = "medium") -> str:
    """`{{ at | datetime('short') }}`: a moment in the center's time zone (naive means UTC)."""
    if not value:
        return ""
    return flask_babel.format_datetime(value, fmt)


def init_app(app: Flask) -> None:
    """The templates' translation functions and date filters (after Flask-Babel's own)."""
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext,
                                 ngettext=template_ngettext)
    app.jinja_env.filters["date"] = date_filter
    app.jinja_env.filters["datetime"] = datetime_filter
