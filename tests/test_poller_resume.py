"""Backfill and resuming, through the real poller and database against the sandbox over real HTTP.

A newly connected account reads back CAREBOX_BACKFILL_HOURS; a poll that cannot finish (rate
limits, 5xx, a proxy's HTML error page, overlapping pages) stores the progress it made with its
items, and the next polls go on from there until everything is stored exactly once. Waits are
skipped with time-machine, as in test_poller_faults.py; the sandbox counts how often it served
each post, which is how these tests see that no range was read twice.
"""
import json
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
import time_machine

from app.connectors.facebook_cursor import OVERLAP
from app.models import WebhookDelivery
from app.sandbox import DEMO_FACEBOOK
from app.webhooks.endpoints import create_endpoint
from app.worker.polling import poll_account
from tests.conftest import writing
from tests.fixtures.polling import (
    BRAND_ID, assert_stored_exactly_once, brand_posts, connect, reload, sandbox_customer_posts, stored_ids,
    travel_past,
)

OWNER = "test-worker"
MENTIONS = "twitter GET /2/users/<user_id>/mentions"
SPREAD_90_MINUTES = timedelta(seconds=18)  # 300 posts 18 s apart span the last 90 minutes


@pytest.fixture
def traveller():
    with time_machine.travel(datetime.now(timezone.utc), tick=True) as t:
        yield t


def poll(app, account):
    return poll_account(app, account.id, OWNER)


def poll_until_caught_up(app, db, sandbox, account, traveller, expected, max_polls=40):
    """Poll (waiting as the poller says) until every expected post is stored; returns the outcomes."""
    outcomes = []
    while set(stored_ids(db, account.id)) != set(expected):
        assert len(outcomes) < max_polls, f"not caught up after {outcomes}"
        account = reload(db, account.id)
        if account.next_poll_at is not None:
            travel_past(traveller, account.next_poll_at)  # what waiting would do
        outcomes.append(poll(app, account))
        assert reload(db, account.id).health != "unhealthy", outcomes
    return outcomes


def served_repeats(sandbox, network):
    served = sandbox.network.stats.served(network)
    return sum(served.values()) - len(served)


def requests_to(sandbox, endpoint):
    return sandbox.network.stats.snapshot()["endpoints"].get(endpoint, 0)


# ---------------------------------------------------------------------------------------------- X

def test_x_first_poll_backfills_300_mentions_of_the_last_90_minutes(app, db, sandbox, traveller):
    now = datetime.now(timezone.utc)
    older = [sandbox.network.inject_tweet(BRAND_ID["twitter"], f"@carebox_demo last week {n}",
                                          created_at=now - timedelta(hours=30 + n)).id for n in range(5)]
    ids = brand_posts(sandbox, "twitter", 300, spacing=SPREAD_90_MINUTES)
    account = connect(db, sandbox, "twitter")
    assert poll(app, account) == "ok:300"
    assert_stored_exactly_once(db, account.id, ids)
    assert not set(older) & set(sandbox.network.stats.served("twitter"))  # older than the window: never read
    assert requests_to(sandbox, MENTIONS) == 3 and served_repeats(sandbox, "twitter") == 0
    assert reload(db, account.id).cursor == {"mentions_since_id": ids[-1]}


@pytest.mark.config(CAREBOX_BACKFILL_HOURS=2)
def test_x_backfill_window_setting_is_honoured(app, db, sandbox, traveller):
    now = datetime.now(timezone.utc)
    outside = [sandbox.network.inject_tweet(BRAND_ID["twitter"], f"@carebox_demo this morning {n}",
                                            created_at=now - timedelta(hours=3, minutes=n)).id for n in range(10)]
    inside = brand_posts(sandbox, "twitter", 150, spacing=timedelta(seconds=40))  # the last 100 minutes
    account = connect(db, sandbox, "twitter")
    assert poll(app, account) == "ok:150"
    assert_stored_exactly_once(db, account.id, inside)
    assert not set(outside) & set(sandbox.network.stats.served("twitter"))


@pytest.mark.parametrize("fault", [{"kind": "429"}, {"kind": "html", "status": 503}, {"kind": "html", "status": 502}])
def test_x_backfill_stopped_mid_way_goes_on_where_it_stopped(app, db, sandbox, traveller, fault):
    ids = brand_posts(sandbox, "twitter", 300, spacing=SPREAD_90_MINUTES)
    account = connect(db, sandbox, "twitter")
    sandbox.network.add_fault(fault["kind"], network="twitter", path_contains="/mentions", skip=1,
                              status=fault.get("status"))  # the backfill's second page fails
    first = poll(app, account)
    assert first == ("rate-limited:100" if fault["kind"] == "429" else "partial:100")
    account = reload(db, account.id)
    assert account.health == "degraded" and account.cursor["mentions_gap"]["until_id"] == ids[200]

    outcomes = poll_until_caught_up(app, db, sandbox, account, traveller, ids)
    assert outcomes == ["ok:200"]
    assert_stored_exactly_once(db, account.id, ids)
    # Page 1, the failed page 2; then the gap (pages 2 and 3) and one check for news: nothing read twice.
    assert requests_to(sandbox, MENTIONS) == 5 and served_repeats(sandbox, "twitter") == 0
    assert reload(db, account.id).health == "ok"


