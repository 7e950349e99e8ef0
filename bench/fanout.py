"""Socket.IO fan-out: N connected agents (default 200) while messages are ingested at a fixed rate (default 50/s).

Prints p50/p95/p99 of the ingest-to-event latency and each web process's memory (RSS, psutil), on one node
and on two nodes sharing Socket.IO through Redis.

Everything runs as production runs it: gunicorn web nodes (gunicorn.conf.py, one process each, gevent) on
a scratch PostgreSQL database made next to DATABASE_URL (dropped afterwards); the agents are real
Socket.IO clients with API tokens, in a few separate processes: by default wire-level ones (aiohttp
websockets speaking Engine.IO 4 / Socket.IO 5, see WireAgent), or python-socketio AsyncClients with
--client socketio. A sender posts customer messages to POST /api/v1/messages (the real ingest path) on a fixed
schedule; each message's external id carries the time taken just before its request was sent, and every
agent turns the `message.created` event it receives into a latency right away (same machine, same clock).

- one node: all agents on node A, messages posted to node A (no Redis);
- two nodes: half the agents on A, half on B, messages posted to B; events travel through Redis (a channel
  of this run's own, CAREBOX_SOCKETIO_CHANNEL) to A's agents, and to B's own. Latency is shown for all
  agents and for each half.

Several runs of --seconds each; the median over runs of each percentile is quoted, with the targets
(p99 under 250 ms on one node, under 300 ms across two; RSS under 250 MB with 200 agents).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/fanout.py
    DATABASE_URL=… REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/fanout.py --agents 100 --runs 1
"""
import argparse
import json
import logging
import multiprocessing
import os
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_P99_ONE_MS = 250.0
TARGET_P99_TWO_MS = 300.0
TARGET_RSS_MB = 250.0
PASSWORD = "correct horse battery staple"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=200, help="connected Socket.IO agents (default 200)")
    parser.add_argument("--rate", type=float, default=50.0, help="messages ingested per second (default 50)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of one run (default 20 s)")
    parser.add_argument("--runs", type=int, default=3, help="runs per layout; medians are quoted (default 3)")
    parser.add_argument("--agent-processes", type=int, default=4, help="processes the agents are spread over")
    parser.add_argument("--client", choices=("wire", "socketio"), default="wire",
                        help="agents speak the Socket.IO protocol over aiohttp websockets with nothing else (wire, "
                             "default), or are python-socketio AsyncClients (several times the CPU per event)")
    parser.add_argument("--customers", type=int, default=400,
                        help="distinct customers writing (their first message opens a conversation; default 400)")
    parser.add_argument("--worker", choices=("gthread", "gevent"), default=None,
                        help="gunicorn worker class of the web nodes (default: gunicorn.conf.py's, gevent)")
    parser.add_argument("--layout", choices=("both", "one", "two"), default="both")
    parser.add_argument("--threads", type=int, default=None,
                        help="CAREBOX_WEB_THREADS for the nodes (default: gunicorn.conf.py's)")
    return parser.parse_args()


# ------------------------------------------------------------------ agents (in their own processes)

def agent_process(assignments, commands, results, client_kind="wire"):
    """Connect one agent per (url, token); report latencies of message.created events.

    asyncio clients: the threaded socketio.Client starts a thread for every event it receives, and a few
    thousand thread starts a second would make the agents, not the server, the bottleneck. For the same
    reason the default agent is a wire-level client (WireAgent): on these 2 cores 200 python-socketio
    clients take about a core to decode 10,000 events/s, which the server then lacks; agents' browsers
    run on their own machines in production.
    """
    import asyncio

    logging.disable(logging.CRITICAL)
    asyncio.run(_agents(assignments, commands, results, client_kind))


def _latency_recorder(got):
    def on_message(data):
        arrived = time.time()
        _, run, seq, sent = data["message"]["external_id"].split("-")  # "fan-<run>-<seq>-<sent at, µs>"
        got.append((run, int(seq), (arrived - int(sent) / 1e6) * 1000))
    return on_message


