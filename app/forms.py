"""Form helpers shared by every area."""

from functools import cache

from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import get_translations


@cache
def _wtforms_catalog(locale: str):
    """WTForms' own messages ("This field is required.") in one language, read once.
    Flask-WTF reads the catalog file again on every request that shows a built-in message or
    an unlabelled hidden field; on /audit and /qa/queue that was 17-19% of the CPU time of a
    request (measured in process against a catalog kept per language)."""
    return get_translations([locale])


class Form(FlaskForm):
    """Every form of the app: Flask-WTF's CSRF, and WTForms' messages in the page's
    language."""

    class Meta:
        def get_translations(self, form):
            """WTForms' documented hook for the catalog of its built-in messages."""
            return _wtforms_catalog(str(get_locale()))


def show_refusal(form, error) -> None:
    """Put a service's refusal (a Refusal) beside the field it names, or above the form."""
    target = getattr(form, error.field, None)
    if target is None or not hasattr(target, "errors"):
        form.form_errors.append(error.message)
        return
    target.errors = [*target.errors, error.message]


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def int_or_none(value):
    """A select's value as a row id, or None for the blank choice."""
    return int(value) if value not in (None, "", "None") else None


class ConfirmForm(Form):
    """An empty form: only the CSRF token, for one-click actions."""
