"""Messenger push (/hooks/facebook, `messaging` entries): the sandbox's signed `messages` webhooks, with echoes,
stored as private messages through the one ingest path the poller uses, and push and poll of the same messages
stored once, also racing each other from two threads against the real app and database.

The bodies are the sandbox's own (captured by a local receiver, then handed to the app byte for byte with their
signature), or delivered by the sandbox straight to a live Carebox server.
"""
import dataclasses
import json

import pytest
import sqlalchemy as sa

from app.connectors.facebook_items import messaging_event_item
from app.models import Contact, Conversation, Message
from app.sandbox import DEMO_FACEBOOK
from app.sandbox.messenger import PAGE_INBOX_APP_ID
from app.worker.polling import poll_account
from tests.fixtures.polling import assert_stored_exactly_once, connect, reload, stored_ids
from tests.fixtures.sandbox import facebook_account_info
from tests.fixtures.push import (
    FAST_RETRIES, captured, control, deliver, deliver_badly_signed, race_push_and_poll, signed, subscribed, wait_for,
)
from tests.fixtures.push import receiver  # noqa: F401  (fixture)

PAGE = DEMO_FACEBOOK["page_id"]
SECRET = DEMO_FACEBOOK["app_secret"]
PSID = "24000000000000001"
VERIFY = {"CAREBOX_FACEBOOK_VERIFY_TOKEN": "verify-me"}


@pytest.fixture
def messenger(sandbox):
    sandbox.network.reset(FAST_RETRIES)  # the Conversations API keeps its documented 2 calls/s
    return sandbox


def subscribe(sandbox, url):
    """The demo page's pushes to `url`, the handshake done."""
    subscribed(sandbox, PAGE, url)


def customer_writes(sandbox, text, psid=PSID, name="Ann Lee"):
    return sandbox.network.messenger.customer_message(PAGE, text, {"id": psid, "name": name})


def events_of(raw):
    return [event for entry in json.loads(raw)["entry"] for event in entry.get("messaging", [])]


def messages(db, account_id):
    db.session.commit()
    return db.session.scalars(sa.select(Message).where(Message.account_id == account_id).order_by(Message.id)).all()


@pytest.mark.config(**VERIFY)
def test_signed_messages_pushed_by_the_sandbox_are_stored_as_private_messages(app, db, live_server, messenger):
    account = connect(db, messenger, "facebook")
    subscribe(messenger, f"{live_server.url}/hooks/facebook")
    asked = [customer_writes(messenger, "Where is my order? 🙂"), customer_writes(messenger, "<b>order 1234</b>")]
    wait_for(lambda: len(stored_ids(db, account.id)) == 2, "both messages stored")

    stored = messages(db, account.id)
    assert [m.external_id for m in stored] == [m.id for m in asked]
    assert [m.text for m in stored] == ["Where is my order? 🙂", "<b>order 1234</b>"]  # stored as written
    conversation = db.session.get(Conversation, stored[0].conversation_id)
    assert conversation.channel == "private" and conversation.network == "facebook"
    assert {m.conversation_id for m in stored} == {conversation.id}
    assert all(m.direction == "inbound" and m.author_external_id == PSID for m in stored)
    assert stored[0].created_at.replace(tzinfo=None) == asked[0].created_time.replace(microsecond=0, tzinfo=None)
    contact = db.session.get(Contact, conversation.contact_id)
    assert contact.external_id == PSID
    (delivery, *_) = control(messenger, "GET", "/push-subscriptions").json()["deliveries"]
    assert delivery["outcome"] == "delivered"


def test_echoes_are_brand_messages_whichever_app_sent_them(app, db, client, messenger, receiver):
    connect(db, messenger, "facebook")
    subscribe(messenger, receiver.url)
    from app.connectors import FacebookConnector

    customer_writes(messenger, "Is anyone there?")
    sent = FacebookConnector(facebook_account_info(messenger.url), timeout=5).send_private(PSID, "Yes! Sent from Carebox")
    native = messenger.network.messenger.page_inbox_message(PAGE, PSID, "Answered from the Page inbox")
    pushes = captured(receiver, 3)
    (ours,), (inbox,) = events_of(pushes[1][0]), events_of(pushes[2][0])
    assert ours["message"]["app_id"] == int(DEMO_FACEBOOK["app_id"]) and inbox["message"]["app_id"] == PAGE_INBOX_APP_ID
    for event, mid in ((ours, sent.external_id), (inbox, native.id)):
        item = messaging_event_item(event, PAGE)
        assert (item.external_id, item.from_brand, item.channel, item.network) == (mid, True, "private", "facebook")
        assert item.author is None and item.counterpart.external_id == PSID
    for raw, signature in pushes:
        assert deliver(client, raw, signature).status_code == 200


def test_a_native_echo_is_stored_as_a_native_answer_in_the_customers_private_conversation(
        app, db, client, messenger, receiver):
    account = connect(db, messenger, "facebook")
    subscribe(messenger, receiver.url)
    question = customer_writes(messenger, "Is anyone there?")
    native = messenger.network.messenger.page_inbox_message(PAGE, PSID, "Answered from the Page inbox")
    for raw, signature in captured(receiver, 2):
        assert deliver(client, raw, signature).status_code == 200
    stored = {m.external_id: m for m in messages(db, account.id)}
    answer = stored[native.id]
    assert (answer.direction, answer.is_native) == ("outbound", True)
    assert answer.conversation_id == stored[question.id].conversation_id