class WireAgent:
    """A Socket.IO client reduced to what an agent's inbox does here, on aiohttp's websocket: the Engine.IO v4
    handshake, CONNECT with the token as auth, pong to every ping, and each `message.created` event decoded
    (json) and handed to `on_message`. No reconnection, no acks, no namespaces but "/"."""

    def __init__(self, on_message):
        self.on_message = on_message
        self.session = self.ws = self.reader = None

    async def connect(self, url, token):
        import asyncio

        import aiohttp

        self.session = aiohttp.ClientSession()
        ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.ws = await self.session.ws_connect(ws_url, timeout=aiohttp.ClientWSTimeout(ws_close=10), autoping=False, compress=15)  # offer permessage-deflate, as browsers do
        opened = await self.ws.receive_str(timeout=30)
        if not opened.startswith("0"):
            raise ConnectionError(f"no Engine.IO open packet: {opened[:80]}")
        await self.ws.send_str("40" + json.dumps({"token": token}))
        while True:
            packet = await self.ws.receive_str(timeout=30)
            if packet.startswith("40"):
                break
            if packet.startswith("44"):
                raise ConnectionError(f"connection refused: {packet[:200]}")
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self):
        import aiohttp

        async for frame in self.ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            packet = frame.data
            if packet == "2":
                await self.ws.send_str("3")
            elif packet.startswith('42["message.created"'):
                self.on_message(json.loads(packet[2:])[1])

    async def disconnect(self):
        try:
            if self.ws is not None and not self.ws.closed:
                await self.ws.send_str("41")
                await self.ws.close()
        finally:
            if self.reader is not None:
                self.reader.cancel()
            if self.session is not None:
                await self.session.close()


async def _agents(assignments, commands, results, client_kind):
    import asyncio

    import socketio

    latencies = {}  # client index -> list of (run, seq, ms)

    async def connect(index, url, token):
        on_message = _latency_recorder(latencies.setdefault(index, []))
        if client_kind == "wire":
            for attempt in range(5):
                client = WireAgent(on_message)
                try:
                    await client.connect(url, token)
                    return client
                except (TimeoutError, ConnectionError, OSError):
                    await client.disconnect()
                    if attempt == 4:
                        raise
                    await asyncio.sleep(0.5)
        client = socketio.AsyncClient(reconnection=False)
        client.on("message.created", on_message)
        for attempt in range(5):
            try:
                await client.connect(url, transports=["websocket"], auth={"token": token}, wait_timeout=30)
                return client
            except socketio.exceptions.ConnectionError:
                if attempt == 4:
                    raise
                await asyncio.sleep(0.5)

    clients = []
    for start in range(0, len(assignments), 10):  # ten at a time: a burst, not a stampede
        batch = assignments[start:start + 10]
        clients += await asyncio.gather(*(connect(start + i, url, token) for i, (url, token) in enumerate(batch)))
    results.put(("connected", len(clients)))
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, commands.get)
        if command == "report":
            results.put(("latencies", {i: list(v) for i, v in latencies.items()}))
            for values in latencies.values():
                values.clear()
        elif command == "stop":
            break
    await asyncio.gather(*(client.disconnect() for client in clients), return_exceptions=True)
    results.put(("stopped", len(clients)))


