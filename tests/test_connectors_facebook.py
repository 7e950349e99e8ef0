"""FacebookConnector end to end against the sandbox network (real HTTP through facebook-sdk)."""
import socket
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from app.connectors import AuthError, FacebookConnector, RateLimited, RejectedError, TransientError
from app.sandbox import DEMO_FACEBOOK
from tests.fixtures.sandbox import facebook_account_info

PAGE = DEMO_FACEBOOK["page_id"]
SECRETS = [DEMO_FACEBOOK["page_access_token"], DEMO_FACEBOOK["app_secret"]]


def connector(sandbox, timeout=2, api_base_url=None, **credentials):
    return FacebookConnector(facebook_account_info(api_base_url or sandbox.url, **credentials), timeout=timeout)


def comment(sandbox, text="Where is my order?", **kwargs):
    kwargs.setdefault("author", {"id": "5001", "name": "Olga K."})
    return sandbox.network.inject_comment(PAGE, text, **kwargs)


def assert_no_secret(message):
    assert not any(secret in message for secret in SECRETS), message
    assert "access_token=sandbox" not in message


def test_identify_finds_the_page(sandbox):
    identity = connector(sandbox).identify()
    assert (identity.external_id, identity.name) == (PAGE, "Carebox Demo Page")
    assert connector(sandbox, page_id=None).identify().external_id == PAGE  # through /me


def test_fetch_maps_comments_replies_and_anonymous_authors(sandbox):
    post = sandbox.network.latest_post(PAGE)
    top = comment(sandbox, "My parcel never arrived 😡")
    anonymous = comment(sandbox, "Same problem here", author=None)
    reply = comment(sandbox, "Any update?", parent_id=top.id, author={"id": "5002", "name": "Ivan"})
    brand = sandbox.network.post_page_comment(PAGE, top.id, "We're checking, sorry!")

    result = connector(sandbox, graph_version="21.0").fetch({})
    assert result.complete and result.error is None
    items = {item.external_id: item for item in result.items}
    assert set(items) == {top.id, anonymous.id, reply.id, brand.id}
    first = items[top.id]
    assert first.text == "My parcel never arrived 😡" and first.created_at.tzinfo is not None
    assert (first.author.external_id, first.author.name) == ("5001", "Olga K.")
    assert first.author.profile_url == "https://facebook.com/5001" and first.author.handle is None
    assert (first.in_reply_to, first.thread_id, first.from_brand) == (post.id, top.id, False)
    assert items[anonymous.id].author is None and items[anonymous.id].thread_id == anonymous.id
    assert (items[reply.id].in_reply_to, items[reply.id].thread_id) == (top.id, top.id)
    assert items[brand.id].from_brand is True and items[brand.id].in_reply_to == top.id
    newest = max(int(item.created_at.timestamp()) for item in result.items)
    position = result.cursor["posts"][post.id]  # where the next read of this post starts
    assert position["since"] == newest and position["read"] == position["updated"] >= newest
    assert result.rate_limit.limit == 100 and result.rate_limit.remaining == 100  # 3 calls of 4800: 0 %
    assert result.rate_limit.reset_at is None


def test_cursor_window_skips_old_comments_and_empty_polls_keep_it(sandbox):
    # Three polls back to back read Messenger three times: more than its 2 calls/s (a 613 is another test's).
    sandbox.network.reset({"messenger_conversations_per_second": 1000})
    comment(sandbox, "fresh")
    first = connector(sandbox).fetch({})
    old = comment(sandbox, "written long ago", created_at=datetime.now(timezone.utc) - timedelta(minutes=30))
    new = comment(sandbox, "just now")
    second = connector(sandbox).fetch(first.cursor)
    ids = {item.external_id for item in second.items}
    assert new.id in ids and old.id not in ids  # overlap re-reads a couple of minutes only
    for _post_id, position in second.cursor["posts"].items():
        assert position["read"] == position["updated"]  # every post read to its end
    quiet = connector(sandbox).fetch(second.cursor)
    assert quiet.complete and {i.external_id for i in quiet.items} <= ids  # only the overlap, nothing new


def test_the_cursor_of_earlier_versions_is_taken_over(sandbox):
    post = sandbox.network.latest_post(PAGE)
    before = comment(sandbox, "read by the old poller", created_at=datetime.now(timezone.utc) - timedelta(minutes=10))
    after = comment(sandbox, "written since")
    legacy = {"comments_since": int(before.created_time.timestamp()) + 180}  # it reopened 2 minutes before
    result = connector(sandbox).fetch(legacy)
    assert {i.external_id for i in result.items} == {after.id}
    assert set(result.cursor) == {"posts", "messenger"}
    assert result.cursor["posts"][post.id]["since"] == int(after.created_time.timestamp())


