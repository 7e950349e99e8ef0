"""Instagram push (/hooks/facebook, object "instagram"): the sandbox's signed webhooks for comments, replies,
live comments and mentions, delivered to a live Carebox server or replayed byte for byte, stored through the
one ingest path the poller uses; mentions (ids only) and media Carebox has no Post for resolved through
push_followups; push and poll of the same comments stored once, also racing from two threads."""
import json

import pytest
import sqlalchemy as sa

from app.models import Message, Post, PushFollowup
from app.sandbox.demo_accounts import DEMO_INSTAGRAM
from app.worker.polling import poll_account
from tests.conftest import writing
from tests.fixtures.polling import assert_stored_exactly_once, connect, due_now, stored_ids
from tests.fixtures.push import (
    FAST_RETRIES, captured, deliver, deliver_badly_signed, race_push_and_poll, subscribed, wait_for,
)
from tests.fixtures.push import receiver  # noqa: F401  (fixture)

IG = DEMO_INSTAGRAM["ig_user_id"]
PAGE = DEMO_INSTAGRAM["page_id"]
SECRET = DEMO_INSTAGRAM["app_secret"]


@pytest.fixture
def instagram(sandbox):
    sandbox.network.reset({**FAST_RETRIES, "messenger_conversations_per_second": 1000})
    return sandbox


def subscribe(sandbox, url):
    """The Instagram account's pushes to `url`, the handshake done."""
    subscribed(sandbox, PAGE, url)


def book(sandbox):
    return sandbox.network.instagram


def brand_media(sandbox):
    return book(sandbox).media_of(book(sandbox).accounts[IG])


def customer(sandbox, media_id, text, username="olga.k", **kwargs):
    return book(sandbox).add_comment(media_id, text, {"username": username}, **kwargs)


def received_by_a_dying_process(db, raw, signature):
    """What a push whose process died right after its commit leaves: its items and follow-up rows, unresolved."""
    from app.push import facebook

    with writing(db) as session:
        received = facebook.receive(session, raw, signature)
    assert received.refused is None
    return received


def messages(db, account_id):
    db.session.commit()
    return {m.external_id: m for m in db.session.scalars(sa.select(Message).where(Message.account_id == account_id))}


def followups(db, account_id):
    db.session.commit()
    return db.session.scalars(sa.select(PushFollowup).where(PushFollowup.account_id == account_id)).all()


def post_row(db, external_id):
    db.session.commit()
    return db.session.scalars(sa.select(Post).where(Post.external_id == external_id)).one_or_none()


@pytest.mark.config(CAREBOX_FACEBOOK_VERIFY_TOKEN="verify-me")
def test_comments_replies_and_the_brands_own_pushed_to_a_live_app(app, db, live_server, instagram):
    account = connect(db, instagram, "instagram")
    subscribe(instagram, f"{live_server.url}/hooks/facebook")
    media = brand_media(instagram)[0]
    top = customer(instagram, media.id, "My parcel never arrived 😡")
    reply = customer(instagram, media.id, "<b>same</b>", username="ivan", parent_id=top.id)
    own = book(instagram).reply(book(instagram).accounts[IG], top.id, "Sorry! Checking now.")
    wait_for(lambda: len(stored_ids(db, account.id)) == 3, "three comments stored")
    stored = messages(db, account.id)
    assert stored[top.id].text == "My parcel never arrived 😡" and stored[reply.id].text == "<b>same</b>"
    assert stored[reply.id].in_reply_to_external_id == top.id
    assert (stored[own.id].direction, stored[own.id].is_native) == ("outbound", True)
    assert {m.post_external_id for m in stored.values()} == {media.id}
    # The media had no Post: the follow-up read its caption and picture, and its row is gone.
    wait_for(lambda: (post_row(db, media.id) or Post()).caption == media.caption, "the media's details")
    wait_for(lambda: not followups(db, account.id), "the follow-up done")
    assert post_row(db, media.id).permalink == media.permalink and post_row(db, media.id).owned


@pytest.mark.config(CAREBOX_FACEBOOK_VERIFY_TOKEN="verify-me")
def test_mentions_are_resolved_through_follow_ups(app, db, live_server, instagram):
    account = connect(db, instagram, "instagram")
    subscribe(instagram, f"{live_server.url}/hooks/facebook")
    theirs = book(instagram).add_media({"username": "happy.customer"}, "Unboxing my @carebox.demo order 📦")
    mentioning = customer(instagram, theirs.id, "@carebox.demo is it waterproof?", username="curious")
    wait_for(lambda: len(stored_ids(db, account.id)) == 2, "both mentions stored")
    stored = messages(db, account.id)
    assert "Unboxing my" in stored[theirs.id].text and "waterproof" in stored[mentioning.id].text
    assert stored[theirs.id].post_external_id == theirs.id == stored[mentioning.id].post_external_id
    wait_for(lambda: not followups(db, account.id), "the follow-ups done")
    assert post_row(db, theirs.id).owned is False and post_row(db, theirs.id).owner_handle == "happy.customer"


def test_live_comments_are_stored_at_once(app, db, client, instagram, receiver):
    account = connect(db, instagram, "instagram")
    subscribe(instagram, receiver.url)
    live = book(instagram).add_media(IG, "We are live!", kind="live")
    comment = customer(instagram, live.id, "hello from the stream")
    ((raw, signature),) = captured(receiver, 1)
    assert json.loads(raw)["entry"][0]["changes"][0]["field"] == "live_comments"
    assert deliver(client, raw, signature).status_code == 200
    assert set(stored_ids(db, account.id)) == {comment.id}
    wait_for(lambda: (post_row(db, live.id) or Post()).product_type == "LIVE" and not followups(db, account.id),
             "the live video's details read")
    assert post_row(db, live.id).caption == "We are live!"


