"""Assignment: claim, assign, unassign, and auto-assignment of new conversations.

Auto-assignment is off by default. Managers choose "round_robin" (take turns
among available agents) or "least_loaded" (fewest open assigned
conversations). Only active agents who switched themselves available take part. A team's
conversations go to its members, in the team's own mode when it has one (app/teams).
"""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.audit import record
from app.domain_errors import Invalid
from app.models import Conversation, Setting, Team, User, team_members
from app.models.workspace import setting_value
from app.notifications import notify

AUTO_ASSIGN_KEY = "auto_assign"
AUTO_ASSIGN_MODES = ("off", "round_robin", "least_loaded")


def auto_assign_mode(session):
    # A plain column read (ingest asks on every new conversation); through the session, so it autoflushes.
    value = setting_value(session, AUTO_ASSIGN_KEY)
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


def _available_agents(session, team_id=None):
    """Active available agents: among `team_id`'s members, or everyone for an unrouted conversation."""
    stmt = sa.select(User).where(User.is_active.is_(True), User.is_available.is_(True), User.role == "agent")
    if team_id is not None:
        stmt = stmt.where(User.id.in_(sa.select(team_members.c.user_id).where(team_members.c.team_id == team_id)))
    return session.scalars(stmt.order_by(User.id)).all()


def auto_assign(session, conversations):
    """Assign freshly opened conversations: a team's among its available members in the team's mode (the
    workspace's when it has none), unrouted ones among every available agent in the workspace's mode.
    Returns {conversation id: user}."""
    if not conversations:
        return {}
    by_team = {}
    for conv in conversations:
        by_team.setdefault(getattr(conv, "team_id", None), []).append(conv)
    workspace_mode = auto_assign_mode(session)
    chosen = {}
    for team_id in sorted(by_team, key=lambda t: (t is not None, t or 0)):
        team = session.get(Team, team_id) if team_id is not None else None
        mode = team.auto_assign if team is not None and team.auto_assign else workspace_mode
        if mode == "off":
            continue
        agents = _available_agents(session, team_id)
        if agents:
            chosen.update(_choose(session, mode, agents, by_team[team_id], team))
    for conv in conversations:
        agent = chosen.get(conv.id)
        if agent is not None:
            conv.assignee_id = agent.id
            notify_assigned(session, conv, agent)
    return chosen


def _choose(session, mode, agents, conversations, team):
    chosen = {}
    if mode == "round_robin":
        row = session.get(Setting, AUTO_ASSIGN_KEY) if team is None else None
        last = (row.value or {}).get("last_user_id", 0) if row is not None else (team.last_assigned_user_id or 0)
        ids = [a.id for a in agents]
        for conv in conversations:
            following = [i for i in ids if i > last] or ids
            last = following[0]
            chosen[conv.id] = next(a for a in agents if a.id == last)
        if team is None:
            row.value = {**row.value, "last_user_id": last}
        else:
            team.last_assigned_user_id = last
        return chosen
    loads = dict(session.execute(
        sa.select(Conversation.assignee_id, sa.func.count())
        .where(Conversation.status != "resolved", Conversation.assignee_id.in_([a.id for a in agents]))
        .group_by(Conversation.assignee_id)
    ).all())
    for conv in conversations:
        agent = min(agents, key=lambda a: (loads.get(a.id, 0), a.id))
        loads[agent.id] = loads.get(agent.id, 0) + 1
        chosen[conv.id] = agent
    return chosen


def notify_assigned(session, conv, user, by=None):
    text = (_l("Conversation #%(id)s was assigned to you by %(name)s.", id=conv.id, name=by.name) if by is not None
            else _l("Conversation #%(id)s was assigned to you.", id=conv.id))
    notify(session, user.id, "assigned", text, conversation_id=conv.id)
