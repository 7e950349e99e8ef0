"""The admin pages' forms (Flask-WTF: every POST carries the CSRF token)."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.events.catalogue import WEBHOOK_TYPES
from app.models import ROLES, TOKEN_SCOPES
from app.passwords import MAX_LENGTH, MIN_LENGTH


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ActionForm(FlaskForm):
    """A button that POSTs (revoke, redeliver, send test…): nothing but the CSRF token."""


class TokenForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)], description="What it is for, e.g. CRM sync")
    user_id = SelectField("Acts as", coerce=int)
    scopes = MultiCheckboxField("Scopes", choices=[SelectChoice(s, s) for s in TOKEN_SCOPES], default=["read", "write"],
                                validators=[DataRequired(message="Pick at least one scope.")])


class UserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    name = StringField("Name", validators=[Optional(), Length(max=120)])
    role = SelectField("Role", choices=[SelectChoice(r, r) for r in ROLES], default="agent")
    # The rule itself (length, strength) is app/passwords.py's, applied by create_user.
    password = PasswordField("Password", validators=[Optional(), Length(max=MAX_LENGTH)],
                             description=f"At least {MIN_LENGTH} characters and hard to guess. "
                                         "Leave empty to generate one (shown once).")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=[SelectChoice(r, r) for r in ROLES])


class WebhookForm(FlaskForm):
    url = StringField("URL", validators=[DataRequired(), URL(require_tld=False), Length(max=2000)])
    description = StringField("Description", validators=[Optional(), Length(max=200)])
    events = MultiCheckboxField("Event types (none ticked: all)", choices=[SelectChoice(t, t) for t in WEBHOOK_TYPES])
    enabled = BooleanField("Enabled", default=True)


class RotateForm(FlaskForm):
    grace_hours = IntegerField("Old secret keeps signing for (hours)", default=24,
                               validators=[NumberRange(min=0, max=168)])


class PrivateAddressesForm(FlaskForm):
    allow_private = BooleanField("Allow webhook URLs on loopback and private addresses (development and sandbox only)")
