"""Translation look-ups done once instead of on every string or every request.

Behaviour is Flask-Babel's and Flask-WTF's own: the same catalogs, the same strings. Only the
finding of the catalog is remembered (bench/run.py measured the cost):

- Flask-Babel finds the request's catalog again for every string it translates: three trips
  through `g`, the request's locale and str(Locale) to key its cache, about 15 us against
  0.2 us for the look-up itself, and a page translates 50 to 100 strings.
- Templates translate through Flask-Babel's get_translations(), which first finds the
  request's message domain again (more trips through `g`); templates here use the one default
  domain, so they go straight to the catalog kept for the request.
- Flask-Babel's date filters find the locale, the time zone and the configured formats again
  for every date (about 10 us each, a list page shows a hundred); the filters here take the
  request's locale and zone once and call Babel directly, with the same result (a test
  compares them).
- Flask-WTF reads and parses WTForms' own catalog file (field error messages) again on every
  request that builds a form, about 0.5 ms; it first looks for one on the request.
"""

from functools import cached_property

import flask_babel
from babel import dates, support
from flask import Flask, g, has_app_context, request
from flask_babel.speaklater import LazyString
from jinja2 import pass_context
from markupsafe import Markup
from wtforms.i18n import messages_path


class RequestCatalogDomain(flask_babel.Domain):
    """Flask-Babel's message domain, with the catalog found once per request.

    The catalog is kept on Flask-Babel's own per-request state next to the Locale object it
    was found for, and found again whenever that object changes (force_locale, refresh).
    """

    def get_translations(self):
        """The catalog for the request's locale (upstream's, remembered for the request)."""
        state = g.get("_flask_babel") if has_app_context() else None
        kept = getattr(state, "callfloor_catalog", None)
        if kept is not None and kept[0] is self and kept[1] is getattr(state, "babel_locale", None):
            return kept[2]
        translations = super().get_translations()
        state = g.get("_flask_babel") if has_app_context() else None
        locale = getattr(state, "babel_locale", None)
        if locale is not None:
            state.callfloor_catalog = (self, locale, translations)
        return translations


class Babel(flask_babel.Babel):
    """Flask-Babel with the per-request catalog above as its default domain."""

    @cached_property
    def domain_instance(self):
        """The default message domain."""
        return RequestCatalogDomain(domain=self.domain)


_wtforms_catalogs: dict[str, support.NullTranslations] = {}


class WTFormsCatalog:
    """WTForms' messages in the request's language, each catalog file parsed once per process."""

    @staticmethod
    def _catalog() -> support.NullTranslations:
        locale = flask_babel.get_locale()
        key = str(locale)
        catalog = _wtforms_catalogs.get(key)
        if catalog is None:
            catalog = support.Translations.load(messages_path(), [locale], domain="wtforms")
            _wtforms_catalogs[key] = catalog
        return catalog

    def ugettext(self, string: str) -> str:
        """Translate one message."""
        return self._catalog().ugettext(string)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        """Translate a message with a plural form."""
        return self._catalog().ungettext(singular, plural, n)


WTFORMS_CATALOG = WTFormsCatalog()


def offer_wtforms_catalog() -> None:
    """before_request: Flask-WTF takes `request.wtforms_translations` when it is there."""
    request.wtforms_translations = WTFORMS_CATALOG


def request_catalog():
    """The request's catalog for templates: the one RequestCatalogDomain kept for the request
    when its locale is still the same object, else found (and kept) through Flask-Babel."""
    if has_app_context():
        state = vars(g._get_current_object()).get("_flask_babel")
        kept = getattr(state, "callfloor_catalog", None)
        if kept is not None and kept[1] is getattr(state, "babel_locale", None):
            return kept[2]
    return flask_babel.get_translations()


def _locale_and_zone():
    """The request's Locale and time zone, found once (again if the locale object changes)."""
    real = g._get_current_object()
    kept = vars(real).get("callfloor_formatting")
    state = vars(real).get("_flask_babel")
    if kept is None or kept[0] is not getattr(state, "babel_locale", None):
        kept = real.callfloor_formatting = (flask_babel.get_locale(), flask_babel.get_timezone())
    return kept


def date_filter(value, fmt: str = "medium") -> str:
    """`{{ day | date }}`: a date (or a datetime's date) in the request's language."""
    if not value:
        return ""
    locale, _zone = _locale_and_zone()
    return dates.format_date(value, fmt, locale=locale)


def datetime_filter(value, fmt: str = "medium") -> str:
    """`{{ at | datetime('short') }}`: a moment in the center's time zone (naive means UTC)."""
    if not value:
        return ""
    locale, zone = _locale_and_zone()
    return dates.format_datetime(value, fmt, tzinfo=zone, locale=locale)


def _gettext_now(string: str, **variables) -> str:
    """Flask-Babel's gettext over the catalog kept for the request."""
    text = request_catalog().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables) -> LazyString:
    """`_l(...)`: Flask-Babel's lazy_gettext, translated through the request's kept catalog.
    Labels of statuses, kinds, roles and form fields are lazy and a list page reads a hundred
    of them; each read through Flask-Babel finds the domain and the catalog again."""
    return LazyString(_gettext_now, string, **variables)


_translated: dict[int, tuple[object, dict[str, Markup]]] = {}


def _plain(catalog) -> dict[str, Markup]:
    """The catalog's strings already translated and made Markup, for strings with no
    variables (kept with the catalog, which Flask-Babel keeps for the life of the process)."""
    kept = _translated.get(id(catalog))
    if kept is None or kept[0] is not catalog:
        kept = _translated[id(catalog)] = (catalog, {})
    return kept[1]


@pass_context
def template_gettext(context, string: str, /, **variables) -> str:
    """`{{ _("...") }}` in templates: Jinja's newstyle gettext (escaped variables, always
    applied as a %-format) in one call instead of three, and a string without variables
    translated once per process."""
    catalog = request_catalog()
    if not context.eval_ctx.autoescape:
        return catalog.ugettext(string) % variables
    # The catalogs are ours and trusted, as Jinja's own gettext trusts them; variables are
    # escaped by the % of Markup.
    if variables:
        return Markup(catalog.ugettext(string)) % variables  # noqa: S704
    plain = _plain(catalog)
    text = plain.get(string)
    if text is None:
        text = plain[string] = Markup(catalog.ugettext(string)) % {}  # noqa: S704
    return text


@pass_context
def template_ngettext(context, singular: str, plural: str, num: int, /, **variables) -> str:
    """`{{ ngettext(...) }}`: Jinja's newstyle ngettext (`num` is a variable too)."""
    variables.setdefault("num", num)
    text = request_catalog().ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 (our catalog; the variables are escaped by %)
    return text % variables


def init_app(app: Flask) -> None:
    """Register the hook and the templates' translation functions (after Babel's own)."""
    app.before_request(offer_wtforms_catalog)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_catalog().ugettext(s),
        ngettext=lambda s, p, n: request_catalog().ungettext(s, p, n),
        pgettext=lambda c, s: request_catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_catalog().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext,
                                 ngettext=template_ngettext)
    app.jinja_env.filters["date"] = date_filter
    app.jinja_env.filters["datetime"] = datetime_filter
