"""Carebox degrading gracefully: its PostgreSQL restarted under load, its Redis stopped and started.

The machine's shared PostgreSQL and Redis serve other test runs, so this module starts private ones
(ThrowawayPostgres, ThrowawayRedis in tests/fixtures/cluster.py) and runs two gunicorn web nodes,
two workers and the sandbox against them.

- PostgreSQL restarted (`pg_ctl restart -m fast`) while clients push messages (retrying until
  accepted) and the workers poll the sandbox: every accepted message and every sandbox post is
  stored exactly once, and the same processes serve again (none was restarted).
- Redis stopped: each node still delivers its own events to its own clients and /readyz says
  "degraded" (200, redis unreachable); Redis started again: events cross nodes again, /readyz is clean.
"""
import threading
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from tests.fixtures.cluster import (
    Cluster, SocketAgent, ThrowawayPostgres, ThrowawayRedis, api, multinode_marks, report, reset_sandbox, seed,
    wait_until, x_brand,
)
from tests.fixtures.polling import assert_stored_exactly_once

pytestmark = multinode_marks()

BRANDS = [x_brand(n) for n in range(11, 13)]


@pytest.fixture(scope="module")
def stack(tmp_path_factory, request):
    """A private PostgreSQL and Redis, migrated, with the cluster running on them; all gone at the end."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from tests.conftest import make_config

    log_dir = tmp_path_factory.mktemp("degradation")
    failed_before, started = request.session.testsfailed, False
    postgres = ThrowawayPostgres()
    redis_server = nodes = context = None
    try:
        postgres.start()
        database_url = postgres.create_database("carebox")
        redis_server = ThrowawayRedis(log_dir).start()
        nodes = Cluster(database_url, redis_server.url, log_dir)
        sandbox = nodes.start_sandbox()
        context = create_app(make_config(database_url.replace("postgresql://", "postgresql+psycopg://"))).app_context()
        context.push()
        upgrade()  # the release step (`flask db upgrade`), in this process while the nodes boot
        nodes.start_web("web-a")
        nodes.start_web("web-b")
        nodes.wait_ready()
        reset_sandbox(sandbox, BRANDS)
        nodes.world = seed(db, sandbox, BRANDS)
        nodes.start_worker("worker-1")
        nodes.start_worker("worker-2")
        nodes.wait_ready()
        nodes.postgres, nodes.redis, nodes.db = postgres, redis_server, db
        started = True
        yield nodes
    finally:
        if nodes is not None:
            nodes.stop()
            if not started or request.session.testsfailed > failed_before:
                for path in (postgres.log_path,):
                    if path.exists():
                        (log_dir / "postgres.log").write_bytes(path.read_bytes())
                print(f"cluster logs kept in {nodes.save_logs('degradation')}")
        if context is not None:
            db.session.remove()
            db.engine.dispose()
            context.pop()
        if redis_server is not None:
            redis_server.stop()
        postgres.destroy()


@pytest.fixture
def db(stack):
    """The test's view of the private database."""
    from app.extensions import db as database

    return database


def gunicorn_workers(proc):
    """The pids of a gunicorn master's children (its worker process)."""
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    return children.read_text().split() if children.exists() else []


def stored(db, account_id, direction="inbound"):
    from app.models import Message

    try:
        return db.session.scalars(sa.select(Message.external_id).where(
            Message.account_id == account_id, Message.direction == direction)).all()
    finally:
        db.session.rollback()  # hand the connection back: the server may restart before the next read


class Load(threading.Thread):
    """Calls `step(n)` for n = 0, 1, 2 … until halted; each step retried (with backoff) until it succeeds."""

    def __init__(self, step, pause=0.0):
        super().__init__(daemon=True)
        self.step, self.pause = step, pause
        self.done, self.failures, self.first_failure, self.last_failure = [], 0, None, None
        self.halt = threading.Event()

    def run(self):
        n = 0
        while not self.halt.is_set():
            delay = 0.05
            while (result := self._try(n)) is None:
                self.failures += 1
                self.first_failure = self.first_failure or time.time()
                self.last_failure = time.time()
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
            self.done.append(result)
            n += 1
            time.sleep(self.pause)

    def _try(self, n):
        try:
            return self.step(n)
        except requests.RequestException:
            return None


