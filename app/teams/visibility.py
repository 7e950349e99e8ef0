"""Who sees a conversation: managers and admins every one; an agent the unrouted ones and their teams'.

The same rule three ways: `can_see` for one loaded conversation, `visible_clause` for queries (the list,
counts, search, related, contacts), and `check_visible` for actions, which answer 404 so an agent cannot
even learn that another team's conversation exists.
"""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.domain_errors import NotFound
from app.models import Conversation, team_members


def sees_everything(user):
    return user is not None and user.has_role("manager")


def team_ids_of(session, user):
    """The ids of the teams `user` belongs to, ascending."""
    if user is None or user.id is None:
        return []
    return list(session.scalars(sa.select(team_members.c.team_id).where(team_members.c.user_id == user.id)
                                .order_by(team_members.c.team_id)))


def _my_teams(user):
    return sa.select(team_members.c.team_id).where(team_members.c.user_id == user.id).scalar_subquery()


def visible_clause(user, team_column=None):
    """A WHERE condition keeping the conversations `user` may see (None: no restriction). `team_column`
    is the conversations' team_id column of the query (Conversation.team_id by default)."""
    if sees_everything(user):
        return None
    column = Conversation.team_id if team_column is None else team_column
    if user is None:
        return sa.false()
    return sa.or_(column.is_(None), column.in_(_my_teams(user)))


def can_see(session, user, conversation):
    """Whether `user` may see `conversation` (a Conversation, or anything with a team_id)."""
    if user is None or not getattr(user, "is_active", False):
        return False
    if sees_everything(user):
        return True
    team_id = getattr(conversation, "team_id", None)
    return team_id is None or team_id in team_ids_of(session, user)


def check_visible(session, user, conversation):
    """Raise NotFound (as for a conversation that does not exist) unless `user` may see `conversation`."""
    if conversation is None or not can_see(session, user, conversation):
        raise NotFound(_l("There is no conversation %(id)s.", id=getattr(conversation, "id", "")))
    return conversation
