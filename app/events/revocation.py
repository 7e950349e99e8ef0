"""Ending live Socket.IO connections when the access behind them ends, on every web node.

Each connection joins one room per credential behind it: "user:<id>" (every connection of that
user), and "session:<id>" (a sign-in, when the browser session authenticated it) or "token:<id>"
(an API token). Code that revokes access queues those rooms on the database session with
`drop_connections`; once the transaction commits, every connection in them is disconnected, here
and, through the Redis message queue, on every other node (RoomDisconnects). Reconnecting then
authenticates afresh, and a revoked credential is refused.
"""
import logging

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.events.catalogue import USER
from app.extensions import socketio

log = logging.getLogger(__name__)

PENDING_KEY = "carebox_dropped_rooms"


def user_room(user_id):
    return USER.format(user_id=user_id)


def session_room(session_id):
    return f"session:{session_id}"


def token_room(token_id):
    return f"token:{token_id}"


def drop_connections(session, *rooms):
    """Disconnect everyone in `rooms` once `session` commits (nothing happens if it rolls back)."""
    session.info.setdefault(PENDING_KEY, set()).update(rooms)


def disconnect_rooms(rooms):
    """Disconnect every connection in these rooms now, on every node."""
    server = socketio.server
    if server is None:
        return
    manager = server.manager
    for room in rooms:
        try:
            if isinstance(manager, RoomDisconnects):
                manager.disconnect_room(room)
            else:  # one process: every connection is here
                for sid, _eio_sid in list(manager.get_participants("/", room)):
                    server.disconnect(sid, namespace="/")
        except Exception:  # a broken message queue must not undo the revocation that committed
            log.exception("could not disconnect room %s", room)


class RoomDisconnects:
    """For python-socketio's PubSubManager: disconnect a whole room on every node.

    The library disconnects one client anywhere (by sid) and empties a room everywhere (close_room)
    without disconnecting anyone; revocation needs the connections of a user, a sign-in or a token,
    wherever they are. This sends the library's own "disconnect" message with a room in place of
    the sid; each node disconnects its members of that room. A node without this mixin finds no
    client with sid None and ignores it.
    """

    def disconnect_room(self, room, namespace="/"):
        message = {"method": "disconnect", "sid": None, "room": room, "namespace": namespace,
                   "host_id": self.host_id}
        self._handle_disconnect(message)  # this node
        self._publish(message)  # the others

    def _handle_disconnect(self, message):
        room = message.get("room")
        if room is None:
            return super()._handle_disconnect(message)
        if self.server is None:  # a write-only publisher (CLI, worker) has no clients of its own
            return None
        namespace = message.get("namespace") or "/"
        for sid, _eio_sid in list(self.get_participants(namespace, room)):
            self.server.disconnect(sid, namespace=namespace, ignore_queue=True)
        return None


def _after_commit(session):
    rooms = session.info.pop(PENDING_KEY, None)
    if rooms:
        disconnect_rooms(sorted(rooms))


def _after_soft_rollback(session, previous_transaction):
    if previous_transaction.parent is None:
        session.info.pop(PENDING_KEY, None)


def init_app(app):
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)
