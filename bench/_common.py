"""What the benches share: a scratch database and folder for a run (scratch_app, scratch_run), Carebox and
sandbox processes started, awaited and stopped (start, stop, start_sandbox), and for the latency benches
(bench/dm_latency.py, bench/instagram_latency.py, bench/polling.py's processes) demo brands connected as Carebox
accounts with an agent's API token, the sandbox's push subscription to a web node, an agent's Socket.IO client
timing `message.created`, the one-at-a-time timing of a sandbox write to its event, and the summary line.
"""
import contextlib
import logging
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

from bench.ingest import load, migrated_app, scratch_database
from bench.server_timing import free_port, percentile

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).with_name("flask"))
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
WORKER_READY = "running; Ctrl+C to stop"
VERIFY_TOKEN = "bench-verify-token"
PUSH_GOAL_S = 1.0  # post to screen, for what a push brings


# ------------------------------------------------------------------ a run

@contextlib.contextmanager
def scratch_app(prefix="carebox-bench-"):
    """A Carebox app on a scratch database (bench/ingest.py), migrated from empty, and a temporary folder for
    the run's logs; yields (app, folder) and closes the app's connections before the database is dropped."""
    with scratch_database() as uri, tempfile.TemporaryDirectory(prefix=prefix) as folder:
        app = migrated_app(uri)
        try:
            yield app, folder
        finally:
            with app.app_context():
                from app.extensions import db

                db.engine.dispose()


@contextlib.contextmanager
def scratch_run():
    """scratch_app for a bench that prints its figures: Carebox's own warnings off, a line naming the database,
    the CPUs and the machine's load first, and the load again at the end (other work lowers the figures)."""
    logging.disable(logging.WARNING)
    with scratch_app() as (app, folder):
        kind = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
        print(f"database: {kind} (scratch, migrated from empty); {os.cpu_count()} CPUs; {load()}")
        yield app, folder
    print(f"done; {load()} (other work on the machine lowers the figures)")


# ------------------------------------------------------------------ processes

def environment(app, interval):
    return {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": app.config["SECRET_KEY"],
            "CAREBOX_ENCRYPTION_KEY": app.config["CAREBOX_ENCRYPTION_KEY"], "CAREBOX_POLL_INTERVAL": str(interval),
            "LOG_LEVEL": "INFO"}


def start(argv, env, log_path, ready, timeout=60, cwd=ROOT):
    """Start a process; wait until `ready()` (or its log shows the text `ready`)."""
    log = open(log_path, "wb")
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    check = ready if callable(ready) else lambda: ready in Path(log_path).read_text(errors="replace")
    deadline = time.monotonic() + timeout
    while not check():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{argv[1:4]} did not start:\n{Path(log_path).read_text()[-3000:]}")
        time.sleep(0.1)
    return proc


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def start_sandbox(env, folder, port):
    """The sandbox network in its own gunicorn process (gthread, keep-alive, as the real networks keep
    connections)."""
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


def latency_env(app, interval, name):
    """The processes' environment for a latency bench: the sandbox's verify token, and a Redis channel of this
    run's own (named after the bench), through which the worker's events reach the web node's Socket.IO clients."""
    return {**environment(app, interval), "CAREBOX_FACEBOOK_VERIFY_TOKEN": VERIFY_TOKEN, "LOG_LEVEL": "WARNING",
            "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
            "CAREBOX_SOCKETIO_CHANNEL": f"carebox-{name}-{uuid.uuid4().hex[:8]}"}


@contextlib.contextmanager
def running_sandbox(env, folder):
    """start_sandbox on a free port; yields its URL and stops it at the end."""
    port = free_port()
    sandbox = start_sandbox(env, folder, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(sandbox)


def connect_demo_accounts(app, sandbox_url, networks=("twitter", "facebook")):
    """The sandbox's demo brands on `networks` as Carebox accounts; returns an agent's API token."""
    from app.accounts import CREDENTIAL_KEYS, create_account
    from app.database import write_intent
    from app.extensions import db
    from app.models import ApiToken
    from app.sandbox import DEMO_FACEBOOK, DEMO_X
    from app.sandbox.demo_accounts import DEMO_INSTAGRAM
    from app.users import create_user

    demo = {"twitter": DEMO_X, "facebook": DEMO_FACEBOOK, "instagram": DEMO_INSTAGRAM}
    with app.app_context(), write_intent():
        for network, creds in ((network, demo[network]) for network in networks):
            create_account(db.session, network=network, name=creds["name"], api_base_url=sandbox_url,
                           credentials={k: v for k, v in creds.items() if k in CREDENTIAL_KEYS[network]})
        user = create_user(db.session, email=f"agent-{uuid.uuid4().hex[:6]}@example.test", role="agent",
                           password=uuid.uuid4().hex, name="Bench Agent")
        token, raw = ApiToken.issue(user, "latency-bench", ("read",))
        db.session.add(token)
        db.session.commit()
        db.session.remove()
    return raw


def subscribe_push(sandbox_url, web_url):
    """The sandbox pushes the demo page's events (and its Instagram account's) to the web node, once its
    handshake succeeded."""
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


def timed(agent, url, body, timeout):
    """POST `body` to the sandbox's `url` (a customer's comment or message), then wait for its `message.created`:
    (its id, seconds from just before the request to the event; None: it never arrived)."""
    sent = time.time()
    resp = requests.post(url, timeout=10, json=body)
    resp.raise_for_status()
    external_id = resp.json()["id"]
    arrived = agent.wait(external_id, timeout)
    return external_id, None if arrived is None else arrived - sent


def summary(latencies, goal):
    got = [value for value in latencies if value is not None]
    lost = len(latencies) - len(got)
    if not got:
        return f"n 0 of {len(latencies)}: no event arrived (goal {goal:.1f} s)"
    met = sum(1 for value in got if value <= goal) / len(got)
    return (f"n {len(got)}{f' ({lost} never arrived)' if lost else ''}, median {statistics.median(got):.3f} s, "
            f"p95 {percentile(got, 95):.3f} s, max {max(got):.3f} s; goal {goal:.1f} s: {met:.0%} within")
