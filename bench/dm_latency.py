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
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import (  # noqa: E402
    FLASK, PUSH_GOAL_S, WORKER_READY, Agent, connect_demo_accounts, latency_env, running_sandbox, scratch_run, start,
    stop, subscribe_push, summary, timed,
)
from bench.server_timing import gunicorn_node  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messenger", type=int, default=30, help="Messenger messages pushed (default 30)")
    parser.add_argument("--x-dms", type=int, default=15, help="X DMs polled (default 15)")
    parser.add_argument("--interval", type=int, default=10, help="CAREBOX_POLL_INTERVAL (default 10, production's)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds to wait for one event before counting it lost (default interval x 3)")
    return parser.parse_args()


# ------------------------------------------------------------------ the two ways

def messenger_by_push(sandbox_url, agent, count, timeout):
    """Seconds from asking the sandbox for each customer message to its event; None: never arrived."""
    from app.sandbox import DEMO_FACEBOOK

    latencies = []
    for n in range(count):
        sender = {"id": str(7100000000000000 + n % 5), "name": f"Bench Customer {n % 5}"}
        _id, latency = timed(agent, f"{sandbox_url}/_sandbox/messenger/messages", {
            "page_id": DEMO_FACEBOOK["page_id"], "sender": sender, "text": f"Order #{100000 + n}: where is it?"},
            timeout)
        latencies.append(latency)
        time.sleep(0.3)  # one at a time: each latency is the push's own, not a queue's
    return latencies


def x_dm_by_poll(sandbox_url, agent, count, interval, timeout, rng):
    from app.sandbox import DEMO_X

    latencies = []
    for n in range(count):
        time.sleep(rng.uniform(0, interval))  # a random moment of the poll cycle
        author = {"id": str(7200000000000000 + n % 5), "username": f"bench_dm_{n % 5}", "name": f"Bench {n % 5}"}
        _id, latency = timed(agent, f"{sandbox_url}/_sandbox/dms", {
            "account": DEMO_X["user_id"], "author": author, "text": f"Order #{200000 + n}: any news?"}, timeout)
        latencies.append(latency)
    return latencies


def main():
    args = parse_args()
    timeout = args.timeout or 3 * args.interval
    rng = random.Random(5)
    with scratch_run() as (app, folder):
        env = latency_env(app, args.interval, "dm-latency")
        with running_sandbox(env, folder) as sandbox_url:
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


if __name__ == "__main__":
    main()
