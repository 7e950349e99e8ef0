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
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import (  # noqa: E402
    PUSH_GOAL_S, Agent, connect_demo_accounts, latency_env, running_sandbox, scratch_run, subscribe_push, summary,
    timed,
)
from bench.server_timing import gunicorn_node  # noqa: E402


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
        comment_id, latency = timed(agent, f"{sandbox_url}/_sandbox/instagram/comments", body, timeout)
        parent = parent or comment_id
        latencies.append(latency)
        time.sleep(0.3)  # one at a time: each latency is the push's own, not a queue's
    return latencies


def main():
    args = parse_args()
    with scratch_run() as (app, folder):
        env = latency_env(app, 10, "ig-latency")
        with running_sandbox(env, folder) as sandbox_url:
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


if __name__ == "__main__":
    main()
