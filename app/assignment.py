"""Assignment: claim, assign, unassign, and auto-assignment of new conversations.

Auto-assignment is off by default. Managers choose "round_robin" (take turns
among available agents) or "least_loaded" (fewest open assigned
conversations). Only active agents who switched themselves available take part.
"""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.audit import record
from app.batch_sql import prebuilt
from app.domain_errors import Invalid
from app.models import Conversation, Setting, User
from app.notifications import notify

AUTO_ASSIGN_KEY = "auto_assign"
AUTO_ASSIGN_MODES = ("off", "round_robin", "least_loaded")


@prebuilt
def _setting_value(_dialect):
    settings = Setting.__table__
    return sa.select(settings.c.value).where(settings.c.key == sa.bindparam("key"))


def auto_assign_mode(session):
    # A plain column read (ingest asks on every new conversation); through the session, so it autoflushes.
    value = session.execute(_setting_value(session), {"key": AUTO_ASSIGN_KEY}).scalar()
    mode = (value or {}).get("mode")
    return mode if mode in AUTO_ASSIGN_MODES else "off"


def set_auto_assign_mode(session, mode, *, actor=None):
    if mode not in AUTO_ASSIGN_MODES:
        raise Invalid(_l("mode must be one of %(values)s.", values=", ".join(AUTO_ASSIGN_MODES)))
    row = session.get(Setting, AUTO_ASSIGN_KEY) or Setting(key=AUTO_ASSIGN_KEY, value={})
    row.value = {**(row.value or {}), "mode": mode}
    session.add(row)
    record("settings.auto_assign", actor=actor, data={"mode": mode})
    return mode


def _available_agents(session):
    return session.scalars(
        sa.select(User).where(User.is_active.is_(True), User.is_available.is_(True), User.role == "agent").order_by(User.id)
    ).all()


def auto_assign(session, conversations):
    """Assign freshly opened conversations according to the configured mode. Returns {conversation id: user}."""
    if not conversations:
        return {}
    mode = auto_assign_mode(session)
    if mode == "off":
        return {}
    agents = _available_agents(session)
    if not agents:
        return {}
    chosen = {}
    if mode == "round_robin":
        row = session.get(Setting, AUTO_ASSIGN_KEY)
        last = (row.value or {}).get("last_user_id", 0)
        ids = [a.id for a in agents]
        for conv in conversations:
            following = [i for i in ids if i > last] or ids
            last = following[0]
            chosen[conv.id] = next(a for a in agents if a.id == last)
        row.value = {**row.value, "last_user_id": last}
    else:
        loads = dict(session.execute(
            sa.select(Conversation.assignee_id, sa.func.count())
            .where(Conversation.status != "resolved", Conversation.assignee_id.in_([a.id for a in agents]))
            .group_by(Conversation.assignee_id)
        ).all())
        for conv in conversations:
            agent = min(agents, key=lambda a: (loads.get(a.id, 0), a.id))
            loads[agent.id] = loads.get(agent.id, 0) + 1
            chosen[conv.id] = agent
    for conv in conversations:
        agent = chosen[conv.id]
        conv.assignee_id = agent.id
        notify_assigned(session, conv, agent)
    return chosen


def notify_assigned(session, conv, user, by=None):
    text = (_l("Conversation #%(id)s was assigned to you by %(name)s.", id=conv.id, name=by.name) if by is not None
            else _l("Conversation #%(id)s was assigned to you.", id=conv.id))
    notify(session, user.id, "assigned", text, conversation_id=conv.id)
