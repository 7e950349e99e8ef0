"""FacebookConnector and Messenger against the sandbox over real HTTP (facebook-sdk): the Conversations API poll,
its cursor through 613s, 5xx, HTML pages and timeouts, its pacing, and the Send API's refusals.

The Send API has no facebook-sdk method: the connector POSTs through GraphAPI.request (see facebook.py)."""
from datetime import datetime, timedelta, timezone

import pytest

from app.connectors import FacebookConnector, RateLimited, RejectedError, TransientError
from app.connectors.facebook_items import ATTACHMENT_TEXT
from app.connectors.facebook_messenger import NESTED_MESSAGES, Pacer
from app.sandbox import DEMO_FACEBOOK
from tests.fixtures.sandbox import facebook_account_info

PAGE = DEMO_FACEBOOK["page_id"]
PSID = "24000000000000001"
FAST = {"messenger_conversations_per_second": 1000}


def connector(sandbox, *, paced=False, timeout=2, **credentials):
    facebook = FacebookConnector(facebook_account_info(sandbox.url, **credentials), timeout=timeout)
    if not paced:
        facebook.pacer = Pacer(1000)  # the sandbox's own 2 calls/s is what these tests meet
    return facebook


def customer_writes(sandbox, text, psid=PSID, name="Ann Lee", created_at=None):
    return sandbox.network.messenger.customer_message(PAGE, text, {"id": psid, "name": name}, created_at=created_at)


def ago(**delta):
    return datetime.now(timezone.utc) - timedelta(**delta)


def private_items(result):
    return {i.external_id: i for i in result.items if i.channel == "private"}


def poll_until_complete(sandbox, cursor, *, polls=40, **options):
    """Poll as the poller does (storing each result's cursor) until a poll completes; every private item of
    every poll, in order (a repeat would show), and the last result."""
    seen = []
    for _ in range(polls):
        try:
            result = connector(sandbox, **options).fetch(cursor)
        except (RateLimited, TransientError):
            continue  # nothing read: the cursor stays
        seen += [i.external_id for i in result.items if i.channel == "private"]
        cursor = result.cursor
        if result.complete:
            return seen, result
    raise AssertionError(f"no complete poll in {polls}")


@pytest.fixture
def messenger(sandbox):
    sandbox.network.reset(FAST)
    return sandbox


def test_poll_maps_customer_messages_and_the_pages_own_as_private_items(messenger):
    asked = customer_writes(messenger, "Where is my order? 🙂", created_at=ago(minutes=5))
    other = customer_writes(messenger, "", psid="24000000000000002", name="Bo Chen")  # a photo alone
    facebook = connector(messenger)
    sent = facebook.send_private(PSID, "Sorry! Your order number, please?")
    native = messenger.network.messenger.page_inbox_message(PAGE, PSID, "Answered from the Page inbox")

    result = facebook.fetch({})
    assert result.complete and result.error is None
    items = private_items(result)
    assert set(items) == {asked.id, other.id, sent.external_id, native.id}
    customer = items[asked.id]
    assert (customer.text, customer.network, customer.channel, customer.from_brand) == (
        "Where is my order? 🙂", "facebook", "private", False)
    assert (customer.author.external_id, customer.author.name) == (PSID, "Ann Lee")
    assert customer.created_at == asked.created_time.replace(microsecond=0) and customer.counterpart is None
    assert items[other.id].text == ATTACHMENT_TEXT and items[other.id].author.name == "Bo Chen"
    for brand_id in (sent.external_id, native.id):  # Carebox's own message and the native answer alike
        brand = items[brand_id]
        assert brand.from_brand and brand.channel == "private" and brand.author is None
        assert (brand.counterpart.external_id, brand.counterpart.name) == (PSID, "Ann Lee")
    assert set(result.rate_limits) == {"feed", "conversations"}
    assert result.rate_limits["conversations"].limit == 100

    quiet = connector(messenger).fetch(result.cursor)
    assert quiet.complete and private_items(quiet) == {}  # nothing new: nothing read again
    later = customer_writes(messenger, "It is 1234")
    again = connector(messenger).fetch(quiet.cursor)
    assert set(private_items(again)) == {later.id}


