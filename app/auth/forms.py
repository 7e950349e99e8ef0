"""Sign-in and account forms (Flask-WTF: every POST carries the CSRF token)."""
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length

from app.i18n import LANGUAGES
from app.passwords import MAX_LENGTH

REQUIRED = _l("This field is required.")


def _required():
    return DataRequired(message=REQUIRED)


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[_required(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[_required(), Length(max=512)])
    remember = BooleanField(_l("Keep me signed in"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[_required(), Length(max=512)])
    new_password = PasswordField(_l("New password"), validators=[_required(), Length(max=MAX_LENGTH)])
    confirm = PasswordField(_l("New password again"), validators=[
        _required(), EqualTo("new_password", message=_l("The two new passwords differ."))])


def time_zones():
    return sorted(available_timezones())


class PreferencesForm(FlaskForm):
    """The language and time zone of every page; "" (the first option) means "not chosen": the browser's
    language, the workspace's default time zone."""

    locale = SelectField(_l("Language"), validate_choice=False, validators=[
        AnyOf(["", *LANGUAGES], message=_l("Choose one of the languages in the list."))])
    timezone = SelectField(_l("Time zone"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zones = time_zones()
        self.locale.choices = [("", _l("Browser's language")), *LANGUAGES.items()]
        self.timezone.choices = [("", _l("Workspace default")), *((z, z) for z in zones)]
        self.timezone.validators = [AnyOf({"", *zones}, message=_l("Choose one of the time zones in the list."))]
