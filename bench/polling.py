"""Polling at scale: ONE worker process keeping 1,000 sandbox accounts on schedule.

A sandbox (`flask sandbox`, its own process) gets --accounts numbered brands (POST /_sandbox/brands),
half on X and half Facebook pages by default, with its traffic generator writing to random ones;
each is connected as a Carebox account on a scratch database. Then one `flask worker` polls them all
with --interval (the production default, 10 s) for --warmup + --seconds. The worker logs every poll's
scheduled start, actual start and duration (app/worker/loop.py); the polls that started in the
measured --seconds give the figures:

- the gaps between consecutive poll starts of each account (p50/p95/p99/max, and the share within
  interval + 1 s, the target);
- the start delay (actual start - scheduled start);
- polls per second, their outcomes;
- the worker process's CPU seconds (user + system) per poll, and the sandbox process's CPU beside it.

The sandbox is served by gunicorn's threaded worker by default: it keeps connections alive, as the
real networks do (`flask sandbox` runs werkzeug's server, which closes every connection after one
response; --sandbox werkzeug measures that).

The warm-up is left out: the first round is a backlog (1,000 accounts due at once, since they were
connected before the worker started), after which each account is on its own slots.

    .venv/bin/python bench/polling.py                         # SQLite file in a temp dir
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/polling.py
    .venv/bin/python bench/polling.py --accounts 200 --seconds 60 --interval 5    # a quick look
    .venv/bin/python bench/polling.py --py-spy worker.txt     # also profile the worker (py-spy, collapsed stacks)
    .venv/bin/python bench/polling.py --worker-root /tmp/before   # the worker of another checkout (git archive)

Workers before the poll loop logged no scheduled start: for them the gaps are between the times their
poll lines were written (each poll's end), and there is no start delay to show.
"""
import argparse
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import _common  # noqa: E402
from bench._common import FLASK, WORKER_READY, environment, scratch_run, start, stop  # noqa: E402
from bench.server_timing import free_port, percentile  # noqa: E402

PY_SPY = str(Path(sys.executable).with_name("py-spy"))
POLL_LINE = re.compile(r"poll account=(\d+) outcome=(\S+) due=(\S+) started=(\S+) took=([\d.]+)")
EARLIER_POLL_LINE = re.compile(r"^(\S+ \S+) INFO \S+: poll account=(\d+) outcome=(\S+) worker=", re.MULTILINE)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1000, help="sandbox brands connected (default 1000)")
    parser.add_argument("--facebook-share", type=float, default=0.5, help="share of them on Facebook (default 0.5)")
    parser.add_argument("--seconds", type=float, default=180, help="measured seconds (default 180)")
    parser.add_argument("--warmup", type=float, default=None, help="seconds left out first (default 3 intervals)")
    parser.add_argument("--interval", type=int, default=10, help="CAREBOX_POLL_INTERVAL (default 10)")
    parser.add_argument("--threads", type=int, default=None, help="worker --threads (default CAREBOX_POLL_THREADS)")
    parser.add_argument("--traffic", type=float, default=120, help="sandbox posts per minute (default 120)")
    parser.add_argument("--sandbox", choices=("gunicorn", "werkzeug"), default="gunicorn",
                        help="the sandbox's HTTP server: gunicorn gthread, keep-alive (default), or flask sandbox's")
    parser.add_argument("--py-spy", metavar="FILE", help="record the worker with py-spy during the measured seconds")
    parser.add_argument("--worker-root", metavar="DIR", default=str(ROOT),
                        help="run `flask worker` from this checkout (default: this one), e.g. the previous code")
    return parser.parse_args()


# ------------------------------------------------------------------ processes

def start_sandbox(kind, env, folder, port):
    """The sandbox network in its own process; returns (Popen, the process serving it: gunicorn's worker)."""
    if kind == "werkzeug":
        proc = start([FLASK, "--app", "wsgi", "sandbox", "--port", str(port), "--rate", "0"], env,
                     f"{folder}/sandbox.log", "sandbox network on")
        return proc, proc.pid
    proc = _common.start_sandbox(env, folder, port)
    return proc, psutil.Process(proc.pid).children()[0].pid


def cpu_seconds(pid):
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


# ------------------------------------------------------------------ accounts

def connect_brands(app, sandbox_url, count, facebook_share):
    """Register numbered brands in the sandbox and connect each as an account (one transaction)."""
    from app.accounts import CREDENTIAL_KEYS, create_account
    from app.database import write_intent
    from app.extensions import db

    facebook = round(count * facebook_share)
    brands = []
    for network, number in (("twitter", count - facebook), ("facebook", facebook)):
        if number:
            resp = requests.post(f"{sandbox_url}/_sandbox/brands", json={"network": network, "count": number},
                                 timeout=60)
            resp.raise_for_status()
            brands += [(network, brand) for brand in resp.json()["brands"]]
    with app.app_context(), write_intent():
        for network, brand in brands:
            create_account(db.session, network=network, name=brand["name"], api_base_url=sandbox_url,
                           credentials={k: v for k, v in brand.items() if k in CREDENTIAL_KEYS[network]})
        db.session.commit()
        db.session.remove()
    return count - facebook, facebook


# ------------------------------------------------------------------ figures