def test_cursor_shape_and_the_backfill_window(messenger):
    old = customer_writes(messenger, "two days ago", psid="24000000000000009", created_at=ago(hours=48))
    recent = customer_writes(messenger, "this morning", created_at=ago(hours=3))
    result = connector(messenger).fetch({})
    assert set(private_items(result)) == {recent.id} and old.id not in private_items(result)
    cursor = result.cursor["messenger"]
    assert cursor["since"] == int(recent.created_time.timestamp())
    (position,) = cursor["conversations"].values()  # the conversations older than `since` need no entry
    assert position == {"read": [int(recent.created_time.timestamp()), [recent.id]]}


def test_a_conversation_with_more_new_messages_than_fit_is_paged_through_messages(messenger):
    start = ago(minutes=30)
    ids = [customer_writes(messenger, f"message {n}", created_at=start + timedelta(seconds=5 * n)).id
           for n in range(NESTED_MESSAGES * 6)]
    result = connector(messenger).fetch({})
    assert result.complete
    assert sorted(private_items(result)) == sorted(ids)
    assert result.requests == 1 + 2 + 1 + 2  # feed, the seeded posts' comments, the listing, two /messages pages
    assert "gap" not in next(iter(result.cursor["messenger"]["conversations"].values()))


@pytest.mark.parametrize("kind", ["613", "503", "html", "timeout"])
def test_a_read_stopped_in_a_conversations_messages_goes_on_from_there(messenger, kind):
    start = ago(minutes=40)
    ids = [customer_writes(messenger, f"message {n}", created_at=start + timedelta(seconds=3 * n)).id
           for n in range(NESTED_MESSAGES + 250)]
    fault = {"kind": "429", "code": 613, "retry_after": 0} if kind == "613" else {"kind": kind}
    # The listing and the first /messages page pass; the second /messages page fails.
    messenger.network.add_fault(network="facebook", path_contains="/t_", skip=1, **fault)
    first = connector(messenger, timeout=0.5).fetch({})
    assert not first.complete and isinstance(first.error, RateLimited if kind == "613" else TransientError)
    read = set(private_items(first))
    assert read == set(ids[-(NESTED_MESSAGES + 100):])  # the newest, down to where it stopped
    (position,) = first.cursor["messenger"]["conversations"].values()
    assert position["gap"]["after"] and position["gap"]["top"][1] == [ids[-1]]
    if kind == "613":
        assert first.rate_limits["conversations"].remaining == 0
        assert first.rate_limits["conversations"].reset_at <= datetime.now(timezone.utc) + timedelta(seconds=1)

    rest, last = poll_until_complete(messenger, first.cursor)
    assert sorted(rest) == sorted(set(ids) - read)  # nothing lost, nothing read twice
    assert "gap" not in next(iter(last.cursor["messenger"]["conversations"].values()))


@pytest.mark.parametrize("kind", ["613", "500", "html", "timeout"])
def test_a_listing_stopped_part_way_keeps_the_conversations_it_read(messenger, kind):
    ids = [customer_writes(messenger, f"hello from {n}", psid=f"2400000000000{n:04d}",
                           created_at=ago(minutes=50) + timedelta(seconds=n)).id for n in range(60)]
    fault = {"kind": "429", "code": 613, "retry_after": 0} if kind == "613" else {"kind": kind}
    messenger.network.add_fault(network="facebook", path_contains="/conversations", skip=1, **fault)
    first = connector(messenger, timeout=0.5).fetch({})
    assert not first.complete
    assert set(private_items(first)) == set(ids[-25:])  # the first page: the 25 newest conversations
    assert first.cursor["messenger"]["since"] < int(ago(minutes=49).timestamp())  # not moved: not all read
    late = customer_writes(messenger, "a newcomer while we were stopped", psid="24000000009999")
    rest, _ = poll_until_complete(messenger, first.cursor)
    assert sorted(rest) == sorted(set(ids[:-25]) | {late.id})


