"""Creating, changing and deleting teams (permission teams.manage): shared by the API and the teams page.

A change of members reaches connected sockets at once: an added member's connections join the team's
room and a removed one's leave it, on every web node (app/events/rooms.py). Deleting a team leaves its
conversations unrouted (the foreign key sets them to NULL). Callers commit.
"""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import events
from app.assignment import AUTO_ASSIGN_MODES
from app.audit import record
from app.domain_errors import Conflict, Invalid, NotFound
from app.events.catalogue import team_room
from app.events.rooms import move_connections
from app.models import Conversation, SocialAccount, Team, User, isoformat
from app.permissions import check
from app.serialize import conversation_summary
from app.vocabulary import DETECTED_LANGUAGES as DETECTED
from app.teams.visibility import sees_everything

NAME_LENGTH = 120
MAX_MEMBERS = 500
MAX_ACCOUNTS = 500
FIELDS = ("name", "member_ids", "account_ids", "languages", "auto_assign")


def team_dict(team):
    return {
        "id": team.id,
        "name": team.name,
        "member_ids": sorted(u.id for u in team.members),
        "account_ids": sorted(a.id for a in team.accounts),
        "languages": list(team.languages or []),
        "auto_assign": team.auto_assign,
        "created_at": isoformat(team.created_at),
        "updated_at": isoformat(team.updated_at),
    }


def list_teams(session, user):
    """Every team for managers and admins; one's own teams for an agent. By name."""
    stmt = sa.select(Team).order_by(Team.name, Team.id)
    if not sees_everything(user):
        stmt = stmt.where(Team.members.any(User.id == user.id))
    return session.scalars(stmt).all()


def get_team(session, user, team_id):
    team = session.get(Team, team_id)
    if team is None or not (sees_everything(user) or any(m.id == user.id for m in team.members)):
        raise NotFound(_l("There is no team %(id)s.", id=team_id))
    return team


def create_team(session, actor, *, name, member_ids=(), account_ids=(), languages=(), auto_assign=None):
    check(session, actor, "teams.manage")
    team = Team(languages=[], members=[], accounts=[])
    _apply(session, team, {"name": name, "member_ids": member_ids, "account_ids": account_ids,
                           "languages": languages, "auto_assign": auto_assign})
    session.add(team)
    session.flush()
    move_connections(session, [u.id for u in team.members], enter=[team_room(team.id)])
    record("team.created", actor=actor, target=team, data=_audited(team))
    return team


def update_team(session, actor, team_id, **changes):
    """Change the given fields (FIELDS); the others stay."""
    check(session, actor, "teams.manage")
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(_l("There is no team %(id)s.", id=team_id))
    before = {u.id for u in team.members}
    _apply(session, team, {k: v for k, v in changes.items() if k in FIELDS})
    session.flush()
    after = {u.id for u in team.members}
    move_connections(session, sorted(after - before), enter=[team_room(team.id)])
    move_connections(session, sorted(before - after), leave=[team_room(team.id)])
    record("team.updated", actor=actor, target=team, data=_audited(team))
    return team


def delete_team(session, actor, team_id):
    """Delete the team; its conversations become unrouted (every agent sees them)."""
    check(session, actor, "teams.manage")
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(_l("There is no team %(id)s.", id=team_id))
    members = [u.id for u in team.members]
    data = _audited(team)
    # The unresolved ones are announced, so every agent's list gains them (resolved ones wait for a reload).
    unresolved = session.scalars(sa.select(Conversation).where(Conversation.team_id == team.id,
                                                               Conversation.status != "resolved")).all()
    # Explicitly, not only by the foreign key: SQLite enforces ON DELETE SET NULL only with its pragma on.
    session.execute(sa.update(Conversation).where(Conversation.team_id == team.id).values(team_id=None)
                    .execution_options(synchronize_session=False))
    session.delete(team)
    session.flush()
    for conv in unresolved:
        session.refresh(conv)
        events.publish(session, "conversation.updated", {"conversation": conversation_summary(conv),
                                                         "changes": {"team_id": {"from": team_id, "to": None}}})
    move_connections(session, members, leave=[team_room(team_id)])
    record("team.deleted", actor=actor, data={"id": team_id, **data})


def _audited(team):
    return {k: v for k, v in team_dict(team).items() if k in FIELDS}


def _apply(session, team, fields):
    if "name" in fields:
        team.name = _valid_name(session, fields["name"], team.id)
    if "member_ids" in fields:
        team.members = _rows(session, User, fields["member_ids"], MAX_MEMBERS, "unknown_member",
                             _l("There is no active user %(id)s to add."), active=True)
    if "account_ids" in fields:
        team.accounts = _rows(session, SocialAccount, fields["account_ids"], MAX_ACCOUNTS, "unknown_account",
                              _l("There is no account %(id)s."))
    if "languages" in fields:
        team.languages = _valid_languages(fields["languages"])
    if "auto_assign" in fields:
        mode = fields["auto_assign"]
        if mode is not None and mode not in AUTO_ASSIGN_MODES:
            raise Invalid(_l("auto_assign must be null or one of %(values)s.", values=", ".join(AUTO_ASSIGN_MODES)),
                          code="validation_error")
        team.auto_assign = mode


def _valid_name(session, name, team_id):
    name = " ".join(str(name or "").split())
    if not name:
        raise Invalid(_l("A team needs a name."), code="validation_error")
    if len(name) > NAME_LENGTH:
        raise Invalid(_l("A team's name has at most %(num)s characters.", num=NAME_LENGTH), code="validation_error")
    clash = session.scalar(sa.select(Team.id).where(sa.func.lower(Team.name) == name.lower(),
                                                    Team.id != (team_id or 0)))
    if clash is not None:
        raise Conflict(_l("There is already a team named “%(name)s”.", name=name), code="name_taken")
    return name


def _rows(session, model, ids, limit, code, missing, *, active=False):
    ids = sorted({int(i) for i in (ids or ())})
    if len(ids) > limit:
        raise Invalid(_l("At most %(num)s at once.", num=limit), code="validation_error")
    found = {row.id: row for row in session.scalars(sa.select(model).where(model.id.in_(ids)))} if ids else {}
    for i in ids:
        row = found.get(i)
        if row is None or (active and not row.is_active):
            raise Invalid(missing % {"id": i}, code=code)
    return [found[i] for i in ids]


def _valid_languages(languages):
    out = []
    for code in languages or ():
        if code not in DETECTED:
            raise Invalid(_l("Unknown language %(code)s: one of %(values)s.", code=code, values=", ".join(DETECTED)),
                          code="unknown_language")
        if code not in out:
            out.append(code)
    return out
