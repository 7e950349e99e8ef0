"""InstagramConnector end to end against the sandbox network (real HTTP through facebook-sdk): identity, the
media and comment reads and their cursor under faults and a call budget, mentions, replies and their refusals."""
from datetime import datetime, timedelta, timezone

import pytest

from app.connectors import InstagramConnector, RateLimited, RejectedError, TransientError
from app.connectors.base import AccountInfo, ReplyTarget
from app.connectors.facebook_messenger import Pacer
from app.sandbox.demo_accounts import DEMO_INSTAGRAM

IG = DEMO_INSTAGRAM["ig_user_id"]
PAGE = DEMO_INSTAGRAM["page_id"]
SECRETS = [DEMO_INSTAGRAM["page_access_token"], DEMO_INSTAGRAM["app_secret"]]


def account_info(api_base_url, **overrides):
    credentials = {k: v for k, v in {**DEMO_INSTAGRAM, **overrides}.items()
                   if k not in ("username", "name", "app_id") and v is not None}
    return AccountInfo(id=3, network="instagram", name="Demo Instagram", external_id=None, handle=None,
                       api_base_url=api_base_url, credentials=credentials)


def connector(sandbox, timeout=2, calls=None, **credentials):
    instagram = InstagramConnector(account_info(sandbox.url, **credentials), timeout=timeout)
    instagram.pacer = Pacer(1000)
    if calls is not None:
        instagram.calls_per_poll = calls
    return instagram


def book(sandbox):
    return sandbox.network.instagram


def brand_media(sandbox):
    """The demo account's media, newest first."""
    return book(sandbox).media_of(book(sandbox).accounts[IG])


def ago(**delta):
    return datetime.now(timezone.utc) - timedelta(**delta)


def customer(sandbox, media_id, text="Where is my order?", username="olga.k", **kwargs):
    return book(sandbox).add_comment(media_id, text, {"username": username}, **kwargs)


def public_items(result):
    return {i.external_id: i for i in result.items if i.channel == "public"}


def successive_polls(sandbox, cursor, count, **options):
    """Poll as the poller does, `count` times at most, each poll from the cursor the last one left; a poll the
    network refused (rate limited, unavailable) is skipped. Yields every public item id read so far, and the
    poll's result."""
    seen = []
    for _ in range(count):
        try:
            result = connector(sandbox, **options).fetch(cursor)
        except (RateLimited, TransientError):
            continue
        seen += [i.external_id for i in result.items if i.channel == "public"]
        cursor = result.cursor
        yield seen, result


def poll_until_complete(sandbox, cursor, *, polls=60, **options):
    """Poll as the poller does until a poll completes: every public item id of every poll, and the last result."""
    for seen, result in successive_polls(sandbox, cursor, polls, **options):
        if result.complete and not any(m.get("gap") for m in result.cursor["media"].values()):
            return seen, result
    raise AssertionError(f"no complete poll in {polls}")


@pytest.fixture(autouse=True)
def fast_conversations(sandbox):
    """The Conversations API's 2 calls/s per account is the Messenger tests' subject, not these."""
    sandbox.network.reset({"messenger_conversations_per_second": 1000})


def poll_until_seen(sandbox, expected, *, polls=80, **options):
    """Poll as the poller does until every id in `expected` was read; every public item id read, in order."""
    seen = []
    for seen, _result in successive_polls(sandbox, {}, polls, **options):
        if set(expected) <= set(seen):
            return seen
    raise AssertionError(f"{len(set(expected) - set(seen))} comments still unread after {polls} polls")


def assert_no_secret(message):
    assert not any(secret in message for secret in SECRETS), message


# ------------------------------------------------------------------------------------------ identity

def test_identify_through_the_page_or_the_ig_user_id(sandbox):
    through_page = connector(sandbox, ig_user_id=None).identify()
    assert (through_page.external_id, through_page.handle, through_page.name) == (IG, "carebox.demo", "Carebox Demo")
    assert connector(sandbox).identify() == through_page


# ------------------------------------------------------------------------------------------ reading

