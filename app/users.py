"""Creating staff users: the rules the CLI and the admin pages share."""
import re
import secrets

from app.accounts import find_user_by_email
from app.audit import record
from app.models import ROLES, User

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10


class UserError(ValueError):
    """Bad input for a user; the message says what to fix."""


def generate_password():
    return secrets.token_urlsafe(12)


def create_user(session, *, email, role, name=None, password=None, actor=None):
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise UserError(f"{email!r} is not an email address")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if find_user_by_email(session, email) is not None:
        raise UserError(f"a user with email {email} already exists")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    user = User(email=email, role=role, name=(name or email.split("@")[0]).strip()[:120])
    user.set_password(password or generate_password())
    session.add(user)
    session.flush()
    record("user.created", actor=actor, target=user, data={"role": role})
    return user
