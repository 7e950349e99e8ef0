"""The event catalogue: which published events become which webhook types, end to end where the app emits them."""
import json

import jsonschema_rs
import pytest

from app import events
from app.events.catalogue import webhook_types_for
from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import Conversation, SocialAccount
from app.serialize import conversation_summary
from tests.conftest import writing
from tests.fixtures.webhook_receiver import receiver  # noqa: F401  (fixture)
from tests.webhook_helpers import deliveries, push_messages, register, run_worker


@pytest.mark.parametrize("event_type, data, expected", [
    ("conversation.created", {"conversation": {}}, ["conversation.created"]),
    ("conversation.updated", {"conversation": {}, "changes": {"status": {"from": "open", "to": "resolved"}}},
     ["conversation.updated"]),
    ("conversation.updated", {"conversation": {}, "changes": {"moved_to_id": {"from": None, "to": 7}}},
     ["conversation.updated", "conversation.moved"]),
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


def _public_and_private(db, account):
    """A customer's public conversation and their private one (ids), as ingest opens them."""
    with writing(db) as session:
        account = session.get(SocialAccount, account.id)
        (public,) = ingest(session, account, [InboundItem("pub-1", "my order is late", author=InboundAuthor("c1"))])
        (private,) = ingest(session, account, [InboundItem("dm-1", "order 42", author=InboundAuthor("c1"),
                                                            channel="private")])
    return public.conversation_id, private.conversation_id


def _publish_move(db, public_id, private_id):
    """Link the rows and publish what a move publishes (the move service itself is built elsewhere)."""
    with writing(db) as session:
        conv = session.get(Conversation, public_id)
        conv.moved_to_id = private_id
        session.flush()
        events.publish(session, "conversation.updated", {
            "conversation": conversation_summary(conv, session=session),
            "changes": {"moved_to_id": {"from": None, "to": private_id}}})


def test_a_move_to_dm_is_one_conversation_moved_delivery_matching_the_documented_schema(
        app, db, client, custom_account, receiver):
    register(db, receiver, events=["conversation.moved"])
    public_id, private_id = _public_and_private(db, custom_account)
    _publish_move(db, public_id, private_id)
    run_worker(app, passes=2)

    (delivery,) = deliveries(db)  # the customer's messages are not conversation.moved: only the move
    assert delivery.event_type == "conversation.moved"
    (got,) = receiver.requests
    assert got.verified and got.payload["type"] == "conversation.moved"
    data = got.payload["data"]
    assert data["conversation"]["id"] == public_id and data["conversation"]["moved_to_id"] == private_id
    assert data["conversation"]["channel"] == "public"
    assert data["changes"] == {"moved_to_id": {"from": None, "to": private_id}}

    doc = client.get("/api/v1/openapi.json").json
    operation = doc["webhooks"]["conversation.moved"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    validator = jsonschema_rs.validator_for({"$ref": ref, "components": doc["components"]})
    assert [e.message for e in validator.iter_errors(got.payload)] == []
    assert not validator.is_valid({**got.payload, "type": "conversation.updated"})  # the type is the schema's own


def test_a_subscriber_to_everything_gets_the_update_and_the_move_once_each(app, db, custom_account, receiver):
    public_id, private_id = _public_and_private(db, custom_account)
    register(db, receiver)  # every type, from now on
    _publish_move(db, public_id, private_id)
    run_worker(app, passes=2)
    assert sorted(d.event_type for d in deliveries(db)) == ["conversation.moved", "conversation.updated"]
    assert sorted(r.payload["type"] for r in receiver.requests) == ["conversation.moved", "conversation.updated"]
