"""The poller's everyday duties against the sandbox: native brand replies stop the SLA clock; leases.

Leases keep two pollers off one account: racing threads, a long poll kept alive by its
LeaseKeeper, a poll whose lease was taken away, and a dead worker's lease taken over.
"""
import threading
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
import time_machine

from app.models import Conversation, SlaClock, SocialAccount
from app.worker.leases import claim_account
from app.worker.polling import poll_account
from tests.conftest import writing
from tests.fixtures.polling import (
    BRAND_ID, LISTING_PATH, assert_stored_exactly_once, brand_posts, connect, reload, stored_ids, travel_past,
)

NETWORKS = ["twitter", "facebook"]


def brand_reply(sandbox, network, in_reply_to, text="Sorry about that, we are on it!"):
    """The brand answers natively on the network, outside Carebox."""
    if network == "twitter":
        return sandbox.network.post_brand_tweet(BRAND_ID[network], text, in_reply_to=in_reply_to).id
    return sandbox.network.post_page_comment(BRAND_ID[network], in_reply_to, text).id


@pytest.mark.parametrize("network", NETWORKS)
def test_native_brand_reply_seen_by_the_poller_stops_the_sla_clock(app, db, sandbox, network):
    account = connect(db, sandbox, network)
    (question,) = brand_posts(sandbox, network, 1, prefix="where is my parcel?")
    assert poll_account(app, account.id, "w") == "ok:1"
    conv = db.session.scalars(sa.select(Conversation).where(Conversation.account_id == account.id)).one()
    assert conv.sla_state == "ok" and conv.sla_started_at is not None

    with time_machine.travel(datetime.now(timezone.utc), tick=True) as traveller:
        travel_past(traveller, reload(db, account.id).next_poll_at)
        answer = brand_reply(sandbox, network, question)
        assert poll_account(app, account.id, "w") == "ok:1"

    db.session.commit()
    conv = db.session.get(Conversation, conv.id)
    assert conv.sla_state == "stopped" and conv.sla_started_at is None
    clock = db.session.scalars(sa.select(SlaClock).where(SlaClock.conversation_id == conv.id)).one()
    assert clock.stop_reason == "native_reply" and clock.met is True and clock.stopped_at is not None
    reply = next(m for m in conv.messages if m.external_id == answer)
    assert (reply.direction, reply.is_native, reply.in_reply_to_external_id) == ("outbound", True, question)
    assert_stored_exactly_once(db, account.id, [question, answer])


# ----------------------------------------------------------------------- leases

def poll_in_thread(app, account_id, owner, outcomes, start=None):
    def run():
        with app.app_context():
            from app.extensions import db

            try:
                if start is not None:
                    start.wait()
                outcomes[owner] = poll_account(app, account_id, owner)
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, name=f"poller-{owner}")
    thread.start()
    return thread


def wait_for_lease(db, account_id, owner, thread):
    while reload(db, account_id).lease_owner != owner:
        assert thread.is_alive(), "the poll ended without holding the lease"
        thread.join(timeout=0.01)


def slow_listing(sandbox, network, seconds):
    """The next listing request answers normally, but only after `seconds`."""
    sandbox.network.add_fault("timeout", network=network, path_contains=LISTING_PATH[network], delay=seconds)


@pytest.mark.parametrize("network", NETWORKS)
def test_two_pollers_racing_on_one_account_only_one_polls(app, db, sandbox, network):
    account = connect(db, sandbox, network)
    ids = brand_posts(sandbox, network, 5)
    slow_listing(sandbox, network, 0.5)  # the polls would overlap if both ran
    start, outcomes = threading.Barrier(4), {}
    threads = [poll_in_thread(app, account.id, f"worker-{n}", outcomes, start) for n in range(4)]
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(outcomes.values()) == ["ok:5", "skipped", "skipped", "skipped"]
    peak = sandbox.network.stats.snapshot()["accounts"][f"{network}:{BRAND_ID[network]}"]["max_in_flight"]
    assert peak == 1
    assert reload(db, account.id).lease_owner is None
    assert_stored_exactly_once(db, account.id, ids)


