"""Polls start on schedule: real `flask worker` processes against the sandbox, read from the polls they logged.

Each account keeps its own slots (app/worker/schedule.py): consecutive polls are due exactly one
interval apart, and start at most a second after that, whatever the fetch took; side by side,
workers never poll one account at once and together keep its schedule; a killed worker's account
is polled by another as soon as the lease it left behind runs out.
"""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import SocialAccount, utcnow
from tests.fixtures.polling import connect, connect_brands
from tests.fixtures.processes import wait_until
from tests.fixtures.workers import poll_records, polls_of, start_gaps

INTERVAL = 2
BUDGET = 1.0  # a poll may start this much later than one interval after the previous one
# One request of each poll, for delay faults: X lists mentions, Facebook lists the page's feed (once per poll).
ONE_REQUEST_PER_POLL = {"twitter": "/mentions", "facebook": "/feed"}


@pytest.fixture
def sandbox(sandbox):
    """Budgets roomy enough for a poll every INTERVAL (X's default allows a two-request poll every 4 s)."""
    sandbox.network.reset({"x_rate_limits": {"mentions": {"app": 100000}, "user_tweets": {"app": 100000}}})
    yield sandbox
    sandbox.network.clear_faults()


def wait_for_polls(workers, account_ids, count, timeout=90):
    """Until each account has `count` polls logged (by any of the workers); every record."""
    def enough():
        records = poll_records(workers)
        return records if all(len(polls_of(records, a)) >= count for a in account_ids) else None

    return wait_until(enough, timeout, f"{count} polls of each account",
                      lambda: "\n".join(f"--- {w.name}\n{w.tail()}" for w in workers), interval=0.2)


def assert_on_schedule(polls, interval=INTERVAL):
    """Starts at most interval + BUDGET apart; from the second poll on, due exactly one interval after the last."""
    gaps = start_gaps(polls)
    assert max(gaps) <= interval + BUDGET, f"poll starts {gaps} s apart"
    steps = [(b.due - a.due).total_seconds() for a, b in zip(polls[1:], polls[2:])]
    assert steps == [interval] * len(steps), f"polls due {steps} s apart"
    assert all(p.outcome.startswith("ok") for p in polls), [p.outcome for p in polls]


def worker_env(**env):
    return {"CAREBOX_POLL_INTERVAL": str(INTERVAL), **env}


def test_one_worker_starts_each_accounts_polls_one_interval_apart(app, db, sandbox, start_worker):
    accounts = [connect(db, sandbox, network).id for network in ("twitter", "facebook")]
    worker = start_worker(**worker_env())
    records = wait_for_polls([worker], accounts, 7)
    for account_id in accounts:
        assert_on_schedule(polls_of(records, account_id)[:7])
    assert worker.stop() == 0


def test_a_slow_network_does_not_push_the_schedule(app, db, sandbox, start_worker):
    """Every fetch takes over a second; polls still start one interval apart (start to start)."""
    accounts = {network: connect(db, sandbox, network).id for network in ("twitter", "facebook")}
    for network, path in ONE_REQUEST_PER_POLL.items():
        sandbox.network.add_fault("timeout", count=1000, network=network, path_contains=path, delay=1.1)
    worker = start_worker(**worker_env())
    records = wait_for_polls([worker], accounts.values(), 6)
    for account_id in accounts.values():
        polls = polls_of(records, account_id)[:6]
        assert all(p.took > 1.1 for p in polls), [p.took for p in polls]
        assert_on_schedule(polls)
    assert worker.stop() == 0


def test_workers_side_by_side_never_overlap_on_an_account_and_together_keep_its_schedule(app, db, sandbox,
                                                                                        start_worker):
    accounts = connect_brands(db, sandbox, "twitter", 3) + connect_brands(db, sandbox, "facebook", 3)
    sandbox.network.add_fault("timeout", count=100000, delay=0.1)  # every request: overlapping polls would show
    workers = [start_worker(**worker_env()) for _ in range(3)]
    records = wait_for_polls(workers, accounts, 7)
    for account_id in accounts:
        polls = polls_of(records, account_id)[:7]
        assert all(b.started >= a.ended for a, b in zip(polls, polls[1:])), "two polls of one account overlapped"
        assert_on_schedule(polls)
    assert len({r.worker for r in records}) >= 2  # the workers shared the accounts
    peaks = {key: stats["max_in_flight"] for key, stats in sandbox.network.stats.snapshot()["accounts"].items()}
    assert len(peaks) == len(accounts) and set(peaks.values()) == {1}
    assert [w.stop() for w in workers] == [0, 0, 0]


def test_a_killed_workers_accounts_are_polled_by_another_once_its_leases_run_out(app, db, sandbox, start_worker):
    accounts = connect_brands(db, sandbox, "twitter", 2) + connect_brands(db, sandbox, "facebook", 2)
    sandbox.network.add_fault("timeout", count=100000, delay=0.3)  # polls hold their leases a while
    env = worker_env(CAREBOX_LEASE_SECONDS="2")
    doomed, survivor = start_worker(**env), start_worker(**env)
    wait_for_polls([doomed, survivor], accounts, 2)

    def leases_of_doomed():
        db.session.commit()
        return {a.id: a.lease_until for a in db.session.scalars(
            sa.select(SocialAccount).where(SocialAccount.lease_owner.like(f"%:{doomed.pid}:%")))}

    wait_until(leases_of_doomed, 30, "the doomed worker to be mid-poll", survivor.tail, interval=0.005)
    doomed.kill()  # SIGKILL: its leases stay behind
    killed_at = utcnow()
    left_behind = leases_of_doomed()
    assert left_behind

    def polls_since_kill(account_id):
        return [p for p in polls_of(poll_records([survivor]), account_id) if p.started > killed_at]

    wait_until(lambda: all(len(polls_since_kill(a)) >= 4 for a in accounts), 60,
               "the survivor to poll every account", survivor.tail, interval=0.2)
    for account_id, lease_until in left_behind.items():
        polls = polls_since_kill(account_id)
        assert lease_until <= polls[0].started <= lease_until + timedelta(seconds=BUDGET), (polls[0], lease_until)
        assert max(start_gaps(polls)) <= INTERVAL + BUDGET
    for account_id in set(accounts) - set(left_behind):
        assert max(start_gaps(polls_since_kill(account_id))) <= INTERVAL + BUDGET
    assert survivor.stop() == 0
