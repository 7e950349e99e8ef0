"""The poller against the sandbox network under faults (real HTTP through tweepy and facebook-sdk).

Each test polls with poll_account() directly and travels in time with time-machine where the
poller would wait (backoff, rate-limit resets): no sleeping. Every test ends checking that each
post the sandbox holds was stored exactly once.
"""
import queue
from datetime import datetime, timedelta, timezone

import pytest
import socketio
import time_machine

from app.worker.polling import poll_account
from app.worker.schedule import is_slot
from tests.fixtures.polling import (
    BRAND_ID, LISTING_PATH, assert_stored_exactly_once, brand_posts, connect, reload, stored_ids, travel_past,
    wait_seconds,
)

OWNER = "test-worker"
NETWORKS = ["twitter", "facebook"]


@pytest.fixture
def traveller():
    """Time that runs normally but can be moved forward at once (the sandbox's clocks move too)."""
    with time_machine.travel(datetime.now(timezone.utc), tick=True) as t:
        yield t


def poll(app, account):
    return poll_account(app, account.id, OWNER)


def accounts_api(client, make_user, make_token):
    token = make_token(make_user("manager"))
    resp = client.get("/api/v1/accounts", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200
    return {a["id"]: a for a in resp.get_json()["items"]}


# ------------------------------------------------------------------ rate limits

@pytest.mark.config(CAREBOX_POLL_INTERVAL=10)
def test_x_429_waits_until_the_reset_time_and_health_shows_it(app, db, sandbox, traveller, client, make_user,
                                                               make_token):
    account = connect(db, sandbox, "twitter")
    ids = brand_posts(sandbox, "twitter", 3)
    sandbox.network.add_fault("429", network="twitter", path_contains="/mentions")

    assert poll(app, account) == "rate-limited"
    account = reload(db, account.id)
    reset = account.rate_limit_reset_at  # from x-rate-limit-reset: the window the 429 spent
    window = sandbox.network.settings["x_rate_limit_window"]
    assert timedelta(seconds=window - 5) < reset - account.last_poll_at <= timedelta(seconds=window + 1)
    assert reset + timedelta(seconds=1) <= account.next_poll_at <= reset + timedelta(seconds=3)
    assert account.rate_limit_remaining == 0 and account.health == "degraded"
    assert "rate limit" in account.last_error and f"{reset:%H:%M:%S}" in account.last_error
    shown = accounts_api(client, make_user, make_token)[account.id]["health"]
    assert shown["state"] == "degraded" and shown["last_error"] == account.last_error
    assert datetime.fromisoformat(shown["next_poll_at"]) == account.next_poll_at

    traveller.shift((reset - account.last_poll_at).total_seconds() - 30)  # not yet: the budget is still spent
    assert poll(app, account) == "skipped"
    travel_past(traveller, account.next_poll_at)
    assert poll(app, account) == "ok:3"
    account = reload(db, account.id)
    assert account.health == "ok" and account.rate_limit_remaining > 0
    assert_stored_exactly_once(db, account.id, ids)


def test_facebook_rate_limit_waits_for_the_estimated_time_to_regain_access(app, db, sandbox, traveller):
    account = connect(db, sandbox, "facebook")
    ids = brand_posts(sandbox, "facebook", 2)
    sandbox.network.add_fault("429", network="facebook")  # the page's hourly budget is spent
    assert poll(app, account) == "rate-limited"
    account = reload(db, account.id)
    window = sandbox.network.settings["graph_rate_limit_window"]
    assert window - 60 <= wait_seconds(account) <= window + 60 + 3  # the usage header's whole minutes, plus jitter
    assert account.health == "degraded" and "rate limit" in account.last_error
    assert "sandbox-fb-page-token" not in account.last_error

    travel_past(traveller, account.next_poll_at)
    assert poll(app, account) == "ok:2"
    assert reload(db, account.id).health == "ok"
    assert_stored_exactly_once(db, account.id, ids)


def test_facebook_rate_limit_without_an_estimate_waits_the_capped_default(app, db, sandbox, traveller):
    account = connect(db, sandbox, "facebook")
    ids = brand_posts(sandbox, "facebook", 2)
    sandbox.network.add_fault("429", network="facebook", code=613, retry_after=0)
    assert poll(app, account) == "rate-limited"
    account = reload(db, account.id)
    wait = min(app.config["CAREBOX_POLL_MAX_BACKOFF"], 300)
    assert wait + 1 <= wait_seconds(account) <= wait + 3
    travel_past(traveller, account.next_poll_at)
    assert poll(app, account) == "ok:2"
    assert_stored_exactly_once(db, account.id, ids)


@pytest.mark.config(CAREBOX_POLL_INTERVAL=10)
def test_interval_spreads_the_remaining_budget_over_its_window(app, db, sandbox, traveller):
    sandbox.network.reset({"x_rate_limits": {"mentions": {"app": 7}}})
    account = connect(db, sandbox, "twitter")
    stats_key = f"twitter:{BRAND_ID['twitter']}"
    ids, waits = [], []
    for round_ in range(3):
        ids += brand_posts(sandbox, "twitter", 2, prefix=f"round {round_}")
        before = sandbox.network.stats.snapshot()["accounts"].get(stats_key, {}).get("requests", 0)
        assert poll(app, account) == "ok:2"
        requests_made = sandbox.network.stats.snapshot()["accounts"][stats_key]["requests"] - before
        account = reload(db, account.id)
        # The mentions budget is the tightest: the next poll waits its share of the time left.
        left = (account.rate_limit_reset_at - account.last_poll_at).total_seconds()
        assert account.rate_limit_remaining == 6 - round_
        assert wait_seconds(account) == pytest.approx(left * requests_made / account.rate_limit_remaining, abs=0.01)
        waits.append(wait_seconds(account))
        travel_past(traveller, account.next_poll_at)
    assert all(w > app.config["CAREBOX_POLL_INTERVAL"] for w in waits)

    # The last call of a window: wait for the reset (plus jitter), not a moment before.
    sandbox.network.reset({"x_rate_limits": {"mentions": {"app": 1}}})
    ids += brand_posts(sandbox, "twitter", 1, prefix="last call")
    assert poll(app, account) == "ok:1"
    account = reload(db, account.id)
    assert account.rate_limit_remaining == 0
    assert account.rate_limit_reset_at + timedelta(seconds=1) <= account.next_poll_at
    assert account.next_poll_at <= account.rate_limit_reset_at + timedelta(seconds=3)

    # A roomy budget: the configured interval sets the pace, on the account's own slots, start to start.
    interval = app.config["CAREBOX_POLL_INTERVAL"]
    sandbox.network.reset()
    travel_past(traveller, account.next_poll_at)
    ids += brand_posts(sandbox, "twitter", 1, prefix="roomy")
    assert poll(app, account) == "ok:1"
    account = reload(db, account.id)
    assert 0 < wait_seconds(account) <= interval and is_slot(account.id, account.next_poll_at, interval)
    due = account.next_poll_at
    travel_past(traveller, due)  # this poll starts half a second late; the next one is still due one interval on
    ids += brand_posts(sandbox, "twitter", 1, prefix="on its slot")
    assert poll(app, account) == "ok:1"
    assert reload(db, account.id).next_poll_at == due + timedelta(seconds=interval)
    assert_stored_exactly_once(db, account.id, ids)


# --------------------------------------------------------- 5xx, timeouts, health

def manager_socket(live_server, make_user, make_token):
    heard = queue.Queue()
    client = socketio.Client(reconnection=False)
    for name in ("account.unhealthy", "account.recovered"):
        client.on(name, lambda data, name=name: heard.put((name, data)))
    client.connect(live_server.url, transports=["websocket"], wait_timeout=5,
                   auth={"token": make_token(make_user("manager"))})
    return client, heard


@pytest.mark.config(CAREBOX_POLL_INTERVAL=10, CAREBOX_POLL_MAX_BACKOFF=60, CAREBOX_UNHEALTHY_AFTER_FAILURES=3,
                    CAREBOX_HTTP_TIMEOUT=1.5)
@pytest.mark.parametrize("network", NETWORKS)
def test_5xx_and_timeouts_back_off_then_unhealthy_then_recovered(app, db, sandbox, traveller, live_server,
                                                                  make_user, make_token, network):
    account = connect(db, sandbox, network)
    ids = brand_posts(sandbox, network, 3)
    # On X aimed at the mentions: the DMs, read even when the mentions fail, would take the faults otherwise.
    path = LISTING_PATH[network] if network == "twitter" else None
    sandbox.network.add_fault("503", count=2, network=network, path_contains=path)
    sandbox.network.add_fault("timeout", network=network, path_contains=path, delay=3.0)  # long after the client gave up
    listener, heard = manager_socket(live_server, make_user, make_token)
    try:
        base, cap = app.config["CAREBOX_POLL_INTERVAL"], app.config["CAREBOX_POLL_MAX_BACKOFF"]
        for failure in (1, 2, 3):
            assert poll(app, account) == "failed"
            account = reload(db, account.id)
            # Exponential with jitter: somewhere in the upper half of base * 2^n, capped.
            ceiling = min(cap, base * 2 ** failure)
            assert ceiling / 2 <= wait_seconds(account) <= ceiling
            assert account.consecutive_failures == failure
            assert account.health == ("unhealthy" if failure == 3 else "degraded")
            travel_past(traveller, account.next_poll_at)
        assert "did not answer within 1.5 s" in account.last_error
        name, data = heard.get(timeout=5)
        assert name == "account.unhealthy" and data["previous_health"] == "degraded"
        assert data["account"]["health"]["state"] == "unhealthy"
        assert data["account"]["health"]["last_error"] == account.last_error
        assert heard.empty()  # said once, not on every failure

        assert poll(app, account) == "ok:3"
        account = reload(db, account.id)
        assert (account.health, account.consecutive_failures) == ("ok", 0)
        assert account.last_error  # the last error stays visible, with its time, after recovery
        assert 0 < wait_seconds(account) <= base and is_slot(account.id, account.next_poll_at, base)  # back on its slots
        name, data = heard.get(timeout=5)
        assert name == "account.recovered" and data["previous_health"] == "unhealthy"
    finally:
        listener.disconnect()
    assert_stored_exactly_once(db, account.id, ids)


@pytest.mark.parametrize("network", NETWORKS)
def test_malformed_json_is_a_transient_failure(app, db, sandbox, traveller, network):
    account = connect(db, sandbox, network)
    ids = brand_posts(sandbox, network, 2)
    sandbox.network.add_fault("malformed", network=network)
    assert poll(app, account) == "failed"
    account = reload(db, account.id)
    assert account.health == "degraded" and "malformed response" in account.last_error
    assert account.cursor == {}

    travel_past(traveller, account.next_poll_at)
    assert poll(app, account) == "ok:2"
    assert_stored_exactly_once(db, account.id, ids)


# ----------------------------------------------------------------- pagination

def prime(app, db, sandbox, network):
    """A connected account that has polled once, so later polls read every page since its cursor."""
    account = connect(db, sandbox, network)
    ids = brand_posts(sandbox, network, 1, prefix="first")
    assert poll(app, account) == "ok:1"
    return reload(db, account.id), ids


@pytest.mark.parametrize("network", NETWORKS)
def test_duplicates_across_pages_are_stored_once(app, db, sandbox, traveller, network):
    account, ids = prime(app, db, sandbox, network)
    ids += brand_posts(sandbox, network, 250, prefix="burst")
    sandbox.network.add_fault("duplicate_page", count=2, network=network)
    travel_past(traveller, account.next_poll_at)
    assert poll(app, account) == "ok:250"
    assert sandbox.network.faults.pending() == []  # both repeats were served
    assert_stored_exactly_once(db, account.id, ids)


@pytest.mark.parametrize("network", NETWORKS)
def test_error_mid_pagination_keeps_the_progress_it_made(app, db, sandbox, traveller, network):
    account, ids = prime(app, db, sandbox, network)
    cursor = dict(account.cursor)
    traveller.shift(300)  # the burst below is spread over the last 250 s: all of it after the first poll
    ids += brand_posts(sandbox, network, 250, prefix="burst", spacing=timedelta(seconds=1))
    sandbox.network.add_fault("503", network=network, path_contains=LISTING_PATH[network], skip=1)  # page 2 fails

    outcome = poll(app, account)
    account = reload(db, account.id)
    kept = len(stored_ids(db, account.id))
    assert outcome == f"partial:{kept - 1}" and 1 + 90 <= kept < len(ids)  # the first page is stored…
    assert account.cursor != cursor  # …and so is the position it reached
    assert account.health == "degraded" and account.consecutive_failures == 0 and "503" not in (account.cursor or {})
    # It works: its next slot, no backoff (a slot already past when the paced poll ran over it: due at once).
    assert wait_seconds(account) <= app.config["CAREBOX_POLL_INTERVAL"]

    travel_past(traveller, account.next_poll_at)
    second = poll(app, account)
    assert_stored_exactly_once(db, account.id, ids)
    assert second == f"ok:{len(ids) - kept}"  # only the rest
    account = reload(db, account.id)
    assert account.health == "ok"
    repeats = sum(sandbox.network.stats.served(network).values()) - len(set(sandbox.network.stats.served(network)))
    assert repeats <= 2  # the pages read before the error are not read again (Facebook: one second's overlap)
    assert_stored_exactly_once(db, account.id, ids)


# ------------------------------------------------------------- bad credentials

@pytest.mark.config(CAREBOX_POLL_INTERVAL=1)
def test_bad_token_stops_that_account_and_the_worker_keeps_polling_others(app, db, sandbox):
    from app.worker import Worker

    revoked = connect(db, sandbox, "twitter", bearer_token="revoked-bearer-token")
    healthy = connect(db, sandbox, "facebook")
    first = brand_posts(sandbox, "facebook", 2, prefix="before")
    brand_posts(sandbox, "twitter", 2)  # never readable with that token
    worker = Worker(app, owner="in-process", threads=4).start()
    try:
        _wait_until(lambda: len(stored_ids(db, healthy.id)) == 2)
        later = brand_posts(sandbox, "facebook", 2, prefix="after")
        _wait_until(lambda: len(stored_ids(db, healthy.id)) == 4)
        revoked = reload(db, revoked.id)
        assert revoked.health == "stopped" and revoked.next_poll_at is None
        assert "X refused the credentials" in revoked.last_error
        assert "revoked-bearer-token" not in revoked.last_error
        assert reload(db, healthy.id).health == "ok"
    finally:
        worker.shutdown()
    assert sandbox.network.stats.snapshot()["endpoints"]["twitter GET /2/users/<user_id>/mentions"] == 1
    assert_stored_exactly_once(db, healthy.id, first + later)
    assert_stored_exactly_once(db, revoked.id, [])


def _wait_until(predicate, timeout=15):
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_credentials_that_cannot_be_decrypted_stop_the_account_with_a_clear_error(app, db, sandbox):
    from app.models import SocialAccount
    from tests.conftest import writing

    account_id = connect(db, sandbox, "facebook").id
    brand_posts(sandbox, "facebook", 1)
    with writing(db) as session:  # encrypted with a key this deployment no longer has
        session.get(SocialAccount, account_id).credentials_encrypted = "gAAAAAB-rotated-away"
    assert poll_account(app, account_id, OWNER) == "stopped"
    account = reload(db, account_id)
    assert account.health == "stopped" and account.next_poll_at is None and account.lease_owner is None
    assert "cannot be decrypted with CAREBOX_ENCRYPTION_KEY" in account.last_error
    assert sandbox.network.stats.snapshot()["requests"] == 0  # nothing was sent anywhere
    assert_stored_exactly_once(db, account_id, [])