def test_x_backfill_under_a_steady_rate_of_429s_reads_everything_once(app, db, sandbox, traveller):
    ids = brand_posts(sandbox, "twitter", 300, spacing=SPREAD_90_MINUTES)
    account = connect(db, sandbox, "twitter")
    sandbox.network.add_fault("429", network="twitter", path_contains="/mentions", every=2, count=None)
    outcomes = poll_until_caught_up(app, db, sandbox, account, traveller, ids)
    assert len(outcomes) == 3 and all(o.startswith("rate-limited:100") for o in outcomes)
    assert_stored_exactly_once(db, account.id, ids)
    assert served_repeats(sandbox, "twitter") == 0


# --------------------------------------------------------------------------------------- Facebook

def webhook_endpoint(db):
    """An endpoint subscribed to account health and received messages (deliveries land in the outbox)."""
    with writing(db) as session:
        create_endpoint(session, url="http://127.0.0.1:9/carebox", events=["account.unhealthy", "message.received"])


def outbox(db, event_type):
    db.session.commit()
    return db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)
                             .where(WebhookDelivery.event_type == event_type))


@pytest.mark.parametrize("code", [32, 613])
def test_facebook_every_fifth_call_rate_limited_still_stores_every_comment_once(app, db, sandbox, traveller, code):
    net = sandbox.network
    newer, oldest = net.feed(DEMO_FACEBOOK["page_id"])  # the seeded posts, 1 and 2 hours old
    fresh = net.publish_post(DEMO_FACEBOOK["page_id"], "Flash sale today!",
                             created_time=datetime.now(timezone.utc) - timedelta(minutes=30))
    brand_posts(sandbox, "facebook", 255, prefix="oldest post", spacing=timedelta(seconds=21), post_id=oldest.id)
    brand_posts(sandbox, "facebook", 40, prefix="newer post", spacing=timedelta(seconds=70), post_id=newer.id)
    brand_posts(sandbox, "facebook", 12, prefix="fresh post", spacing=timedelta(minutes=2), post_id=fresh.id)
    expected = sandbox_customer_posts(sandbox, "facebook")
    assert len(expected) == 307
    webhook_endpoint(db)
    account = connect(db, sandbox, "facebook")
    net.add_fault("429", network="facebook", every=5, count=None, code=code, retry_after=60)

    outcomes = poll_until_caught_up(app, db, sandbox, account, traveller, expected)
    assert any(o.startswith("rate-limited") for o in outcomes)  # the limit did bite
    assert_stored_exactly_once(db, account.id, expected)
    account = reload(db, account.id)
    assert account.health in ("ok", "degraded") and account.consecutive_failures == 0
    assert outbox(db, "account.unhealthy") == 0 and outbox(db, "message.received") == len(expected)
    # The cursor: one position per post active within the window, a few dozen bytes each.
    assert set(account.cursor["posts"]) == {oldest.id, newer.id, fresh.id}
    assert len(json.dumps(account.cursor)) < 400
    # What is read twice: the OVERLAP a finished post is re-read with while still active, and the one second
    # a stopped read resumes at (at most one per poll); nothing else.
    repeated = [net.comments[cid] for cid, n in sandbox.network.stats.served("facebook").items() if n > 1]
    newest = {}
    for c in net.comments.values():
        newest[c.post_id] = max(newest.get(c.post_id, c.created_time), c.created_time)
    beyond_overlap = [c for c in repeated if c.created_time < newest[c.post_id] - OVERLAP]
    # (How many overlap re-reads happen depends on where the limit bites: the Messenger read takes turns too.)
    assert len(beyond_overlap) <= len(outcomes)


def test_facebook_rate_limited_every_other_call_still_gets_through(app, db, sandbox, traveller):
    oldest = sandbox.network.feed(DEMO_FACEBOOK["page_id"])[-1]
    ids = brand_posts(sandbox, "facebook", 420, spacing=timedelta(seconds=10), post_id=oldest.id)
    account = connect(db, sandbox, "facebook")
    sandbox.network.add_fault("429", network="facebook", every=2, count=None, code=613, retry_after=60)
    outcomes = poll_until_caught_up(app, db, sandbox, account, traveller, ids)
    assert len(outcomes) <= 8
    assert_stored_exactly_once(db, account.id, ids)


# ----------------------------------------------------------------- overlapping pages, HTML pages

NETWORKS = ["twitter", "facebook"]
LISTING = {"twitter": "/mentions", "facebook": "/comments"}


@pytest.mark.parametrize("network", NETWORKS)
@pytest.mark.parametrize("fault", [
    {"kind": "duplicate_page", "overlap": 30, "count": 3},
    {"kind": "html", "status": 502, "skip": 1},
    {"kind": "html", "status": 503, "skip": 2},
    {"kind": "html", "status": 200, "skip": 1},  # a captive portal or misrouted proxy answering 200 with HTML
], ids=["overlap", "html502", "html503", "html200"])
def test_overlapping_and_html_pages_lose_and_duplicate_nothing(app, db, sandbox, traveller, network, fault):
    ids = brand_posts(sandbox, network, 350, spacing=timedelta(seconds=5))
    account = connect(db, sandbox, network)
    options = {k: v for k, v in fault.items() if k != "kind"}
    sandbox.network.add_fault(fault["kind"], network=network, path_contains=LISTING[network], **options)
    poll_until_caught_up(app, db, sandbox, account, traveller, ids)
    assert sandbox.network.faults.pending() == []  # the fault was served
    assert_stored_exactly_once(db, account.id, ids)
    if fault["kind"] == "html":  # shown as what it was, without the page itself
        error = reload(db, account.id).last_error
        assert error and "<html" not in error and ("Facebook" in error if network == "facebook" else "X " in error)
