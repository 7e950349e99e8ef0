"""The webhook event catalogue (DESIGN.md) and how published events map onto it.

The one publisher (app/events.py) speaks in Socket.IO event names; webhooks
speak in the catalogue's types. `webhook_types()` translates one published
event into the types it becomes (usually one, often none).
"""
EVENT_TYPES = {
    "conversation.created": "A customer's first message opened a conversation.",
    "conversation.updated": "Status, priority, tags or assignee changed; `changes` says what changed.",
    "message.received": "A customer message arrived (polled, pushed or sent to POST /messages).",
    "message.sent": "A reply went out: sent from Carebox, or made natively on the network and seen by the poller.",
    "message.failed": "A reply could not be delivered to the network.",
    "sla.warning": "A conversation's response clock passed its warning time.",
    "sla.breached": "A conversation's response clock passed its breach time.",
    "account.unhealthy": "An account's poller keeps failing.",
    "account.recovered": "An unhealthy account polls successfully again.",
}
TEST_EVENT_TYPE = "webhook.test"  # sent to one endpoint by "send test event"; not part of the catalogue


def webhook_types(event_type, data):
    """The catalogue types a published event becomes."""
    if event_type in ("conversation.created", "conversation.updated", "account.unhealthy", "account.recovered"):
        return [event_type]
    if event_type == "message.created":
        message = data.get("message") or {}
        if message.get("direction") == "inbound":
            return ["message.received"]
        if message.get("direction") == "outbound" and message.get("delivery_status") == "sent":
            return ["message.sent"]  # a native brand reply; replies sent from Carebox arrive as message.updated
        return []
    if event_type == "message.updated":
        status = _changed_to(data, "delivery_status")
        return {"sent": ["message.sent"], "failed": ["message.failed"]}.get(status, [])
    if event_type == "sla.changed":
        return {"warning": ["sla.warning"], "breached": ["sla.breached"]}.get(data.get("to"), [])
    return []


def _changed_to(data, field):
    changes = data.get("changes")
    if isinstance(changes, dict):
        change = changes.get(field)
        return change.get("to") if isinstance(change, dict) else None
    return (data.get("message") or {}).get(field)  # no change list given: the state it is in now


def subscribed(endpoint_events, event_type):
    """An endpoint with no event list receives every type."""
    return not endpoint_events or event_type in endpoint_events
