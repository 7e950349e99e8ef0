"""X direct messages through TwitterConnector: tweepy's DM methods against the sandbox over real HTTP.

Reading (backfill, incremental polls, partial reads and their resumption), mapping (customer and
brand-native DMs), budgets (DMs and mentions independent, named rate limits) and sending (refusals,
the 24-hour limits).
"""
import json
from datetime import datetime, timedelta, timezone

import pytest

from app.connectors import AuthError, RateLimited, RejectedError, TransientError, TwitterConnector
from app.connectors.twitter_dms import DirectMessagesHeld
from app.sandbox import DEMO_X
from tests.fixtures.sandbox import x_account_info

BRAND = DEMO_X["user_id"]
JANE = {"id": "777", "username": "jane_doe", "name": "Jane Doe", "followers_count": 321}
BOB = {"id": "888", "username": "bob_b", "name": "Bob B"}
PAGE = 100


class DMTraffic:
    """Every DM page the connector was served, read off its real HTTP responses (a requests hook)."""

    def __init__(self, twitter):
        self.pages = []  # event ids of each DM page served, in order
        self.requests = 0
        twitter.session.hooks["response"].append(self._record)

    def _record(self, response, *args, **kwargs):
        if "/2/dm_events" not in response.url:
            return
        self.requests += 1
        try:
            body = response.json()
        except ValueError:
            return  # a proxy's HTML page, a broken body
        if response.status_code == 200:
            self.pages.append([event["id"] for event in body.get("data", [])])

    def served(self):
        counts = {}
        for page in self.pages:
            for event_id in page:
                counts[event_id] = counts.get(event_id, 0) + 1
        return counts


def connector(sandbox, timeout=2, backfill=None, **credentials):
    return TwitterConnector(x_account_info(sandbox.url, **credentials), timeout=timeout, backfill=backfill)


def customer_dms(sandbox, count, author=JANE, spacing=None, prefix="dm"):
    now = datetime.now(timezone.utc)
    return [sandbox.network.inject_dm(BRAND, f"{prefix} {n}", author=author,
                                      created_at=now - spacing * (count - 1 - n) if spacing else None).id
            for n in range(count)]


def dm_ids(result):
    return {item.external_id for item in result.items if item.channel == "private"}


def sandbox_dm_truth(sandbox):
    """Ids of every MessageCreate the sandbox holds for the demo brand (the truth polls must reach)."""
    return {e.id for e in sandbox.network.dm_events_of(BRAND) if e.event_type == "MessageCreate"}


def test_first_poll_backfills_the_window_and_maps_customer_dms(sandbox):
    now = datetime.now(timezone.utc)
    too_old = [sandbox.network.inject_dm(BRAND, f"last week {n}", author=JANE, created_at=now - timedelta(hours=30 + n)).id
               for n in range(3)]
    inside = customer_dms(sandbox, 250, spacing=timedelta(seconds=30))  # three pages, the oldest two hours ago
    twitter = connector(sandbox, backfill=timedelta(hours=6))
    traffic = DMTraffic(twitter)
    result = twitter.fetch({})
    assert result.complete and result.error is None
    assert dm_ids(result) == set(inside) and not set(too_old) & dm_ids(result)
    assert result.cursor == {"dm_newest_id": inside[-1]}
    assert traffic.requests == 3  # the third page reaches the window start: no page beyond it

    item = next(i for i in result.items if i.external_id == inside[-1])
    assert (item.text, item.channel, item.network, item.from_brand) == ("dm 249", "private", "twitter", False)
    assert item.thread_id == f"777-{BRAND}" and item.in_reply_to is None and item.counterpart is None
    assert item.created_at.tzinfo is not None and abs(item.created_at - now) < timedelta(minutes=1)
    author = item.author
    assert (author.external_id, author.handle, author.name, author.followers_count) == ("777", "jane_doe", "Jane Doe", 321)
    assert author.profile_url == "https://x.com/jane_doe" and author.accepts_dms is True

    assert set(result.rate_limits) == {"mentions", "tweets", "dm_lookup"}
    dm_budget = result.rate_limits["dm_lookup"]
    assert (dm_budget.limit, dm_budget.remaining) == (300, 297) and dm_budget.reset_at > now
    assert result.rate_limits["mentions"].limit == 450
    assert result.rate_limit in (result.rate_limits["mentions"], result.rate_limits["tweets"])  # not dm_lookup
    assert result.requests == 5  # mentions, tweets and three DM pages


