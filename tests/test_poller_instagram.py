"""The real poller on an Instagram account: a `flask worker` SIGKILLed in the middle of a backlog that the
call budget and rate limits cut into many polls stores each comment exactly once after a second worker takes
over, and a follow-up left by a push that died before resolving it is resolved by the next poll."""
import functools
from datetime import timedelta

import pytest

from app.models import utcnow
from app.sandbox.demo_accounts import DEMO_INSTAGRAM
from tests.conftest import writing
from tests.fixtures.polling import assert_stored_exactly_once, connect, reload, stored_ids
from tests.fixtures.processes import wait_until as eventually
from tests.fixtures.workers import SLOW_RESPONSE, in_flight, kill_mid_poll, take_over, takeover_env
from tests.test_instagram_push import followups
from tests.fixtures.push import FAST_RETRIES, PushReceiver, subscribe, subscription_state, wait_for

IG = DEMO_INSTAGRAM["ig_user_id"]
PAGE = DEMO_INSTAGRAM["page_id"]


@pytest.fixture
def start_worker(start_worker):
    """Workers that take over soon, with a call budget of the listing and two comment pages a poll."""
    return functools.partial(start_worker, threads=2, **takeover_env(CAREBOX_INSTAGRAM_CALLS_PER_POLL="3"))


@pytest.fixture
def instagram(sandbox):
    sandbox.network.reset({**FAST_RETRIES, "messenger_conversations_per_second": 1000})
    return sandbox


def read_under_way(cursor):
    return any((m.get("gap") or {}).get("after") for m in ((cursor or {}).get("media") or {}).values())


def test_a_worker_killed_mid_backlog_is_succeeded_and_stores_each_comment_once(app, db, instagram, start_worker):
    book = instagram.network.instagram
    media = book.media_of(book.accounts[IG])[0]
    start = utcnow() - timedelta(minutes=45)
    ids = [book.add_comment(media.id, f"comment {n}", {"username": f"user{n % 50}"},
                            created_at=start + timedelta(seconds=5 * n)).id for n in range(500)]
    # A busy account: every fifth comments call refused with no estimate of when access comes back.
    instagram.network.add_fault("429", network="instagram", path_contains="/comments", every=5, count=None,
                                code=613, retry_after=0)
    instagram.network.add_fault("timeout", network="instagram", count=100000, delay=SLOW_RESPONSE)
    account_id = connect(db, instagram, "instagram").id

    def mid_poll_after_progress():
        return (read_under_way(reload(db, account_id).cursor) and 0 < len(stored_ids(db, account_id)) < len(ids)
                and in_flight(instagram, f"instagram:{IG}"))

    kill_mid_poll(start_worker, mid_poll_after_progress)
    stored_at_kill = len(stored_ids(db, account_id))
    assert 0 < stored_at_kill < len(ids)

    take_over(start_worker, lambda: set(stored_ids(db, account_id)) == set(ids))
    assert_stored_exactly_once(db, account_id, ids)
    account = reload(db, account_id)
    assert account.cursor["media"][media.id]["count"] == 500 and "instagram" in account.rate_limits


def test_a_follow_up_left_by_a_dead_push_is_resolved_by_the_next_poll(app, db, instagram, start_worker):
    from app.push import facebook

    receiver = PushReceiver()
    try:
        subscribe(instagram, PAGE, receiver.url, receiver.verify_token)
        wait_for(lambda: subscription_state(instagram), "the handshake")
        account_id = connect(db, instagram, "instagram").id
        book = instagram.network.instagram
        theirs = book.add_media({"username": "happy.customer"}, "Unboxing my @carebox.demo order")
        comment = book.add_comment(theirs.id, "@carebox.demo is it waterproof?", {"username": "curious"})
        wait_for(lambda: len(receiver.posts) >= 2, "the two mentions pushed")
        with writing(db) as session:  # the push's commit, and then its process died
            for headers, raw in receiver.posts[:2]:
                assert facebook.receive(session, raw, headers["X-Hub-Signature-256"]).followups == (account_id,)
        assert len(followups(db, account_id)) == 2 and stored_ids(db, account_id) == []
    finally:
        receiver.close()
    worker = start_worker()
    eventually(lambda: set(stored_ids(db, account_id)) == {theirs.id, comment.id}, 60, "the mentions stored",
               lambda: worker.tail())
    eventually(lambda: not followups(db, account_id), 30, "the follow-ups gone", lambda: worker.tail())
    assert worker.stop() == 0