def test_backfill_window_is_configurable(sandbox):
    now = datetime.now(timezone.utc)
    post = sandbox.network.publish_post(PAGE, "Old announcement", created_time=now - timedelta(hours=40))
    too_old = comment(sandbox, "day before yesterday", post_id=post.id, created_at=now - timedelta(hours=30))
    inside = comment(sandbox, "this morning", post_id=post.id, created_at=now - timedelta(hours=5))
    wide = FacebookConnector(facebook_account_info(sandbox.url), timeout=2, backfill=timedelta(hours=48)).fetch({})
    assert {too_old.id, inside.id} <= {i.external_id for i in wide.items}
    narrow = FacebookConnector(facebook_account_info(sandbox.url), timeout=2, backfill=timedelta(hours=6)).fetch({})
    assert {i.external_id for i in narrow.items} == {inside.id}
    # Posts whose last activity is older than the window are not watched: the seeded ones (1 and 2 h old) are.
    assert set(narrow.cursor["posts"]) == {post.id} | {p.id for p in sandbox.network.feed(PAGE)
                                                       if p.updated_time > now - timedelta(hours=6)}


def test_posts_that_fall_out_of_the_window_leave_the_cursor(sandbox):
    post = sandbox.network.latest_post(PAGE)
    comment(sandbox, "hello", post_id=post.id)
    short = timedelta(minutes=30)
    cursor = FacebookConnector(facebook_account_info(sandbox.url), timeout=2, backfill=short).fetch({}).cursor
    assert set(cursor["posts"]) == {post.id}  # the other seeded post's last activity is 2 hours old
    with time_machine.travel(datetime.now(timezone.utc) + short + timedelta(minutes=1)):
        later = FacebookConnector(facebook_account_info(sandbox.url), timeout=2, backfill=short).fetch(cursor)
    assert later.complete and later.cursor["posts"] == {}


def test_pages_through_long_comment_streams_and_drops_duplicates(sandbox):
    post = sandbox.network.latest_post(PAGE)
    ids = [comment(sandbox, f"comment {n}", post_id=post.id).id for n in range(230)]
    sandbox.network.add_fault("duplicate_page", network="facebook", path_contains="/comments", count=2)
    result = connector(sandbox).fetch({})
    assert sorted(item.external_id for item in result.items) == sorted(ids)
    # The feed, three comment pages, one for the other seeded post (recent, so watched), the Messenger conversations.
    assert result.complete and result.requests == 1 + 3 + 1 + 1


def test_error_mid_stream_keeps_each_posts_position(sandbox):
    newer, older = sandbox.network.feed(PAGE)[:2]
    start = datetime.now(timezone.utc) - timedelta(minutes=50)
    ids = [comment(sandbox, f"comment {n}", post_id=older.id, created_at=start + timedelta(seconds=10 * n)).id
           for n in range(150)]
    other = comment(sandbox, "on the newer post", post_id=newer.id).id
    sandbox.network.add_fault("503", network="facebook", path_contains="/comments", skip=1)  # page 2 of `older`
    result = connector(sandbox).fetch({})
    assert not result.complete and isinstance(result.error, TransientError)
    assert {i.external_id for i in result.items} == set(ids[:100])  # the post furthest behind comes first
    position = result.cursor["posts"][older.id]
    assert "read" not in position and position["since"] == int(start.timestamp()) + 10 * 99

    resumed = connector(sandbox).fetch(result.cursor)
    assert resumed.complete
    assert {i.external_id for i in resumed.items} == set(ids[99:]) | {other}  # from the second it stopped at
    repeated = {i for i, n in sandbox.network.stats.served("facebook").items() if n > 1}
    assert repeated == {ids[99]}  # only that second's comment is read twice


def test_error_before_any_item_raises(sandbox):
    comment(sandbox)
    sandbox.network.add_fault("503", network="facebook", path_contains="/feed")
    with pytest.raises(TransientError):
        connector(sandbox).fetch({})


def test_rate_limits_become_rate_limited(sandbox):
    sandbox.network.add_fault("429", network="facebook")  # the page's hourly budget is spent
    with pytest.raises(RateLimited) as limited:
        connector(sandbox).fetch({})
    assert limited.value.code == 32
    # Graph sends no reset time: X-Business-Use-Case-Usage's estimated_time_to_regain_access says when.
    expected = datetime.now(timezone.utc) + timedelta(seconds=sandbox.network.settings["graph_rate_limit_window"])
    assert abs((limited.value.reset_at - expected).total_seconds()) <= 61  # whole minutes
    sandbox.network.reset({"graph_rate_limit_window": 10, "graph_rate_limits": {"page": 5}})
    facebook = connector(sandbox)
    assert facebook.identify().external_id == PAGE
    result = facebook.fetch({})  # the feed, the comments of the two seeded posts, the Messenger conversations
    assert result.rate_limits["feed"].remaining == 20  # 4 of 5 calls spent: call_count 80 %
    assert result.rate_limits["conversations"].remaining == 0  # the fifth call
    assert result.rate_limit == result.rate_limits["conversations"]  # the tightest paces the polls
    with pytest.raises(RateLimited, match="request limit reached"):
        facebook.fetch(result.cursor)


