"""What the latency benches share (bench/dm_latency.py, bench/instagram_latency.py): the sandbox in its own
gunicorn process, demo brands connected as Carebox accounts with an agent's API token, the sandbox's push
subscription to a web node, an agent's Socket.IO client timing `message.created`, and the summary line.
"""
import statistics
import threading
import time
import uuid
from pathlib import Path

import requests

from bench.polling import GUNICORN, start
from bench.server_timing import percentile

VERIFY_TOKEN = "bench-verify-token"


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


def summary(latencies, goal):
    got = [value for value in latencies if value is not None]
    lost = len(latencies) - len(got)
    if not got:
        return f"n 0 of {len(latencies)}: no event arrived (goal {goal:.1f} s)"
    met = sum(1 for value in got if value <= goal) / len(got)
    return (f"n {len(got)}{f' ({lost} never arrived)' if lost else ''}, median {statistics.median(got):.3f} s, "
            f"p95 {percentile(got, 95):.3f} s, max {max(got):.3f} s; goal {goal:.1f} s: {met:.0%} within")