@pytest.mark.config(CAREBOX_LEASE_SECONDS=2)
def test_lease_keeper_holds_the_lease_through_a_poll_longer_than_the_lease(app, db, sandbox):
    account_id = connect(db, sandbox, "twitter").id
    ids = brand_posts(sandbox, "twitter", 3)
    slow_listing(sandbox, "twitter", 4.5)  # more than twice the lease
    due = reload(db, account_id).next_poll_at
    outcomes = {}
    thread = poll_in_thread(app, account_id, "long-poller", outcomes)
    wait_for_lease(db, account_id, "long-poller", thread)
    rival_claims, lease_ends = [], set()
    while thread.is_alive():
        db.session.commit()
        held = db.session.get(SocialAccount, account_id)
        if held.lease_owner == "long-poller":
            lease_ends.add(held.lease_until)
        db.session.commit()  # a claim is a write: start it in a fresh transaction (SQLite)
        rival_claims.append(claim_account(db.session, account_id, "rival", 1))
        thread.join(timeout=0.2)
    assert outcomes["long-poller"] == "ok:3"
    # The poll outlasts its interval, so the account is due again the moment it hands its lease back: a rival
    # may take it then (its claim reads the next due time the poll stored), never while the poll ran.
    while_polling = [claim for claim in rival_claims if claim is None or claim.due == due]
    assert len(while_polling) > 5 and not any(while_polling)  # the account was due all along, but leased
    assert len(lease_ends) >= 3  # renewed while the poll ran
    assert_stored_exactly_once(db, account_id, ids)


@pytest.mark.config(CAREBOX_LEASE_SECONDS=1)
def test_a_poll_that_lost_its_lease_stores_nothing(app, db, sandbox):
    account = connect(db, sandbox, "twitter")
    ids = brand_posts(sandbox, "twitter", 3)
    slow_listing(sandbox, "twitter", 1.5)
    outcomes = {}
    thread = poll_in_thread(app, account.id, "stalled", outcomes)
    wait_for_lease(db, account.id, "stalled", thread)
    with writing(db) as session:  # another worker took the account over (the lease had lapsed, say)
        session.execute(sa.update(SocialAccount).where(SocialAccount.id == account.id)
                        .values(lease_owner="successor"))
    thread.join(timeout=20)
    assert outcomes["stalled"] == "lease-lost"
    account = reload(db, account.id)
    assert account.cursor == {} and account.last_poll_at is None and account.lease_owner == "successor"
    assert stored_ids(db, account.id) == []
    # Once the lease the stalled poll held runs out, the next poller reads the same range.
    with time_machine.travel(datetime.now(timezone.utc), tick=True) as traveller:
        travel_past(traveller, account.lease_until)
        assert poll_account(app, account.id, "next") == "ok:3"
    assert_stored_exactly_once(db, account.id, ids)


def test_a_dead_workers_lease_is_taken_over_once_it_expires(app, db, sandbox):
    account = connect(db, sandbox, "facebook")
    ids = brand_posts(sandbox, "facebook", 4)
    lease = app.config["CAREBOX_LEASE_SECONDS"]
    with time_machine.travel(datetime.now(timezone.utc), tick=True) as traveller:
        assert claim_account(db.session, account.id, "dead-worker", lease)  # …and then it died
        assert poll_account(app, account.id, "live-worker") == "skipped"
        traveller.shift(lease / 2)
        assert poll_account(app, account.id, "live-worker") == "skipped"
        travel_past(traveller, reload(db, account.id).lease_until)
        assert poll_account(app, account.id, "live-worker") == "ok:4"
    account = reload(db, account.id)
    assert account.lease_owner is None and account.health == "ok"
    assert_stored_exactly_once(db, account.id, ids)
