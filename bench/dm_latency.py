"""Post-to-screen latency of direct messages: from the customer's message on the network to the agent's
Socket.IO `message.created`, two ways.

1. Messenger by push (goal: under 1 s): the sandbox (its own gunicorn process) takes a customer's Messenger
   message (POST /_sandbox/messenger/messages) and pushes it as a signed `messages` webhook to the web node's
   /hooks/facebook, which ingests it and emits `message.created`. No worker runs during this way, so nothing
   but the push can bring the message.
2. X DM by poll (goal: poll interval + 1 s): a customer's DM is injected in the sandbox (POST /_sandbox/dms)
   at a random moment of the poll cycle; a `flask worker` polls the DM events every --interval seconds,
   ingests, and the web node emits `message.created` (through the database's event queue, as in production).

The agent is a real python-socketio Client connected to the web node (gunicorn -c gunicorn.conf.py, as
deployed) with an agent's API token as its auth, as the inbox's realtime client connects; every latency is
measured on one clock, from just before the sandbox is asked to write the message to the event's arrival.
Prints n, median, p95 and max for each way, beside its goal.

Runs on a scratch database made from DATABASE_URL (a new PostgreSQL database next to the one named,
dropped afterwards; unset or SQLite: a temporary SQLite file), migrated from empty.

    .venv/bin/python bench/dm_latency.py
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/dm_latency.py
    .venv/bin/python bench/dm_latency.py --messenger 20 --x-dms 10 --interval 5
"""
import argparse
import logging
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import load, migrated_app, scratch_database  # noqa: E402
from bench.polling import FLASK, GUNICORN, WORKER_READY, environment, start, stop  # noqa: E402
from bench.server_timing import free_port, gunicorn_node, percentile  # noqa: E402

PUSH_GOAL_S = 1.0
VERIFY_TOKEN = "bench-verify-token"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messenger", type=int, default=30, help="Messenger messages pushed (default 30)")
    parser.add_argument("--x-dms", type=int, default=15, help="X DMs polled (default 15)")
    parser.add_argument("--interval", type=int, default=10, help="CAREBOX_POLL_INTERVAL (default 10, production's)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds to wait for one event before counting it lost (default interval x 3)")
    return parser.parse_args()


# ------------------------------------------------------------------ setup

def start_sandbox(env, folder, port):
    """The sandbox network in its own gunicorn process (gthread, keep-alive, as bench/polling.py runs it)."""
    url = f"http://127.0.0.1:{port}"

    def answers():  # a busy machine may take seconds to boot the worker behind the bound port
        try:
            return requests.get(f"{url}/_sandbox/stats", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    config = Path(folder) / "sandbox.conf.py"  # not the repository's gunicorn.conf.py (Carebox's web nodes)
    config.write_text("")
    return start([GUNICORN, "-c", str(config), "-k", "gthread", "--threads", "32", "-w", "1", "-b", f"127.0.0.1:{port}",
                  "app.sandbox.factory:create_sandbox_app()"], env, f"{folder}/sandbox.log", answers, timeout=120)


def connect_demo_accounts(app, sandbox_url):
    """The sandbox's demo X account and Page as Carebox accounts; returns an agent's API token."""
    from app.accounts import CREDENTIAL_KEYS, create_account
    from app.database import write_intent
    from app.extensions import db
    from app.models import ApiToken
    from app.sandbox import DEMO_FACEBOOK, DEMO_X
    from app.users import create_user

    with app.app_context(), write_intent():
        for network, creds in (("twitter", DEMO_X), ("facebook", DEMO_FACEBOOK)):
            create_account(db.session, network=network, name=creds["name"], api_base_url=sandbox_url,
                           credentials={k: v for k, v in creds.items() if k in CREDENTIAL_KEYS[network]})
        user = create_user(db.session, email=f"agent-{uuid.uuid4().hex[:6]}@example.test", role="agent",
                           password=uuid.uuid4().hex, name="Bench Agent")
        token, raw = ApiToken.issue(user, "dm-latency", ("read",))
        db.session.add(token)
        db.session.commit()
        db.session.remove()
    return raw


def subscribe_push(sandbox_url, web_url):
    """The sandbox pushes the demo page's events to the web node, once its handshake succeeded."""
    from app.sandbox import DEMO_FACEBOOK

    requests.post(f"{sandbox_url}/_sandbox/push-subscriptions", timeout=10, json={
        "page_id": DEMO_FACEBOOK["page_id"], "callback_url": f"{web_url}/hooks/facebook",
        "verify_token": VERIFY_TOKEN}).raise_for_status()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        listed = requests.get(f"{sandbox_url}/_sandbox/push-subscriptions", timeout=10).json()["subscriptions"]
        states = {s["state"] for s in listed}
        if "active" in states:
            return
        if "failed" in states:
            raise SystemExit(f"the web node refused the sandbox's push handshake: {listed}")
        time.sleep(0.2)
    raise SystemExit(f"the sandbox's push subscription did not become active: {listed}")


class Agent:
    """A python-socketio Client signed in with an agent's token; `wait(external_id)` gives when that message's
    `message.created` arrived (time.time())."""

    def __init__(self, url, token):
        import socketio

        self.arrived, self.cond = {}, threading.Condition()
        self.client = socketio.Client(reconnection=False)
        self.client.on("message.created", self._on_message)
        self.client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=30)

    def _on_message(self, data):
        now = time.time()
        external_id = ((data or {}).get("message") or {}).get("external_id")
        with self.cond:
            self.arrived.setdefault(external_id, now)
            self.cond.notify_all()

    def wait(self, external_id, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while external_id not in self.arrived:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)
            return self.arrived[external_id]

    def close(self):
        self.client.disconnect()