@pytest.mark.parametrize("code, message", [(4, "Application request limit"), (17, "User request limit"),
                                           (32, "Page request limit"), (613, "exceeded the rate limit"),
                                           (80001, "too many calls to this Page account")])
def test_every_graph_rate_limit_code_is_a_rate_limit_with_the_regain_estimate(sandbox, code, message):
    sandbox.network.add_fault("429", network="facebook", code=code, retry_after=150)
    with pytest.raises(RateLimited, match=message) as limited:
        connector(sandbox).fetch({})
    assert limited.value.code == code and limited.value.retryable
    wait = (limited.value.reset_at - datetime.now(timezone.utc)).total_seconds()
    assert 170 < wait <= 180  # 150 s, rounded up to Graph's whole minutes
    assert connector(sandbox).fetch({}).complete  # only that call was refused


def test_a_rate_limit_without_an_estimate_leaves_the_wait_to_the_poller(sandbox):
    sandbox.network.add_fault("429", network="facebook", code=613, retry_after=0)
    with pytest.raises(RateLimited) as limited:
        connector(sandbox).fetch({})
    assert limited.value.reset_at is None


@pytest.mark.parametrize("kind", ["500", "503", "html", "timeout", "malformed", "reset_connection"])
def test_transient_failures(sandbox, kind):
    comment(sandbox)
    sandbox.network.add_fault(kind, network="facebook")
    with pytest.raises(TransientError) as failed:
        connector(sandbox, timeout=0.5).fetch({})
    assert failed.value.retryable
    assert_no_secret(failed.value.message)


def test_unreachable_host_message_has_no_token(sandbox):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(TransientError) as failed:
        connector(sandbox, api_base_url=closed).fetch({})
    assert "cannot reach Facebook" in failed.value.message and "access_token=***" in failed.value.message
    assert_no_secret(failed.value.message)


def test_bad_credentials_are_auth_errors(sandbox):
    with pytest.raises(AuthError) as bad_token:
        connector(sandbox, page_access_token="revoked").fetch({})
    assert bad_token.value.code == 190 and not bad_token.value.retryable
    with pytest.raises(AuthError, match="appsecret_proof"):
        connector(sandbox, app_secret="wrong-secret").identify()
    sandbox.network.add_fault("bad_token", network="facebook")
    with pytest.raises(AuthError):
        connector(sandbox).fetch({})
    with pytest.raises(AuthError):  # a page id the token cannot see
        connector(sandbox, page_id="123456789").fetch({})
    assert_no_secret(bad_token.value.message)


def test_reply_lands_in_the_sandbox_and_comes_back_as_from_brand(sandbox):
    customer = comment(sandbox, "Do you ship to Minsk?")
    facebook = connector(sandbox)
    first = facebook.fetch({})
    sent = facebook.send_reply(customer.id, "Yes, in 3 to 5 days!")
    landed = sandbox.network.replies("facebook", PAGE)
    assert landed[0]["id"] == sent.external_id and landed[0]["in_reply_to"] == customer.id
    assert sandbox.network.comments[sent.external_id].parent_id == customer.id
    later = {item.external_id: item for item in facebook.fetch(first.cursor).items}
    assert later[sent.external_id].from_brand and later[sent.external_id].in_reply_to == customer.id


def test_reply_refusals_carry_the_networks_reason(sandbox):
    customer = comment(sandbox)
    messages = []

    def refused(error_class, parent, text, **options):
        with pytest.raises(error_class) as caught:
            connector(sandbox, **options).send_reply(parent, text)
        messages.append(caught.value.message)
        return caught.value

    assert "Missing message" in refused(RejectedError, customer.id, "").message
    sandbox.network.delete(customer.id)
    gone = refused(RejectedError, customer.id, "Hello?")
    assert f"Object with ID '{customer.id}' does not exist" in gone.message and not gone.retryable
    refused(AuthError, comment(sandbox).id, "Hi", page_access_token="revoked")
    sandbox.network.add_fault("timeout", network="facebook")
    refused(TransientError, comment(sandbox).id, "slow", timeout=0.3)
    for message in messages:
        assert_no_secret(message)