def test_a_follow_up_left_by_a_push_is_resolved_by_the_next_poll(app, db, client, instagram, receiver):
    account = connect(db, instagram, "instagram")
    subscribe(instagram, receiver.url)
    theirs = book(instagram).add_media({"username": "fan"}, "Thanks @carebox.demo!")
    ((raw, signature),) = captured(receiver, 1)
    assert received_by_a_dying_process(db, raw, signature).followups == (account.id,)
    assert stored_ids(db, account.id) == [] and [r.kind for r in followups(db, account.id)] == ["mentioned_media"]
    db.session.commit()
    assert poll_account(app, account.id, "worker").startswith("ok:")
    assert set(stored_ids(db, account.id)) == {theirs.id} and followups(db, account.id) == []


def test_a_failing_follow_up_backs_off_with_a_redacted_error(app, db, client, instagram, receiver):
    from app.connectors import connector_for
    from app.push.followups import resolve_followups
    from app.worker.followups import account_info

    account = connect(db, instagram, "instagram")
    subscribe(instagram, receiver.url)
    book(instagram).add_media({"username": "fan"}, "Thanks @carebox.demo!")
    ((raw, signature),) = captured(receiver, 1)
    received_by_a_dying_process(db, raw, signature)
    instagram.network.add_fault("503", network="instagram")
    with writing(db) as session:
        info = account_info(session.get(type(account), account.id))
    assert resolve_followups(db.session, account.id, connector_for(info, timeout=2)) == 0
    (row,) = followups(db, account.id)
    assert row.attempts == 1 and "temporarily unavailable" in row.last_error
    assert DEMO_INSTAGRAM["page_access_token"] not in row.last_error
    assert row.next_attempt_at > row.created_at


BAD = ["wrong secret", "tampered body", "missing", "another account"]


@pytest.mark.parametrize("case", BAD)
def test_bad_signatures_store_nothing(app, db, client, instagram, receiver, case):
    account = connect(db, instagram, "instagram")
    subscribe(instagram, receiver.url)
    customer(instagram, brand_media(instagram)[0].id, "my address is 1 Main St")
    ((raw, signature),) = captured(receiver, 1)
    resp = deliver_badly_signed(client, raw, signature, case, secret=SECRET, stranger_id="17841400000009999")
    assert resp.status_code in (401, 403)
    assert stored_ids(db, account.id) == [] and followups(db, account.id) == []


def test_push_then_poll_and_poll_then_push_store_once(app, db, client, instagram, receiver):
    account = connect(db, instagram, "instagram")
    subscribe(instagram, receiver.url)
    media = brand_media(instagram)[0]
    first = [customer(instagram, media.id, f"question {n}", username=f"user{n}").id for n in range(3)]
    for raw, signature in captured(receiver, 3):
        assert deliver(client, raw, signature).status_code == 200
    assert poll_account(app, account.id, "worker") == "ok:0"  # the poll finds them stored
    assert_stored_exactly_once(db, account.id, first)

    second = [customer(instagram, media.id, f"again {n}", username=f"user{n}").id for n in range(3)]
    due_now(db, account.id)
    assert poll_account(app, account.id, "worker") == "ok:3"
    for raw, signature in captured(receiver, 6)[3:]:
        assert deliver(client, raw, signature).status_code == 200
    assert_stored_exactly_once(db, account.id, first + second)


def test_push_and_poll_racing_from_two_threads_store_each_comment_once(app, db, live_server, instagram, receiver):
    account = connect(db, instagram, "instagram")
    subscribe(instagram, receiver.url)
    media = brand_media(instagram)[:2]
    expected = []
    for round_number in range(4):
        delivered = len(expected)
        expected += [customer(instagram, media[n % 2].id, f"round {round_number} comment {n}",
                              username=f"user{n}").id for n in range(5)]
        race_push_and_poll(app, db, live_server, receiver, account.id, expected, delivered, f"worker-{round_number}")


def test_dms_and_echoes_pushed_are_private_messages_in_one_conversation(app, db, client, instagram, receiver):
    from app.connectors import InstagramConnector
    from app.connectors.instagram_items import dm_event_item
    from app.models import Conversation
    from tests.test_connectors_instagram import account_info

    account = connect(db, instagram, "instagram")
    subscribe(instagram, receiver.url)
    igsid = "6000000000000777"
    asked = instagram.network.messenger.customer_message(PAGE, "Where is my order?", {"id": igsid, "username": "ann"},
                                                         platform="instagram")
    native = instagram.network.messenger.page_inbox_message(PAGE, igsid, "Answered in the Instagram app")
    pushes = captured(receiver, 2)
    events = [json.loads(raw)["entry"][0]["messaging"][0] for raw, _ in pushes]
    assert events[1]["message"]["is_echo"] is True
    echo = dm_event_item(events[1], IG)
    assert (echo.from_brand, echo.network, echo.counterpart.external_id) == (True, "instagram", igsid)
    for raw, signature in pushes:
        assert deliver(client, raw, signature).status_code == 200
    stored = messages(db, account.id)
    assert set(stored) == {asked.id, native.id}
    assert stored[asked.id].conversation_id == stored[native.id].conversation_id
    assert (stored[native.id].direction, stored[native.id].is_native) == ("outbound", True)
    conversation = db.session.get(Conversation, stored[asked.id].conversation_id)
    assert (conversation.channel, conversation.network) == ("private", "instagram")
    polled = InstagramConnector(account_info(instagram.url), timeout=5).fetch({})
    assert {i.external_id for i in polled.items if i.channel == "private"} == {asked.id, native.id}
    due_now(db, account.id)
    assert poll_account(app, account.id, "worker") == "ok:0"  # pushed first: polled, stored once
