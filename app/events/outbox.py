"""The durable outbox: published events become WebhookDelivery rows in the transaction that caused them.

app/events.py calls `write_deliveries()` from the session's before_commit
hook, so the rows commit (or roll back) together with the change. One row
per (event, enabled endpoint subscribed to its type), all inserted with one
executemany; the endpoint list is read once per commit, and not at all when
no pending event maps to a webhook type (presence, account.updated, …).
"""
import json
import secrets
import time

import sqlalchemy as sa

from app.batch_sql import prebuilt
from app.events.catalogue import subscribed, webhook_types_for
from app.models import WebhookDelivery, WebhookEndpoint, isoformat, utcnow


def new_message_id():
    """The webhook-id: "msg_" + milliseconds (so ids sort by time) + randomness."""
    return f"msg_{int(time.time() * 1000):012x}{secrets.token_hex(10)}"


def body(event_type, data, timestamp):
    """The exact JSON text that is signed and sent: {"type", "timestamp", "data"}."""
    return json.dumps({"type": event_type, "timestamp": isoformat(timestamp), "data": data},
                      separators=(",", ":"), ensure_ascii=False)


@prebuilt  # asked on every commit that published something
def _enabled_endpoints(_dialect):
    endpoints = WebhookEndpoint.__table__
    return sa.select(endpoints.c.id, endpoints.c.events).where(endpoints.c.enabled.is_(True))


def write_deliveries(session, events):
    """Insert the deliveries of `events` (app.events.publisher.Pending) not yet in the outbox; marks them written."""
    fresh = [evt for evt in events if not evt.in_outbox]
    for evt in fresh:
        evt.in_outbox = True
    typed = [(wtype, evt.data) for evt in fresh for wtype in webhook_types_for(evt.name, evt.data)]
    if not typed:
        return 0
    endpoints = session.execute(_enabled_endpoints(session)).all()
    if not endpoints:
        return 0
    now = utcnow()
    rows = []
    for wtype, data in typed:
        targets = [endpoint_id for endpoint_id, events_filter in endpoints if subscribed(events_filter, wtype)]
        if not targets:
            continue
        payload, message_id = body(wtype, data, now), new_message_id()  # one message, the same id for every endpoint
        rows += [_row(endpoint_id, message_id, wtype, payload, now) for endpoint_id in targets]
    if rows:
        session.execute(sa.insert(WebhookDelivery), rows)
    return len(rows)


def enqueue(session, endpoint_id, event_type, data):
    """One delivery for one endpoint outside the catalogue fan-out (the "send test event" button)."""
    now = utcnow()
    row = _row(endpoint_id, new_message_id(), event_type, body(event_type, data, now), now)
    delivery = WebhookDelivery(**row)
    session.add(delivery)
    session.flush()
    return delivery


def _row(endpoint_id, message_id, event_type, payload, now):
    return {
        "endpoint_id": endpoint_id, "message_id": message_id, "event_type": event_type, "payload": payload,
        "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now,
    }