def test_backfill_maps_comments_replies_the_brands_own_and_the_media(sandbox):
    media = brand_media(sandbox)[0]
    top = customer(sandbox, media.id, "My parcel never arrived 😡")
    reply = customer(sandbox, media.id, "Same here", username="ivan", parent_id=top.id)
    own = book(sandbox).reply(book(sandbox).accounts[IG], top.id, "So sorry! Checking now.")

    result = connector(sandbox).fetch({})
    assert result.complete and result.error is None
    items = public_items(result)
    assert set(items) == {top.id, reply.id, own.id}
    first = items[top.id]
    assert (first.text, first.network, first.in_reply_to, first.thread_id, first.from_brand) == (
        "My parcel never arrived 😡", "instagram", media.id, top.id, False)
    assert (first.author.handle, first.author.profile_url) == ("olga.k", "https://www.instagram.com/olga.k")
    assert first.author.external_id == top.author["id"] and first.created_at.tzinfo is not None
    assert (items[reply.id].in_reply_to, items[reply.id].thread_id) == (top.id, top.id)
    assert items[own.id].from_brand and items[own.id].author.external_id == IG
    post = first.post
    assert (post.external_id, post.owned, post.permalink, post.media_type) == (media.id, True, media.permalink,
                                                                               media.media_type)
    listed = {p.external_id: p for p in result.posts}
    assert set(listed) == {m.id for m in brand_media(sandbox)}  # the listing's media, for their context cards
    assert listed[media.id].comments_count == 3 and listed[media.id].caption == media.caption
    state = result.cursor["media"][media.id]
    assert state["count"] == 3 and state["newest"] >= int(top.timestamp.timestamp())
    assert set(result.rate_limits) >= {"instagram"} and result.rate_limits["instagram"].limit == 100


def test_incremental_reads_take_only_the_new_comments(sandbox):
    media = brand_media(sandbox)[0]
    old = customer(sandbox, media.id, "written long ago", created_at=ago(minutes=40))
    last = customer(sandbox, media.id, "the newest read", created_at=ago(minutes=20))
    first = connector(sandbox).fetch({})
    assert set(public_items(first)) == {old.id, last.id}
    new = customer(sandbox, media.id, "just now")
    second = connector(sandbox).fetch(first.cursor)
    assert set(public_items(second)) == {new.id, last.id}  # down to the newest read, minus the overlap
    assert second.cursor["media"][media.id]["count"] == 3


def test_a_reply_on_an_old_comment_far_down_is_found_by_the_count_delta_re_read(sandbox):
    media = brand_media(sandbox)[0]
    start = ago(minutes=50)
    ids = [customer(sandbox, media.id, f"comment {n}", username=f"user{n}",
                    created_at=start + timedelta(seconds=10 * n)).id for n in range(70)]
    first = connector(sandbox).fetch({})
    assert set(public_items(first)) == set(ids)
    late = customer(sandbox, media.id, "any news?", username="user0", parent_id=ids[0])  # on the oldest, page 2
    second = connector(sandbox).fetch(first.cursor)
    assert late.id in public_items(second)
    assert second.cursor["media"][media.id]["count"] == 71 and "gap" not in second.cursor["media"][media.id]


def test_more_than_a_nested_page_of_replies_is_read_through_the_replies_edge(sandbox):
    media = brand_media(sandbox)[0]
    top = customer(sandbox, media.id, "giveaway!")
    replies = [customer(sandbox, media.id, f"me {n}", username=f"fan{n}", parent_id=top.id).id for n in range(60)]
    result = connector(sandbox).fetch({})
    assert set(public_items(result)) == {top.id, *replies}
    assert all(public_items(result)[r].thread_id == top.id for r in replies)


FAULTS = {
    "80002": {"kind": "429", "code": 80002, "retry_after": 0},
    "613": {"kind": "429", "code": 613, "retry_after": 0},
    "503": {"kind": "503"}, "html": {"kind": "html"}, "timeout": {"kind": "timeout"},
}


@pytest.mark.parametrize("kind", sorted(FAULTS))
def test_a_read_stopped_part_way_keeps_its_progress_and_resumes(sandbox, kind):
    media = brand_media(sandbox)[0]
    start = ago(minutes=40)
    ids = [customer(sandbox, media.id, f"comment {n}", username=f"user{n}",
                    created_at=start + timedelta(seconds=5 * n)).id for n in range(140)]
    # The listing and the first comments page pass; the second page fails.
    sandbox.network.add_fault(network="instagram", path_contains="/comments", skip=1, **FAULTS[kind])
    first = connector(sandbox, timeout=0.5).fetch({})
    assert not first.complete
    assert isinstance(first.error, RateLimited if kind in ("80002", "613") else TransientError)
    assert_no_secret(first.error.message)
    read = set(public_items(first))
    assert read == set(ids[-50:])  # the newest page
    assert first.cursor["media"][media.id]["gap"]["after"]
    rest, last = poll_until_complete(sandbox, first.cursor)
    assert set(rest) | read == set(ids)
    assert last.cursor["media"][media.id]["count"] == 140


