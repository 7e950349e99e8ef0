"""Replies through the real connectors to the sandbox network: delivery states, refusals, and the 409 guard."""
import threading
import time

import requests
import sqlalchemy as sa

from app.conversations import sending
from app.models import Conversation, Message, SlaClock, utcnow
from app.sandbox import DEMO_FACEBOOK, DEMO_X
from tests.conftest import writing
from tests.moderation_helpers import connect, poll_now  # noqa: F401  (other reply tests import them from here)


def conversation_of(db, external_id):
    msg = db.session.scalars(sa.select(Message).where(Message.external_id == external_id)).one()
    return db.session.get(Conversation, msg.conversation_id), msg


def wait_for_status(db, message_id, statuses, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()
        msg = db.session.get(Message, message_id, populate_existing=True)
        if msg.delivery_status in statuses:
            return msg
        time.sleep(0.05)
    raise AssertionError(f"reply {message_id} stayed {msg.delivery_status}")


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_reply_to_a_mention_lands_on_the_network_and_stops_the_clock(app, db, client, sandbox, make_user, make_token):
    account = connect(db, sandbox, "twitter")
    tweet = sandbox.network.inject_tweet(DEMO_X["user_id"], "@carebox_demo my parcel never arrived 😡")
    poll_now(app, db, account)
    conv, mention = conversation_of(db, tweet.id)
    assert conv.sla_started_at is not None
    agent = make_user("agent", name="Alex")
    token = make_token(agent)
    resp = client.post(f"/api/v1/conversations/{conv.id}/replies", headers=auth(token),
                       json={"text": "So sorry! DM us your order number 🙏", "last_seen_message_id": mention.id})
    assert resp.status_code == 202, resp.json
    assert resp.json["delivery_status"] == "queued"
    sent = wait_for_status(db, resp.json["id"], {"sent", "failed", "unknown"})
    assert sent.delivery_status == "sent", sent.delivery_error
    landed = sandbox.network.replies(network="twitter")
    assert landed and landed[0]["in_reply_to"] == tweet.id and landed[0]["id"] == sent.external_id
    db.session.expire_all()
    conv = db.session.get(Conversation, conv.id)
    assert conv.sla_started_at is None and conv.assignee_id == agent.id  # answering claims it
    clock = db.session.scalars(sa.select(SlaClock)).one()
    assert clock.stop_reason == "reply" and clock.answered_by_user_id == agent.id and clock.met
    # Seen again by the poller (the brand's own timeline), the reply is not stored twice.
    poll_now(app, db, account)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.direction == "outbound")) == 1


def test_facebook_reply_goes_to_the_comment_edge(app, db, client, sandbox, make_user, make_token):
    account = connect(db, sandbox, "facebook")
    comment = sandbox.network.inject_comment(DEMO_FACEBOOK["page_id"], "Как отследить заказ?",
                                             author={"id": "9001", "name": "Алеся"})
    poll_now(app, db, account)
    conv, msg = conversation_of(db, comment.id)
    token = make_token(make_user("agent"))
    resp = client.post(f"/api/v1/conversations/{conv.id}/replies", headers=auth(token),
                       json={"text": "Добры дзень! Нумар заказу, калі ласка.", "last_seen_message_id": msg.id})
    assert resp.status_code == 202
    sent = wait_for_status(db, resp.json["id"], {"sent", "failed", "unknown"})
    assert sent.delivery_status == "sent", sent.delivery_error
    landed = sandbox.network.replies(network="facebook")[0]
    assert landed["in_reply_to"] == comment.id and landed["text"].startswith("Добры дзень")


def test_network_refusals_show_the_networks_reason_and_retry_is_the_agents_call(app, db, client, sandbox, make_user,
                                                                              make_token):
    account = connect(db, sandbox, "twitter")
    first = sandbox.network.inject_tweet(DEMO_X["user_id"], "@carebox_demo hello?")
    poll_now(app, db, account)
    conv, mention = conversation_of(db, first.id)
    token = make_token(make_user("agent"))
    h = auth(token)
    # Too long for X counts weighted characters (CJK count double): refused before sending.
    too_long = client.post(f"/api/v1/conversations/{conv.id}/replies", headers=h, json={"text": "漢" * 141})
    assert too_long.status_code == 422 and too_long.json["error"]["code"] == "reply_too_long"
    assert "2 weighted characters over" in too_long.json["error"]["message"]
    # The parent was deleted on the network: X's reason is shown, the reply is failed, not retried.
    sandbox.network.delete(first.id)
    resp = client.post(f"/api/v1/conversations/{conv.id}/replies", headers=h, json={"text": "Hi there"})
    failed = wait_for_status(db, resp.json["id"], {"sent", "failed", "unknown"})
    assert failed.delivery_status == "failed"
    assert "deleted or not visible" in failed.delivery_error
    time.sleep(0.3)
    assert db.session.get(Message, failed.id, populate_existing=True).delivery_status == "failed"
    # Discarding gives up on it; the thread no longer shows it.
    discard = client.post(f"/api/v1/messages/{failed.id}/discard", headers=h)
    assert discard.status_code == 200
    assert db.session.get(Message, failed.id, populate_existing=True) is None


