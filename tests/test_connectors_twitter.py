"""TwitterConnector end to end against the sandbox network (real HTTP through tweepy)."""
import time
from datetime import datetime, timedelta, timezone

import pytest

from app.connectors import (
    AuthError, NoConnectorError, RateLimited, RejectedError, TransientError, TwitterConnector, connector_for,
)
from app.connectors.base import AccountInfo
from app.sandbox import DEMO_X
from tests.fixtures.sandbox import facebook_account_info, x_account_info

BRAND = DEMO_X["user_id"]
SECRETS = [v for k, v in DEMO_X.items() if k not in ("user_id", "username", "name")]


def connector(sandbox, timeout=2, **credentials):
    return TwitterConnector(x_account_info(sandbox.url, **credentials), timeout=timeout)


def mention(sandbox, text="@carebox_demo help", **kwargs):
    return sandbox.network.inject_tweet(BRAND, text, **kwargs)


def assert_no_secret(message):
    assert not any(secret in message for secret in SECRETS), message


def test_connector_for_picks_by_network(sandbox):
    assert isinstance(connector_for(x_account_info(sandbox.url), timeout=1), TwitterConnector)
    assert connector_for(facebook_account_info(sandbox.url), timeout=1).network == "facebook"
    custom = AccountInfo(3, "custom", "Shop chat", None, None, None, {})
    with pytest.raises(NoConnectorError, match="custom"):
        connector_for(custom, timeout=1)


def test_identify_with_user_context_and_with_bearer_plus_user_id(sandbox):
    identity = connector(sandbox, user_id=None).identify()
    assert (identity.external_id, identity.handle, identity.name) == (BRAND, "carebox_demo", "Carebox Demo")
    app_only = connector(sandbox, consumer_key=None, consumer_secret=None, access_token=None,
                         access_token_secret=None)
    assert app_only.identify().handle == "carebox_demo"
    with pytest.raises(AuthError):
        connector(sandbox, bearer_token=None, access_token=None).identify()


def test_fetch_maps_full_and_minimal_payloads(sandbox):
    author = {"id": "4242", "username": "jane_doe", "name": "Jane Doe", "followers_count": 321}
    first = mention(sandbox, "@carebox_demo my parcel is late", author=author)
    follow_up = mention(sandbox, "@carebox_demo any news?", author=author, in_reply_to=first.id)
    bare = mention(sandbox, "only id and text", minimal=True)

    result = connector(sandbox).fetch({})
    assert result.complete and result.error is None
    items = {item.external_id: item for item in result.items}
    full = items[follow_up.id]
    assert full.text == "@carebox_demo any news?"
    assert full.created_at.tzinfo is not None and abs(full.created_at - datetime.now(timezone.utc)) < timedelta(minutes=1)
    assert (full.author.external_id, full.author.handle, full.author.name) == ("4242", "jane_doe", "Jane Doe")
    assert full.author.followers_count == 321 and full.author.profile_url == "https://x.com/jane_doe"
    assert (full.in_reply_to, full.thread_id, full.from_brand) == (first.id, first.id, False)
    assert items[first.id].in_reply_to is None
    minimal = items[bare.id]
    assert (minimal.author, minimal.created_at, minimal.thread_id, minimal.in_reply_to) == (None, None, None, None)
    assert result.cursor == {"mentions_since_id": bare.id}
    assert result.rate_limit.limit == 450 and result.rate_limit.remaining < 450 and result.rate_limit.reset_at
    assert result.requests == 3  # mentions, the brand's own tweets, its direct messages


def test_first_poll_backfills_the_window_then_reads_every_new_page(sandbox):
    ids = [mention(sandbox, f"@carebox_demo backlog {n}").id for n in range(120)]
    first = connector(sandbox).fetch({})
    assert sorted(i.external_id for i in first.items) == sorted(ids)  # both pages, not just the newest
    assert first.complete and first.cursor == {"mentions_since_id": ids[-1]}

    newer = [mention(sandbox, f"@carebox_demo new {n}").id for n in range(230)]
    second = connector(sandbox).fetch(first.cursor)
    assert sorted(item.external_id for item in second.items) == sorted(newer)
    assert second.cursor["mentions_since_id"] == newer[-1] and second.requests == 5  # 3 pages, own tweets, direct messages

    third = connector(sandbox).fetch(second.cursor)
    assert third.items == [] and third.complete and third.cursor == second.cursor  # empty page: cursor stays