def test_every_comment_is_read_under_periodic_faults(sandbox):
    media = brand_media(sandbox)
    ids = []
    for n in range(200):
        ids.append(customer(sandbox, media[n % 3].id, f"comment {n}", username=f"user{n % 40}",
                            created_at=ago(minutes=50) + timedelta(seconds=10 * n)).id)
    sandbox.network.add_fault("html", network="instagram", every=3, count=None)
    seen = poll_until_seen(sandbox, ids)
    assert set(seen) == set(ids)


def test_the_call_budget_reads_changed_media_first_and_starves_none(sandbox):
    media = brand_media(sandbox)
    ids = [customer(sandbox, m.id, f"first on {n}", created_at=ago(minutes=30)).id for n, m in enumerate(media)]
    cursor, seen = {}, []
    for _ in range(len(media)):  # the listing and one media a poll: each poll reads one more media
        result = connector(sandbox, calls=2).fetch(cursor)
        assert result.error is None and result.requests <= 2 + 1, result.error  # the budget, and the DM listing
        seen += list(public_items(result))
        cursor = result.cursor
    assert set(seen) == set(ids)
    newest = customer(sandbox, media[-1].id, "on the oldest media")
    result = connector(sandbox, calls=2).fetch(cursor)
    assert newest.id in public_items(result)  # its count changed: read before the others


def test_errors_before_anything_is_read_raise(sandbox):
    sandbox.network.add_fault("503", network="instagram")
    with pytest.raises(TransientError):
        connector(sandbox).fetch({})


# ------------------------------------------------------------------------------------------ mentions

def test_mentions_are_read_through_the_mentioned_fields(sandbox):
    theirs = book(sandbox).add_media({"username": "happy.customer"}, "Unboxing my order from @carebox.demo 📦")
    comment = customer(sandbox, theirs.id, "@carebox.demo is it waterproof?", username="curious")
    instagram = connector(sandbox)
    mention = instagram.read_mentioned_comment(comment.id, theirs.id)
    assert (mention.external_id, mention.in_reply_to, mention.from_brand) == (comment.id, theirs.id, False)
    assert mention.post.owned is False and mention.post.owner_handle == "happy.customer"
    caption = instagram.read_mentioned_media(theirs.id)
    assert (caption.external_id, caption.thread_id, caption.author.handle) == (theirs.id, theirs.id, "happy.customer")
    assert caption.post.owned is False and "Unboxing my order" in caption.text
    own = brand_media(sandbox)[0]
    assert instagram.read_media(own.id).caption == own.caption


# ------------------------------------------------------------------------------------------ replies

def test_replies_go_to_the_top_level_comment_and_mentions_through_the_mentions_edge(sandbox):
    network = book(sandbox)
    media = brand_media(sandbox)[0]
    top = customer(sandbox, media.id, "Do you ship to Minsk?")
    reply = customer(sandbox, media.id, "and to Kyiv?", username="ivan", parent_id=top.id)
    instagram = connector(sandbox)
    to_comment = instagram.send_reply(top.id, "Yes!", target=ReplyTarget(top.id, parent_id=media.id, post_id=media.id))
    assert network.comments[to_comment.external_id].parent_id == top.id
    to_reply = instagram.send_reply(reply.id, "Kyiv too!", target=ReplyTarget(reply.id, top.id, media.id))
    assert network.comments[to_reply.external_id].parent_id == top.id
    assert "send_api" not in instagram.last_rate_limits and "instagram" in instagram.last_rate_limits

    theirs = network.add_media({"username": "fan"}, "Look what @carebox.demo sent me")
    mentioning = customer(sandbox, theirs.id, "@carebox.demo thanks!", username="other")
    on_comment = instagram.send_reply(mentioning.id, "Enjoy!", target=ReplyTarget(
        mentioning.id, parent_id=theirs.id, post_id=theirs.id, mention=True))
    assert network.comments[on_comment.external_id].parent_id == mentioning.id
    on_caption = instagram.send_reply(theirs.id, "Glad you like it", target=ReplyTarget(
        theirs.id, post_id=theirs.id, mention=True))
    answer = network.comments[on_caption.external_id]
    assert answer.media_id == theirs.id and answer.parent_id is None
    assert [s["kind"] for s in network.sent] == ["reply", "reply", "mention_reply", "mention_reply"]


