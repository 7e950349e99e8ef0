"""Staff users: the rules the CLI, the admin pages and the API share. Callers commit.

Access that ends, ends everywhere: a role change or a deactivation ends every sign-in of the user
(their session and remember cookies stop working) and drops their live Socket.IO connections; a new
password ends every other sign-in. API tokens stop with a deactivation (ApiToken.is_active).
"""
import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import events
from app.accounts import find_user_by_email
from app.audit import record
from app.domain_errors import Conflict, Invalid
from app.events.revocation import drop_connections, user_room
from app.models import ROLES, User
from app.models.user import ROLE_RANK
from app.passwords import generate_password, password_problem  # noqa: F401  (generate_password: callers')
from app.serialize import user_dict
from app.sessions import end_sessions

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class UserError(Invalid, ValueError):
    """Bad input for a user; the message says what to fix."""

    code = "invalid_user"


class PasswordError(UserError):
    """The password does not meet the rule (app/passwords.py); the message says why."""

    code = "weak_password"


class UserConflict(Conflict, UserError):
    """The change clashes with existing state (a taken email, the last admin)."""

    code = "conflict"


def check_new_password(password, *, email, name=None):
    problem = password_problem(password, email=email, name=name)
    if problem is not None:
        raise PasswordError(problem)


def create_user(session, *, email, role, name=None, password=None, actor=None):
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise UserError(_l("“%(email)s” is not an email address.", email=email))
    if role not in ROLES:
        raise UserError(_l("Unknown role “%(role)s”: use one of %(values)s.", role=role, values=", ".join(ROLES)))
    if find_user_by_email(session, email) is not None:
        raise UserConflict(_l("A user with email %(email)s already exists.", email=email))
    name = (name or email.split("@")[0]).strip()[:120]
    if password is not None:
        check_new_password(password, email=email, name=name)
    user = User(email=email, role=role, name=name)
    user.set_password(password or generate_password())
    session.add(user)
    session.flush()
    record("user.created", actor=actor, target=user, data={"role": role})
    return user


def change_password(session, user, *, new_password, keep=None, actor=None):
    """Set a new password (checked against the rule) and end every sign-in of `user` but `keep`.

    `keep` is the sign-in the change was made from (a UserSession), or None to sign them out
    everywhere, as when an admin resets someone's password.
    """
    check_new_password(new_password, email=user.email, name=user.name)
    user.set_password(new_password)
    ended = end_sessions(session, user, keep=keep)
    record("user.password_changed", actor=actor, target=user, data={"sessions_ended": ended})
    return user


def update_user(session, user, *, name=None, role=None, is_active=None, actor=None):
    """Rename, change role, deactivate or reactivate (None leaves a field alone). Keeps one active admin."""
    changes = _access_changes(session, user, role=role, is_active=is_active, actor=actor)
    if name is not None and name.strip() and name.strip() != user.name:
        changes["name"] = True
        user.name = name.strip()[:120]
    if "role" in changes:
        lowered = ROLE_RANK[role] < ROLE_RANK[user.role]
        user.role = role
        # Sign-ins were made for the old role: start afresh. Connections in rooms of the old role go too.
        end_sessions(session, user)
        if lowered:
            drop_connections(session, user_room(user.id))
    if "is_active" in changes:
        user.is_active = bool(is_active)
        if not user.is_active:
            end_sessions(session, user)
            drop_connections(session, user_room(user.id))
    if changes:
        record("user.updated", actor=actor, target=user, data=changes)
    return user


def _access_changes(session, user, *, role, is_active, actor):
    """The role and activity changes asked for, checked (one active admin always stays)."""
    changes = {}
    if role is not None and role != user.role:
        if role not in ROLES:
            raise UserError(_l("Unknown role “%(role)s”: use one of %(values)s.", role=role, values=", ".join(ROLES)))
        changes["role"] = {"from": user.role, "to": role}
    if is_active is not None and bool(is_active) != user.is_active:
        if not is_active and actor is not None and actor.id == user.id:
            raise UserConflict(_l("You cannot deactivate yourself."))
        changes["is_active"] = {"from": user.is_active, "to": bool(is_active)}
    stops_being_admin = user.role == "admin" and user.is_active and (
        ("role" in changes and role != "admin") or ("is_active" in changes and not is_active))
    if stops_being_admin and _other_active_admins(session, user) == 0:
        raise UserConflict(_l("This is the last active admin: make someone else admin first."))
    return changes


def update_profile(session, user, *, name=None, is_available=None):
    """What staff change about themselves: their display name, their availability for auto-assignment.
    Colleagues' screens hear of it (team.updated). Returns what changed."""
    changes = {field: value for field, value in (("name", name), ("is_available", is_available))
               if value is not None and getattr(user, field) != value}
    for field, value in changes.items():
        setattr(user, field, value)
    if changes:
        record("user.updated", actor=user, target=user, data=changes)
        events.publish(session, "team.updated", {"user": user_dict(user)})
    return changes


def update_preferences(session, user, *, locale, timezone):
    """The user's language and time zone for every page (None: the browser's language, the workspace's
    default time zone). Callers check the values against the languages and zones on offer. Returns what changed."""
    wanted = {"locale": locale or None, "timezone": timezone or None}
    changes = {field: {"from": getattr(user, field), "to": value}
               for field, value in wanted.items() if getattr(user, field) != value}
    for field, change in changes.items():
        setattr(user, field, change["to"])
    if changes:
        record("user.preferences_changed", actor=user, target=user, data=changes)
    return changes


def _other_active_admins(session, user):
    """Active admins besides `user`. On PostgreSQL every active admin row (theirs too) is locked until commit,
    so two admins demoting each other at once are counted one after the other, and the second is refused;
    SQLite already runs writing transactions one at a time."""
    stmt = sa.select(User.id).where(User.role == "admin", User.is_active.is_(True))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return sum(1 for admin_id in session.scalars(stmt) if admin_id != user.id)