class Agents:
    """Agent processes; `assignments` is a list of (url, token), one per agent."""

    def __init__(self, assignments, processes, client_kind="wire"):
        ctx = multiprocessing.get_context("spawn")
        self.groups = [assignments[i::processes] for i in range(processes)]
        self.procs, self.commands, self.results = [], [], []
        for group in self.groups:
            commands, results = ctx.Queue(), ctx.Queue()
            proc = ctx.Process(target=agent_process, args=(group, commands, results, client_kind), daemon=True)
            proc.start()
            self.procs.append(proc)
            self.commands.append(commands)
            self.results.append(results)
        connected = sum(self._expect(results, "connected", 180) for results in self.results)
        if connected != len(assignments):
            raise SystemExit(f"only {connected} of {len(assignments)} agents connected")

    @staticmethod
    def _expect(results, kind, timeout):
        got, value = results.get(timeout=timeout)
        if got != kind:
            raise SystemExit(f"agent process said {got}, expected {kind}")
        return value

    def collect(self):
        """Every agent's (run, seq, latency ms) since the last collect, with the agent's URL."""
        for commands in self.commands:
            commands.put("report")
        out = []
        for group, results in zip(self.groups, self.results):
            per_client = self._expect(results, "latencies", 120)
            for index, values in per_client.items():
                out.append((group[index][0], values))
        return out

    def stop(self):
        for commands in self.commands:
            commands.put("stop")
        for results, proc in zip(self.results, self.procs):
            try:
                self._expect(results, "stopped", 60)
            except Exception:  # a stuck agent process must not hide the figures
                pass
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()


# ------------------------------------------------------------------ the sender

def send_at_rate(url, token, account_id, run, rate, seconds, customers, threads=16):
    """POST /api/v1/messages on a fixed schedule (message i at start + i/rate); returns (sent, lateness ms list,
    request ms list). Enough threads that slow responses do not push the following messages back."""
    import requests

    total = int(rate * seconds)
    start = time.monotonic() + 0.5
    lock = threading.Lock()
    state = {"next": 0}
    late, took, failures = [], [], []

    def worker():
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {token}"
        while True:
            with lock:
                seq = state["next"]
                state["next"] += 1
            if seq >= total:
                return
            due = start + seq / rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            late.append(max(0.0, -pause) * 1000)
            customer = seq % customers
            sent = time.time()
            body = {"account_id": account_id, "external_id": f"fan-{run}-{seq}-{int(sent * 1e6)}",
                    "text": f"Where is my order {seq}? 📦", "author": {"external_id": f"fan-customer-{customer}",
                                                                   "handle": f"customer_{customer}"}}
            try:
                resp = http.post(f"{url}/api/v1/messages", json=body, timeout=10)
                if resp.status_code != 201:
                    failures.append(resp.status_code)
            except requests.RequestException as exc:
                failures.append(type(exc).__name__)
            took.append((time.time() - sent) * 1000)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    if failures:
        print(f"    {len(failures)} POSTs failed: {sorted(set(map(str, failures)))}")
    return total, late, took


# ------------------------------------------------------------------ set-up

def seed(app, agents):
    """Agents with API tokens (one shared password hash: hashing 200 passwords would take a minute), a sender
    with a write token, a custom channel. Returns (agent tokens, sender token, account id)."""
    from werkzeug.security import generate_password_hash

    from app.accounts import create_account
    from app.database import write_intent
    from app.extensions import db
    from app.models import ApiToken, User

    password_hash = generate_password_hash(PASSWORD)
    tokens = []
    with app.app_context(), write_intent():
        session = db.session
        for n in range(agents + 1):
            user = User(email=f"agent{n}@example.test", name=f"Agent {n}", role="agent", password_hash=password_hash)
            token, raw = ApiToken.issue(user, "fan-out bench", ("read", "write"))
            session.add_all([user, token])
            tokens.append(raw)
        account_id = create_account(session, network="custom", name="Web chat").id
        session.commit()
    return tokens[:-1], tokens[-1], account_id


def rss_mb(pid):
    import psutil

    return psutil.Process(pid).memory_info().rss / 2**20


class RssSampler(threading.Thread):
    """Peak RSS of some processes, sampled every 100 ms."""

    def __init__(self, pids):
        super().__init__(daemon=True)
        self.pids = pids
        self.peak = {pid: 0.0 for pid in pids}
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], rss_mb(pid))
            time.sleep(0.1)

    def stop(self):
        self.done.set()
        self.join()
        return self.peak


