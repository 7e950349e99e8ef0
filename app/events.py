"""The one event publisher.

Every domain event (conversation.created, message.created, sla.changed, …)
goes through `publish()`. Events are attached to the current database
transaction and fan out only once it commits, so listeners never hear of a
change that was rolled back, and a change that committed is always heard of.
Fan-out: Socket.IO rooms (through the Redis message queue when REDIS_URL
is set), and the webhook outbox (app/webhooks/outbox.py), whose rows are
written just before the session commits, in the same transaction.
"""
import logging
from contextlib import nullcontext
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

from app.extensions import socketio

log = logging.getLogger(__name__)

PENDING_KEY = "carebox_pending_events"

# Event data shapes (the same dicts as the REST API, app/serialize.py):
#   conversation.created  {"conversation"}
#   conversation.updated  {"conversation", "changes": {field: {"from", "to"}}}
#   message.created       {"conversation", "message"}
#   message.updated       {"conversation", "message", "changes"}   (delivery state of a reply)
#   sla.changed           {"conversation", "clock", "from", "to"}
#   account.updated / account.unhealthy / account.recovered   {"account", "previous_health"}
#   presence              {"conversation_id", "viewers", "typers"}   (Socket.IO only)

# Socket.IO rooms. Every signed-in staff member joins STAFF; managers and admins also join MANAGERS.
STAFF = "staff"
MANAGERS = "managers"


@dataclass
class Event:
    type: str
    data: dict
    room: str = STAFF
    extra_rooms: list = field(default_factory=list)
    in_outbox: bool = False  # its webhook deliveries are written (app/webhooks/outbox.py)


def publish(session, event_type, data, *, room=STAFF):
    """Queue an event on `session`; it is emitted after the session commits."""
    real = session() if isinstance(session, scoped_session) else session
    if not real.in_transaction():
        real.begin()  # so a rollback before any SQL still discards the event
    session.info.setdefault(PENDING_KEY, []).append(Event(event_type, data, room))


def emit_now(evt):
    try:
        socketio.emit(evt.type, evt.data, to=evt.room)
    except Exception:  # a broken message queue must not break the request that committed
        log.exception("could not emit %s", evt.type)


def _before_commit(session):
    pending = session.info.get(PENDING_KEY)
    if pending:
        from app.webhooks.outbox import write_deliveries

        write_deliveries(session, pending)


def _after_commit(session):
    pending = session.info.pop(PENDING_KEY, [])
    if not pending:
        return
    with _publishing_together():  # one round trip to the message queue for the whole commit
        for evt in pending:
            emit_now(evt)


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
