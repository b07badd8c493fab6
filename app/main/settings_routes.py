"""The settings page: a supervisor changes what the areas declare, grouped by area."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import BooleanField, IntegerField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app import areas, settings
from app.extensions import db
from app.forms import Form
from app.htmx import render, see_other
from app.i18n import lazy_gettext as _l
from app.main import bp


def _field(spec: settings.Spec):
    """The form field for one setting, bounded as its declaration says."""
    if spec.kind == settings.Kind.WHOLE:
        return IntegerField(
            spec.label, validators=[InputRequired(), NumberRange(spec.minimum, spec.maximum)],
            description=spec.unit,
            render_kw={"inputmode": "numeric", "min": spec.minimum, "max": spec.maximum})
    if spec.kind == settings.Kind.SWITCH:
        return BooleanField(spec.label, description=spec.unit)
    if spec.kind == settings.Kind.TIME:
        return TimeField(spec.label, validators=[InputRequired()], description=spec.unit)
    return TextAreaField(spec.label, validators=[Optional(), Length(max=201 * spec.max_items)],
                         description=spec.unit or _l("One per line."))


def settings_form_class(specs: dict[str, settings.Spec]) -> type[Form]:
    """A form with one field per declared setting."""

    class SettingsForm(Form):
        pass

    for key, spec in specs.items():
        setattr(SettingsForm, key, _field(spec))
    return SettingsForm


def _shown(spec: settings.Spec, value):
    return "\n".join(value) if spec.kind == settings.Kind.TEXTS else value


def _read(spec: settings.Spec, data):
    return (data or "").splitlines() if spec.kind == settings.Kind.TEXTS else data


@bp.route("/settings", methods=["GET", "POST"])
def edit_settings():
    """Every setting the areas declare, with its current value; changes are audited."""
    specs = settings.specs()
    current = settings.values()
    data = ({key: _shown(spec, current[key]) for key, spec in specs.items()}
            if request.method == "GET" else None)
    form = settings_form_class(specs)(data=data)
    if form.validate_on_submit():
        try:
            changed = settings.save(
                {key: _read(spec, getattr(form, key).data) for key, spec in specs.items()},
                current_user)
        except ValueError as error:
            key = str(error)
            if key in specs:
                getattr(form, key).errors = [_("This value does not fit this setting.")]
        else:
            db.session.commit()
            flash(_("Settings saved.") if changed else _("Nothing changed."), "success")
            return see_other(url_for("main.edit_settings"))
    titles = {area.name: area.title or area.name for area in areas.registered()}
    groups = [(titles[name], [spec.key for spec in group])
              for name, group in settings.declared().items()]
    return render("main/settings.html", block="form", form=form, groups=groups,
                  status=422 if form.errors else 200)


@bp.route("/rules")
def old_settings_address():
    """The settings page's former address, kept for bookmarks."""
    return redirect(url_for("main.edit_settings"), code=301)