# ------------------------------------------------------------------ one layout

def run_layout(name, nodes, ingest_node, env_base, args, tokens, sender_token, account_id, folder):
    """Start `nodes` (names), spread the agents over them, send, measure. Returns a dict of figures."""
    from contextlib import ExitStack

    from bench.server_timing import gunicorn_node, percentile, worker_pid

    with ExitStack() as stack:
        urls, pids = {}, {}
        for node in nodes:
            url, proc = stack.enter_context(gunicorn_node(env_base, log_path=f"{folder}/{name}-{node}.log"))
            urls[node], pids[node] = url, worker_pid(proc)
        idle = {node: rss_mb(pid) for node, pid in pids.items()}
        assignments = [(urls[nodes[i % len(nodes)]], token) for i, token in enumerate(tokens)]
        started = time.monotonic()
        agents = Agents(assignments, min(args.agent_processes, len(assignments)), args.client)
        connect_s = time.monotonic() - started
        time.sleep(2)  # let the connection burst settle
        connected = {node: rss_mb(pid) for node, pid in pids.items()}
        runs = []
        sampler = RssSampler(list(pids.values()))
        sampler.start()
        try:
            for run in range(args.runs):
                total, late, took = send_at_rate(urls[ingest_node], sender_token, account_id, f"{name}{run}",
                                                 args.rate, args.seconds, args.customers)
                time.sleep(3)  # stragglers
                received = agents.collect()
                by_node = {node: [] for node in nodes}
                count = 0
                for url, values in received:
                    node = next(n for n, u in urls.items() if u == url)
                    by_node[node] += [ms for _run, _seq, ms in values]
                    count += len(values)
                every = [ms for values in by_node.values() for ms in values]
                runs.append({
                    "p50": percentile(every, 50), "p95": percentile(every, 95), "p99": percentile(every, 99),
                    "max": max(every) if every else float("nan"),
                    "nodes": {node: (percentile(v, 50), percentile(v, 99)) for node, v in by_node.items()},
                    "expected": total * len(tokens), "received": count,
                    "post_p50": percentile(took, 50), "post_p99": percentile(took, 99), "late_p99": percentile(late, 99),
                })
                r = runs[-1]
                print(f"    run {run + 1}: {total} messages, {r['received']:,}/{r['expected']:,} events; latency p50 "
                      f"{r['p50']:.1f} p95 {r['p95']:.1f} p99 {r['p99']:.1f} max {r['max']:.0f} ms; POST p50 "
                      f"{r['post_p50']:.1f} p99 {r['post_p99']:.1f} ms; sender late p99 {r['late_p99']:.1f} ms")
        finally:
            peak = sampler.stop()
            agents.stop()
        return {"runs": runs, "idle": idle, "connected": connected,
                "peak": {node: peak[pid] for node, pid in pids.items()}, "connect_s": connect_s, "urls": urls}


