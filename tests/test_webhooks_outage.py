"""Receiver outages over real HTTP: an unavailable endpoint probes on its own short schedule, its backlog resumes
within seconds of the receiver coming back, and each delivery's retries still follow the Standard Webhooks schedule.

The receiver plays the outage seen in the field: connections refused (its port closed), then 503 answers, then
2xx. Time is travelled, frozen between steps (tick=False): the test moves the clock a step, lets the receiver
take the phase due then, and runs one real delivery pass, so "seconds" below are the clock's, the same on any
machine, and an hour-long outage takes seconds to play.
"""
import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from app.webhooks import delivery as worker
from tests.fixtures.processes import ROOT, wait_until
from tests.fixtures.webhook_receiver import receiver  # noqa: F401  (fixture)
from tests.webhook_helpers import attempts_of, deliveries, push_messages, register, run_worker

pytestmark = pytest.mark.config(CAREBOX_WEBHOOK_TIMEOUT=1)

EVENTS = 20


@pytest.fixture
def agent_token(make_user, make_token):
    return make_token(make_user("agent"))


class Outage:
    """Steps travelled time, publishing during the outage and running a delivery pass per step."""

    def __init__(self, app, client, token, account, receiver, clock, step):
        self.app, self.client, self.token, self.account = app, client, token, account
        self.receiver, self.clock, self.step = receiver, clock, step
        self.published = 0
        self.passes = []  # (clock time of the pass, deliveries that got through in it)

    def now(self):
        return datetime.now(timezone.utc).timestamp()

    def publish(self):
        push_messages(self.client, self.token, self.account, 1, start=self.published)
        self.published += 1

    def run(self, *, publish_every, until_seconds):
        """Until every event is delivered (or `until_seconds` of clock time), one pass per step."""
        began = self.now()
        while len(self.receiver.delivered()) < EVENTS and self.now() - began < until_seconds:
            if self.published < EVENTS and self.now() - began >= self.published * publish_every:
                self.publish()
            self.receiver.sync()
            before = len(self.receiver.delivered())
            run_worker(self.app)
            self.passes.append((self.now(), len(self.receiver.delivered()) - before))
            self.clock.shift(self.step)


def assert_retries_follow_the_schedule(tries):
    """Counted attempts are numbered 1, 2, … and spaced by the schedule; probes came before the next slot."""
    counted = None
    for attempt in tries:
        if counted is None:
            assert attempt.attempt == 1 and not attempt.probe
        elif attempt.probe:  # earlier than the next slot: a probe, numbered as the attempt it came before
            assert attempt.attempt == counted.attempt + 1
            since = (attempt.started_at - counted.started_at).total_seconds()
            assert since < worker.SCHEDULE[counted.attempt] * (1 + worker.JITTER)
        else:
            assert attempt.attempt == counted.attempt + 1
            since = (attempt.started_at - counted.started_at).total_seconds()
            assert since >= worker.SCHEDULE[counted.attempt] * (1 - worker.JITTER)
        if not attempt.probe:
            counted = attempt


def assert_backlog_delivered_in_order_once(db, receiver):
    rows = deliveries(db)
    assert len(rows) == EVENTS and all(d.status == "delivered" for d in rows)
    delivered = receiver.delivered()
    assert [r.webhook_id for r in delivered] == [d.message_id for d in rows]  # in the order they happened, once
    assert [r.payload["data"]["message"]["external_id"] for r in delivered] == [f"m-{n}" for n in range(EVENTS)]
    return rows