def test_backfill_reads_back_the_configured_window_only(sandbox):
    now = datetime.now(timezone.utc)
    too_old = [mention(sandbox, f"@carebox_demo last week {n}", created_at=now - timedelta(hours=30 - n))
               for n in range(3)]
    inside = [mention(sandbox, f"@carebox_demo this morning {n}", created_at=now - timedelta(hours=5, minutes=n))
              for n in range(3)]
    # The brand's own timeline (its native replies) is read back over the same window.
    old_reply = sandbox.network.post_brand_tweet(BRAND, "Sorry, checking!", in_reply_to=too_old[0].id,
                                                 created_at=now - timedelta(hours=29))
    new_reply = sandbox.network.post_brand_tweet(BRAND, "On its way!", in_reply_to=inside[0].id,
                                                 created_at=now - timedelta(hours=4))
    result = TwitterConnector(x_account_info(sandbox.url), timeout=2, backfill=timedelta(hours=6)).fetch({})
    assert {i.external_id for i in result.items} == {t.id for t in inside} | {new_reply.id}
    assert not {t.id for t in too_old} & {i.external_id for i in result.items}
    assert result.cursor == {"mentions_since_id": inside[0].id, "tweets_since_id": new_reply.id}
    # The window is X's own start_time, at second granularity, as tweepy formats it.
    assert sandbox.network.stats.served("twitter").keys() == {t.id for t in inside} | {new_reply.id}
    assert old_reply.id not in sandbox.network.stats.served("twitter")


def test_backfill_reaches_as_far_as_x_serves_mentions(sandbox):
    ids = [mention(sandbox, f"@carebox_demo flood {n}").id for n in range(850)]
    result = connector(sandbox).fetch({})
    assert len(result.items) == 800 and {i.external_id for i in result.items} == set(ids[-800:])
    assert result.complete and result.cursor == {"mentions_since_id": ids[-1]}


def test_duplicates_across_pages_are_dropped(sandbox):
    since = mention(sandbox, "@carebox_demo before").id
    ids = [mention(sandbox, f"@carebox_demo {n}").id for n in range(150)]
    sandbox.network.add_fault("duplicate_page", network="twitter", path_contains="/mentions")
    result = connector(sandbox).fetch({"mentions_since_id": since})
    assert sorted(i.external_id for i in result.items) == sorted(ids)
    assert result.complete and result.cursor["mentions_since_id"] == ids[-1]


def test_brand_tweets_are_from_brand(sandbox):
    customer = mention(sandbox, "@carebox_demo is the shop open?")
    native = sandbox.network.post_brand_tweet(BRAND, "Yes, until 8pm!", in_reply_to=customer.id)
    twitter = connector(sandbox)
    result = twitter.fetch({})
    items = {item.external_id: item for item in result.items}
    assert items[customer.id].from_brand is False
    assert items[native.id].from_brand is True and items[native.id].in_reply_to == customer.id
    assert result.cursor == {"mentions_since_id": customer.id, "tweets_since_id": native.id}

    sent = twitter.send_reply(customer.id, "And on Sundays until 6pm.")
    later = twitter.fetch(result.cursor)
    assert [(i.external_id, i.from_brand) for i in later.items] == [(sent.external_id, True)]


def test_user_context_reads_without_bearer_and_reports_identity(sandbox):
    mention(sandbox)
    twitter = connector(sandbox, bearer_token=None, user_id=None)
    result = twitter.fetch({})
    assert len(result.items) == 1 and result.identity.external_id == BRAND
    assert result.rate_limit.limit == 180  # the user-context mentions budget


