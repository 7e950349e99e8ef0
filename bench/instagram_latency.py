"""Post-to-screen latency of Instagram comments by push (goal: under 1 s): from a customer's comment on the
brand's media in the sandbox to the agent's Socket.IO `message.created`.

The sandbox (its own gunicorn process) takes a customer's comment (POST /_sandbox/instagram/comments) and
pushes it as a signed `instagram` webhook (`comments`) to the web node's /hooks/facebook (gunicorn -c
gunicorn.conf.py, as deployed), which ingests it and emits `message.created`. No worker runs, so nothing but
the push can bring the comment. The agent is a python-socketio Client signed in with an agent's API token;
every latency is measured on one clock, from just before the sandbox is asked to write the comment to the
event's arrival. The media's details (its caption and picture) are read by the push's follow-up after the
commit, off the path measured. Prints n, median, p95 and max beside the goal.

Runs on a scratch database made from DATABASE_URL (unset or SQLite: a temporary SQLite file), migrated from
empty; setup shared with bench/dm_latency.py (bench/_common.py).

    .venv/bin/python bench/instagram_latency.py
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/instagram_latency.py --comments 50
"""
import argparse
import logging
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import VERIFY_TOKEN, Agent, connect_demo_accounts, start_sandbox, subscribe_push, summary  # noqa: E402
from bench.ingest import load, migrated_app, scratch_database  # noqa: E402
from bench.polling import environment, stop  # noqa: E402
from bench.server_timing import free_port, gunicorn_node  # noqa: E402

PUSH_GOAL_S = 1.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=30, help="comments pushed (default 30)")
    parser.add_argument("--timeout", type=float, default=10, help="seconds to wait for one event (default 10)")
    return parser.parse_args()


def new_media(sandbox_url):
    """A fresh media of the brand's, for the comments to land on."""
    resp = requests.post(f"{sandbox_url}/_sandbox/instagram/media", timeout=10, json={
        "caption": "Bench drop: tell us what you think 👇", "kind": "image"})
    resp.raise_for_status()
    return resp.json()["id"]


def comments_by_push(sandbox_url, agent, media_id, count, timeout):
    """Seconds from asking the sandbox for each comment to its event; None: never arrived."""
    latencies, parent = [], None
    for n in range(count):
        body = {"media_id": media_id, "text": f"Order #{300000 + n}: where is it?",
                "author": {"username": f"bench.customer{n % 5}"}}
        if n % 3 == 2 and parent:
            body["parent_id"] = parent  # some replies too
        sent = time.time()
        resp = requests.post(f"{sandbox_url}/_sandbox/instagram/comments", timeout=10, json=body)
        resp.raise_for_status()
        comment_id = resp.json()["id"]
        parent = parent or comment_id
        arrived = agent.wait(comment_id, timeout)
        latencies.append(None if arrived is None else arrived - sent)
        time.sleep(0.3)  # one at a time: each latency is the push's own, not a queue's
    return latencies


def main():
    args = parse_args()
    logging.disable(logging.WARNING)
    with scratch_database() as uri, tempfile.TemporaryDirectory(prefix="carebox-bench-") as folder:
        app = migrated_app(uri)
        kind = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
        print(f"database: {kind} (scratch, migrated from empty); {os.cpu_count()} CPUs; {load()}")
        env = {**environment(app, 10), "CAREBOX_FACEBOOK_VERIFY_TOKEN": VERIFY_TOKEN, "LOG_LEVEL": "WARNING",
               "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
               "CAREBOX_SOCKETIO_CHANNEL": f"carebox-ig-latency-{uuid.uuid4().hex[:8]}"}
        port = free_port()
        sandbox = start_sandbox(env, folder, port)
        sandbox_url = f"http://127.0.0.1:{port}"
        agent = None
        try:
            token = connect_demo_accounts(app, sandbox_url, networks=("instagram",))
            with gunicorn_node(env, log_path=f"{folder}/web.log") as (web_url, _web):
                subscribe_push(sandbox_url, web_url)
                agent = Agent(web_url, token)
                pushed = comments_by_push(sandbox_url, agent, new_media(sandbox_url), args.comments, args.timeout)
                print("Instagram comments by push (sandbox webhook -> /hooks/facebook -> Socket.IO), no worker "
                      f"running: {summary(pushed, PUSH_GOAL_S)}")
                if any(value is None for value in pushed):
                    print(f"--- web log (tail)\n{Path(f'{folder}/web.log').read_text(errors='replace')[-1500:]}")
        finally:
            if agent is not None:
                agent.close()
            stop(sandbox)
            with app.app_context():
                from app.extensions import db

                db.engine.dispose()
        print(f"done; {load()} (other work on the machine lowers the figures)")


if __name__ == "__main__":
    main()