def test_backlog_resumes_within_seconds_of_a_short_outage(app, db, client, agent_token, custom_account, receiver):
    """Refused for 2 s, then 503 for 4 s: 20 events published meanwhile all arrive a probe interval later."""
    endpoint, _ = register(db, receiver, events=["message.received"])
    counted_before = {result: attempts_counted(result) for result in ("delivered", "unavailable")}
    step = 0.25
    with time_machine.travel(datetime.now(timezone.utc), tick=False) as clock:
        began = datetime.now(timezone.utc).timestamp()
        receiver.outage(refuse_seconds=2, unavailable_seconds=4)
        outage = Outage(app, client, agent_token, custom_account, receiver, clock, step)
        outage.run(publish_every=0.25, until_seconds=120)
    rows = assert_backlog_delivered_in_order_once(db, receiver)
    first_ok = receiver.delivered()[0].at
    # The probe interval doubles from PROBE_FIRST: the next probe is due at most (time failing + PROBE_FIRST),
    # jittered, after the last one, so the first try after the receiver is back comes that soon (plus one step).
    longest_wait = (receiver.recovered_at - began + worker.PROBE_FIRST) * (1 + worker.JITTER) + step
    assert receiver.recovered_at <= first_ok <= receiver.recovered_at + longest_wait
    assert first_ok - receiver.recovered_at < worker.SCHEDULE[2]  # long before the head's own next slot (5 min)
    # The pass whose probe got through sent the whole backlog, in order.
    assert [got for _when, got in outage.passes if got] == [EVENTS]
    head, rest = rows[0], rows[1:]
    tries = attempts_of(db, head.id)
    assert_retries_follow_the_schedule(tries)
    assert any(a.probe and a.status_code is None for a in tries)  # probed while the port was closed
    assert any(a.probe and a.status_code == 503 for a in tries)  # and while it answered 503
    assert tries[-1].status_code == 204 and head.attempts == tries[-1].attempt
    assert head.attempts <= 3  # slots at once and at 5 s fall in 6 s: at most two counted failures
    for row in rest:  # the backlog waited behind the head: no retries spent, one attempt each
        assert row.attempts == 1 and [a.status_code for a in attempts_of(db, row.id)] == [204]
    db.session.refresh(endpoint)
    assert endpoint.paused_until is None and endpoint.failing_since is None and endpoint.failed_probes == 0
    # The worker's metrics saw every try (carebox_webhook_attempts_total).
    assert attempts_counted("delivered") - counted_before["delivered"] == EVENTS
    assert attempts_counted("unavailable") - counted_before["unavailable"] == len(tries) - 1


def attempts_counted(result):
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("carebox_webhook_attempts_total", {"result": result}) or 0


def test_an_hour_long_outage_resumes_within_the_probe_cap(app, db, client, agent_token, custom_account, receiver):
    """Refused for 30 minutes, 503 for 30 more: probing every ~30 s costs the head only its scheduled retries."""
    register(db, receiver, events=["message.received"])
    step = 5
    cap = app.config["CAREBOX_WEBHOOK_PROBE_MAX_SECONDS"]
    with time_machine.travel(datetime.now(timezone.utc), tick=False) as clock:
        receiver.outage(refuse_seconds=1800, unavailable_seconds=1800)
        outage = Outage(app, client, agent_token, custom_account, receiver, clock, step)
        outage.run(publish_every=150, until_seconds=2 * 3600)
    rows = assert_backlog_delivered_in_order_once(db, receiver)
    first_ok = receiver.delivered()[0].at
    assert receiver.recovered_at <= first_ok <= receiver.recovered_at + cap * (1 + worker.JITTER) + step
    assert [got for _when, got in outage.passes if got] == [EVENTS]
    head = rows[0]
    tries = attempts_of(db, head.id)
    assert_retries_follow_the_schedule(tries)
    # In an hour the schedule's slots are at once, 5 s, 5 min and 30 min (the next is 2 h later): four counted
    # failures, then the attempt that got through.
    assert [a.attempt for a in tries if not a.probe and a.status_code != 204] == [1, 2, 3, 4]
    assert head.attempts == 5 and tries[-1].status_code == 204
    gaps = [(b.started_at - a.started_at).total_seconds() for a, b in zip(tries, tries[1:])]
    assert max(gaps) <= cap * (1 + worker.JITTER) + step  # probed all along, never more than the cap apart
    assert all(row.attempts == 1 for row in rows[1:])