def test_every_other_call_refused_still_reads_everything_once(messenger):
    start = ago(minutes=45)
    ids = []
    for n in range(40):
        psid = f"2400000000001{n % 30:03d}"
        ids.append(customer_writes(messenger, f"message {n}", psid=psid, created_at=start + timedelta(seconds=n)).id)
    ids += [customer_writes(messenger, f"burst {n}", created_at=start + timedelta(minutes=1, seconds=n)).id
            for n in range(NESTED_MESSAGES * 3)]
    messenger.network.add_fault("429", network="facebook", code=613, retry_after=0, every=2, count=None,
                                path_contains="/t_")
    messenger.network.add_fault("html", network="facebook", every=3, count=None, path_contains="/conversations")
    seen, _ = poll_until_complete(messenger, {}, polls=60)
    assert sorted(seen) == sorted(ids)


def test_a_613_on_conversations_does_not_stop_the_feed_and_a_feeds_613_does_not_stop_messenger(messenger):
    comment = messenger.network.inject_comment(PAGE, "public question", author={"id": "5001", "name": "Olga"})
    message = customer_writes(messenger, "private question")
    messenger.network.add_fault("429", network="facebook", code=613, retry_after=0, path_contains="/conversations")
    result = connector(messenger).fetch({})
    assert {i.external_id for i in result.items} == {comment.id}
    assert isinstance(result.error, RateLimited) and result.error.code == 613 and not result.complete
    assert result.rate_limits["conversations"].remaining == 0 and result.rate_limits["feed"].remaining > 0
    resumed = connector(messenger).fetch(result.cursor)
    assert message.id in private_items(resumed)

    messenger.network.reset(FAST)
    message = customer_writes(messenger, "another private question")
    messenger.network.add_fault("429", network="facebook", code=613, retry_after=0, path_contains="/feed")
    limited = connector(messenger).fetch({})
    assert isinstance(limited.error, RateLimited) and limited.error.code == 613
    assert set(private_items(limited)) == {message.id}


def test_the_pages_whole_budget_spent_stops_both_reads_and_they_take_turns(messenger):
    message = customer_writes(messenger, "private question")
    messenger.network.add_fault("429", network="facebook", code=32, retry_after=60, path_contains="/feed")
    with pytest.raises(RateLimited) as limited:  # the Page's budget: the Conversations API is refused as well
        connector(messenger).fetch({})
    assert limited.value.code == 32
    first = connector(messenger).fetch({})
    assert first.complete and message.id in private_items(first)
    assert first.cursor["messenger"]["goes_first"] is True  # the next poll reads Messenger before the feed
    network = messenger.network
    network.add_fault("429", network="facebook", code=32, retry_after=60, path_contains="/conversations")
    network.add_fault("503", network="facebook", path_contains="/feed")  # shows whether the feed was called
    with pytest.raises(RateLimited):
        connector(messenger).fetch(first.cursor)
    assert [f["kind"] for f in network.faults.pending()] == ["503"]  # the feed was not read under a spent budget


def test_calls_are_paced_to_the_pages_2_per_second(sandbox):
    sandbox.network.reset({"messenger_conversations_per_second": 2})  # the documented limit
    ids = [customer_writes(sandbox, f"message {n}", created_at=ago(minutes=20) + timedelta(seconds=n)).id
           for n in range(NESTED_MESSAGES * 4)]  # the listing, then three /messages pages
    result = connector(sandbox, paced=True).fetch({})
    assert result.complete and result.error is None  # no 613
    assert sorted(private_items(result)) == sorted(ids)


