"""Every form of the time work: shifts and patterns, the roster upload, leave, swaps, away from
seat and handovers. The decision, withdraw and version-only forms are the shared ones of
app/workflow.py."""

from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms import Form as SubForm
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.forms import Form, choices
from app.i18n import lazy_gettext as _l
from app.imports import spreadsheet_field
from app.staff.models import HandoverItemKind, LeaveKind
from app.staff.schedule import MAX_PATTERN_DAYS
from app.timeutil import center_tz
from app.workflow import DecisionForm, VersionedForm

LEAVE_KIND_LABELS = {
    LeaveKind.PERSONAL: _l("Personal leave"),
    LeaveKind.SICK: _l("Sick leave"),
    LeaveKind.ANNUAL: _l("Annual leave"),
    LeaveKind.OTHER: _l("Other leave"),
}
ITEM_KIND_LABELS = {
    HandoverItemKind.CUSTOMER: _l("Unfinished customer matter"),
    HandoverItemKind.INSTRUCTION: _l("Instruction from above"),
    HandoverItemKind.EQUIPMENT: _l("Equipment fault"),
}
HANDOVER_ROWS = 3  # empty item rows a new handover starts with
MAX_HANDOVER_ROWS = 20  # "add another item" stops here


def _row_id(value):
    """A select's value as a row id; None for the blank choice or anything else (the field's
    DataRequired then says what to choose)."""
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None


# --- schedules ------------------------------------------------------------------------------

class _ShiftTimesForm(Form):
    """When a shift starts and ends, and its name: one shift's and a weekly pattern's."""

    start = TimeField(_l("Start"), validators=[InputRequired(message=_l("Enter a start time."))])
    end = TimeField(_l("End"), validators=[InputRequired(message=_l("Enter an end time."))],
                    description=_l("An end before the start means the shift ends the next "
                                   "day; it still belongs to the day it starts."))
    label = StringField(_l("Shift name"), validators=[Optional(), Length(max=32)],
                        render_kw={"list": "shift-labels", "autocomplete": "off"})


class ShiftForm(_ShiftTimesForm):
    """One shift for one person."""

    user_id = SelectField(_l("Person"), coerce=_row_id,
                          validators=[DataRequired(message=_l("Choose a person."))])
    day = DateField(_l("Day"), validators=[InputRequired(message=_l("Enter the day."))])


class PatternForm(_ShiftTimesForm):
    """The same shift on chosen weekdays for a whole team over a date range."""

    team_id = SelectField(_l("Team"), coerce=_row_id,
                          validators=[DataRequired(message=_l("Choose a team."))])
    first_day = DateField(_l("First day"),
                          validators=[InputRequired(message=_l("Enter the first day."))])
    last_day = DateField(_l("Last day"),
                         validators=[InputRequired(message=_l("Enter the last day."))],
                         description=_l("At most %(n)d days.", n=MAX_PATTERN_DAYS))
    weekdays = SelectMultipleField(_l("Weekdays"), coerce=int)
    include_lead = BooleanField(_l("Also schedule the team lead"))

    def validate_weekdays(self, field) -> None:
        """At least one day of the week."""
        if not field.data:
            raise ValidationError(_l("Choose at least one weekday."))

    def validate_last_day(self, field) -> None:
        """The range runs forwards."""
        if self.first_day.data and field.data and field.data < self.first_day.data:
            raise ValidationError(_l("The last day comes before the first."))


class RosterForm(Form):
    """Upload of a roster file."""

    file = spreadsheet_field(_l("Roster file (.xlsx, .xls or .csv)"))


# --- leave ----------------------------------------------------------------------------------

