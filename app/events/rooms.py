"""Moving live Socket.IO connections in and out of rooms when the access behind them changes, on every node.

A member added to a team must hear its conversations at once, and one removed must stop hearing them,
without reconnecting. Code that changes membership queues it on the database session with
`move_connections(session, user_ids, enter=[rooms], leave=[rooms])`; once the transaction commits,
every connection of those users ("user:<id>" rooms) joins or leaves the rooms, here and, through the
Redis message queue, on every other node (RoomMembership). Nothing happens if the transaction rolls back.
"""
import logging

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.events.catalogue import USER
from app.extensions import socketio

log = logging.getLogger(__name__)

PENDING_KEY = "carebox_moved_connections"


def move_connections(session, user_ids, *, enter=(), leave=()):
    """Once `session` commits, every connection of `user_ids` joins the rooms `enter` and leaves `leave`."""
    if user_ids and (enter or leave):
        pending = session.info.setdefault(PENDING_KEY, [])
        pending.extend((USER.format(user_id=u), tuple(enter), tuple(leave)) for u in user_ids)


def move_now(moves):
    """[(the room whose connections move, rooms to enter, rooms to leave)], on every node."""
    server = socketio.server
    if server is None:
        return
    manager = server.manager
    for members_of, enter, leave in moves:
        try:
            if isinstance(manager, RoomMembership):
                manager.move_room_members(members_of, enter, leave)
            else:  # one process: every connection is here
                _move_here(manager, members_of, enter, leave)
        except Exception:  # a broken message queue must not undo the change that committed
            log.exception("could not move the connections of %s", members_of)


def _move_here(manager, members_of, enter, leave, namespace="/"):
    for sid, eio_sid in list(manager.get_participants(namespace, members_of)):
        for room in enter:
            manager.basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        for room in leave:
            manager.basic_leave_room(sid, namespace, room)


class RoomMembership:
    """For python-socketio's PubSubManager: move the members of one room in and out of others, on every node.

    The library moves one client anywhere (by sid); a membership change moves every connection of a user,
    wherever it is. This sends the library's own "enter_room" message with no sid and the room whose
    members move; each node moves its members of that room. A node without this mixin finds no client
    with sid None and ignores it.
    """

    def move_room_members(self, members_of, enter, leave, namespace="/"):
        message = {"method": "enter_room", "sid": None, "room": None, "members_of": members_of,
                   "enter": list(enter), "leave": list(leave), "namespace": namespace, "host_id": self.host_id}
        self._handle_enter_room(message)  # this node
        self._publish(message)  # the others

    def _handle_enter_room(self, message):
        members_of = message.get("members_of")
        if members_of is None:
            return super()._handle_enter_room(message)
        if self.server is None:  # a write-only publisher (CLI, worker) has no clients of its own
            return None
        _move_here(self, members_of, message.get("enter") or (), message.get("leave") or (),
                   message.get("namespace") or "/")
        return None


def _after_commit(session):
    moves = session.info.pop(PENDING_KEY, None)
    if moves:
        move_now(moves)


def _after_soft_rollback(session, previous_transaction):
    if previous_transaction.parent is None:
        session.info.pop(PENDING_KEY, None)


def init_app(app):
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)
