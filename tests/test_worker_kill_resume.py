"""A real `flask worker` SIGKILLed in the middle of a backfill that rate limits stop part way.

Each poll of the backfill is cut short by the network's limits and commits its items together with
the position it reached. The worker is killed while a later poll is fetching; the next worker takes
the account over when the lease runs out and goes on from the committed cursor: everything is
stored exactly once, and what was committed before the kill is never read again.
"""
import functools
from datetime import timedelta

import pytest

from app.connectors.facebook_cursor import OVERLAP
from app.sandbox import DEMO_FACEBOOK
from tests.fixtures.polling import (
    BRAND_ID, assert_stored_exactly_once, brand_posts, connect, reload, sandbox_customer_posts, stored_ids,
)
from tests.fixtures.workers import SLOW_RESPONSE, in_flight, kill_mid_poll, take_over, takeover_env



@pytest.fixture
def start_worker(start_worker):
    """Workers that take over soon (tests/fixtures/workers.py)."""
    return functools.partial(start_worker, threads=2, **takeover_env())


def rate_limited_backfill(sandbox, network):
    """500 posts to backfill, and limits that stop every poll after two or three pages."""
    net = sandbox.network
    if network == "twitter":
        net.reset({"x_rate_limit_window": 3, "x_rate_limits": {"mentions": {"app": 2}}})  # two pages a window
        ids = brand_posts(sandbox, network, 500, spacing=timedelta(seconds=5))
    else:
        oldest = net.feed(DEMO_FACEBOOK["page_id"])[-1]
        ids = brand_posts(sandbox, network, 500, spacing=timedelta(seconds=5), post_id=oldest.id)
        # A busy Page: every fourth call refused with no estimate of when access comes back.
        net.add_fault("429", network="facebook", every=4, count=None, code=613, retry_after=0)
    net.add_fault("timeout", network=network, count=100000, delay=SLOW_RESPONSE)  # after the periodic one
    return ids


def committed_progress(network, cursor):
    """The part of the backfill the committed cursor says is read, as a predicate on sandbox posts."""
    if network == "twitter":
        gap = (cursor or {}).get("mentions_gap")
        return (lambda post: int(post.id) >= int(gap["until_id"])) if gap else None
    stopped = [p for p in ((cursor or {}).get("posts") or {}).values() if "read" not in p]
    return (lambda post: int(post.created_time.timestamp()) < stopped[0]["since"]) if stopped else None


@pytest.mark.parametrize("network", ["twitter", "facebook"])
def test_a_worker_killed_mid_backfill_is_succeeded_from_the_committed_cursor(app, db, sandbox, start_worker,
                                                                              network):
    ids = rate_limited_backfill(sandbox, network)
    account_id = connect(db, sandbox, network).id

    # A poll has committed part of the backfill, and the next one is fetching: kill -9 then.
    def mid_poll_after_progress():
        return (committed_progress(network, reload(db, account_id).cursor) is not None
                and 0 < len(stored_ids(db, account_id)) < len(ids)
                and in_flight(sandbox, f"{network}:{BRAND_ID[network]}"))

    kill_mid_poll(start_worker, mid_poll_after_progress)
    read_before_kill = committed_progress(network, reload(db, account_id).cursor)
    stored_at_kill = len(stored_ids(db, account_id))
    assert 0 < stored_at_kill < len(ids)

    take_over(start_worker, lambda: set(stored_ids(db, account_id)) == set(ids))
    assert_stored_exactly_once(db, account_id, sandbox_customer_posts(sandbox, network))

    served = sandbox.network.stats.served(network)
    posts = sandbox.network.tweets if network == "twitter" else sandbox.network.comments
    # Facebook re-reads the last OVERLAP of a post it has finished while the post is still active.
    settled = [i for i in ids if i not in ids[-(int(OVERLAP.total_seconds()) // 5 + 2):]] if network == "facebook" \
        else ids
    committed = [i for i in settled if read_before_kill(posts[i])]
    assert len(committed) >= 100
    assert all(served[i] == 1 for i in committed)  # what was committed is never read again
    assert max(served.values()) <= 2  # only what the killed poll had fetched is read twice