def test_rate_limit_becomes_rate_limited_with_reset(sandbox):
    sandbox.network.reset({"x_rate_limit_window": 10, "x_rate_limits": {"mentions": {"app": 2}}})
    twitter = connector(sandbox)
    assert twitter.fetch({}).rate_limit.remaining == 1
    twitter.fetch({})
    with pytest.raises(RateLimited) as limited:
        twitter.fetch({})
    reset_at = limited.value.reset_at
    assert reset_at is not None and datetime.now(timezone.utc) < reset_at <= datetime.now(timezone.utc) + timedelta(seconds=11)
    assert limited.value.retryable


def test_error_mid_pagination_keeps_the_position_and_the_next_fetch_reads_only_the_gap(sandbox):
    since = mention(sandbox, "@carebox_demo before").id
    ids = [mention(sandbox, f"@carebox_demo {n}").id for n in range(250)]
    sandbox.network.add_fault("503", network="twitter", path_contains="/mentions", skip=1)
    result = connector(sandbox).fetch({"mentions_since_id": since})
    assert not result.complete and isinstance(result.error, TransientError)
    assert [i.external_id for i in result.items] == ids[::-1][:100]
    # The newest post read becomes the since_id; the range below the oldest one reached is a gap.
    assert result.cursor == {"mentions_since_id": ids[-1], "mentions_gap": {"since_id": since, "until_id": ids[-100]}}

    later = [mention(sandbox, f"@carebox_demo meanwhile {n}").id for n in range(3)]
    served_before = sandbox.network.stats.served("twitter")
    resumed = connector(sandbox).fetch(result.cursor)
    assert resumed.complete and resumed.cursor == {"mentions_since_id": later[-1]}
    assert sorted(i.external_id for i in resumed.items) == sorted(later + ids[:150])
    served = sandbox.network.stats.served("twitter") - served_before
    assert set(served) == set(later + ids[:150]) and max(served.values()) == 1  # nothing read twice


@pytest.mark.parametrize("kind", ["429", "html", "timeout"])
def test_a_backfill_stopped_at_any_page_goes_on_from_there(sandbox, kind):
    ids = [mention(sandbox, f"@carebox_demo backlog {n}").id for n in range(300)]
    sandbox.network.add_fault(kind, network="twitter", path_contains="/mentions", skip=2,
                              delay=1.0 if kind == "timeout" else None)
    first = connector(sandbox, timeout=0.5).fetch({})
    assert not first.complete and len(first.items) == 200
    gap = first.cursor["mentions_gap"]
    assert gap["until_id"] == ids[100] and gap["start_time"].endswith("Z") and "since_id" not in gap
    assert first.cursor["mentions_since_id"] == ids[-1]
    if kind == "429":
        assert isinstance(first.error, RateLimited) and first.error.reset_at is not None
        sandbox.network.limiter.clear()  # the window is over
    else:
        assert isinstance(first.error, TransientError)

    second = connector(sandbox).fetch(first.cursor)
    assert second.complete and "mentions_gap" not in second.cursor
    assert sorted(i.external_id for i in first.items + second.items) == sorted(ids)
    if kind == "timeout":  # the page the client gave up on is still answered, to nobody
        key = f"twitter:{BRAND}"
        while sandbox.network.stats.snapshot()["accounts"][key]["in_flight"]:
            time.sleep(0.05)
    repeated = {i for i, n in sandbox.network.stats.served("twitter").items() if n > 1}
    assert repeated == (set(ids[:100]) if kind == "timeout" else set())  # only what never arrived is read again


def test_the_second_stream_failing_keeps_the_first_streams_progress(sandbox):
    since = mention(sandbox, "@carebox_demo before").id
    ids = [mention(sandbox, f"@carebox_demo {n}").id for n in range(150)]
    sandbox.network.add_fault("429", network="twitter", path_contains="/tweets")
    partial = connector(sandbox).fetch({"mentions_since_id": since})
    assert not partial.complete and isinstance(partial.error, RateLimited) and len(partial.items) == 150
    assert partial.cursor == {"mentions_since_id": ids[-1]}


