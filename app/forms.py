"""Form helpers shared by every area."""

from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice


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


class ConfirmForm(FlaskForm):
    """An empty form: only the CSRF token, for one-click actions."""
