"""Form helpers shared by every area."""

import re
from functools import cache

from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import get_translations

from app.i18n import lazy_gettext as _l


@cache
def _wtforms_catalog(locale: str):
    """WTForms' own messages ("This field is required.") in one language, read once.
    Flask-WTF reads the catalog file again on every request that shows a built-in message or
    an unlabelled hidden field; on /audit and /qa/queue that was 17-19% of the CPU time of a
    request (measured in process against a catalog kept per language)."""
    return get_translations([locale])


# Characters nobody types and that only hide or disguise text: C0 controls but tab and line
# breaks, DEL, C1 controls, and the bidirectional overrides and isolates (U+202E turns
# "gnp.exe" round). Refused in every text field, every request and every imported cell.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def has_control(text: str) -> bool:
    """Whether a text holds a control character (CONTROL)."""
    return CONTROL.search(text) is not None


class Form(FlaskForm):
    """Every form of the app: Flask-WTF's CSRF, WTForms' messages in the page's language, and
    no control character in any text field (refused beside the field)."""

    class Meta:
        def get_translations(self, form):
            """WTForms' documented hook for the catalog of its built-in messages."""
            return _wtforms_catalog(str(get_locale()))

    def validate(self, extra_validators=None) -> bool:
        """The fields' own checks, then control characters in any text."""
        valid = super().validate(extra_validators)
        for field in self:
            if not (isinstance(field.data, str) and has_control(field.data)):
                continue
            valid = False
            if field.type == "HiddenField":  # not typed by anyone: said above the form
                self.form_errors.append(_l("The form came back changed; reload the page."))
            else:
                field.errors = [*field.errors, _l("Remove the invisible control characters "
                                                  "from this text.")]
        return valid


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
