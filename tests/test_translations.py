"""Both catalogs are complete, Chinese is the default, and the language choice sticks."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import func, select

from app.audit import AuditEvent
from app.extensions import db
from app.people.models import User
from tests.conftest import login, post_form

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ["zh", "en"]

# A %-format placeholder as Python applies it: `%(name)s`, `%(num)d`, `%s`, and `%%` (a
# literal percent sign in a message that is formatted). The space flag is left out, so the
# "% o" of "90% of calls" is text, not a placeholder.
PLACEHOLDER = re.compile(r"%(?:%|(?:\(\w+\))?[#0+-]*(?:\d+|\*)?(?:\.(?:\d+|\*))?"
                         r"[diouxXeEfFgGcrsa])")


def po_path(locale: str) -> str:
    return f"app/translations/{locale}/LC_MESSAGES/messages.po"


def catalog(locale: str):
    """The catalog as Babel reads it: a plural with more forms than the language has fails to
    read, and a missing form reads as an empty one, which the untranslated check reports."""
    with (ROOT / po_path(locale)).open("rb") as handle:
        return read_po(handle, locale=locale, abort_invalid=True)


def messages(locale: str) -> list:
    """The catalog's messages, header left out."""
    return [m for m in catalog(locale) if m.id]


def _forms(value) -> tuple:
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def _listed(lines) -> str:
    """The offending messages, one a line, for the failure message."""
    return "".join(f"\n  {line}" for line in lines)


@pytest.fixture(scope="module")
def source_ids(tmp_path_factory):
    """Every message id in the code and templates, extracted afresh."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [str(Path(sys.executable).with_name("pybabel")), "extract", "-F",
         str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext", "-o", str(pot),
         "app", "templates", "templates/_macros"],  # Babel skips folders starting with "_"
        check=True, capture_output=True, cwd=ROOT,
    )
    with pot.open("rb") as handle:
        return {m.id for m in read_po(handle) if m.id}


# Issue 11, "Translations have one source": "A test fails on an untranslated or fuzzy
# message, and on a translation whose placeholders differ from its message id."


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_in_the_catalog(source_ids, locale):
    """Every message id of the code and templates is in the catalog."""
    known = {m.id for m in messages(locale)}
    missing = sorted(repr(i) for i in source_ids if i not in known)
    assert not missing, (f"{len(missing)} message ids are not in {po_path(locale)}; run "
                         f"`make extract-messages` and translate them:{_listed(missing)}")


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated(locale):
    """Every message of the catalog has a translation, in every plural form."""
    empty = [repr(m.id) for m in messages(locale) if not all(_forms(m.string))]
    assert not empty, (f"{len(empty)} messages of {po_path(locale)} have no "
                       f"translation:{_listed(empty)}")


@pytest.mark.parametrize("locale", LOCALES)
def test_no_message_is_fuzzy(locale):
    """No translation is marked fuzzy (a guess waiting for review), nor the header."""
    po = catalog(locale)
    fuzzy = [repr(m.id) for m in po if m.id and m.fuzzy]
    assert not fuzzy, (f"{len(fuzzy)} messages of {po_path(locale)} are "
                       f"marked fuzzy; check each and remove the flag:{_listed(fuzzy)}")
    assert not po.fuzzy, f"the header of {po_path(locale)} is marked fuzzy"


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_placeholders(locale):
    """Each translation has exactly the placeholders of its message id. Of a plural, the first
    form answers the singular id where the language has more than one form (English); every
    other form, and the one form of Chinese, answers the plural id."""
    num_plurals = catalog(locale).num_plurals
    wrong = []
    for message in messages(locale):
        ids, forms = _forms(message.id), _forms(message.string)
        for index, text in enumerate(forms):
            source = ids[0] if index == 0 and (len(ids) == 1 or num_plurals > 1) else ids[-1]
            want, have = set(PLACEHOLDER.findall(source)), set(PLACEHOLDER.findall(text))
            if text and want != have:
                wrong.append(f"{message.id!r} -> {text!r}: has {sorted(have)}, "
                             f"the id {sorted(want)}")
    assert not wrong, f"placeholders in {po_path(locale)}:{_listed(wrong)}"


def test_placeholder_pattern():
    """The pattern finds what Python's % formats and leaves plain percent signs alone."""
    found = PLACEHOLDER.findall("%(name)s owes %(num)d, %(rate).1f%%, %s; 90% of calls")
    assert found == ["%(name)s", "%(num)d", "%(rate).1f", "%%", "%s"]