def test_reply_refusals_carry_instagrams_reason(sandbox):
    network = book(sandbox)
    media = brand_media(sandbox)[0]
    instagram = connector(sandbox)

    def refused(comment_id, text="Hello", target=None):
        with pytest.raises(RejectedError) as caught:
            instagram.send_reply(comment_id, text, target=target or ReplyTarget(comment_id, media.id, media.id))
        assert_no_secret(caught.value.message)
        assert not caught.value.retryable
        return caught.value

    hidden = customer(sandbox, media.id, "spam spam")
    network.set_hidden(hidden.id)
    assert refused(hidden.id).reason == "comment_hidden"
    gone = customer(sandbox, media.id, "oops")
    network.delete_comment(gone.id)
    assert refused(gone.id).reason == "comment_deleted"
    live = network.add_media(IG, "We are live!", kind="live")
    on_live = customer(sandbox, live.id, "hi from the stream")
    assert refused(on_live.id, target=ReplyTarget(on_live.id, live.id, live.id)).reason == "live_comment"
    too_long = refused(customer(sandbox, media.id, "question").id, "x" * 2201)
    assert too_long.reason is None and "2200" in too_long.message
    theirs = network.add_media({"username": "fan"}, "Thanks @carebox.demo")
    network.set_comments_enabled(theirs.id, False)
    off = refused(theirs.id, target=ReplyTarget(theirs.id, post_id=theirs.id, mention=True))
    assert off.reason == "comments_disabled"


# ------------------------------------------------------------------------------------------ DMs

PSID = "6000000000000777"


def customer_dm(sandbox, text, igsid=PSID, username="ann.lee", created_at=None):
    return sandbox.network.messenger.customer_message(PAGE, text, {"id": igsid, "username": username},
                                                      created_at=created_at, platform="instagram")


def private_items(result):
    return {i.external_id: i for i in result.items if i.channel == "private"}


def test_dms_are_read_and_sent_through_the_messenger_platform_for_instagram(sandbox):
    asked = customer_dm(sandbox, "Where is my order? 🙂", created_at=ago(minutes=5))
    instagram = connector(sandbox)
    sent = instagram.send_private(PSID, "Sorry! Your order number, please?")
    assert sent.raw["recipient_id"] == PSID and "send_api" in instagram.last_rate_limits
    native = sandbox.network.messenger.page_inbox_message(PAGE, PSID, "Answered in the Instagram app")
    messenger_dm = sandbox.network.messenger.customer_message(PAGE, "a Facebook Messenger message",
                                                              {"id": "24000000000000001", "name": "Bo"})
    result = instagram.fetch({})
    items = private_items(result)
    assert set(items) == {asked.id, sent.external_id, native.id}  # Instagram's conversations only
    assert messenger_dm.id not in items
    dm = items[asked.id]
    assert (dm.network, dm.from_brand, dm.author.external_id, dm.author.handle) == ("instagram", False, PSID, "ann.lee")
    for brand_id in (sent.external_id, native.id):
        assert items[brand_id].from_brand and items[brand_id].counterpart.external_id == PSID
    assert {"instagram", "conversations"} <= set(result.rate_limits)
    quiet = connector(sandbox).fetch(result.cursor)
    assert private_items(quiet) == {}


def test_dm_window_and_length_refusals(sandbox):
    customer_dm(sandbox, "three days ago", created_at=ago(days=3))
    instagram = connector(sandbox)
    with pytest.raises(RejectedError) as outside:
        instagram.send_private(PSID, "Hello?")
    assert outside.value.reason == "outside_window"
    customer_dm(sandbox, "hi again", igsid="6000000000000778", username="bo")
    with pytest.raises(RejectedError) as too_long:
        instagram.send_private("6000000000000778", "x" * 1001)
    assert too_long.value.reason is None and not too_long.value.retryable


def test_private_reply_to_a_comment_once(sandbox):
    media = brand_media(sandbox)[0]
    comment = customer(sandbox, media.id, "My parcel never came", username="bo.c")
    instagram = connector(sandbox)
    sent = instagram.send_private_reply(comment.id, "Sorry! Could you send us your order number?")
    assert sent.raw["recipient_id"] == comment.author["id"] and sent.external_id
    with pytest.raises(RejectedError) as again:
        instagram.send_private_reply(comment.id, "again")
    assert again.value.reason == "already_replied_privately"
    with pytest.raises(RejectedError) as window:  # a Private Reply does not open the 24-hour window
        instagram.send_private(comment.author["id"], "and another")
    assert window.value.reason == "outside_window"
