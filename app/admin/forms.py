"""The admin pages' forms (Flask-WTF: every POST carries the CSRF token)."""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.events.catalogue import WEBHOOK_TYPES
from app.i18n.names import ROLE_NAMES
from app.models import ROLES, TOKEN_SCOPES
from app.passwords import MAX_LENGTH, MIN_LENGTH
from app.permissions import PERMISSIONS

REQUIRED = _l("This field is required.")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ActionForm(FlaskForm):
    """A button that POSTs (revoke, redeliver, send test…): nothing but the CSRF token."""


class TokenForm(FlaskForm):
    name = StringField(lazy_pgettext("name of a thing", "Name"), validators=[DataRequired(message=REQUIRED), Length(max=120)],
                       description=_l("What it is for, e.g. CRM sync"))
    user_id = SelectField(_l("Acts as"), coerce=int)
    scopes = MultiCheckboxField(_l("Scopes"), choices=[SelectChoice(s, s) for s in TOKEN_SCOPES], default=["read", "write"],
                                validators=[DataRequired(message=_l("Pick at least one scope."))])


class UserForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(message=REQUIRED), Length(max=254)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])
    role = SelectField(_l("Role"), choices=[SelectChoice(r, ROLE_NAMES[r]) for r in ROLES], default="agent")
    # The rule itself (length, strength) is app/passwords.py's, applied by create_user.
    password = PasswordField(_l("Password"), validators=[Optional(), Length(max=MAX_LENGTH)],
                             description=_l("At least %(num)s characters and hard to guess. "
                                            "Leave empty to generate one (shown once).", num=MIN_LENGTH))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[SelectChoice(r, ROLE_NAMES[r]) for r in ROLES])


class WebhookForm(FlaskForm):
    url = StringField(_l("URL"), validators=[DataRequired(message=REQUIRED),
                                              URL(require_tld=False, message=_l("Enter a full http:// or https:// URL.")),
                                              Length(max=2000)])
    description = StringField(_l("Description"), validators=[Optional(), Length(max=200)])
    events = MultiCheckboxField(_l("Event types (none ticked: all)"), choices=[SelectChoice(t, t) for t in WEBHOOK_TYPES])
    enabled = BooleanField(_l("Enabled"), default=True)


class RotateForm(FlaskForm):
    grace_hours = IntegerField(_l("Old secret keeps signing for (hours)"), default=24,
                               validators=[NumberRange(min=0, max=168, message=_l("Between 0 and 168 hours."))])


class PrivateAddressesForm(FlaskForm):
    allow_private = BooleanField(
        _l("Allow webhook URLs on loopback and private addresses (development and sandbox only)"))


def _permission_field(name):
    return name.replace(".", "__")  # form field names are attribute names


class PermissionsForm(FlaskForm):
    """One role picker per permission (app/permissions.py): the lowest role that has it."""

    @classmethod
    def field_of(cls, permission):
        return _permission_field(permission)


for _name, (_default, _label) in PERMISSIONS.items():
    setattr(PermissionsForm, _permission_field(_name),
            SelectField(_label, choices=[SelectChoice(r, ROLE_NAMES[r]) for r in ROLES], default=_default))

