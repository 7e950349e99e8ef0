"""Sign-ins (UserSession rows): start one at login, find it from a cookie, end one, the others, or all.

Callers commit. Ending sign-ins also drops their live Socket.IO connections once the transaction
commits (app/realtime/revocation.py).
"""
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.events.revocation import drop_connections, session_room
from app.models import UserSession, hash_token, utcnow


def start_session(session, user, *, lifetime, ip=None, user_agent=None):
    """A new sign-in for `user`, lasting at most `lifetime` (a timedelta) whatever the cookies say."""
    now = utcnow()
    session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at <= now))
    raw = secrets.token_urlsafe(32)
    row = UserSession(user=user, token_hash=hash_token(raw), created_at=now, expires_at=now + lifetime, ip=ip,
                      user_agent=(user_agent or "")[:200] or None)
    session.add(row)
    session.flush()
    return _attach(user, row, raw)


# Built once: every signed-in request runs it.
_BY_TOKEN = sa.select(UserSession).options(joinedload(UserSession.user)).where(
    UserSession.token_hash == sa.bindparam("token_hash"))


def user_for_token(session, raw):
    """The active user signed in under this cookie token, or None (ended, expired, deactivated, unknown)."""
    if not raw:
        return None
    row = session.execute(_BY_TOKEN, {"token_hash": hash_token(str(raw))}).scalar_one_or_none()
    if row is None or row.expires_at <= utcnow() or not row.user.is_active:
        return None
    return _attach(row.user, row, str(raw))


def end_session(session, row):
    """End one sign-in: its session and remember cookies stop working, copies included."""

    session.execute(sa.delete(UserSession).where(UserSession.id == row.id))
    drop_connections(session, session_room(row.id))


def end_sessions(session, user, *, keep=None):
    """End every sign-in of `user` except `keep` (a UserSession, or None for all). Returns how many ended."""

    stmt = sa.select(UserSession.id).where(UserSession.user_id == user.id)
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep.id)
    ids = session.scalars(stmt).all()
    if ids:
        session.execute(sa.delete(UserSession).where(UserSession.id.in_(ids)))
        drop_connections(session, *(session_room(i) for i in ids))
    return len(ids)


def _attach(user, row, raw):
    user.login_session, user.login_session_token = row, raw
    return user
