"""Forms for people and teams. They bind only what a supervisor may edit."""

from wtforms import DateField, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from app.forms import Form, choices, int_or_none
from app.i18n import lazy_gettext as _l
from app.imports import spreadsheet_field
from app.people.models import Grade, Role, Status
from app.workflow import VersionedForm

ROLE_LABELS = {
    Role.AGENT: _l("Agent"),
    Role.QA: _l("QA reviewer"),
    Role.LEAD: _l("Team lead"),
    Role.SUPERVISOR: _l("Supervisor"),
}
GRADE_LABELS = {
    Grade.JUNIOR: _l("Junior"),
    Grade.INTERMEDIATE: _l("Intermediate"),
    Grade.SENIOR: _l("Senior"),
}
STATUS_LABELS = {
    Status.ACTIVE: _l("Active"),
    Status.RETRAINING: _l("Retraining"),
    Status.LEFT: _l("Left"),
}


class PersonForm(VersionedForm):
    """A person's record."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    employee_no = StringField(
        _l("Employee no."),
        validators=[DataRequired(), Length(max=32),
                    Regexp(r"^[A-Za-z0-9-]+$", message=_l("Letters, digits and - only."))],
    )
    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Length(min=2, max=64),
                    Regexp(r"^[a-z0-9._-]+$",
                           message=_l("Lower-case letters, digits, dot, dash and underscore."))],
        render_kw={"autocapitalize": "none", "spellcheck": "false"},
    )
    phone = StringField(
        _l("Phone"),
        validators=[Optional(), Length(max=32)],  # the number itself: services.phone_problem
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    role = SelectField(
        _l("Role"), choices=choices(ROLE_LABELS.items()), validators=[DataRequired()]
    )
    team_id = SelectField(_l("Team"), coerce=int_or_none, validate_choice=True)
    grade = SelectField(
        _l("Grade"), choices=choices([("", _l("— none —")), *GRADE_LABELS.items()]),
        description=_l("Required for agents."),
    )
    hire_date = DateField(_l("Hire date"), validators=[InputRequired()])
    probation_until = DateField(
        _l("Probation until"), validators=[Optional()],
        description=_l("Leave empty when there is no probation."),
    )
    status = SelectField(_l("Status"), choices=choices(STATUS_LABELS.items()))

    def validate_probation_until(self, field) -> None:
        """Probation ends on or after the hire date."""
        if field.data and self.hire_date.data and field.data < self.hire_date.data:
            raise ValidationError(_l("Probation cannot end before the hire date."))

    def validate_grade(self, field) -> None:
        """Agents need a grade."""
        if self.role.data == Role.AGENT and not field.data:
            raise ValidationError(_l("Agents need a grade."))


class GradeForm(Form):
    """Promote (or correct) an agent's grade."""

    to_grade = SelectField(_l("New grade"), choices=choices(GRADE_LABELS.items()))
    effective_on = DateField(_l("Effective from"), validators=[InputRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class TeamForm(VersionedForm):
    """A team's name and lead."""

    name = StringField(_l("Team name"), validators=[DataRequired(), Length(max=64)])
    lead_id = SelectField(_l("Team lead"), coerce=int_or_none)


class ImportForm(Form):
    """Upload of a people file."""

    file = spreadsheet_field(_l("People file (.xlsx, .xls or .csv)"))
