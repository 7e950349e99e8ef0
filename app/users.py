"""Creating staff users: the rules the CLI and the admin pages share."""
import re
import secrets

import sqlalchemy as sa

from app.accounts import find_user_by_email
from app.audit import record
from app.models import ROLES, User

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10


class UserError(ValueError):
    """Bad input for a user; the message says what to fix."""


class UserConflict(UserError):
    """The change clashes with existing state (a taken email, the last admin)."""


def generate_password():
    return secrets.token_urlsafe(12)


def create_user(session, *, email, role, name=None, password=None, actor=None):
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise UserError(f"{email!r} is not an email address")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if find_user_by_email(session, email) is not None:
        raise UserConflict(f"a user with email {email} already exists")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    user = User(email=email, role=role, name=(name or email.split("@")[0]).strip()[:120])
    user.set_password(password or generate_password())
    session.add(user)
    session.flush()
    record("user.created", actor=actor, target=user, data={"role": role})
    return user


def update_user(session, user, *, name=None, role=None, is_active=None, actor=None):
    """Rename, change role, deactivate or reactivate (None leaves a field alone). Keeps one active admin."""
    changes = {}
    if role is not None and role != user.role:
        if role not in ROLES:
            raise UserError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
        changes["role"] = {"from": user.role, "to": role}
    if is_active is not None and bool(is_active) != user.is_active:
        if not is_active and actor is not None and actor.id == user.id:
            raise UserConflict("you cannot deactivate yourself")
        changes["is_active"] = {"from": user.is_active, "to": bool(is_active)}
    stops_being_admin = user.role == "admin" and user.is_active and (
        ("role" in changes and role != "admin") or ("is_active" in changes and not is_active))
    if stops_being_admin and _active_admins(session) <= 1:
        raise UserConflict("this is the last active admin: make someone else admin first")
    if name is not None and name.strip() and name.strip() != user.name:
        changes["name"] = True
        user.name = name.strip()[:120]
    if "role" in changes:
        user.role = role
    if "is_active" in changes:
        user.is_active = bool(is_active)
    if changes:
        record("user.updated", actor=actor, target=user, data=changes)
    return user


def _active_admins(session):
    return session.scalar(sa.select(sa.func.count(User.id)).where(User.role == "admin", User.is_active.is_(True)))
