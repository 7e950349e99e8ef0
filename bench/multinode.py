"""Multi-node latencies: two gunicorn web nodes, a worker, the sandbox, PostgreSQL and Redis on this machine.

The same real processes as tests/test_multinode.py (tests/fixtures/cluster.py), on a scratch
database of the PostgreSQL server DATABASE_URL names and a Redis channel of the run's own.
Figures, medians (and worst) over the runs, from a real python-socketio client on node A:

- POST answered: POST /api/v1/messages on node A until its 201 (ingest and commit included);
- same node: the same POST → message.created at the agent on node A;
- across nodes: the same POST on node B → the agent on node A (through Redis);
- worker → node: the message's received_at (the worker starting to store its poll) → the agent on node A;
- websocket disconnect: client.disconnect() against gunicorn (gthread), and against werkzeug
  (the tests' live server) for comparison.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/multinode.py
    DATABASE_URL=… REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/multinode.py --runs 50
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import scratch_database  # noqa: E402
from tests.fixtures.cluster import Cluster, SocketAgent, api, reset_sandbox, seed, x_brand  # noqa: E402

BRAND = x_brand(0)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="samples per API and disconnect figure (default 30)")
    parser.add_argument("--ingest-runs", type=int, default=10,
                        help="samples of worker → node (each waits for a poll; default 10)")
    return parser.parse_args()


def figure(name, samples):
    ms = sorted(s * 1000 for s in samples)
    slow = sum(m > 1000 for m in ms)
    print(f"{name:44} median {statistics.median(ms):7.1f} ms   worst {ms[-1]:7.1f} ms   (n={len(ms)}"
          + (f", {slow} over 1 s)" if slow else ")"))


def pushed_to(cluster, world, agent, node, external_id):
    """Seconds from POST on `node` to its response, and to the agent's message.created."""
    started = time.time()
    resp = api(cluster.url(node), world.tokens["Sam"], "POST", "/messages", json={
        "account_id": world.custom_account_id, "external_id": external_id, "text": "hello",
        "author": {"external_id": f"bench-{external_id}"}})
    answered = time.time()
    resp.raise_for_status()
    _, seen_at = agent.wait_for("message.created", lambda d: d["message"]["external_id"] == external_id)
    return answered - started, seen_at - started


def pushes(cluster, world, agent, node, runs):
    samples = [pushed_to(cluster, world, agent, node, f"{node}-{n}") for n in range(runs)]
    return [a for a, _ in samples], [e for _, e in samples]


def ingested_to(cluster, agent, n):
    """Seconds from the worker's ingest (received_at) of a sandbox post to the agent's message.created."""
    resp = requests.post(f"{cluster.url('sandbox')}/_sandbox/posts", json={
        "network": "twitter", "account": BRAND["user_id"], "text": f"@{BRAND['username']} bench {n}"}, timeout=10)
    tweet_id = resp.json()["id"]
    data, seen_at = agent.wait_for("message.created", lambda d: d["message"]["external_id"] == tweet_id, timeout=60)
    received = datetime.fromisoformat(data["message"]["received_at"].replace("Z", "+00:00"))
    return seen_at - received.timestamp()


def disconnects(url, token, runs):
    took = []
    for _ in range(runs):
        took.append(SocketAgent(url, token).close())
    return took


def werkzeug_disconnects(uri, token, runs):
    from app import create_app
    from tests.conftest import make_config
    from tests.fixtures.servers import LiveServer

    app = create_app(make_config(uri, REDIS_URL=None))
    server = LiveServer(app).start()
    try:
        return disconnects(server.url, token, runs)
    finally:
        server.stop()


def main():
    args = parse_args()
    raw = os.environ.get("DATABASE_URL") or ""
    if not raw.startswith(("postgres://", "postgresql")):
        sys.exit("multi-node needs PostgreSQL: set DATABASE_URL=postgresql://…")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from tests.conftest import make_config

    with scratch_database() as uri, tempfile.TemporaryDirectory(prefix="carebox-bench-") as logs:
        context = create_app(make_config(uri, REDIS_URL=None)).app_context()
        context.push()
        cluster = Cluster(uri, redis_url, logs)
        try:
            upgrade()
            sandbox = cluster.start_sandbox()
            cluster.start_web("web-a")
            cluster.start_web("web-b")
            cluster.wait_ready()
            reset_sandbox(sandbox, [BRAND])
            world = seed(db, sandbox, [BRAND])
            cluster.start_worker("worker-1")
            cluster.wait_ready()
            agent = SocketAgent(cluster.url("web-a"), world.tokens["Alex"])
            print(f"{args.runs} runs; two gunicorn nodes, one worker, PostgreSQL, Redis channel {cluster.channel}")
            answered, same = pushes(cluster, world, agent, "web-a", args.runs)
            _, across = pushes(cluster, world, agent, "web-b", args.runs)
            figure("POST /api/v1/messages answered", answered)
            figure("same node (POST on A → agent on A)", same)
            figure("across nodes (POST on B → agent on A)", across)
            figure("worker ingest → agent on A", [ingested_to(cluster, agent, n) for n in range(args.ingest_runs)])
            agent.close()
            figure("websocket disconnect, gunicorn gthread", disconnects(cluster.url("web-a"), world.tokens["Alex"],
                                                                          args.runs))
            figure("websocket disconnect, werkzeug", werkzeug_disconnects(uri, world.tokens["Alex"], min(args.runs, 10)))
        finally:
            cluster.stop()
            db.session.remove()
            db.engine.dispose()
            context.pop()


if __name__ == "__main__":
    main()
