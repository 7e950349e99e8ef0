"""X direct messages through the real poller (app/worker/polling.py) and a real `flask worker` killed with -9.

Customer DMs land as messages of the customer's private conversation; a spent DM budget holds the
DMs alone (the account keeps its polling pace, mentions keep landing); a worker SIGKILLed in the
middle of a DM backlog is succeeded from the committed cursor with every DM stored exactly once.
"""
import functools
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import Conversation, Message, SocialAccount, utcnow
from app.worker.polling import poll_account
from tests.conftest import writing
from tests.fixtures.polling import (
    BRAND_ID, assert_stored_exactly_once, connect, due_now, reload, stored_ids, wait_seconds,
)
from tests.fixtures.workers import SLOW_RESPONSE, in_flight, kill_mid_poll, take_over, takeover_env

BRAND = BRAND_ID["twitter"]
JANE = {"id": "777", "username": "jane_doe", "name": "Jane Doe", "followers_count": 321}


def customer_dm_truth(sandbox):
    """Ids of every customer DM (MessageCreate not sent by the brand) the sandbox holds for the demo brand."""
    return {e.id for e in sandbox.network.dm_events_of(BRAND)
            if e.event_type == "MessageCreate" and e.sender_id != BRAND}


def conversations(db, account_id):
    db.session.commit()
    return db.session.scalars(sa.select(Conversation).where(Conversation.account_id == account_id)).all()


def test_customer_dms_land_in_their_private_conversation(app, db, sandbox):
    account = connect(db, sandbox, "twitter")
    dms = [sandbox.network.inject_dm(BRAND, text, author=JANE).id
           for text in ("I sent you the order number in a private message", "It is #4411, <b>urgent</b>")]
    mention = sandbox.network.inject_tweet(BRAND, "@carebox_demo my parcel is late", author=JANE).id
    assert poll_account(app, account.id, "w") == "ok:3"

    by_channel = {c.channel: c for c in conversations(db, account.id)}
    assert set(by_channel) == {"public", "private"}
    private, public = by_channel["private"], by_channel["public"]
    assert private.contact_id == public.contact_id  # the same customer on both channels
    assert private.status == "open" and private.sla_started_at is not None  # the clock runs on DMs too
    messages = sorted(private.messages, key=lambda m: m.created_at)
    assert [(m.external_id, m.direction) for m in messages] == [(dms[0], "inbound"), (dms[1], "inbound")]
    assert messages[1].text == "It is #4411, <b>urgent</b>"  # stored as sent: escaping is the views' job
    assert [m.external_id for m in public.messages] == [mention]
    assert_stored_exactly_once(db, account.id, dms + [mention])

    cursor = reload(db, account.id).cursor
    assert cursor["dm_newest_id"] == dms[-1] and cursor["mentions_since_id"] == mention
    health = reload(db, account.id).rate_limits
    assert {"mentions", "tweets", "dm_lookup"} <= set(health) and health["dm_lookup"]["limit"] == 300

    later = sandbox.network.inject_dm(BRAND, "Any news?", author=JANE).id
    due_now(db, account.id)
    assert poll_account(app, account.id, "w") == "ok:1"
    assert_stored_exactly_once(db, account.id, dms + [mention, later])


def test_a_spent_dm_budget_holds_the_dms_alone(app, db, sandbox):
    sandbox.network.reset({"x_rate_limit_window": 600, "x_rate_limits": {"dm_lookup": {"user": 2}}})
    account = connect(db, sandbox, "twitter")
    dms = [sandbox.network.inject_dm(BRAND, f"dm {n}", author=JANE, created_at=utcnow() - timedelta(seconds=250 - n)).id
           for n in range(250)]
    first_mention = sandbox.network.inject_tweet(BRAND, "@carebox_demo hello").id
    assert poll_account(app, account.id, "w") == "partial:201"  # the mention and two DM pages
    polled = reload(db, account.id)
    assert polled.health == "degraded" and "direct messages" in polled.last_error
    assert wait_seconds(polled) < 60  # the next poll keeps the account's pace, not the DM budget's 10 minutes
    assert polled.rate_limits["dm_lookup"]["remaining"] == 0 and polled.cursor["dm_paused_until"]

    second_mention = sandbox.network.inject_tweet(BRAND, "@carebox_demo still there?").id
    due_now(db, account.id)
    assert poll_account(app, account.id, "w") == "partial:1"  # mentions land; DMs wait without a request
    sandbox.network.limiter.clear()
    cursor = dict(reload(db, account.id).cursor)
    cursor["dm_paused_until"] = "2000-01-01T00:00:00Z"  # as if the DM budget's reset had passed
    with writing(db) as session:
        session.get(SocialAccount, account.id).cursor = cursor
    due_now(db, account.id)
    assert poll_account(app, account.id, "w") == "ok:50"
    assert reload(db, account.id).health == "ok"
    assert_stored_exactly_once(db, account.id, dms + [first_mention, second_mention])


def test_a_native_brand_dm_answers_the_private_conversation(app, db, sandbox):
    account = connect(db, sandbox, "twitter")
    question = sandbox.network.inject_dm(BRAND, "Where is my order?", author=JANE).id
    assert poll_account(app, account.id, "w") == "ok:1"
    answer = sandbox.network.send_brand_dm(BRAND, "It left this morning", participant_id="777").id  # natively on X
    due_now(db, account.id)
    poll_account(app, account.id, "w")
    (private,) = conversations(db, account.id)
    reply = db.session.scalars(sa.select(Message).where(Message.external_id == answer)).one()
    assert (reply.conversation_id, reply.direction, reply.is_native) == (private.id, "outbound", True)
    assert private.sla_state == "stopped"
    assert_stored_exactly_once(db, account.id, [question, answer])


# ------------------------------------------------------------------------------ kill -9

@pytest.fixture
def start_worker(start_worker):
    """Workers that take over soon (tests/fixtures/workers.py)."""
    return functools.partial(start_worker, threads=2, **takeover_env())


def test_a_worker_killed_mid_dm_backlog_is_succeeded_with_every_dm_stored_once(app, db, sandbox, start_worker):
    net = sandbox.network
    # Two DM pages a 3-second window: every poll of the backlog stops part way and pauses its DMs.
    net.reset({"x_rate_limit_window": 3, "x_rate_limits": {"dm_lookup": {"user": 2}}})
    now = utcnow()
    ids = [net.inject_dm(BRAND, f"backlog {n}", author={"id": str(5000 + n % 40), "username": f"customer{n % 40}"},
                         created_at=now - timedelta(seconds=5 * (700 - n))).id for n in range(700)]
    net.add_fault("timeout", network="twitter", count=100000, delay=SLOW_RESPONSE)
    account_id = connect(db, sandbox, "twitter").id

    def mid_poll_after_progress():
        cursor = reload(db, account_id).cursor or {}
        return ("dm_gap" in cursor and 0 < len(stored_ids(db, account_id)) < len(ids)
                and in_flight(sandbox, f"twitter:{BRAND}"))

    kill_mid_poll(start_worker, mid_poll_after_progress, "a poll after committed DM progress")
    assert 0 < len(stored_ids(db, account_id)) < len(ids)

    take_over(start_worker, lambda: set(stored_ids(db, account_id)) == set(ids))
    assert set(ids) == customer_dm_truth(sandbox)
    assert_stored_exactly_once(db, account_id, ids)
    private = {c.channel for c in conversations(db, account_id)}
    assert private == {"private"}
    assert "dm_gap" not in reload(db, account_id).cursor