def polls_from_log(text):
    """{account id: [(due, started, took, outcome), …] in start order} (due and took None from earlier workers)."""
    polls = {}
    for match in POLL_LINE.finditer(text):
        account, outcome, due, started, took = match.groups()
        polls.setdefault(int(account), []).append((_time(due), _time(started), float(took), outcome))
    for match in EARLIER_POLL_LINE.finditer(text):
        written, account, outcome = match.groups()
        when = datetime.strptime(written, "%Y-%m-%d %H:%M:%S,%f").replace(tzinfo=timezone.utc).timestamp()
        polls.setdefault(int(account), []).append((None, when, None, outcome))
    for records in polls.values():
        records.sort(key=lambda r: r[1])
    return polls


def _time(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def distribution(values, unit="s"):
    if not values:
        return "none"
    return (f"p50 {percentile(values, 50):.3f} {unit}, p95 {percentile(values, 95):.3f}, "
            f"p99 {percentile(values, 99):.3f}, max {max(values):.3f}")


def report(polls, window, interval, worker_cpu, sandbox_cpu, accounts):
    begin, end = window
    gaps, delays, outcomes, took = [], [], {}, []
    for records in polls.values():
        for previous, (due, started, duration, outcome) in zip([None] + records, records):
            if not begin <= started < end:
                continue
            if due is not None:
                delays.append(started - due)
                took.append(duration)
            kind = outcome.split(":")[0]
            outcomes[kind] = outcomes.get(kind, 0) + 1
            if previous is not None:
                gaps.append(started - previous[1])
    count = sum(outcomes.values())
    seconds = end - begin
    within = sum(1 for g in gaps if g <= interval + 1) / len(gaps) if gaps else float("nan")
    polled = sum(1 for records in polls.values() if any(begin <= r[1] < end for r in records))
    print(f"polls started in the measured {seconds:.0f} s: {count:,} ({count / seconds:.1f}/s; "
          f"{accounts:,} accounts every {interval} s would be {accounts / interval:.1f}/s); "
          f"accounts polled: {polled:,}; outcomes: {outcomes}")
    print(f"gap between consecutive poll starts of an account: {distribution(gaps)}; "
          f"within interval + 1 s ({interval + 1} s): {within:.2%} of {len(gaps):,}")
    print(f"start delay (actual - scheduled start): {distribution(delays)}")
    print(f"poll duration (claimed to stored): {distribution(took)}")
    print(f"worker process CPU: {worker_cpu:.1f} s = {worker_cpu / max(count, 1) * 1000:.2f} ms per poll "
          f"({worker_cpu / seconds:.0%} of a core); sandbox process CPU: {sandbox_cpu:.1f} s = "
          f"{sandbox_cpu / max(count, 1) * 1000:.2f} ms per poll ({sandbox_cpu / seconds:.0%} of a core)")


# ------------------------------------------------------------------ main

def main():
    args = parse_args()
    warmup = args.warmup if args.warmup is not None else 3 * args.interval
    with scratch_run() as (app, folder):
        env = environment(app, args.interval)
        port = free_port()
        sandbox, sandbox_pid = start_sandbox(args.sandbox, env, folder, port)
        worker = None
        try:
            url = f"http://127.0.0.1:{port}"
            x, facebook = connect_brands(app, url, args.accounts, args.facebook_share)
            requests.post(f"{url}/_sandbox/traffic", json={"rate": args.traffic, "enabled": True}, timeout=10)
            elsewhere = "" if args.worker_root == str(ROOT) else f"; the worker of {args.worker_root}"
            print(f"{args.accounts:,} accounts ({x} X, {facebook} Facebook), sandbox ({args.sandbox}) traffic "
                  f"{args.traffic:g} posts/min; one worker, interval {args.interval} s, {warmup:g} s warm-up + "
                  f"{args.seconds:g} s{elsewhere}")
            threads = ["--threads", str(args.threads)] if args.threads else []
            worker = start([FLASK, "--app", "wsgi", "worker", *threads], env, f"{folder}/worker.log", WORKER_READY,
                           cwd=args.worker_root)
            time.sleep(warmup)
            spy = None
            if args.py_spy:
                spy = subprocess.Popen([PY_SPY, "record", "--pid", str(worker.pid), "--format", "raw", "--threads",
                                        "-d", str(int(args.seconds)), "-o", args.py_spy, "--nonblocking"],
                                       stdout=open(f"{folder}/py-spy.log", "wb"), stderr=subprocess.STDOUT)
            begin, cpu_worker, cpu_sandbox = time.time(), cpu_seconds(worker.pid), cpu_seconds(sandbox_pid)
            time.sleep(args.seconds)
            end = time.time()
            cpu_worker, cpu_sandbox = cpu_seconds(worker.pid) - cpu_worker, cpu_seconds(sandbox_pid) - cpu_sandbox
            if spy is not None and spy.wait(timeout=120) != 0:
                said = Path(f"{folder}/py-spy.log").read_text(errors="replace").strip()[-500:]
                print(f"py-spy failed ({spy.returncode}): {said}")
            stop(worker)
            log = Path(f"{folder}/worker.log").read_text(errors="replace")
            errors = [line for line in log.splitlines() if " ERROR " in line or "Traceback" in line]
            report(polls_from_log(log), (begin, end), args.interval, cpu_worker, cpu_sandbox, args.accounts)
            if errors:
                print(f"worker errors: {len(errors)}, the first: {errors[0]}")
        finally:
            if worker is not None:
                stop(worker)
            stop(sandbox)


if __name__ == "__main__":
    main()