# ------------------------------------------------------------------ the two ways

def messenger_by_push(sandbox_url, agent, count, timeout):
    """Seconds from asking the sandbox for each customer message to its event; None: never arrived."""
    from app.sandbox import DEMO_FACEBOOK

    latencies = []
    for n in range(count):
        sender = {"id": str(7100000000000000 + n % 5), "name": f"Bench Customer {n % 5}"}
        sent = time.time()
        resp = requests.post(f"{sandbox_url}/_sandbox/messenger/messages", timeout=10, json={
            "page_id": DEMO_FACEBOOK["page_id"], "sender": sender, "text": f"Order #{100000 + n}: where is it?"})
        resp.raise_for_status()
        arrived = agent.wait(resp.json()["id"], timeout)
        latencies.append(None if arrived is None else arrived - sent)
        time.sleep(0.3)  # one at a time: each latency is the push's own, not a queue's
    return latencies


def x_dm_by_poll(sandbox_url, agent, count, interval, timeout, rng):
    from app.sandbox import DEMO_X

    latencies = []
    for n in range(count):
        time.sleep(rng.uniform(0, interval))  # a random moment of the poll cycle
        author = {"id": str(7200000000000000 + n % 5), "username": f"bench_dm_{n % 5}", "name": f"Bench {n % 5}"}
        sent = time.time()
        resp = requests.post(f"{sandbox_url}/_sandbox/dms", timeout=10, json={
            "account": DEMO_X["user_id"], "author": author, "text": f"Order #{200000 + n}: any news?"})
        resp.raise_for_status()
        arrived = agent.wait(resp.json()["id"], timeout)
        latencies.append(None if arrived is None else arrived - sent)
    return latencies


# ------------------------------------------------------------------ report

def summary(latencies, goal):
    got = [value for value in latencies if value is not None]
    lost = len(latencies) - len(got)
    if not got:
        return f"n 0 of {len(latencies)}: no event arrived (goal {goal:.1f} s)"
    met = sum(1 for value in got if value <= goal) / len(got)
    return (f"n {len(got)}{f' ({lost} never arrived)' if lost else ''}, median {statistics.median(got):.3f} s, "
            f"p95 {percentile(got, 95):.3f} s, max {max(got):.3f} s; goal {goal:.1f} s: {met:.0%} within")


def main():
    args = parse_args()
    logging.disable(logging.WARNING)
    timeout = args.timeout or 3 * args.interval
    rng = random.Random(5)
    with scratch_database() as uri, tempfile.TemporaryDirectory(prefix="carebox-bench-") as folder:
        app = migrated_app(uri)
        kind = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
        print(f"database: {kind} (scratch, migrated from empty); {os.cpu_count()} CPUs; {load()}")
        # The worker's events reach the web node's Socket.IO clients through Redis (a channel of this run's own).
        env = {**environment(app, args.interval), "CAREBOX_FACEBOOK_VERIFY_TOKEN": VERIFY_TOKEN, "LOG_LEVEL": "WARNING",
               "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
               "CAREBOX_SOCKETIO_CHANNEL": f"carebox-dm-latency-{uuid.uuid4().hex[:8]}"}
        port = free_port()
        sandbox = start_sandbox(env, folder, port)
        sandbox_url = f"http://127.0.0.1:{port}"
        worker = agent = None
        try:
            token = connect_demo_accounts(app, sandbox_url)
            with gunicorn_node(env, log_path=f"{folder}/web.log") as (web_url, _web):
                subscribe_push(sandbox_url, web_url)
                agent = Agent(web_url, token)
                pushed = messenger_by_push(sandbox_url, agent, args.messenger, timeout)
                print(f"Messenger by push (sandbox webhook -> /hooks/facebook -> Socket.IO), no worker running: "
                      f"{summary(pushed, PUSH_GOAL_S)}")
                worker = start([FLASK, "--app", "wsgi", "worker"], {**env, "LOG_LEVEL": "INFO"},
                               f"{folder}/worker.log", WORKER_READY)
                time.sleep(args.interval)  # the first polls set the cursors
                polled = x_dm_by_poll(sandbox_url, agent, args.x_dms, args.interval, timeout, rng)
                print(f"X DM by poll (worker, interval {args.interval} s -> Socket.IO): "
                      f"{summary(polled, args.interval + 1.0)}")
                if any(value is None for value in pushed + polled):
                    web_log = Path(f"{folder}/web.log").read_text(errors="replace")[-1500:]
                    worker_log = Path(f"{folder}/worker.log").read_text(errors="replace")[-1500:]
                    print(f"--- web log (tail)\n{web_log}\n--- worker log (tail)\n{worker_log}")
        finally:
            if agent is not None:
                agent.close()
            if worker is not None:
                stop(worker)
            stop(sandbox)
            with app.app_context():
                from app.extensions import db

                db.engine.dispose()
        print(f"done; {load()} (other work on the machine lowers the figures)")


if __name__ == "__main__":
    main()
