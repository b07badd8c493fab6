"""The settings page where a supervisor changes the center's rule numbers."""

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from app.extensions import db
from app.htmx import render, see_other
from app.staff import bp, rules


def rules_form_class() -> type[FlaskForm]:
    """A form with one whole-number field per rule, bounded as the rule says."""

    class RulesForm(FlaskForm):
        pass

    for key, spec in rules.RULES.items():
        setattr(RulesForm, key, IntegerField(
            spec.label, validators=[InputRequired(), NumberRange(spec.minimum, spec.maximum)],
            description=spec.unit, render_kw={"inputmode": "numeric", "min": spec.minimum,
                                               "max": spec.maximum}))
    return RulesForm


@bp.route("/rules", methods=["GET", "POST"])
def edit_rules():
    """Each rule of DESIGN.md "Staff and time" with its number; changes are audited."""
    form = rules_form_class()(data=rules.rule_values() if request.method == "GET" else None)
    if form.validate_on_submit():
        changed = rules.save_rules({key: getattr(form, key).data for key in rules.RULES},
                                   current_user)
        db.session.commit()
        flash(_("Rules saved.") if changed else _("Nothing changed."), "success")
        return see_other(url_for("staff.edit_rules"))
    return render("staff/edit_rules.html", block="form", form=form, rules=rules.RULES,
                  status=422 if form.errors else 200)
