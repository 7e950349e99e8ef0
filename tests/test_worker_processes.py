"""Real `flask worker` processes against the sandbox: two side by side, SIGKILLed mid-batch, restarted.

The sandbox keeps producing posts (its traffic generator plus bursts) and answers slowly, so
kills land while a worker is fetching or storing. At the end, every post the sandbox holds for
the brand is stored exactly once, and no two requests for one account were ever in flight together.
"""
import functools
import random
import time

import pytest
import sqlalchemy as sa

from app.models import SocialAccount
from tests.fixtures.polling import (
    BRAND_ID, assert_stored_exactly_once, brand_posts, connect, sandbox_customer_posts, stored_ids,
)
from tests.fixtures.processes import wait_until as eventually
from tests.fixtures.workers import LEASE_SECONDS, in_flight

NETWORKS = ("twitter", "facebook")
SLOW_RESPONSE = 0.15  # every sandbox answer takes this long: kills land mid-fetch


@pytest.fixture
def start_worker(start_worker):
    """start_worker() -> a running `flask worker` on the test database, polling every second, whose accounts are
    free again LEASE_SECONDS after a kill, checking every event payload; all are killed at the end."""
    return functools.partial(start_worker, threads=4, CAREBOX_POLL_INTERVAL="1",
                             CAREBOX_LEASE_SECONDS=str(LEASE_SECONDS), CAREBOX_CHECK_EVENT_PAYLOADS="1")


@pytest.fixture
def busy_sandbox(sandbox):
    """The sandbox with roomy rate limits, slow answers and its traffic generator on (stopped at the end)."""
    # X and Facebook public posts only: the exactly-once proof counts those (DMs and Instagram have their own kill tests,
    # tests/test_poller_x_dms.py, tests/test_poller_instagram.py).
    sandbox.network.reset({"x_rate_limits": {"mentions": {"app": 100000}, "user_tweets": {"app": 100000}},
                           "traffic_private_share": 0, "traffic_instagram_share": 0})
    sandbox.network.add_fault("timeout", count=100000, delay=SLOW_RESPONSE)
    yield sandbox
    sandbox.traffic.configure(enabled=False)
    sandbox.network.clear_faults()


def connect_and_prime(db, sandbox):
    """Both demo brands connected, each with one post so the first poll sets a cursor (later polls read all pages)."""
    accounts = {network: connect(db, sandbox, network).id for network in NETWORKS}
    for network in NETWORKS:
        brand_posts(sandbox, network, 1, prefix="first")
    return accounts


def burst(sandbox, count):
    for _ in range(count):
        sandbox.traffic.generate_one()


def wait_until(predicate, timeout, workers, what):
    logs = lambda: "\n".join(f"--- {w.log_path.name}\n{w.tail()}" for w in workers)  # noqa: E731
    return eventually(predicate, timeout, what, logs, interval=0.005)


def lease_holder(db, account_id):
    """The pid of the worker holding the account's lease, or None."""
    db.session.commit()
    owner = db.session.scalar(sa.select(SocialAccount.lease_owner).where(SocialAccount.id == account_id))
    return int(owner.split(":")[1]) if owner else None


def endpoint_count(sandbox, endpoint):
    return sandbox.network.stats.snapshot()["endpoints"].get(endpoint, 0)


def caught_up(db, sandbox, accounts):
    return all(set(stored_ids(db, accounts[n])) == sandbox_customer_posts(sandbox, n) for n in NETWORKS)


class KillPoints:
    """Conditions for the moment to SIGKILL a worker; each returns the pid of the worker to kill, or None."""

    def __init__(self, db, sandbox, accounts, workers):
        self.db, self.sandbox, self.accounts, self.workers = db, sandbox, accounts, workers

    def holder(self, network):
        pid = lease_holder(self.db, self.accounts[network])
        return pid if pid in {w.pid for w in self.workers if w.alive()} else None

    def fetching(self, network):
        """A request of that network's poll is in flight at the sandbox."""
        return lambda: in_flight(self.sandbox, f"{network}:{BRAND_ID[network]}") and self.holder(network)

    def storing(self):
        """The X poll's last request (the brand's own tweets) was answered; the lease is still held: storing."""
        tweets, seen = "twitter GET /2/users/<user_id>/tweets", {}

        def condition():
            pid = self.holder("twitter")
            if pid is None:
                return None
            count = endpoint_count(self.sandbox, tweets)
            seen.setdefault(pid, count)
            return pid if count > seen[pid] and not in_flight(self.sandbox, f"twitter:{BRAND_ID['twitter']}") else None

        return condition

    def anywhen(self):
        """A random moment: whoever holds a lease then (or any worker)."""
        deadline = time.monotonic() + random.uniform(0.2, 1.5)

        def condition():
            if time.monotonic() < deadline:
                return None
            alive = [w.pid for w in self.workers if w.alive()]
            return self.holder("twitter") or self.holder("facebook") or random.choice(alive)

        return condition


def test_workers_killed_mid_batch_and_restarted_lose_and_duplicate_nothing(app, db, busy_sandbox, start_worker):
    """Two workers side by side, the lease holder SIGKILLed at several points, a new one started each time."""
    sandbox = busy_sandbox
    accounts = connect_and_prime(db, sandbox)
    workers = [start_worker(), start_worker()]
    wait_until(lambda: caught_up(db, sandbox, accounts), 60, workers, "the first polls")
    sandbox.traffic.configure(rate=600, enabled=True)  # 10 posts a second, on top of the bursts

    points = KillPoints(db, sandbox, accounts, workers)
    kill_points = [("fetching X", lambda: points.fetching("twitter")),
                   ("fetching Facebook", lambda: points.fetching("facebook")),
                   ("storing X", points.storing), ("at a random moment", points.anywhen)]
    for what, condition in kill_points:
        burst(sandbox, 120)  # more than a page (100) for at least one network, most of the time
        pid = wait_until(condition(), 60, workers, f"the moment to kill: {what}")
        next(w for w in workers if w.pid == pid).kill()
        workers.append(start_worker())

    sandbox.traffic.configure(enabled=False)
    burst(sandbox, 40)
    wait_until(lambda: caught_up(db, sandbox, accounts), 60, workers, "the workers to catch up")

    survivors = [w for w in workers if w.alive()]
    wait_until(lambda: all(w.running() for w in survivors), 60, workers, "the last worker to start")
    assert [w.stop() for w in survivors] == [0, 0]
    db.session.commit()
    leases = db.session.scalars(sa.select(SocialAccount.lease_owner).where(SocialAccount.id.in_(accounts.values())))
    assert list(leases) == [None, None]  # a graceful stop hands the leases back
    # Never two requests for one account at once, through all the kills and takeovers.
    peaks = {n: sandbox.network.stats.snapshot()["accounts"][f"{n}:{BRAND_ID[n]}"]["max_in_flight"] for n in NETWORKS}
    assert peaks == {"twitter": 1, "facebook": 1}
    for network in NETWORKS:
        assert_stored_exactly_once(db, accounts[network], sandbox_customer_posts(sandbox, network))
    assert sum(len(sandbox_customer_posts(sandbox, n)) for n in NETWORKS) > 400