class LeaveForm(Form):
    """A leave request: whole days, or from a time to a time."""

    # No kind is chosen for the person: the kind decides the rules (notice, probation) and
    # the pay, so a request is never filed as personal leave by one careless tap.
    kind = SelectField(_l("Kind of leave"),
                       choices=choices([("", _l("— choose —")), *LEAVE_KIND_LABELS.items()]),
                       validators=[DataRequired(message=_l("Choose the kind of leave."))])
    first_day = DateField(_l("First day"), validators=[InputRequired()])
    start_time = TimeField(_l("From (time)"), validators=[Optional()],
                           description=_l("Leave empty for whole days."))
    last_day = DateField(_l("Last day"), validators=[Optional()],
                         description=_l("Leave empty for a single day."))
    end_time = TimeField(_l("Until (time)"), validators=[Optional()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=500)])

    def validate_last_day(self, field) -> None:
        """The period runs forwards (runs only when a last day is given: Optional stops the
        chain of an empty field)."""
        if self.first_day.data and field.data and field.data < self.first_day.data:
            raise ValidationError(_l("The last day comes before the first."))

    def last(self) -> date:
        """The last day: the first one when none is given (a single day)."""
        return self.last_day.data or self.first_day.data

    def period(self) -> tuple[datetime, datetime]:
        """The period in UTC: whole days unless times are given."""
        tz = center_tz()
        starts = datetime.combine(self.first_day.data, self.start_time.data or time(0), tz)
        if self.end_time.data:
            ends = datetime.combine(self.last(), self.end_time.data, tz)
        else:
            ends = datetime.combine(self.last() + timedelta(days=1), time(0), tz)
        return starts, ends


# --- shift swaps ----------------------------------------------------------------------------

class SwapForm(Form):
    """Offer one of my shifts for one of a colleague's."""

    my_shift = SelectField(_l("My shift"), coerce=_row_id, validate_choice=False,
                           validators=[DataRequired(message=_l("Choose one of your shifts."))])
    their_shift = SelectField(
        _l("The shift I take in exchange"), coerce=_row_id, validate_choice=False,
        validators=[DataRequired(message=_l("Choose the shift you want in exchange."))],
        description=_l("Colleagues of your level, grouped by person. Left out: shifts on "
                       "leave, too soon to swap, or that would give someone two shifts at "
                       "once."))
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=500)])


# --- away from seat -------------------------------------------------------------------------

class AwayDecisionForm(DecisionForm):
    """Allow or refuse with one tap, with the version the lead saw."""

    CHOICES = {"allow": True, "refuse": False}


# --- handovers ------------------------------------------------------------------------------

class ItemForm(SubForm):
    """One handed-over matter; a row left empty is ignored."""

    kind = SelectField(_l("Kind"), choices=choices([("", _l("— choose —")),
                                                    *ITEM_KIND_LABELS.items()]),
                       validate_choice=False)
    details = TextAreaField(_l("Details"), validators=[Optional(), Length(max=1000)])
    contact = StringField(_l("Contact"), validators=[Optional(), Length(max=100)],
                          description=_l("Who to call back or ask: name, phone, extension."))

    def is_empty(self) -> bool:
        """Nothing entered in the row."""
        return not any((self.kind.data or "", (self.details.data or "").strip(),
                        (self.contact.data or "").strip()))


class HandoverForm(Form):
    """What the outgoing shift hands over."""

    team_id = SelectField(_l("Team"), coerce=_row_id, validate_choice=False,
                          validators=[DataRequired(message=_l("Choose a team."))])
    day = DateField(_l("Day"), validators=[InputRequired(message=_l("Enter the day."))])
    shift_label = StringField(_l("Outgoing shift"), validators=[Optional(), Length(max=32)],
                              description=_l("For example: early shift."))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=1000)])
    items = FieldList(FormField(ItemForm), min_entries=HANDOVER_ROWS,
                      max_entries=MAX_HANDOVER_ROWS)

    def check_items(self) -> bool:
        """Each row that was filled in needs a kind and details; marks the rows at fault."""
        ok = True
        for entry in self.items:
            if entry.form.is_empty():
                continue
            if entry.kind.data not in set(HandoverItemKind):
                entry.kind.errors = [*entry.kind.errors, _("Choose what this item is about.")]
                ok = False
            if not (entry.details.data or "").strip():
                entry.details.errors = [*entry.details.errors, _("Every item needs its details.")]
                ok = False
        return ok

    def filled_items(self) -> list[tuple[str, str, str]]:
        """(kind, details, contact) of the rows that were filled in."""
        return [(e.kind.data, e.details.data or "", e.contact.data or "")
                for e in self.items if not e.form.is_empty()]


class AckForm(VersionedForm):
    """Acknowledge one item, or ask for more about it."""

    decision = HiddenField()
    note = TextAreaField(_l("What more do you need to know?"),
                         validators=[Optional(), Length(max=500)])
