"""The notify action: the users a rule names and the members of its team, each once per hit."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.models import User, team_members
from app.notifications import notify


def notify_hits(session, hits):
    """hits: recorded hits (dicts with rule_id, rule_name, message_id, conversation_id, actions)."""
    if not hits:
        return
    teams = {a["team_id"] for h in hits for a in h["actions"] if a["type"] == "notify" and a.get("team_id")}
    members = {}
    if teams:
        for team_id, user_id in session.execute(sa.select(team_members.c.team_id, team_members.c.user_id)
                                                .where(team_members.c.team_id.in_(sorted(teams)))):
            members.setdefault(team_id, set()).add(user_id)
    wanted = set()
    for hit in hits:
        for action in hit["actions"]:
            if action["type"] == "notify":
                wanted.update((hit["message_id"], u) for u in action.get("user_ids") or ())
                wanted.update((hit["message_id"], u) for u in members.get(action.get("team_id"), ()))
    active = set(session.scalars(sa.select(User.id).where(User.id.in_(sorted({u for _m, u in wanted})),
                                                          User.is_active.is_(True))))
    by_message = {h["message_id"]: h for h in hits}
    for message_id, user_id in sorted(wanted):
        if user_id in active:
            hit = by_message[message_id]
            notify(session, user_id, "rule", _l("Rule “%(name)s” matched a new message in conversation #%(id)s.",
                                                name=hit["rule_name"], id=hit["conversation_id"]),
                   conversation_id=hit["conversation_id"], message_id=message_id)
