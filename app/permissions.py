"""Who may do what, per role: each permission has a default lowest role; admins may change it at run time.

Services ask `may(session, user, permission)` (or `check(...)`, which raises NotPermitted); the HTTP layer
maps NotPermitted to 403. Admins keep every permission whatever the setting says, so no one can lock
the workspace out of its own settings.
"""
from flask_babel import lazy_gettext as _l

from app.audit import record
from app.domain_errors import Invalid, NotPermitted
from app.models import Setting
from app.models.workspace import setting_value
from app.models.user import ROLE_RANK, ROLES

SETTING_KEY = "role_permissions"

# permission -> (the lowest role that has it by default, what it lets one do: shown on the admin page)
PERMISSIONS = {
    "moderation.hide": ("agent", _l("Hide and unhide messages on the network")),
    "moderation.like": ("agent", _l("Like and unlike messages on the network")),
    "moderation.delete": ("manager", _l("Delete messages on the network")),
    "moderation.bulk": ("agent", _l("Moderate many messages at once")),
    "rules.manage": ("manager", _l("Write, order, switch on and dry-run rules")),
    "teams.manage": ("manager", _l("Create teams and choose their members, accounts and languages")),
    "alerts.acknowledge": ("manager", _l("Acknowledge spike alerts")),
}


def lowest_roles(session):
    """{permission: the lowest role that has it}, defaults overlaid with what admins set."""
    stored = setting_value(session, SETTING_KEY) or {}
    return {name: stored.get(name) if stored.get(name) in ROLES else default
            for name, (default, _label) in PERMISSIONS.items()}


def may(session, user, permission):
    if permission not in PERMISSIONS:
        raise KeyError(f"{permission!r} is not declared in app/permissions.py")
    if user is None or not getattr(user, "is_active", False):
        return False
    return user.role == "admin" or ROLE_RANK[user.role] >= ROLE_RANK[lowest_roles(session)[permission]]


def granted(session, user):
    """The names of the permissions `user` has, reading the setting once (for pages that show actions)."""
    if user is None or not getattr(user, "is_active", False):
        return []
    lowest = lowest_roles(session)
    return [name for name in PERMISSIONS
            if user.role == "admin" or ROLE_RANK[user.role] >= ROLE_RANK[lowest[name]]]


def check(session, user, permission):
    """Raise NotPermitted unless `user` has `permission`."""
    if not may(session, user, permission):
        raise NotPermitted(_l("Your role may not do this: %(what)s.", what=PERMISSIONS[permission][1]))


def set_lowest_roles(session, changes, *, actor=None):
    """Store {permission: role} (admins only: the caller checks). Unknown names or roles are refused.

    Each permission whose lowest role changes goes into the audit log with its old and new role.
    """
    for name, role in changes.items():
        if name not in PERMISSIONS:
            raise Invalid(_l("Unknown permission: %(name)s.", name=name), code="unknown_permission")
        if role not in ROLES:
            raise Invalid(_l("Unknown role: %(role)s.", role=role), code="unknown_role")
    before = lowest_roles(session)
    row = session.get(Setting, SETTING_KEY) or Setting(key=SETTING_KEY, value={})
    row.value = {**(row.value or {}), **changes}
    session.add(row)
    for name, role in changes.items():
        if before[name] != role:
            record("permission.changed", actor=actor, data={"permission": name, "from": before[name], "to": role})
    return lowest_roles(session)
