"""Socket.IO: authenticated connections that join rooms by permission, and presence.

A connection needs the browser session or `auth={"token": "<api token>"}`;
anything else is refused, and failed token attempts are braked per address
like the API's. Rooms: STAFF for every signed-in user, MANAGERS for managers
and admins, "team:<id>" for each of the user's teams (events about that team's
conversations, app/teams), "user:<id>" for events meant for one person, and "session:<id>"
or "token:<id>" for the credential behind the connection, so that ending it
disconnects exactly its connections, on every node (app/realtime/revocation.py).
Client events: "view" {conversation_id|null} and "typing" {conversation_id, typing};
"presence" (no data) answers, by acknowledgement, with everyone's presence. Presence
follows the conversation's team like every other event: no one hears who views or
types in a conversation they may not see, nor may they announce themselves in one.
"""
import sqlalchemy as sa
from flask import current_app, request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room

from app.auth.guard import guarded_token
from app.auth.throttle import Throttled
from app.events import MANAGERS, STAFF, emit_now
from app.events import rooms
from app.events.catalogue import conversation_rooms, team_room
from app.events.revocation import session_room, token_room, user_room  # noqa: F401  (user_room: callers')
from app.extensions import db, socketio
from app.metrics import SOCKET_CONNECTIONS
from app.models import Conversation, User
from app.realtime.presence import presence_for
from app.teams import can_see, team_ids_of, visible_clause


def current_presence():
    return current_app.extensions["carebox_presence"]


def _authenticate(auth):
    """(the user behind this connection, the room of its credential), or (None, None)."""
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        if user.login_session is not None:
            return user, session_room(user.login_session.id)
    token_value = auth.get("token") if isinstance(auth, dict) else None
    if token_value:
        try:
            token = guarded_token(str(token_value), request.remote_addr)
        except Throttled:
            raise ConnectionRefusedError("too many invalid tokens from this address") from None
        if token is not None and token.has_scope("read"):
            return token.user, token_room(token.id)
    return None, None


def on_connect(auth=None):
    try:
        user, credential_room = _authenticate(auth)
        if user is None:
            raise ConnectionRefusedError("authentication required")
        sid = request.sid
        join_room(STAFF, sid=sid)
        if user.has_role("manager"):
            join_room(MANAGERS, sid=sid)
        for team_id in team_ids_of(db.session, user):
            join_room(team_room(team_id), sid=sid)
        join_room(user_room(user.id), sid=sid)
        join_room(credential_room, sid=sid)
        current_presence().connect(sid, user.id, user.name)
        SOCKET_CONNECTIONS.inc()
    finally:
        db.session.remove()
    return True


def on_disconnect(*_args):
    SOCKET_CONNECTIONS.dec()
    changed = current_presence().disconnect(request.sid)
    if changed is not None:
        _broadcast(changed)


def _conversation_id(data):
    value = data.get("conversation_id") if isinstance(data, dict) else None
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _visible(conversation_id):
    """`conversation_id` when the user behind this connection may see it, else None."""
    if conversation_id is None:
        return None
    try:
        user = db.session.get(User, current_presence().user_id(request.sid) or 0)
        conversation = db.session.get(Conversation, conversation_id)
        return conversation_id if conversation is not None and can_see(db.session, user, conversation) else None
    finally:
        db.session.remove()


def on_view(data):
    conversation_id = _visible(_conversation_id(data))
    for changed in current_presence().view(request.sid, conversation_id):
        _broadcast(changed)
    return current_presence().snapshot(conversation_id) if conversation_id is not None else None


def on_typing(data):
    conversation_id = _visible(_conversation_id(data))
    if conversation_id is None:
        return None
    if current_presence().typing(request.sid, conversation_id, bool(data.get("typing"))):
        _broadcast(conversation_id)
    return None


def on_presence_sync(*_args):
    snapshots = current_presence().all_snapshots()
    ids = [s["conversation_id"] for s in snapshots]
    if not ids:
        return snapshots
    try:
        user = db.session.get(User, current_presence().user_id(request.sid) or 0)
        if user is None:
            return []
        seen = sa.select(Conversation.id).where(Conversation.id.in_(ids))
        clause = visible_clause(user)
        visible = set(db.session.scalars(seen if clause is None else seen.where(clause)))
    finally:
        db.session.remove()
    return [s for s in snapshots if s["conversation_id"] in visible]


def _broadcast(conversation_id):
    try:
        team_id = db.session.scalar(sa.select(Conversation.team_id).where(Conversation.id == conversation_id))
    finally:
        db.session.remove()
    emit_now("presence", current_presence().snapshot(conversation_id), room=conversation_rooms(team_id))


class UncompressedWebSockets:
    """WSGI middleware: websockets open without permessage-deflate, whatever the browser offers.

    Every browser offers it, and simple-websocket accepts any offer; then each event is deflated once
    per connected agent (200 agents: 200 compressions of the same text) and each connection keeps its
    own zlib state: bench/fanout.py (whose agents offer deflate, as browsers do) showed it costing more
    than the rest of the fan-out. Socket.IO's own server leaves it off by default for the same reason. Events are small JSON; the bandwidth saved is not worth a core.
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)  # simple-websocket builds its handshake from these
        return self.wsgi_app(environ, start_response)


def init_app(app):
    app.wsgi_app = UncompressedWebSockets(app.wsgi_app)  # outside Flask-SocketIO's middleware: it sees the change
    rooms.init_app(app)
    app.extensions["carebox_presence"] = presence_for(app.config["REDIS_URL"], app.config["CAREBOX_SOCKETIO_CHANNEL"])
    socketio.on_event("connect", on_connect)
    socketio.on_event("disconnect", on_disconnect)
    socketio.on_event("view", on_view)
    socketio.on_event("typing", on_typing)
    socketio.on_event("presence", on_presence_sync)
