"""Sign-in and password forms."""

from flask_login import current_user
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from app.auth.services import MAX_PASSWORD_LENGTH, check_current_password, password_problem
from app.forms import Form
from app.i18n import lazy_gettext as _l


class LoginForm(Form):
    """Username and password."""

    username = StringField(
        _l("Username"), validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class ChangePasswordForm(Form):
    """The owner sets a new password, proving the current one."""

    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired()],
        description=_l(
            "At least 8 characters. A long phrase is easier to remember and harder to guess."
        ),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two entries differ."))],
        render_kw={"autocomplete": "new-password"},
    )

    locked = False  # the account was locked when the current password was checked

    def validate_current_password(self, field) -> None:
        """The current password must be right; a wrong one counts as a failed sign-in."""
        refused = check_current_password(current_user, field.data or "")
        self.locked = refused == "locked"
        if self.locked:
            raise ValidationError(_l("Too many attempts. Wait 15 minutes or ask a supervisor to "
                                     "unlock the account."))
        if refused == "wrong":
            raise ValidationError(_l("The current password is wrong."))

    def validate_new_password(self, field) -> None:
        """Length and common-password check, and it must actually change."""
        problem = password_problem(
            field.data or "", username=current_user.username, employee_no=current_user.employee_no
        )
        if problem:
            raise ValidationError(problem)
        if field.data == self.current_password.data:
            raise ValidationError(_l("Choose a password different from the current one."))