def pusher(stack, node, prefix):
    """Load pushing messages through one node's API: a step succeeds once the node accepted the message."""
    def push_one(n):
        external_id = f"{prefix}-{n}"
        resp = api(stack.url(node), stack.world.tokens["Alex"], "POST", "/messages", timeout=5, json={
            "account_id": stack.world.custom_account_id, "external_id": external_id, "text": f"message {n}",
            "author": {"external_id": f"{prefix}-customer-{n % 5}"}})
        return external_id if resp.status_code in (200, 201) else None

    return Load(push_one)


def test_postgres_restart_under_load_loses_and_duplicates_nothing(stack, db, request):
    before = {name: (proc.pid, gunicorn_workers(proc)) for name, proc in stack.processes.items()}
    pushers = [pusher(stack, "web-a", "pg-a"), pusher(stack, "web-b", "pg-b")]
    customers = Load(lambda n: [(b["user_id"], inject_tweet(stack, b, f"hello {n}")) for b in BRANDS], pause=0.1)
    loads = (*pushers, customers)
    sandbox = stack.url("sandbox")

    def polling():
        """A worker holds an account's lease: it is between claiming and storing a poll."""
        from app.models import SocialAccount

        try:
            return db.session.scalar(sa.select(sa.func.count()).select_from(SocialAccount).where(
                SocialAccount.lease_owner.is_not(None)))
        finally:
            db.session.rollback()

    # Slow sandbox answers: a poll spends most of its time fetching, so the restart finds one under way.
    requests.post(f"{sandbox}/_sandbox/faults", json={"kind": "timeout", "count": 100000, "delay": 0.2},
                  timeout=10).raise_for_status()
    try:
        for load in loads:
            load.start()
        wait_until(lambda: all(len(p.done) >= 15 for p in pushers) and polling(), 60, "the load to get going",
                   stack.logs, interval=0.005)
        restart_started = time.time()
        stack.postgres.restart()
        restart_took = time.time() - restart_started
        marks = [len(load.done) for load in loads]
        wait_until(lambda: all(len(load.done) >= mark + 15 for load, mark in zip(loads, marks)), 60,
                   "the load to go on after the restart", stack.logs)
    finally:
        for load in loads:
            load.halt.set()
        for load in loads:
            load.join(timeout=60)
        requests.delete(f"{sandbox}/_sandbox/faults", timeout=10)
    assert not any(load.is_alive() for load in loads), "a client never got its last message in"

    accepted = [ext for p in pushers for ext in p.done]
    posted = {b["user_id"]: [ext for batch in customers.done for uid, ext in batch if uid == b["user_id"]]
              for b in BRANDS}
    wait_until(lambda: set(stored(db, stack.world.custom_account_id)) >= set(accepted), 60,
               "the accepted messages to be readable", stack.logs)
    assert_stored_exactly_once(db, stack.world.custom_account_id, accepted)
    for user_id, ids in posted.items():
        account_id = stack.world.accounts[user_id]
        wait_until(lambda: set(stored(db, account_id)) >= set(ids), 90, "the workers to catch up", stack.logs)
        assert_stored_exactly_once(db, account_id, ids)

    # Nothing was restarted: the same processes (and gunicorn's same worker processes) answer.
    assert {name: (proc.pid, gunicorn_workers(proc)) for name, proc in stack.processes.items()} == before
    assert all(proc.alive() for proc in stack.processes.values())
    for node in ("web-a", "web-b"):
        assert stack.readyz(node)["checks"]["database"] == "ok"
        assert api(stack.url(node), stack.world.tokens["Alex"], "GET", "/conversations").status_code == 200
    failures = sum(p.failures for p in pushers)
    first = min((p.first_failure for p in pushers if p.first_failure), default=None)
    last = max((p.last_failure for p in pushers if p.last_failure), default=None)
    window = f"{(last - first) * 1000:.0f} ms" if first else "none"
    felt = {name: len(stack.log_lines(name, " ERROR ")) + len(stack.log_lines(name, " WARNING "))
            for name in stack.workers()}
    report(request, "degradation", f"pg_ctl restart -m fast took {restart_took * 1000:.0f} ms; clients saw {failures} refused "
                    f"attempt(s) over {window}; workers logged errors/warnings {felt}; {len(accepted)} pushed and "
                    f"{sum(len(v) for v in posted.values())} polled messages stored once each")


