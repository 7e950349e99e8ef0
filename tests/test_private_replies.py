"""Replies in private conversations (X DMs, Messenger) through the real connectors to the sandbox network:
delivery states, the networks' limits, Messenger's window and the human-agent tag, X customers who refuse DMs,
and the duplicate-reply guard."""
from datetime import datetime, timedelta, timezone

import pytest
import requests
import sqlalchemy as sa

from app.accounts import lock_accounts
from app.connectors import connector_for
from app.connectors.base import AccountInfo, RejectedError
from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import Contact, Conversation, Message, SocialAccount
from app.sandbox import DEMO_FACEBOOK, DEMO_X
from tests.conftest import writing
from tests.test_replies import auth, connect, wait_for_status

JANE = {"id": "777", "username": "jane_doe", "name": "Jane Doe"}
PSID = "24000000000000001"
PAGE = DEMO_FACEBOOK["page_id"]
FINAL = {"sent", "failed", "unknown"}


def control(sandbox, method, path, **kwargs):
    resp = requests.request(method, f"{sandbox.url}/_sandbox{path}", timeout=5, **kwargs)
    assert resp.status_code < 300, resp.text
    return resp.json()


def ago(**delta):
    return datetime.now(timezone.utc) - timedelta(**delta)


def store_private(db, account, external_id, text, author, created_at):
    """Store a customer DM as the poller or a push would (the one ingest path), on the private channel."""
    with writing(db) as session:
        locked = lock_accounts(session, [account.id])[account.id]
        (result,) = ingest(session, locked, [InboundItem(
            external_id=external_id, text=text, created_at=created_at, channel="private",
            author=InboundAuthor(external_id=author["id"], handle=author.get("username"), name=author.get("name")),
        )])
    db.session.expire_all()
    return db.session.get(Conversation, result.conversation_id), db.session.get(Message, result.message_id)


def x_customer_dms(db, sandbox, account, text="I sent you my order number here", created_at=None):
    sent = control(sandbox, "POST", "/dms", json={
        "text": text, "author": JANE, **({"created_at": created_at.isoformat()} if created_at else {})})
    return store_private(db, account, sent["id"], text, JANE, created_at or datetime.now(timezone.utc))


def messenger_customer_writes(db, sandbox, account, text="Where is my order?", *, hours_ago=0.0, psid=PSID):
    when = ago(hours=hours_ago)
    sent = control(sandbox, "POST", "/messenger/messages", json={
        "page_id": PAGE, "text": text, "sender": {"id": psid, "name": "Ann Lee"}, "created_at": when.isoformat()})
    return store_private(db, account, sent["id"], text, {"id": psid, "name": "Ann Lee"}, when)


def set_contact(db, contact_id, **values):
    with writing(db) as session:
        session.execute(sa.update(Contact).where(Contact.id == contact_id).values(**values))


def reply(client, token, conv, text, **body):
    return client.post(f"/api/v1/conversations/{conv.id}/replies", headers=auth(token), json={"text": text, **body})


@pytest.fixture
def token(make_user, make_token):
    return make_token(make_user("agent", name="Alex"))


def test_x_dm_reply_lands_in_the_customers_dm_conversation(app, db, client, sandbox, token):
    account = connect(db, sandbox, "twitter")
    conv, dm = x_customer_dms(db, sandbox, account)
    assert conv.channel == "private"
    resp = reply(client, token, conv, "Thanks Jane, checking order 1234 now", last_seen_message_id=dm.id)
    assert resp.status_code == 202, resp.json
    assert resp.json["delivery_status"] == "queued" and resp.json["send_as"] is None
    sent = wait_for_status(db, resp.json["id"], FINAL)
    assert sent.delivery_status == "sent", sent.delivery_error
    assert sent.delivery_attempts == 1 and sent.sending_started_at is not None  # it went through 'sending' once
    events = sandbox.network.dm_events_of(JANE["id"])
    assert events[0].id == sent.external_id and events[0].text == "Thanks Jane, checking order 1234 now"
    assert events[0].sender_id == DEMO_X["user_id"]


def test_messenger_reply_goes_through_the_send_api(app, db, client, sandbox, token):
    account = connect(db, sandbox, "facebook")
    conv, msg = messenger_customer_writes(db, sandbox, account, hours_ago=1)
    detail = client.get(f"/api/v1/conversations/{conv.id}", headers=auth(token)).json
    assert detail["reply_window"]["state"] == "open" and detail["reply_limit"]["max"] == 2000
    resp = reply(client, token, conv, "Hello Ann! Which order is it?", last_seen_message_id=msg.id)
    assert resp.status_code == 202, resp.json
    sent = wait_for_status(db, resp.json["id"], FINAL)
    assert sent.delivery_status == "sent", sent.delivery_error
    landed = sandbox.network.replies(network="messenger")[0]
    assert landed["id"] == sent.external_id and landed["in_reply_to"] == PSID
    assert landed["text"] == "Hello Ann! Which order is it?"


