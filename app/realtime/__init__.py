"""Socket.IO: authenticated connections that join rooms by permission.

A connection needs the browser session or `auth={"token": "<api token>"}`;
anything else is refused. Rooms: STAFF for every signed-in user, MANAGERS
for managers and admins, and "user:<id>" for events meant for one person.
"""
from flask import request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room

from app.events import MANAGERS, STAFF
from app.extensions import db, socketio


def user_room(user_id):
    return f"user:{user_id}"


def _authenticate(auth):
    """The user behind this connection, or None."""
    if current_user.is_authenticated:
        return current_user._get_current_object()
    token_value = auth.get("token") if isinstance(auth, dict) else None
    if token_value:
        from app.auth.guard import token_from_value

        token = token_from_value(str(token_value))
        if token is not None and token.has_scope("read"):
            return token.user
    return None


def on_connect(auth=None):
    user = _authenticate(auth)
    if user is None:
        raise ConnectionRefusedError("authentication required")
    sid = request.sid
    join_room(STAFF, sid=sid)
    if user.has_role("manager"):
        join_room(MANAGERS, sid=sid)
    join_room(user_room(user.id), sid=sid)
    db.session.remove()
    return True


def init_app(app):
    socketio.on_event("connect", on_connect)
