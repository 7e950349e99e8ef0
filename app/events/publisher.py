"""The one event publisher: Socket.IO rooms and the webhook outbox.

Every event (declared in app/events/catalogue.py) goes through `publish()`. Events are attached to the
current database transaction and fan out only once it commits, so listeners never hear of a change
that was rolled back, and a change that committed is always heard of. Fan-out: Socket.IO rooms
(through the Redis message queue when REDIS_URL is set), and the webhook outbox
(app/webhooks/outbox.py), whose rows are written just before the session commits, in the same
transaction. `emit_now()` is for what is not a change in the database (presence).
"""
import logging
from contextlib import nullcontext
from dataclasses import dataclass

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

from app.events import catalogue
from app.events.catalogue import STAFF, conversation_rooms
from app.events.outbox import write_deliveries
from app.extensions import socketio

log = logging.getLogger(__name__)

PENDING_KEY = "carebox_pending_events"


@dataclass
class Pending:
    name: str
    data: dict
    room: str | list
    in_outbox: bool = False  # its webhook deliveries are written (app/webhooks/outbox.py)


def publish(session, name, data, *, room=None):
    """Queue event `name` on `session`; it is emitted after the session commits. `room` defaults to the
    catalogue's audience for the event, narrowed to the conversation's viewers (audience())."""
    declared = _declared(name, data)
    real = session() if isinstance(session, scoped_session) else session
    if not real.in_transaction():
        real.begin()  # so a rollback before any SQL still discards the event
    session.info.setdefault(PENDING_KEY, []).append(Pending(name, data, room or audience(declared, data)))


def audience(declared, data):
    """The rooms an event goes to. One for all staff about a conversation goes only to those who see it:
    its team's room and the managers', or all staff when it is unrouted; one that moves it between teams
    also reaches the team it left (app/teams)."""
    conversation = data.get("conversation") if isinstance(data, dict) else None
    if declared.room != STAFF or not isinstance(conversation, dict):
        return declared.room
    change = ((data.get("changes") or {}).get("team_id")) or {}
    previous = (change["from"],) if isinstance(change, dict) and "from" in change else ()
    return conversation_rooms(conversation.get("team_id"), *previous)


def emit_now(name, data, *, room=None):
    """Send a Socket.IO event at once, outside any transaction (presence). `room` may be a list."""
    declared = _declared(name, data)
    _emit(Pending(name, data, room or declared.room))


def _declared(name, data):
    declared = catalogue.event(name)
    if has_app_context() and current_app.config.get("CAREBOX_CHECK_EVENT_PAYLOADS"):
        catalogue.check_payload(name, data)
    return declared


def _emit(pending):
    try:
        socketio.emit(pending.name, pending.data, to=pending.room)
    except Exception:  # a broken message queue must not break the request that committed
        log.exception("could not emit %s", pending.name)


def _before_commit(session):
    pending = session.info.get(PENDING_KEY)
    if pending:
        write_deliveries(session, pending)


def _after_commit(session):
    pending = session.info.pop(PENDING_KEY, [])
    if not pending:
        return
    with _publishing_together():  # one round trip to the message queue for the whole commit
        for evt in pending:
            _emit(evt)


def _publishing_together():
    manager = getattr(socketio.server, "manager", None)
    together = getattr(manager, "publishing_together", None)  # RedisQueue (app/realtime/queue.py) has it
    return together() if together is not None else nullcontext()


def _after_soft_rollback(session, previous_transaction):
    # Any rollback of the outermost transaction (even one that never reached the database)
    # drops its events; a savepoint's rollback leaves the rest of the transaction's events alone.
    if previous_transaction.parent is None:
        session.info.pop(PENDING_KEY, None)


def init_app(app):
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)
    if not event.contains(Session, "before_commit", _before_commit):
        event.listen(Session, "before_commit", _before_commit)