def test_chinese_catalog_is_really_chinese():
    cjk = [m for m in catalog("zh") if m.id and any("\u4e00" <= c <= "\u9fff" for c in
                                                    (m.string if isinstance(m.string, str)
                                                     else m.string[0]))]
    assert len(cjk) > 0.9 * len([m for m in catalog("zh") if m.id])


@pytest.mark.parametrize(("header", "expected"), [
    (None, "登录"),
    ("zh-CN,zh;q=0.9,en;q=0.8", "登录"),
    ("zh-TW", "登录"),
    ("en-US,en;q=0.9", "Sign in"),
    ("en-US,zh-CN;q=0.5", "Sign in"),
    ("fr-FR", "登录"),
])
def test_browser_language_picks_by_primary_tag(client, header, expected):
    headers = {"Accept-Language": header} if header else {}
    response = client.get("/login", headers=headers)
    assert f"<h1>{expected}</h1>" in response.text


def test_switch_is_remembered_per_person(app, client, make_user):
    user = make_user()
    login(client, user.username)
    response = post_form(client, "/language", {"locale": "en", "next": "/people"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/people"
    db.session.refresh(user)
    assert user.locale == "en"
    other = app.test_client()
    login(other, user.username)
    assert "Sign out" in other.get("/", headers={"Accept-Language": "zh-CN"}).text


def test_anonymous_switch_lasts_for_the_browser(client):
    post_form(client, "/language", {"locale": "en"}, token_page="/login")
    assert "<h1>Sign in</h1>" in client.get("/login").text


def _chosen_locale(client):
    with client.session_transaction() as session:
        return session.get("locale")


@pytest.mark.parametrize("signed_in", [False, True])
def test_unknown_language_is_refused(client, make_user, signed_in):
    """An unknown language is refused with 422 and changes nothing: not the browser's
    session, not the person's saved choice, no audit row; the answer and the next pages are
    still Chinese."""
    user = make_user()
    if signed_in:
        assert login(client, user.username).status_code == 303
    page = "/" if signed_in else "/login"
    before = _chosen_locale(client)
    audit_rows = db.session.scalar(select(func.count(AuditEvent.id)))
    response = post_form(client, "/language", {"locale": "xx"}, token_page=page)
    assert response.status_code == 422
    assert '<html lang="zh-CN">' in response.text
    assert "不支持的语言" in response.text  # "Unknown language", in Chinese
    assert _chosen_locale(client) == before
    assert before is None
    assert not [c for c in response.headers.getlist("Set-Cookie") if "locale" in c.lower()]
    db.session.expire_all()
    assert db.session.get(User, user.id).locale is None
    assert db.session.scalar(select(func.count(AuditEvent.id))) == audit_rows
    after = client.get(page)
    assert after.status_code == 200 and '<html lang="zh-CN">' in after.text
    assert ("退出" if signed_in else "<h1>登录</h1>") in after.text


def test_dates_follow_the_language(client, make_user):
    from datetime import date

    user = make_user(hire_date=date(2024, 3, 5))
    login(client, user.username)
    assert "2024年3月5日" in client.get("/").text
    post_form(client, "/language", {"locale": "en"})
    assert "Mar 5, 2024" in client.get("/").text


@pytest.mark.parametrize("language", ["zh-CN", "en-US"])
def test_template_date_filters_match_flask_babel(app, language):
    """The page's own date filters give exactly what Flask-Babel's would, and the templates'
    gettext the same catalog, in each language and for naive (UTC) and aware moments."""
    from datetime import UTC, date, datetime

    import flask_babel

    from app.i18n import date_filter, datetime_filter, request_catalog

    aware = datetime(2026, 3, 1, 17, 5, tzinfo=UTC)  # 01:05 the next day in Shanghai
    naive = datetime(2026, 3, 1, 17, 5)
    with app.test_request_context("/", headers={"Accept-Language": language}):
        for fmt in ("short", "medium", "long", "full", "HH:mm", "yyyy-MM-dd EEE"):
            for moment in (aware, naive):
                assert datetime_filter(moment, fmt) == flask_babel.format_datetime(moment, fmt)
        for fmt in ("short", "medium", "long", "full", "M/d"):
            assert date_filter(date(2026, 3, 2), fmt) == flask_babel.format_date(
                date(2026, 3, 2), fmt)
        assert date_filter(None) == datetime_filter(None) == ""
        assert request_catalog() is flask_babel.get_translations()
        assert "2" in datetime_filter(aware, "d")  # the 2nd in the center's zone, not the 1st


@pytest.mark.parametrize("language", ["zh-CN", "en-US"])
def test_template_gettext_matches_jinja_newstyle(app, language):
    """The templates' `_()` and `ngettext()` give what Jinja's own newstyle gettext gives over
    the same catalog: translated, variables escaped, `%%` folded, also on a second call (a
    string without variables is kept after its first translation)."""
    from jinja2 import Environment

    from app.i18n import request_catalog

    jinja = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    jinja.install_gettext_callables(
        gettext=lambda s: request_catalog().ugettext(s),
        ngettext=lambda s, p, n: request_catalog().ungettext(s, p, n), newstyle=True)
    source = ('{{ _("Home") }}|{{ _("Sign out") }}|{{ _("Hello, %(name)s", name=who) }}|'
              '{{ _("100%% sure") }}|{{ _("No such thing") }}|'
              '{{ ngettext("%(num)d record", "%(num)d records", n) }}')
    with app.test_request_context("/", headers={"Accept-Language": language}):
        for who, n in (("<b>&</b>", 1), ("王伟", 7)):
            ours = app.jinja_env.from_string(source).render(who=who, n=n)
            assert ours == jinja.from_string(source).render(who=who, n=n)
            assert ours == app.jinja_env.from_string(source).render(who=who, n=n)
            assert "&lt;b&gt;" in ours or who == "王伟"
            assert ours.startswith("首页|" if language == "zh-CN" else "Home|")


def test_lazy_labels_match_flask_babel(app):
    """`_l` translates exactly as Flask-Babel's lazy_gettext does: in each language, with
    variables, and after the request."""
    import flask_babel

    from app.i18n import lazy_gettext

    cases = [("Approved", {}), ("Hello, %(name)s", {"name": "<王伟>"}), ("No such thing", {})]
    for language in ("zh-CN", "en-US"):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            for text, variables in cases:
                ours, theirs = lazy_gettext(text, **variables), flask_babel.lazy_gettext(
                    text, **variables)
                assert str(ours) == str(theirs)
            if language == "zh-CN":
                assert str(lazy_gettext("Approved")) == "已批准"
    assert str(lazy_gettext("Hello, %(name)s", name="x")) == str(
        flask_babel.lazy_gettext("Hello, %(name)s", name="x"))


def test_lazy_labels_read_like_flask_babels(app):
    """A lazy label stands in for its text as Flask-Babel's lazy string does: compared, hashed,
    joined, formatted, sliced, sorted, called with str methods, put in a page, copied."""
    import copy

    import flask_babel
    from markupsafe import escape

    from app.i18n import lazy_gettext

    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        ours, theirs = lazy_gettext("Approved"), flask_babel.lazy_gettext("Approved")
        for read in (str, repr, len, hash, list, escape, lambda s: s == "已批准",
                     lambda s: s != "已批准", lambda s: s == ours, lambda s: s + "！",
                     lambda s: "「" + s, lambda s: s * 2, lambda s: s[0], lambda s: "批" in s,
                     lambda s: s.startswith("已"), lambda s: f"<{s}>", lambda s: s % (),
                     lambda s: sorted([lazy_gettext("Rejected"), s]) == sorted(["已驳回", s]),
                     lambda s: s < "已驳回", lambda s: s >= "已", lambda s: str(copy.copy(s)),
                     lambda s: str(copy.deepcopy(s))):
            assert read(ours) == read(theirs)
        limit = lazy_gettext("At most %(n)d days.", n=7)
        assert str(limit) == str(flask_babel.lazy_gettext("At most %(n)d days.", n=7))
        page = app.jinja_env.from_string("{{ label }}|{{ label | upper }}|{{ label ~ '!' }}")
        assert page.render(label=ours) == page.render(label=theirs)


def test_catalog_follows_force_locale_and_refresh(app, client, make_user):
    """The catalog kept for the request's Locale gives way inside force_locale() and after
    refresh(), in templates and lazy labels alike, and each request has its own."""
    import flask_babel
    from flask import render_template_string

    from app.i18n import force_locale, lazy_gettext, refresh

    label = lazy_gettext("Approved")
    page = '{{ _("Home") }} {{ ngettext("%(num)d record", "%(num)d records", 2) }}'
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        assert (str(label), render_template_string(page)) == ("已批准", "首页 共 2 条")
        with force_locale("en"):
            assert (str(label), render_template_string(page)) == ("Approved", "Home 2 records")
            refresh()  # inside force_locale, the forced language stays
            assert str(label) == flask_babel.gettext("Approved") == "Approved"
        assert (str(label), render_template_string(page)) == ("已批准", "首页 共 2 条")
    user = make_user()
    login(client, user.username)
    assert "退出" in client.get("/").text
    post_form(client, "/language", {"locale": "en"})
    assert "Sign out" in client.get("/").text
    post_form(client, "/language", {"locale": "zh"})
    assert "退出" in client.get("/").text


# Issue 11: "Flask-Babel is used through its public API only."
PRIVATE_I18N = re.compile(r"_flask_babel|babel_locale|babel_translations|babel_domain|"
                          r"flask_babel\.(?:_|speaklater|Domain)|wtforms_translations|"
                          r"flask_babel import .*\b(?:_\w+|Domain|LazyString)\b|"
                          r"\bg\._get_current_object|vars\(g\b")


def test_the_language_changes_inside_a_request_only_through_app_i18n():
    """request_catalog() keeps the request's catalog; app.i18n's force_locale() and refresh()
    forget it. A module calling Flask-Babel's own would leave the kept catalog stale."""
    root = Path(__file__).resolve().parent.parent / "app"
    found = [str(path.relative_to(root)) for path in root.rglob("*.py")
             if path.name != "i18n.py" and re.search(
                 r"flask_babel\.(?:force_locale|refresh)\b|"
                 r"from flask_babel import [^\n]*\b(?:force_locale|refresh)\b",
                 path.read_text("utf-8"))]
    assert found == []


def test_flask_babel_is_used_through_its_public_api_only():
    """No module reaches into Flask-Babel's (or Flask-WTF's) request state or its
    undocumented classes: the functions its API documentation lists, and Babel, only."""
    reaching = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
                for path in sorted((ROOT / "app").rglob("*.py"))
                for number, line in enumerate(path.read_text().splitlines(), 1)
                if PRIVATE_I18N.search(line)]
    assert not reaching, f"private Flask-Babel state or classes:{_listed(reaching)}"
