"""Move to DM through the real connectors to the sandbox network: a Facebook Private Reply, an X public reply
with the DM deep link and the first DM; the link between the conversations, idempotence, the clocks, and the
conversation.moved webhook checked against the catalogue."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.conversations.windows import x_dm_link
from app.events.catalogue import WEBHOOK_TYPES
from app.models import Contact, Conversation, Message, SlaClock
from app.sandbox import DEMO_FACEBOOK, DEMO_X
from tests.conftest import writing
from tests.fixtures.webhook_receiver import receiver  # noqa: F401  (fixture)
from tests.test_private_replies import FINAL
from tests.test_replies import auth, connect, conversation_of, poll_now, wait_for_status
from tests.webhook_helpers import register, run_worker

PAGE = DEMO_FACEBOOK["page_id"]
CUSTOMER = {"id": "9001", "name": "Alesia"}


@pytest.fixture
def token(make_user, make_token):
    return make_token(make_user("agent", name="Alex"))


def move(client, token, conv_id, **body):
    return client.post(f"/api/v1/conversations/{conv_id}/move-to-private", headers=auth(token), json=body)


def detail(client, token, conv_id):
    return client.get(f"/api/v1/conversations/{conv_id}", headers=auth(token)).json


def fresh(db, model, row_id):
    db.session.rollback()
    return db.session.get(model, row_id, populate_existing=True)


def test_facebook_moves_by_private_reply_once_per_comment(app, db, client, sandbox, token):
    account = connect(db, sandbox, "facebook")
    comment = sandbox.network.inject_comment(PAGE, "My parcel never came", author=CUSTOMER)
    poll_now(app, db, account)
    public, msg = conversation_of(db, comment.id)
    assert public.sla_started_at is not None
    assert detail(client, token, public.id)["can_move_to_private"] == {
        "allowed": True, "reason": None, "via": "private_reply"}

    resp = move(client, token, public.id, text="Sorry! Could you send us your order number?",
                last_seen_message_id=msg.id)
    assert resp.status_code == 201, resp.json
    private_id = resp.json["conversation"]["id"]
    assert resp.json["conversation"]["channel"] == "private" and resp.json["public"]["moved_to_id"] == private_id
    (queued,) = resp.json["messages"]
    assert (queued["conversation_id"], queued["send_as"], queued["in_reply_to"]) == (private_id, "private_reply",
                                                                                     comment.id)
    sent = wait_for_status(db, queued["id"], FINAL)
    assert sent.delivery_status == "sent", sent.delivery_error
    assert comment.id in sandbox.network.messenger.private_replies
    landed = sandbox.network.replies(network="messenger")[0]
    assert landed["id"] == sent.external_id and landed["text"] == "Sorry! Could you send us your order number?"

    # The Private Reply answered the comment: the public clock stopped; the private one waits for the customer.
    public, private = fresh(db, Conversation, public.id), fresh(db, Conversation, private_id)
    assert public.sla_started_at is None and private.sla_started_at is None
    (clock,) = db.session.scalars(sa.select(SlaClock)).all()
    assert clock.conversation_id == public.id and clock.stop_reason == "reply"
    assert private.contact_id == public.contact_id and private.account_id == public.account_id
    shown = detail(client, token, public.id)
    assert shown["can_move_to_private"]["reason"] == "already_moved"
    assert [c["id"] for c in shown["related"]] == [private_id]
    private_view = detail(client, token, private_id)
    assert [c["id"] for c in private_view["related"]] == [public.id]
    assert private_view["reply_window"]["state"] == "closed"  # Messenger: the customer must answer first
    assert private_view["can_move_to_private"]["reason"] == "not_public"

    again = move(client, token, public.id)
    assert again.status_code == 200
    assert again.json["conversation"]["id"] == private_id and [m["id"] for m in again.json["messages"]] == [sent.id]

    # Unlinked, the same comment cannot get a second Private Reply.
    with writing(db) as session:
        session.execute(sa.update(Conversation).where(Conversation.id == public.id).values(moved_to_id=None))
    assert detail(client, token, public.id)["can_move_to_private"]["reason"] == "already_replied_privately"
    refused = move(client, token, public.id)
    assert refused.status_code == 422 and refused.json["error"]["code"] == "already_replied_privately"
    # Even when Carebox does not know of the first one, Facebook's refusal shows with its code.
    with writing(db) as session:
        session.execute(sa.delete(Message).where(Message.id == sent.id))
    retried = move(client, token, public.id)
    assert retried.status_code == 201, retried.json
    failed = wait_for_status(db, retried.json["messages"][0]["id"], FINAL)
    assert failed.delivery_status == "failed" and failed.delivery_error_code == "already_replied_privately"
    assert "Activity already replied to" in failed.delivery_error


def test_facebook_comment_older_than_7_days_cannot_move(app, db, client, sandbox, token):
    account = connect(db, sandbox, "facebook")
    comment = sandbox.network.inject_comment(PAGE, "ancient", author=CUSTOMER)
    poll_now(app, db, account)
    public, msg = conversation_of(db, comment.id)
    # Eight days later (the first poll reads only the last day, so the comment is aged after it was stored).
    eight_days_ago = datetime.now(timezone.utc) - timedelta(days=8)
    with sandbox.network.lock:
        sandbox.network.comments[comment.id].created_time = eight_days_ago
    with writing(db) as session:
        session.execute(sa.update(Message).where(Message.id == msg.id).values(created_at=eight_days_ago))
    assert detail(client, token, public.id)["can_move_to_private"]["reason"] == "private_reply_window_closed"
    refused = move(client, token, public.id)
    assert refused.status_code == 422 and refused.json["error"]["code"] == "private_reply_window_closed"
    assert "7 days" in refused.json["error"]["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Conversation)) == 1


def x_mention(app, db, sandbox, text="@carebox_demo my parcel never arrived"):
    account = connect(db, sandbox, "twitter")
    tweet = sandbox.network.inject_tweet(DEMO_X["user_id"], text, author={"id": "777", "username": "jane_doe",
                                                                          "name": "Jane Doe"})
    poll_now(app, db, account)
    public, msg = conversation_of(db, tweet.id)
    return account, tweet, public, msg


def test_x_moves_with_a_public_dm_link_and_the_first_dm(app, db, client, sandbox, token):
    _, tweet, public, msg = x_mention(app, db, sandbox)
    assert detail(client, token, public.id)["can_move_to_private"]["via"] == "dm_link"
    resp = move(client, token, public.id, last_seen_message_id=msg.id)  # the default, translated text
    assert resp.status_code == 201, resp.json
    public_reply, dm = resp.json["messages"]
    text = "Hello, we have moved our conversation to a private message so we can help you with your details."
    assert public_reply["conversation_id"] == public.id and public_reply["in_reply_to"] == tweet.id
    assert public_reply["text"] == f"{text} {x_dm_link(DEMO_X['user_id'])}"
    assert dm["conversation_id"] == resp.json["conversation"]["id"] and dm["text"] == text
    for queued in (public_reply, dm):
        sent = wait_for_status(db, queued["id"], FINAL)
        assert sent.delivery_status == "sent", sent.delivery_error
    landed = sandbox.network.replies(network="twitter")
    assert {r["text"] for r in landed} == {public_reply["text"], text}
    assert sandbox.network.dm_events_of("777")[0].text == text
    assert fresh(db, Conversation, public.id).sla_started_at is None  # the public reply answered the mention

    counts = client.get("/api/v1/conversations/counts", headers=auth(token)).json
    assert counts["channel"] == {"public": 1, "private": 1}
    only_private = client.get("/api/v1/conversations/counts?channel=private", headers=auth(token)).json
    assert only_private["channel"] == {"public": 1, "private": 1} and only_private["status"]["open"] == 1


def test_x_customer_who_refuses_dms_gets_only_the_public_link(app, db, client, sandbox, token):
    _, _, public, _ = x_mention(app, db, sandbox)
    with writing(db) as session:
        session.execute(sa.update(Contact).where(Contact.id == public.contact_id).values(accepts_dms=False))
    resp = move(client, token, public.id, text="Please DM us")
    assert resp.status_code == 201, resp.json
    (only,) = resp.json["messages"]
    assert only["conversation_id"] == public.id and only["text"].startswith("Please DM us https://x.com/messages/")
    too_long = move(client, token, public.id)
    assert too_long.status_code == 200  # moved already: the same answer


def test_x_public_reply_with_the_link_must_fit_280_and_newer_messages_stop_it(app, db, client, sandbox, token):
    account, _, public, msg = x_mention(app, db, sandbox)
    refused = move(client, token, public.id, text="x" * 260)
    assert refused.status_code == 422 and refused.json["error"]["code"] == "reply_too_long"
    assert fresh(db, Conversation, public.id).moved_to_id is None
    sandbox.network.inject_tweet(DEMO_X["user_id"], "@carebox_demo hello??", author={"id": "777", "username": "jane_doe"})
    poll_now(app, db, account)
    stale = move(client, token, public.id, last_seen_message_id=msg.id)
    assert stale.status_code == 409 and stale.json["error"]["code"] == "newer_messages"
    assert fresh(db, Conversation, public.id).moved_to_id is None and sandbox.network.replies(network="twitter") == []


def test_conversation_moved_webhook_fits_the_catalogue(app, db, client, sandbox, token, receiver):  # noqa: F811
    _, _, public, _ = x_mention(app, db, sandbox)
    register(db, receiver, events=["conversation.moved", "conversation.created"])
    resp = move(client, token, public.id)
    assert resp.status_code == 201
    run_worker(app, passes=3)
    by_type = {r.payload["type"]: r.payload for r in receiver.requests}
    assert set(by_type) == {"conversation.moved", "conversation.created"}
    moved = by_type["conversation.moved"]
    WEBHOOK_TYPES["conversation.moved"].data.model_validate(moved["data"])
    private_id = resp.json["conversation"]["id"]
    assert moved["data"]["changes"]["moved_to_id"] == {"from": None, "to": private_id}
    assert moved["data"]["conversation"]["moved_to_id"] == private_id
    created = by_type["conversation.created"]["data"]["conversation"]
    assert (created["id"], created["channel"]) == (private_id, "private")
    assert all(r.verified for r in receiver.requests)