def test_duplicate_content_and_bad_token_are_failed_with_reasons_then_retried(app, db, client, sandbox, make_user,
                                                                             make_token):
    account = connect(db, sandbox, "twitter")
    a = sandbox.network.inject_tweet(DEMO_X["user_id"], "@carebox_demo one", author={"id": "501", "username": "ana"})
    b = sandbox.network.inject_tweet(DEMO_X["user_id"], "@carebox_demo two", author={"id": "502", "username": "bo"})
    poll_now(app, db, account)
    conv_a, _ = conversation_of(db, a.id)
    conv_b, _ = conversation_of(db, b.id)
    h = auth(make_token(make_user("agent")))
    ok = client.post(f"/api/v1/conversations/{conv_a.id}/replies", headers=h, json={"text": "Thanks for writing!"})
    assert wait_for_status(db, ok.json["id"], {"sent", "failed"}).delivery_status == "sent"
    dup = client.post(f"/api/v1/conversations/{conv_b.id}/replies", headers=h, json={"text": "Thanks for writing!"})
    dup_msg = wait_for_status(db, dup.json["id"], {"sent", "failed"})
    assert dup_msg.delivery_status == "failed" and "duplicate content" in dup_msg.delivery_error
    # Credentials revoked on the network: failed with X's reason; after fixing them the agent retries.
    sandbox.network.add_fault("bad_token", count=1, network="twitter", path_contains="/2/tweets")
    bad = client.post(f"/api/v1/conversations/{conv_b.id}/replies", headers=h, json={"text": "Something else"})
    bad_msg = wait_for_status(db, bad.json["id"], {"sent", "failed"})
    assert bad_msg.delivery_status == "failed" and "credentials" in bad_msg.delivery_error.lower()
    assert DEMO_X["bearer_token"] not in bad_msg.delivery_error
    retry = client.post(f"/api/v1/messages/{bad_msg.id}/retry", headers=h)
    assert retry.status_code == 202
    assert wait_for_status(db, bad_msg.id, {"sent", "failed"}).delivery_status == "sent"
    assert client.post(f"/api/v1/messages/{bad_msg.id}/retry", headers=h).status_code == 409  # already sent


def test_timeout_after_sending_is_unknown_and_the_poller_confirms_it(app, db, client, sandbox, make_user, make_token):
    app.config["CAREBOX_HTTP_TIMEOUT"] = 0.3
    account = connect(db, sandbox, "twitter")
    tweet = sandbox.network.inject_tweet(DEMO_X["user_id"], "@carebox_demo anyone there?")
    poll_now(app, db, account)
    conv, _ = conversation_of(db, tweet.id)
    sandbox.network.add_fault("timeout", count=1, network="twitter", path_contains="/2/tweets", delay=0.8)
    h = auth(make_token(make_user("agent")))
    resp = client.post(f"/api/v1/conversations/{conv.id}/replies", headers=h, json={"text": "Yes! How can we help?"})
    unknown = wait_for_status(db, resp.json["id"], {"sent", "failed", "unknown"})
    assert unknown.delivery_status == "unknown"  # the network may have it: never re-sent on our own
    time.sleep(1.0)  # the sandbox finishes the slow request and posts the reply
    app.config["CAREBOX_HTTP_TIMEOUT"] = 5
    poll_now(app, db, account)
    confirmed = db.session.get(Message, unknown.id, populate_existing=True)
    assert confirmed.delivery_status == "sent" and confirmed.external_id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.direction == "outbound")) == 1
    assert len(sandbox.network.replies(network="twitter")) == 1


