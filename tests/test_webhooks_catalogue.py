"""The event catalogue: which published events become which webhook types, end to end where the app emits them."""
import json

import pytest

from app.events.catalogue import webhook_types_for
from tests.fixtures.webhook_receiver import receiver  # noqa: F401  (fixture)
from tests.webhook_helpers import deliveries, push_messages, register, run_worker


@pytest.mark.parametrize("event_type, data, expected", [
    ("conversation.created", {"conversation": {}}, ["conversation.created"]),
    ("conversation.updated", {"conversation": {}, "changes": {"status": {"from": "open", "to": "resolved"}}},
     ["conversation.updated"]),
    ("message.created", {"message": {"direction": "inbound"}}, ["message.received"]),
    ("message.created", {"message": {"direction": "outbound", "delivery_status": "sent", "is_native": True}},
     ["message.sent"]),
    ("message.created", {"message": {"direction": "outbound", "delivery_status": "queued"}}, []),
    ("message.created", {"message": {"direction": "note"}}, []),  # private notes never leave Carebox
    ("message.updated", {"message": {}, "changes": {"delivery_status": {"from": "sending", "to": "sent"}}},
     ["message.sent"]),
    ("message.updated", {"message": {}, "changes": {"delivery_status": {"from": "sending", "to": "failed"}}},
     ["message.failed"]),
    ("message.updated", {"message": {}, "changes": {"delivery_status": {"from": "queued", "to": "sending"}}}, []),
    ("sla.changed", {"from": "ok", "to": "warning"}, ["sla.warning"]),
    ("sla.changed", {"from": "warning", "to": "breached"}, ["sla.breached"]),
    ("account.unhealthy", {"account": {}}, ["account.unhealthy"]),
    ("account.recovered", {"account": {}}, ["account.recovered"]),
    ("account.updated", {"account": {}}, []),
    ("presence", {}, []),
    ("notification", {}, []),
])
def test_mapping(event_type, data, expected):
    assert webhook_types_for(event_type, data) == expected


def test_conversation_updated_says_what_changed(app, db, client, make_user, make_token, custom_account, receiver):
    token = make_token(make_user("agent"))
    push_messages(client, token, custom_account, 1)
    register(db, receiver, events=["conversation.updated"])
    conv_id = client.get("/api/v1/conversations", headers={"Authorization": f"Bearer {token}"}).json["items"][0]["id"]
    resp = client.patch(f"/api/v1/conversations/{conv_id}", headers={"Authorization": f"Bearer {token}"},
                        json={"priority": "urgent", "tags": ["refund"]})
    assert resp.status_code == 200, resp.json
    run_worker(app)
    (got,) = receiver.requests
    assert got.verified and got.payload["type"] == "conversation.updated"
    assert got.payload["data"]["changes"]["priority"] == {"from": "normal", "to": "urgent"}
    assert got.payload["data"]["conversation"]["tags"] == ["refund"]
    assert json.loads(deliveries(db)[0].payload)["data"]["conversation"]["id"] == conv_id