def test_a_refused_paging_cursor_reads_the_conversation_again_without_loss(messenger):
    ids = [customer_writes(messenger, f"message {n}", created_at=ago(minutes=10) + timedelta(seconds=n)).id
           for n in range(NESTED_MESSAGES + 10)]
    messenger.network.add_fault("503", network="facebook", path_contains="/t_")
    first = connector(messenger).fetch({})
    (conversation_id,) = first.cursor["messenger"]["conversations"]
    first.cursor["messenger"]["conversations"][conversation_id]["gap"]["after"] = "bm90IGEgY3Vyc29y"  # garbage
    seen, _ = poll_until_complete(messenger, first.cursor)
    assert set(seen) | set(private_items(first)) == set(ids)


# ------------------------------------------------------------------------------------------ Send API

def test_send_within_the_window_and_its_usage(messenger):
    customer_writes(messenger, "Where is my order?", created_at=ago(hours=23))
    facebook = connector(messenger)
    sent = facebook.send_private(PSID, "We are on it " + "x" * 1980)  # 1993 characters
    assert sent.external_id.startswith("m_") and sent.raw["recipient_id"] == PSID
    landed = messenger.network.messenger.conversations[
        next(iter(messenger.network.messenger.conversations))].messages[-1]
    assert landed.id == sent.external_id and landed.app_id == int(DEMO_FACEBOOK["app_id"])
    assert set(facebook.last_rate_limits) == {"send_api"} and facebook.last_rate_limits["send_api"].limit == 100


def test_outside_the_window_and_the_human_agent_tag(messenger):
    customer_writes(messenger, "three days ago", created_at=ago(days=3))
    facebook = connector(messenger)
    refused = refusal(lambda: facebook.send_private(PSID, "Hello?"))
    assert refused.reason == "outside_window" and refused.code == 10
    without_permission = refusal(lambda: facebook.send_private(PSID, "Hello?", human_agent=True))
    assert without_permission.reason == "outside_window"
    messenger.network.messenger.set_human_agent(PAGE)
    assert facebook.send_private(PSID, "A human here, sorry for the wait", human_agent=True).raw["recipient_id"] == PSID
    assert refusal(lambda: facebook.send_private(PSID, "untagged")).reason == "outside_window"
    customer_writes(messenger, "eight days ago", psid="24000000000000005", created_at=ago(days=8))
    late = refusal(lambda: facebook.send_private("24000000000000005", "too late", human_agent=True))
    assert late.reason == "outside_window" and "outside of allowed window" in late.message
    assert "send_api" in facebook.last_rate_limits  # the refused send's usage too


def test_text_over_2000_characters_is_refused(messenger):
    customer_writes(messenger, "hi")
    too_long = refusal(lambda: connector(messenger).send_private(PSID, "x" * 2001))
    assert too_long.reason is None and "2000" in too_long.message and not too_long.retryable


def test_private_reply_once_per_comment_and_not_to_old_or_own_comments(messenger):
    network = messenger.network
    comment = network.inject_comment(PAGE, "My parcel never came", author={"id": "700", "name": "Bo"})
    old = network.inject_comment(PAGE, "ancient", author={"id": "701", "name": "Cy"}, created_at=ago(days=8))
    own = network.post_page_comment(PAGE, comment.id, "We are looking into it")
    facebook = connector(messenger)
    sent = facebook.send_private_reply(comment.id, "Sorry! Could you send us your order number?")
    assert sent.raw["recipient_id"] == "700" and sent.external_id.startswith("m_")
    again = refusal(lambda: facebook.send_private_reply(comment.id, "again"))
    assert again.reason == "already_replied_privately" and again.code == 10900
    assert refusal(lambda: facebook.send_private_reply(old.id, "late")).reason == "cannot_reply_privately"
    assert refusal(lambda: facebook.send_private_reply(own.id, "ourselves")).reason == "cannot_reply_privately"
    # Until the customer answers, the 24-hour window is not open.
    assert refusal(lambda: facebook.send_private("700", "and another")).reason == "outside_window"


def refusal(call):
    with pytest.raises(RejectedError) as refused:
        call()
    return refused.value