def test_stale_sending_reply_becomes_unknown(app, db, custom_account, make_user):
    from datetime import timedelta

    from app.ingest.items import InboundAuthor, InboundItem
    from app.ingest.pipeline import ingest

    agent = make_user("agent")
    with writing(db) as session:
        (result,) = ingest(session, custom_account, [InboundItem("c-1", "hi", None, InboundAuthor("u1"))])
        session.add(Message(conversation_id=result.conversation_id, account_id=custom_account.id, network="custom",
                            direction="outbound", text="hello", created_at=utcnow(), received_at=utcnow(),
                            delivery_status="sending", author_user_id=agent.id,
                            sending_started_at=utcnow() - timedelta(seconds=sending.STALE_SENDING_SECONDS + 5)))
    assert sending.recover_stale(db.session) == 1
    stale = db.session.scalars(sa.select(Message).where(Message.direction == "outbound")).one()
    assert stale.delivery_status == "unknown" and "may or may not" in stale.delivery_error


def test_reply_guard_refuses_when_someone_else_answered_or_customer_wrote(app, db, client, sandbox, make_user,
                                                                          make_token):
    account = connect(db, sandbox, "twitter")
    tweet = sandbox.network.inject_tweet(DEMO_X["user_id"], "@carebox_demo refund please",
                                         author={"id": "700", "username": "carla"})
    poll_now(app, db, account)
    conv, mention = conversation_of(db, tweet.id)
    alex, sam = make_user("agent", name="Alex"), make_user("agent", name="Sam")
    first = client.post(f"/api/v1/conversations/{conv.id}/replies", headers=auth(make_token(alex)),
                        json={"text": "On it!", "last_seen_message_id": mention.id})
    assert first.status_code == 202
    second = client.post(f"/api/v1/conversations/{conv.id}/replies", headers=auth(make_token(sam)),
                         json={"text": "Let me check", "last_seen_message_id": mention.id})
    assert second.status_code == 409
    assert second.json["error"]["code"] == "newer_messages" and "Alex replied" in second.json["error"]["message"]
    assert [m["id"] for m in second.json["newer_messages"]] == [first.json["id"]]
    wait_for_status(db, first.json["id"], {"sent"})
    # The customer writes again: anyone who has not seen it is stopped too.
    follow = sandbox.network.inject_tweet(DEMO_X["user_id"], "@carebox_demo also my address changed",
                                          author={"id": "700", "username": "carla"}, in_reply_to=tweet.id)
    poll_now(app, db, account)
    again = client.post(f"/api/v1/conversations/{conv.id}/replies", headers=auth(make_token(sam)),
                        json={"text": "Noted", "last_seen_message_id": first.json["id"]})
    assert again.status_code == 409 and "customer wrote 1 new message" in again.json["error"]["message"]
    assert [m["external_id"] for m in again.json["newer_messages"]] == [follow.id]
    # Having re-read, the agent sends.
    latest = again.json["newer_messages"][-1]["id"]
    ok = client.post(f"/api/v1/conversations/{conv.id}/replies", headers=auth(make_token(sam)),
                     json={"text": "Noted, updated!", "last_seen_message_id": latest})
    assert ok.status_code == 202


def test_two_agents_sending_at_the_same_instant_only_one_goes_out(app, db, live_server, custom_account, make_user,
                                                                  make_token):
    from app.ingest.items import InboundAuthor, InboundItem
    from app.ingest.pipeline import ingest

    with writing(db) as session:
        (result,) = ingest(session, custom_account, [InboundItem("race-1", "help", None, InboundAuthor("u9"))])
    tokens = [make_token(make_user("agent")) for _ in range(4)]
    barrier = threading.Barrier(len(tokens))
    statuses = []

    def send(token):
        barrier.wait()
        r = requests.post(f"{live_server.url}/api/v1/conversations/{result.conversation_id}/replies",
                          headers=auth(token), json={"text": "answer", "last_seen_message_id": result.message_id},
                          timeout=30)
        statuses.append(r.status_code)

    threads = [threading.Thread(target=send, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [202, 409, 409, 409]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.direction == "outbound")) == 1


def test_idempotency_key_makes_a_retried_post_safe(db, client, custom_account, make_user, make_token):
    from app.ingest.items import InboundAuthor, InboundItem
    from app.ingest.pipeline import ingest

    (result,) = ingest(db.session, custom_account, [InboundItem("idem-1", "hi", None, InboundAuthor("u1"))])
    db.session.commit()
    h = {**auth(make_token(make_user("agent"))), "Idempotency-Key": "abc-123"}
    url = f"/api/v1/conversations/{result.conversation_id}/replies"
    first = client.post(url, headers=h, json={"text": "hello"})
    second = client.post(url, headers=h, json={"text": "hello"})
    assert (first.status_code, second.status_code) == (202, 200)
    assert first.json["id"] == second.json["id"]