def test_x_customer_who_refuses_dms(app, db, client, sandbox, token):
    account = connect(db, sandbox, "twitter")
    conv, _ = x_customer_dms(db, sandbox, account)
    control(sandbox, "PATCH", "/x-users/777", json={"receives_your_dm": False})
    # Known from X's receives_your_dm: refused before anything is queued.
    set_contact(db, conv.contact_id, accepts_dms=False)
    refused = reply(client, token, conv, "Hello?")
    assert refused.status_code == 422 and refused.json["error"]["code"] == "recipient_refuses_dms"
    assert "does not accept direct messages" in refused.json["error"]["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.direction == "outbound")) == 0
    # Not known: X's 403 makes it 'failed' with the refusal's code, and it is not sent again.
    set_contact(db, conv.contact_id, accepts_dms=None)
    resp = reply(client, token, conv, "Hello?")
    assert resp.status_code == 202
    failed = wait_for_status(db, resp.json["id"], FINAL)
    assert failed.delivery_status == "failed" and failed.delivery_error_code == "recipient_refuses_dms"
    assert "You cannot send messages to this user." in failed.delivery_error
    shown = client.get(f"/api/v1/conversations/{conv.id}", headers=auth(token)).json["messages"][-1]
    assert shown["delivery_error_code"] == "recipient_refuses_dms"


def test_messenger_window_and_the_human_agent_tag(app, db, client, sandbox, token):
    account = connect(db, sandbox, "facebook")
    conv, _ = messenger_customer_writes(db, sandbox, account, hours_ago=26)
    late = reply(client, token, conv, "Sorry for the wait")
    assert late.status_code == 422 and late.json["error"]["code"] == "outside_window"
    assert "The customer must write first" in late.json["error"]["message"]
    assert late.json["error"]["details"][0]["closes_at"]
    detail = client.get(f"/api/v1/conversations/{conv.id}", headers=auth(token)).json
    assert detail["reply_window"]["state"] == "closed"

    control(sandbox, "POST", "/messenger/human-agent", json={"page_id": PAGE, "enabled": True})
    with writing(db) as session:
        session.execute(sa.update(SocialAccount).where(SocialAccount.id == account.id).values(human_agent_enabled=True))
    detail = client.get(f"/api/v1/conversations/{conv.id}", headers=auth(token)).json
    assert detail["reply_window"]["state"] == "human_agent" and detail["reply_window"]["human_agent_until"]
    resp = reply(client, token, conv, "Sorry for the wait, here is your refund")
    assert resp.status_code == 202 and resp.json["send_as"] == "human_agent"
    sent = wait_for_status(db, resp.json["id"], FINAL)
    assert sent.delivery_status == "sent", sent.delivery_error
    # The sandbox took it because of the tag: untagged, the same send is refused as outside the window.
    db.session.expire_all()
    acct = db.session.get(SocialAccount, account.id)
    connector = connector_for(AccountInfo(acct.id, acct.network, acct.name, acct.external_id, acct.handle,
                                          acct.api_base_url, acct.credentials), timeout=5)
    with pytest.raises(RejectedError) as untagged:
        connector.send_private(PSID, "untagged")
    assert untagged.value.reason == "outside_window"

    # Past 7 days nothing goes, tag or not.
    old, _ = messenger_customer_writes(db, sandbox, account, psid="24000000000000009", hours_ago=7 * 24 + 1)
    too_late = reply(client, token, old, "Hello?")
    assert too_late.status_code == 422 and too_late.json["error"]["code"] == "outside_window"


def test_private_limits_count_characters(app, db, client, sandbox, token):
    facebook = connect(db, sandbox, "facebook")
    conv, _ = messenger_customer_writes(db, sandbox, facebook)
    too_long = reply(client, token, conv, "x" * 2001)
    assert too_long.status_code == 422 and too_long.json["error"]["code"] == "reply_too_long"
    assert too_long.json["error"]["details"] == [{"length": 2001, "limit": 2000}]

    x = connect(db, sandbox, "twitter")
    dm_conv, _ = x_customer_dms(db, sandbox, x)
    detail = client.get(f"/api/v1/conversations/{dm_conv.id}", headers=auth(token)).json
    assert detail["reply_limit"] == {"network": "twitter", "max": 10000, "counting": "characters"}
    assert detail["reply_window"]["state"] == "none"
    too_long = reply(client, token, dm_conv, "漢" * 10001)  # characters, not weighted: CJK counts one
    assert too_long.status_code == 422 and too_long.json["error"]["details"] == [{"length": 10001, "limit": 10000}]
    fits = reply(client, token, dm_conv, "漢" * 10000)
    assert fits.status_code == 202, fits.json
    sent = wait_for_status(db, fits.json["id"], FINAL)
    assert sent.delivery_status == "sent", sent.delivery_error
    assert len(sandbox.network.dm_events_of(JANE["id"])[0].text) == 10000


def test_duplicate_guard_on_a_dm(app, db, client, sandbox, token):
    account = connect(db, sandbox, "twitter")
    conv, first = x_customer_dms(db, sandbox, account, "hello?")
    x_customer_dms(db, sandbox, account, "my order is 1234")
    stale = reply(client, token, conv, "Hi! What is your order number?", last_seen_message_id=first.id)
    assert stale.status_code == 409 and stale.json["error"]["code"] == "newer_messages"
    assert [m["text"] for m in stale.json["newer_messages"]] == ["my order is 1234"]
    assert sandbox.network.replies(network="twitter") == []


def test_canned_response_text_goes_out_as_a_dm(app, db, client, sandbox, make_user, make_token):
    admin_token = make_token(make_user("admin"))
    canned = client.post("/api/v1/canned-responses", headers=auth(admin_token),
                         json={"title": "Order number", "shortcut": "order",
                               "text": "Could you send us your order number, please?"})
    assert canned.status_code == 201, canned.json
    account = connect(db, sandbox, "twitter")
    conv, _ = x_customer_dms(db, sandbox, account)
    resp = reply(client, admin_token, conv, canned.json["text"])
    assert resp.status_code == 202, resp.json
    assert wait_for_status(db, resp.json["id"], FINAL).delivery_status == "sent"
