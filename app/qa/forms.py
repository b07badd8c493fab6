"""Forms of the quality area: they bind only what a person may edit."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.forms import Form, choices
from app.i18n import lazy_gettext as _l
from app.imports import spreadsheet_field
from app.qa.models import Scope
from app.workflow import VersionedForm

WEEKDAYS = choices([(0, _l("Mon")), (1, _l("Tue")), (2, _l("Wed")), (3, _l("Thu")), (4, _l("Fri")),
            (5, _l("Sat")), (6, _l("Sun"))])
SCOPES = choices([(Scope.ALL, _l("All agents")), (Scope.TEAM, _l("One team")),
                  (Scope.PEOPLE, _l("Named people"))])
DIRECTIONS = choices([("any", _l("In and out")), ("in", _l("Incoming only")),
                      ("out", _l("Outgoing only"))])


class RuleForm(VersionedForm):
    """A sampling rule, in the words of the rule: whose calls, which days, which call (and
    the version of the draft it was drawn from)."""

    name = StringField(_l("Rule name"), validators=[InputRequired(), Length(max=100)])
    scope = SelectField(_l("Covers"), choices=SCOPES)
    team_id = SelectField(_l("Team"), coerce=int, validate_choice=False, default=0)
    people = SelectMultipleField(_l("People"), coerce=int, validate_choice=False)
    weekdays = SelectMultipleField(_l("Weekdays"), coerce=int, choices=WEEKDAYS,
                                   default=[0, 1, 2, 3, 4, 5, 6])
    first_day = DateField(_l("First day"), validators=[InputRequired()])
    last_day = DateField(_l("Last day"), validators=[Optional()],
                         description=_l("Leave empty to keep the rule until another follows it."))
    window_start = TimeField(_l("Calls starting from"), validators=[Optional()])
    window_end = TimeField(_l("Calls starting before"), validators=[Optional()])
    longer_than_s = IntegerField(_l("Longer than (s)"), default=0,
                                 validators=[InputRequired(), NumberRange(0, 86_400)])
    at_most_s = IntegerField(_l("At most (s)"), validators=[Optional(), NumberRange(1, 86_400)])
    direction = SelectField(_l("Direction"), choices=DIRECTIONS)
    nth_from = IntegerField(_l("Take from the Nth qualifying call"), default=1,
                            validators=[InputRequired(), NumberRange(1, 500)])
    nth_to = IntegerField(_l("to the Mth"), default=1,
                          validators=[InputRequired(), NumberRange(1, 500)])
    scorecard_id = SelectField(_l("Scored on the scorecard"), coerce=int)


class VersionForm(VersionedForm):
    """A one-click action on a row that carries a version (publish, revoke, confirm)."""


class TokenForm(Form):
    """A new API token for the telephony system."""

    name = StringField(_l("What uses it"), validators=[InputRequired(), Length(max=100)],
                       description=_l("For example: the telephony system in building A."))


class ScorecardForm(Form):
    """A new scorecard."""

    name = StringField(_l("Scorecard name"), validators=[InputRequired(), Length(max=100)])


class CategoryForm(Form):
    """A new category of deduction items."""

    name = StringField(_l("Category"), validators=[InputRequired(), Length(max=100)])


class ItemForm(Form):
    """A deduction item: what is wrong and what it costs."""

    category_id = HiddenField()
    name = StringField(_l("Deduction item"), validators=[InputRequired(), Length(max=200)])
    points = IntegerField(_l("Points"), validators=[InputRequired(), NumberRange(1, 100)])
    critical = BooleanField(_l("Critical item: deducting it sets the call's score to 0"))
    guidance = TextAreaField(_l("Guidance for reviewers"),
                             validators=[Optional(), Length(max=1000)])


class StartForm(Form):
    """Start scoring a call; a call outside the sample needs a reason, and its scorecard."""

    reason = TextAreaField(_l("Why score this call?"), validators=[Optional(), Length(max=1000)],
                           description=_l("Needed for a call no published rule took, or one "
                                          "another reviewer already scores in the sample."))
    scorecard_id = SelectField(_l("Scorecard"), coerce=int, validate_choice=False, default=0,
                               description=_l("A sampled call is scored on the scorecard its "
                                              "rule names."))


class CallFileForm(Form):
    """A call log file from the telephony system."""

    file = spreadsheet_field(_l("Call log file (.xlsx, .xls or .csv)"))


class CalibrationForm(Form):
    """Start a calibration round on a call."""

    serial_no = StringField(_l("Recording serial no."), validators=[InputRequired(),
                                                                   Length(max=64)])
    scorecard_id = SelectField(_l("Scorecard"), coerce=int, validate_choice=False, default=0)