def test_deliveries_that_failed_only_because_the_endpoint_was_down_go_out_at_once_in_order(
        app, db, client, agent_token, custom_account, receiver):
    """Two workers hit the outage at once, so two deliveries fail; both go first once the receiver is back,
    although their own retry slots (5 s on) are still ahead."""
    endpoint, _ = register(db, receiver, events=["message.received"])
    push_messages(client, agent_token, custom_account, 5)
    rows = deliveries(db)
    start = datetime.now(timezone.utc)
    with time_machine.travel(start, tick=False) as clock:
        receiver.mode = 503
        receiver.hold(2)  # both requests are in flight together, as two workers' would be

        def one_pass(owner):
            with app.app_context():
                from app.extensions import db as database

                try:
                    worker.deliver_due(app, owner, limit=1)
                finally:
                    database.session.remove()

        first = threading.Thread(target=one_pass, args=("worker-a",))
        first.start()
        # Once worker-a holds the oldest (and is sending it), worker-b claims the next one.
        wait_until(lambda: deliveries(db, lease_owner="worker-a") or not first.is_alive(), 30, "worker-a's claim")
        second = threading.Thread(target=one_pass, args=("worker-b",))
        second.start()
        first.join(timeout=30)
        second.join(timeout=30)
        assert len(receiver.requests) == 2
        failed = deliveries(db)[:2]
        assert [d.attempts for d in failed] == [1, 1] and [d.last_status_code for d in failed] == [503, 503]
        slots = [d.retry_due_at for d in failed]
        assert all((slot - start).total_seconds() >= 5 * (1 - worker.JITTER) for slot in slots)
        db.session.refresh(endpoint)
        assert endpoint.failed_probes == 1  # one round of failures: the probe interval doubles once, not per worker
        receiver.hold(None)
        receiver.mode = "ok"
        clock.shift(2.5)  # past the endpoint's probe time (1-2 s: two unavailable answers), before the slots
        run_worker(app)
        delivered_at = datetime.now(timezone.utc)
    assert delivered_at < min(slots)
    assert [r.webhook_id for r in receiver.delivered()] == [d.message_id for d in rows]
    assert [d.status for d in deliveries(db)] == ["delivered"] * 5
    for row in rows[:2]:  # sent before its slot (a probe), and it got through
        assert [(a.attempt, a.probe, a.status_code) for a in attempts_of(db, row.id)] == [
            (1, False, 503), (2, True, 204)]
    assert [len(attempts_of(db, row.id)) for row in rows[2:]] == [1, 1, 1]


def test_probe_schedule():
    import random

    rng = random.Random(3)
    cap = 30
    for failed, base in enumerate([1, 2, 4, 8, 16, 30, 30], start=1):
        assert base * 0.9 <= worker.probe_delay(failed, cap, rng=rng) <= base * 1.1
    assert 27 <= worker.probe_delay(100_000, cap, rng=rng) <= 33  # days of probing: still the cap
    assert worker.probe_delay(1, cap, retry_after=120, rng=rng) == 120  # never sooner than Retry-After


def test_webhook_settings_are_read_from_the_environment():
    """Config reads them from the environment when the process starts; the defaults otherwise."""
    names = ("CAREBOX_WEBHOOK_TIMEOUT", "CAREBOX_WEBHOOK_DISABLE_AFTER_DAYS", "CAREBOX_WEBHOOK_PROBE_MAX_SECONDS")
    code = "from config import Config; print(*(getattr(Config, n) for n in %r))" % (names,)

    def config_with(**values):
        env = {k: v for k, v in os.environ.items() if k not in names}
        env.update(values)
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=60, check=True)
        return [float(v) for v in out.stdout.split()]

    assert config_with() == [15, 5, 30]
    assert config_with(CAREBOX_WEBHOOK_TIMEOUT="2.5", CAREBOX_WEBHOOK_DISABLE_AFTER_DAYS="0.5",
                       CAREBOX_WEBHOOK_PROBE_MAX_SECONDS="60") == [2.5, 0.5, 60]


@pytest.mark.config(CAREBOX_WEBHOOK_DISABLE_AFTER_DAYS=0.5)
def test_disable_after_days_comes_from_the_configuration(app, db, client, agent_token, custom_account, receiver):
    """Unavailable for 13 hours with CAREBOX_WEBHOOK_DISABLE_AFTER_DAYS=0.5: disabled (the default 5 would wait)."""
    endpoint, _ = register(db, receiver, events=["message.received"])
    push_messages(client, agent_token, custom_account, 1)
    receiver.mode = 503
    with time_machine.travel(datetime.now(timezone.utc), tick=False) as clock:
        run_worker(app)
        clock.shift(timedelta(hours=11))
        run_worker(app)
        db.session.refresh(endpoint)
        assert endpoint.enabled
        clock.shift(timedelta(hours=2))
        run_worker(app)
    db.session.refresh(endpoint)
    assert not endpoint.enabled and "failed since" in endpoint.disabled_reason