def summarise(name, result, agents, target_p99, ingest_node, nodes):
    runs = result["runs"]
    med = {k: statistics.median(r[k] for r in runs) for k in ("p50", "p95", "p99")}
    lost = sum(r["expected"] - r["received"] for r in runs)
    # Events that never arrived have no latency: a run that lost any cannot pass, whatever its percentiles.
    verdict = "PASS" if med["p99"] < target_p99 and not lost else "MISS"
    print(f"  {name}: ingest-to-event latency (median of {len(runs)} runs) p50 {med['p50']:.1f} ms, p95 {med['p95']:.1f} "
          f"ms, p99 {med['p99']:.1f} ms   target p99 < {target_p99:.0f} ms: {verdict}")
    if len(nodes) > 1:
        for node in nodes:
            where = "same node as ingest" if node == ingest_node else "other node, through Redis"
            p50 = statistics.median(r["nodes"][node][0] for r in runs)
            p99 = statistics.median(r["nodes"][node][1] for r in runs)
            print(f"    agents on {node} ({where}): p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print(f"    events delivered: {sum(r['received'] for r in runs):,} of {sum(r['expected'] for r in runs):,}"
          f" ({lost:,} missing); {agents} agents connected in {result['connect_s']:.1f} s")
    for node in nodes:
        share = agents // len(nodes)
        rss = result["connected"][node]
        ok = "PASS" if rss < TARGET_RSS_MB else "MISS"
        print(f"    web process {node}: RSS {result['idle'][node]:.0f} MB idle, {rss:.0f} MB with {share} agents "
              f"connected, peak {result['peak'][node]:.0f} MB while sending   target < {TARGET_RSS_MB:.0f} MB"
              f"{' with 200 agents' if share >= 200 else ''}: {ok if share >= 200 else 'n/a'}")
    return med


def main():
    args = parse_args()
    raw_url = os.environ.get("DATABASE_URL", "")
    if not raw_url.startswith(("postgres://", "postgresql")):
        raise SystemExit("bench/fanout.py needs PostgreSQL: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test")
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    logging.disable(logging.WARNING)
    from bench._common import scratch_app

    print(f"{os.cpu_count()} CPUs; load average %.1f %.1f %.1f" % os.getloadavg())
    client = "wire-level Socket.IO clients on aiohttp" if args.client == "wire" else "python-socketio AsyncClients"
    print(f"{args.agents} agents ({client}, websocket) in {args.agent_processes} processes; {args.rate:g} "
          f"messages/s for {args.seconds:g} s per run, {args.runs} runs per layout, from {args.customers} customers")
    channel = f"carebox-bench-{uuid.uuid4().hex[:8]}"
    with scratch_app(prefix="carebox-fanout-") as (app, folder):
        tokens, sender_token, account_id = seed(app, args.agents)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CAREBOX_") and k != "REDIS_URL"}
        env.update({"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": app.config["SECRET_KEY"],
                    "CAREBOX_ENCRYPTION_KEY": app.config["CAREBOX_ENCRYPTION_KEY"], "LOG_LEVEL": "WARNING"})
        if args.worker:
            env["CAREBOX_WEB_WORKER"] = args.worker
        if args.threads:
            env["CAREBOX_WEB_THREADS"] = str(args.threads)
        summary = {}
        try:
            if args.layout in ("both", "one"):
                print("one node (no Redis): agents on A, messages posted to A")
                result = run_layout("one", ["A"], "A", env, args, tokens, sender_token, account_id, folder)
                summary["one"] = summarise("one node", result, args.agents, TARGET_P99_ONE_MS, "A", ["A"])
            if args.layout in ("both", "two"):
                print(f"two nodes through Redis ({redis_url}, channel {channel}): agents split over A and B, "
                      f"messages posted to B")
                env_two = {**env, "REDIS_URL": redis_url, "CAREBOX_SOCKETIO_CHANNEL": channel}
                result = run_layout("two", ["A", "B"], "B", env_two, args, tokens, sender_token, account_id, folder)
                summary["two"] = summarise("two nodes", result, args.agents, TARGET_P99_TWO_MS, "B", ["A", "B"])
        finally:
            forget_channel(redis_url, channel)
    print("done; load average %.1f %.1f %.1f (the agents, the nodes and PostgreSQL share these CPUs)" % os.getloadavg())


def forget_channel(redis_url, channel):
    """Remove the keys this run's nodes left under its channel prefix (presence); nothing else."""
    try:
        import redis

        client = redis.Redis.from_url(redis_url, socket_connect_timeout=1)
        keys = list(client.scan_iter(match=f"{channel}*", count=500))
        if keys:
            client.delete(*keys)
    except Exception:
        pass


if __name__ == "__main__":
    main()