def test_a_network_failing_every_other_call_still_gets_through_the_backlog(sandbox):
    ids = [mention(sandbox, f"@carebox_demo backlog {n}").id for n in range(450)]
    sandbox.network.add_fault("503", network="twitter", path_contains="/mentions", every=2, count=None)
    cursor, read, fetches = {}, [], 0
    while True:
        fetches += 1
        try:
            result = connector(sandbox).fetch(cursor)
        except TransientError:
            continue  # nothing read: the cursor stays
        read += [i.external_id for i in result.items]
        cursor = result.cursor
        assert len([k for k in cursor if k.endswith("_gap")]) <= 1  # one gap at most
        if result.complete:
            break
        assert fetches < 20
    assert sorted(read) == sorted(ids) and len(read) == len(set(read))
    assert fetches == 6  # one page per fetch (the brand's own timeline has its own budget)


def test_a_gap_x_no_longer_serves_reads_empty_and_closes(sandbox):
    since = mention(sandbox, "@carebox_demo before").id
    ids = [mention(sandbox, f"@carebox_demo {n}").id for n in range(150)]
    sandbox.network.add_fault("503", network="twitter", path_contains="/mentions", skip=1)
    cursor = connector(sandbox).fetch({"mentions_since_id": since}).cursor
    assert cursor["mentions_gap"] == {"since_id": since, "until_id": ids[50]}
    flood = [mention(sandbox, f"@carebox_demo flood {n}").id for n in range(800)]  # X serves only the newest 800
    result = connector(sandbox).fetch(cursor)
    assert result.complete and result.cursor == {"mentions_since_id": flood[-1]}
    assert {i.external_id for i in result.items} == set(flood)


@pytest.mark.parametrize("kind", ["500", "503", "html", "timeout", "malformed", "reset_connection"])
def test_transient_failures(sandbox, kind):
    mention(sandbox)
    sandbox.network.add_fault(kind, network="twitter")
    with pytest.raises(TransientError) as failed:
        connector(sandbox, timeout=0.5).fetch({})
    assert failed.value.retryable
    assert_no_secret(failed.value.message)


def test_bad_credentials_are_auth_errors(sandbox):
    with pytest.raises(AuthError) as wrong_bearer:
        connector(sandbox, bearer_token="revoked-bearer").fetch({})
    assert not wrong_bearer.value.retryable and wrong_bearer.value.status == 401
    sandbox.network.add_fault("bad_token", network="twitter")
    with pytest.raises(AuthError):
        connector(sandbox).fetch({})
    with pytest.raises(AuthError):
        connector(sandbox, access_token_secret=None).send_reply("1", "hi")  # no user context
    assert_no_secret(wrong_bearer.value.message)


def test_reply_lands_in_the_sandbox(sandbox):
    customer = mention(sandbox, "@carebox_demo my card was charged twice")
    sent = connector(sandbox).send_reply(customer.id, "We're sorry! A refund is on its way.")
    landed = sandbox.network.replies("twitter", BRAND)
    assert landed[0]["id"] == sent.external_id and landed[0]["in_reply_to"] == customer.id
    assert sandbox.network.tweets[sent.external_id].in_reply_to_tweet_id == customer.id
    assert abs(sent.created_at - datetime.now(timezone.utc)) < timedelta(seconds=5)
    assert sent.raw["text"] == "We're sorry! A refund is on its way."


def test_reply_refusals_carry_the_networks_reason(sandbox):
    customer = mention(sandbox)
    twitter = connector(sandbox)
    messages = []

    def refused(error_class, parent, text, **credentials):
        with pytest.raises(error_class) as caught:
            (connector(sandbox, **credentials) if credentials else twitter).send_reply(parent, text)
        messages.append(caught.value.message)
        return caught.value

    assert "too long" in refused(RejectedError, customer.id, "x" * 281).message
    twitter.send_reply(customer.id, "Thanks for reaching out!")
    assert "duplicate content" in refused(RejectedError, customer.id, "Thanks for reaching out!").message
    sandbox.network.delete(customer.id)
    deleted = refused(RejectedError, customer.id, "Are you still there?")
    assert "deleted or not visible" in deleted.message and not deleted.retryable and deleted.status == 403
    refused(AuthError, mention(sandbox).id, "hello", access_token="1500000000000000001-stolen")
    sandbox.network.add_fault("timeout", network="twitter")
    refused(TransientError, mention(sandbox).id, "slow", timeout=0.3)
    for message in messages:
        assert_no_secret(message)