def test_redis_outage_each_node_serves_its_own_clients_then_recovers(stack, request):
    alex, sam = SocketAgent(stack.url("web-a"), stack.world.tokens["Alex"]), None
    try:
        sam = SocketAgent(stack.url("web-b"), stack.world.tokens["Sam"])
        push(stack, "web-b", "redis-before")
        alex.wait_for("message.created", lambda d: d["message"]["external_id"] == "redis-before")

        stack.redis.stop()
        for node in ("web-a", "web-b"):
            health = stack.readyz(node)
            assert health == {"status": "ready", "degraded": True,
                              "checks": {"database": "ok", "redis": "unreachable"}}, node
            assert stack.healthz(node) == 200
        # Each node keeps delivering its own events to its own clients, new connections included.
        pushed_at = time.time()
        push(stack, "web-a", "redis-down-a")
        _, seen_at = alex.wait_for("message.created", lambda d: d["message"]["external_id"] == "redis-down-a")
        report(request, "degradation", f"Redis down: node A → its own agent: {(seen_at - pushed_at) * 1000:.0f} ms")
        late = SocketAgent(stack.url("web-b"), stack.world.tokens["Alex"])
        try:
            push(stack, "web-b", "redis-down-b")
            sam.wait_for("message.created", lambda d: d["message"]["external_id"] == "redis-down-b")
            late.wait_for("message.created", lambda d: d["message"]["external_id"] == "redis-down-b")
        finally:
            late.close()
        # The workers keep polling and storing (their events reach no one until Redis is back).
        during = inject_tweet(stack, BRANDS[0], "still there?")
        wait_until(lambda: during in stored(stack.db, stack.world.accounts[BRANDS[0]["user_id"]]), 60,
                   "a worker to store a post while Redis is down", stack.logs)

        stack.redis.start()
        back_at = time.time()
        for node in ("web-a", "web-b"):
            wait_until(lambda: stack.readyz(node) == {"status": "ready", "degraded": False,
                                                      "checks": {"database": "ok", "redis": "ok"}},
                       30, f"{node} /readyz clean again", stack.logs)
        # Each node's listener reconnects on its own schedule (python-socketio retries with backoff):
        # probe with a fresh message a second until one crosses from node B to node A.
        probes = []

        def crossed():
            probes.append(f"redis-back-{len(probes)}")
            push(stack, "web-b", probes[-1])
            deadline = time.monotonic() + 1
            while time.monotonic() < deadline:
                if alex.matching("message.created", lambda d: d["message"]["external_id"] in probes):
                    return True
                time.sleep(0.02)
            return False

        wait_until(crossed, 90, "events to cross nodes again", stack.logs, interval=0)
        report(request, "degradation", f"Redis back: events cross nodes again after {(time.time() - back_at) * 1000:.0f} ms "
                        f"({len(probes)} probe(s))")
        push(stack, "web-a", "redis-after")
        sam.wait_for("message.created", lambda d: d["message"]["external_id"] == "redis-after")
        # And the workers' events reach the web nodes' clients again.
        after = inject_tweet(stack, BRANDS[0], "back again")
        alex.wait_for("message.created", lambda d: d["message"]["external_id"] == after, timeout=30)
    finally:
        for agent in (alex, sam):
            if agent is not None:
                agent.close()
        if stack.redis.proc is None or not stack.redis.proc.alive():
            stack.redis.start()


def test_readyz_follows_the_database_and_healthz_stays_up(stack):
    """A load balancer takes nodes out while their database is gone and back once it returns."""
    stack.postgres.stop()
    try:
        for node in ("web-a", "web-b"):
            resp = requests.get(f"{stack.url(node)}/readyz", timeout=10)
            assert (resp.status_code, resp.json()) == (503, {"status": "not ready", "degraded": True,
                                                             "checks": {"database": "unreachable", "redis": "ok"}})
            assert stack.healthz(node) == 200
    finally:
        stack.postgres.start()
    for node in ("web-a", "web-b"):
        wait_until(lambda: stack.readyz(node) == {"status": "ready", "degraded": False,
                                                  "checks": {"database": "ok", "redis": "ok"}},
                   30, f"{node} ready again", stack.logs)


def inject_tweet(stack, brand, text):
    resp = requests.post(f"{stack.url('sandbox')}/_sandbox/posts", json={
        "network": "twitter", "account": brand["user_id"], "text": f"@{brand['username']} {text}"}, timeout=10)
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


def push(stack, node, external_id):
    resp = api(stack.url(node), stack.world.tokens["Alex"], "POST", "/messages", json={
        "account_id": stack.world.custom_account_id, "external_id": external_id, "text": "hello",
        "author": {"external_id": f"customer-{external_id}"}})
    assert resp.status_code == 201, resp.text