def test_incremental_polls_bring_only_new_events(sandbox):
    first_ids = customer_dms(sandbox, 5)
    twitter = connector(sandbox)
    first = twitter.fetch({})
    assert dm_ids(first) == set(first_ids)

    traffic = DMTraffic(twitter)
    newer = customer_dms(sandbox, 130, author=BOB, prefix="later")
    second = twitter.fetch(first.cursor)
    assert dm_ids(second) == set(newer) and second.cursor == {"dm_newest_id": newer[-1]}
    assert traffic.requests == 2  # the second page holds the old newest id: paging stops there

    third = twitter.fetch(second.cursor)
    assert dm_ids(third) == set() and third.complete and third.cursor == second.cursor


def test_bearer_only_accounts_skip_dms_without_error(sandbox):
    customer_dms(sandbox, 2)
    mention = sandbox.network.inject_tweet(BRAND, "@carebox_demo hello")
    result = connector(sandbox, consumer_key=None, consumer_secret=None, access_token=None,
                       access_token_secret=None).fetch({})
    assert result.complete and result.error is None
    assert {i.external_id for i in result.items} == {mention.id}
    assert not any(key.startswith("dm_") for key in result.cursor) and "dm_lookup" not in result.rate_limits


@pytest.mark.parametrize("kind", ["429", "503", "html", "timeout"])
def test_a_dm_read_stopped_part_way_goes_on_from_its_token(sandbox, kind):
    since = customer_dms(sandbox, 3, prefix="before")
    twitter = connector(sandbox, timeout=0.5)
    start = twitter.fetch({})
    ids = customer_dms(sandbox, 350)  # four pages above the cursor
    sandbox.network.add_fault(kind, network="twitter", path_contains="/dm_events", skip=2,
                              delay=1.0 if kind == "timeout" else None)
    mention = sandbox.network.inject_tweet(BRAND, "@carebox_demo meanwhile in public")
    traffic = DMTraffic(twitter)
    first = twitter.fetch(start.cursor)
    assert not first.complete and isinstance(first.error, DirectMessagesHeld)
    assert mention.id in {i.external_id for i in first.items}  # the mentions are read all the same
    assert dm_ids(first) == set(ids[-200:])
    gap = first.cursor["dm_gap"]
    assert gap["since_id"] == since[-1] and gap["until_id"] == ids[-200] and gap["pagination_token"]
    assert first.cursor["dm_newest_id"] == ids[-1]
    if kind == "429":
        assert isinstance(first.error.cause, RateLimited)
        paused = datetime.strptime(first.cursor["dm_paused_until"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        assert paused > datetime.now(timezone.utc) and first.error.reset_at == paused
        # Before the reset no DM request is made, and mentions go on.
        requests_before = traffic.requests
        later_mention = sandbox.network.inject_tweet(BRAND, "@carebox_demo still there?")
        held = twitter.fetch(first.cursor)
        assert traffic.requests == requests_before and held.cursor == first.cursor | {
            "mentions_since_id": later_mention.id}
        assert [i.external_id for i in held.items] == [later_mention.id] and isinstance(held.error, DirectMessagesHeld)
        sandbox.network.limiter.clear()  # the window is over…
        first.cursor["dm_paused_until"] = "2000-01-01T00:00:00Z"  # …and the cursor's reset time has passed
    else:
        assert isinstance(first.error.cause, TransientError) and "dm_paused_until" not in first.cursor

    pages_before = len(traffic.pages)
    second = twitter.fetch(first.cursor)
    assert second.complete and second.error is None and "dm_gap" not in second.cursor
    assert dm_ids(second) == set(ids[:-200]) and not dm_ids(first) & dm_ids(second)
    resumed = traffic.pages[pages_before:]
    assert resumed[0][0] == ids[-201]  # the first page asked for is the one after the last page read
    assert dm_ids(start) | dm_ids(first) | dm_ids(second) == sandbox_dm_truth(sandbox)


def test_periodic_faults_over_a_backlog_lose_nothing_and_read_nothing_twice(sandbox):
    ids = customer_dms(sandbox, 600, spacing=timedelta(seconds=5))
    for kind, every in (("429", 5), ("503", 4), ("html", 7)):
        sandbox.network.add_fault(kind, network="twitter", path_contains="/dm_events", every=every, count=None)
    twitter = connector(sandbox)
    traffic = DMTraffic(twitter)
    cursor, polls, seen = {}, 0, []
    while True:
        polls += 1
        assert polls < 40, "the backlog never finished"
        result = twitter.fetch(cursor)
        seen += sorted(dm_ids(result))
        cursor = result.cursor
        if result.complete:
            break
        sandbox.network.limiter.clear()
        cursor.pop("dm_paused_until", None)  # as if each poll came after the DM budget's reset
    assert polls > 3  # the faults did stop reads part way
    assert len(seen) == len(set(seen)), "an event came back in two polls"
    assert set(seen) == set(ids) == sandbox_dm_truth(sandbox)
    # Only the newest page, which every poll looks at for news, is ever served again.
    again = {event_id for event_id, n in traffic.served().items() if n > 1}
    assert again <= set(ids[-PAGE:])


def test_a_refused_pagination_token_reads_the_gap_from_the_top(sandbox):
    ids = customer_dms(sandbox, 150)
    cursor = {"dm_newest_id": ids[-1],
              "dm_gap": {"start_time": "2000-01-01T00:00:00Z", "until_id": ids[100], "pagination_token": "nonsense"}}
    result = connector(sandbox).fetch(cursor)
    assert result.complete and dm_ids(result) == set(ids[:100]) and result.cursor == {"dm_newest_id": ids[-1]}


def test_an_unreadable_dm_cursor_is_read_as_no_cursor(sandbox):
    ids = customer_dms(sandbox, 3)
    garbage = {"dm_newest_id": "not a number", "dm_gap": {"until_id": "x"}, "dm_paused_until": "soon"}
    result = connector(sandbox).fetch(garbage)
    assert result.complete and dm_ids(result) == set(ids) and result.cursor == {"dm_newest_id": ids[-1]}


def test_a_dm_rate_limit_does_not_stop_mentions_and_a_mentions_failure_does_not_stop_dms(sandbox):
    sandbox.network.reset({"x_rate_limit_window": 30, "x_rate_limits": {"dm_lookup": {"user": 2}}})
    dms = customer_dms(sandbox, 250)
    mentions = [sandbox.network.inject_tweet(BRAND, f"@carebox_demo public {n}").id for n in range(3)]
    twitter = connector(sandbox)
    result = twitter.fetch({})
    assert {i.external_id for i in result.items if i.channel == "public"} == set(mentions)
    assert dm_ids(result) == set(dms[-200:])
    assert not result.complete and isinstance(result.error, DirectMessagesHeld)
    assert not isinstance(result.error, RateLimited)  # the poller must not wait for the DM budget
    assert result.rate_limit.limit in (450, 1500)  # the timelines pace the polls…
    assert result.rate_limits["dm_lookup"].remaining == 0  # …and the DM budget is reported on its own
    assert result.cursor["mentions_since_id"] == mentions[-1] and "dm_paused_until" in result.cursor

    sandbox.network.limiter.clear()
    sandbox.network.add_fault("503", network="twitter", path_contains="/mentions")
    result.cursor.pop("dm_paused_until")
    more = customer_dms(sandbox, 2, prefix="more")
    failed = twitter.fetch(result.cursor)
    assert isinstance(failed.error, TransientError) and not failed.complete
    assert dm_ids(failed) == set(dms[:-200]) | set(more)  # the gap and the news, though mentions failed
    assert failed.cursor["mentions_since_id"] == mentions[-1] and "dm_gap" not in failed.cursor


def test_brand_native_dms_are_from_brand_with_the_counterpart(sandbox):
    asked = sandbox.network.inject_dm(BRAND, "Where is my order?", author=JANE)
    answered = sandbox.network.send_brand_dm(BRAND, "Let me check", participant_id="777")  # natively on X
    sandbox.network.customer(BOB)
    first_word = sandbox.network.send_brand_dm(BRAND, "Hi Bob, following up", participant_id="888")
    items = {i.external_id: i for i in connector(sandbox).fetch({}).items}
    assert items[asked.id].from_brand is False and items[asked.id].counterpart is None
    brand = items[answered.id]
    assert brand.from_brand and brand.channel == "private" and brand.thread_id == f"777-{BRAND}"
    assert (brand.author.external_id, brand.author.handle) == (BRAND, "carebox_demo")
    assert (brand.counterpart.external_id, brand.counterpart.handle, brand.counterpart.accepts_dms) == (
        "777", "jane_doe", True)
    # Bob never wrote: the includes say nothing of him, the conversation id still names him.
    assert items[first_word.id].counterpart.external_id == "888"


def test_group_events_and_events_without_text_are_read_past_not_stored(sandbox):
    group = sandbox.network.dm_membership("1582838", BRAND, "777")  # a join event: no text
    with sandbox.network.lock:
        in_group = sandbox.network._add_dm("1582838", "777", "hello everyone", None)
    direct = sandbox.network.inject_dm(BRAND, "just us", author=JANE)
    result = connector(sandbox).fetch({})
    assert dm_ids(result) == {direct.id}
    assert in_group.id not in dm_ids(result) and group.id not in dm_ids(result)
    assert result.cursor == {"dm_newest_id": direct.id}


def test_send_private_refusals(sandbox):
    sandbox.network.inject_dm(BRAND, "hello", author=JANE)
    twitter = connector(sandbox)
    sent = twitter.send_private("777", "How can we help?")
    assert sent.external_id and sent.raw["dm_conversation_id"] == f"777-{BRAND}"
    assert set(twitter.last_rate_limits) == {"dm_send", "dm_send_24h_user", "dm_send_24h_app"}
    assert (twitter.last_rate_limits["dm_send"].limit, twitter.last_rate_limits["dm_send_24h_app"].limit) == (200, 15000)

    sandbox.network.x_users["777"].receives_your_dm = False
    with pytest.raises(RejectedError) as refused:
        twitter.send_private("777", "Hello?")
    assert refused.value.reason == "recipient_refuses_dms" and refused.value.status == 403
    assert "cannot send messages" in refused.value.message
    assert twitter.last_rate_limits["dm_send_24h_user"].remaining == 998  # kept after a refusal too

    # Another 403 (media the brand did not upload) is final, but not the customer's refusal.
    sandbox.network.x_users["777"].receives_your_dm = True
    with pytest.raises(RejectedError) as media:
        twitter._call(lambda: twitter.client.create_direct_message(participant_id=777, media_id="1", user_auth=True),
                      sending=True, private=True)
    assert media.value.reason is None and "attach this media" in media.value.message
    # A 403 about the credentials (app-only auth) is an AuthError.
    with pytest.raises(AuthError):
        twitter._call(lambda: twitter.client.create_direct_message(participant_id=777, text="x", user_auth=False),
                      sending=True, private=True)


def test_the_24_hour_dm_limit_is_rate_limited_until_its_reset(sandbox):
    sandbox.network.reset({"x_dm_daily_limits": {"user": 1}})
    sandbox.network.inject_dm(BRAND, "hello", author=JANE)
    twitter = connector(sandbox)
    twitter.send_private("777", "one")
    assert twitter.last_rate_limits["dm_send_24h_user"].remaining == 0
    with pytest.raises(RateLimited) as limited:
        twitter.send_private("777", "two")
    now = datetime.now(timezone.utc)
    assert limited.value.reset_at > now + timedelta(hours=23) and "24-hour" in limited.value.message
    budgets = twitter.last_rate_limits
    assert budgets["dm_send"].remaining > 0  # the 15-minute window was not the one spent
    assert budgets["dm_send_24h_user"].remaining == 0 and budgets["dm_send_24h_user"].reset_at == limited.value.reset_at
    assert json.dumps({name: limit.to_json() for name, limit in budgets.items()})  # storable in account health