BAD = ["wrong secret", "tampered body", "missing", "another page"]


@pytest.mark.parametrize("case", BAD)
def test_bad_signatures_store_nothing(app, db, client, messenger, receiver, case):
    account = connect(db, messenger, "facebook")
    subscribe(messenger, receiver.url)
    customer_writes(messenger, "my address is 1 Main St")
    ((raw, signature),) = captured(receiver, 1)
    resp = deliver_badly_signed(client, raw, signature, case, secret=SECRET, stranger_id="999")
    assert resp.status_code in (401, 403)
    assert messages(db, account.id) == []


def test_delivery_read_postback_and_reaction_events_are_acknowledged_and_ignored(app, db, client, messenger):
    account = connect(db, messenger, "facebook")
    comment = messenger.network.inject_comment(PAGE, "public question", author={"id": "5001", "name": "Olga"})
    base = {"sender": {"id": PSID}, "recipient": {"id": PAGE}, "timestamp": 1700000000000}
    events = [
        {**base, "delivery": {"mids": ["m_1"], "watermark": 1700000000000}},
        {**base, "read": {"watermark": 1700000000000}},
        {**base, "postback": {"title": "Start", "payload": "GET_STARTED", "mid": "m_2"}},
        {**base, "reaction": {"reaction": "love", "action": "react", "mid": "m_3"}},
        {**base, "message": {"mid": "m_4", "is_deleted": True}},
        "not an event",
    ]
    feed = {"field": "feed", "value": {
        "from": comment.author, "post_id": comment.post_id, "comment_id": comment.id, "parent_id": comment.post_id,
        "created_time": int(comment.created_time.timestamp()), "item": "comment", "verb": "add",
        "message": comment.message}}
    body = {"object": "page", "entry": [{"id": PAGE, "time": 1700000000000, "messaging": events},
                                        {"id": PAGE, "time": 1700000000000, "changes": [feed]}]}
    resp = deliver(client, *signed(body, SECRET))
    assert resp.status_code == 200 and resp.data == b"EVENT_RECEIVED"
    assert [m.external_id for m in messages(db, account.id)] == [comment.id]  # the feed change still works


def test_push_and_poll_map_messages_identically_and_store_them_once(app, db, client, messenger, receiver):
    account = connect(db, messenger, "facebook")
    subscribe(messenger, receiver.url)
    asked = [customer_writes(messenger, f"question {n}") for n in range(3)]
    photo = customer_writes(messenger, "", psid="24000000000000002", name="Bo")  # an attachment alone
    pushes = captured(receiver, 4)

    from app.connectors import FacebookConnector

    polled = {i.external_id: i for i in FacebookConnector(facebook_account_info(messenger.url), timeout=5)
              .fetch({}).items if i.channel == "private"}
    assert set(polled) == {m.id for m in [*asked, photo]}
    for raw, _ in pushes:
        for event in events_of(raw):
            pushed = messaging_event_item(event, PAGE)
            # Field for field, but for the name: a webhook names nobody.
            unnamed = dataclasses.replace(polled[pushed.external_id],
                                          author=dataclasses.replace(polled[pushed.external_id].author, name=None))
            assert pushed == unnamed

    for raw, signature in pushes:
        assert deliver(client, raw, signature).status_code == 200
    assert poll_account(app, account.id, "worker") == "ok:0"  # the poll finds them stored already
    assert_stored_exactly_once(db, account.id, [m.id for m in [*asked, photo]])


def test_polled_first_then_pushed_is_not_stored_twice(app, db, client, messenger, receiver):
    account = connect(db, messenger, "facebook")
    subscribe(messenger, receiver.url)
    asked = [customer_writes(messenger, f"question {n}") for n in range(3)]
    pushes = captured(receiver, 3)
    assert poll_account(app, account.id, "worker") == "ok:3"
    health = reload(db, account.id).rate_limits  # shown in the account's health
    assert {"feed", "conversations"} <= set(health) and health["conversations"]["limit"] == 100
    for raw, signature in pushes:
        assert deliver(client, raw, signature).status_code == 200
    assert_stored_exactly_once(db, account.id, [m.id for m in asked])
    names = db.session.scalars(sa.select(Contact.name).where(Contact.external_id == PSID)).all()
    assert names == ["Ann Lee"]  # the poll named the customer; the push did not unname them


@pytest.mark.config(**VERIFY)
def test_push_and_poll_racing_from_two_threads_store_each_message_once(app, db, live_server, messenger, receiver):
    account = connect(db, messenger, "facebook")
    subscribe(messenger, receiver.url)  # captured, then delivered to the live server in step with a poll
    expected = []
    for round_number in range(4):
        delivered = len(expected)
        expected += [customer_writes(messenger, f"round {round_number} message {n}", psid=f"2400000000000{n:04d}").id
                     for n in range(5)]
        race_push_and_poll(app, db, live_server, receiver, account.id, expected, delivered, f"worker-{round_number}")
    conversations = db.session.scalars(sa.select(Conversation).where(Conversation.account_id == account.id)).all()
    assert len(conversations) == 5 and {c.channel for c in conversations} == {"private"}
