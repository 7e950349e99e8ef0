"""Webhook delivery benchmark: deliveries per second to a local receiver with 1 and 2 workers, the time to
drain a backlog of 10,000 events after a receiver outage, and the time from a receiver's recovery to its
backlog fully delivered.

    .venv/bin/python bench/webhooks.py                      # SQLite file in a temp dir
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/webhooks.py
    .venv/bin/python bench/webhooks.py --events 1000 --backlog 2000 --repeat 1   # quick look
    .venv/bin/python bench/webhooks.py --only recovery --outage 2,40              # an outage past the probe cap

Workers are separate processes (as in production), each running the real delivery pass
(app.webhooks.delivery.deliver_due) against one endpoint on a loopback receiver that answers 204 at once.
Events go through the one publisher (app.events.publish), so each also costs its outbox row. Prints every run
and the median of the runs. PostgreSQL runs use a fresh database created and dropped here.

Recovery: the receiver plays the outage seen in the field (its port closed: connections refused, then 503
answers, then 204; `--outage REFUSED,UNAVAILABLE` seconds) while `--recovery-events` events pile up; the
workers run the real worker job (run_delivery_job) once a second, as `flask worker` schedules it, probing all
along. Measured from the receiver's first 204-ready moment to the first and to the last event received.
"""
import argparse
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing import get_context
from pathlib import Path

os.environ.setdefault("LOG_LEVEL", "WARNING")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from config import Config, database_url  # noqa: E402

PUBLISH_BATCH = 500


class Receiver:
    """Answers 204 (or 503 while `down`), counting webhook-ids; refuse() closes its port, reopen() opens it again."""

    def __init__(self):
        self.down = False
        self.ids = set()
        self.first_at = None  # perf_counter() of the first 204 since reset_clock()
        self.lock = threading.Lock()
        self.connections = set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def setup(self):
                super().setup()
                with receiver.lock:
                    receiver.connections.add(self.connection)

            def finish(self):
                with receiver.lock:
                    receiver.connections.discard(self.connection)
                try:
                    super().finish()
                except OSError:
                    pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length") or 0))
                status = 503 if receiver.down else 204
                if status == 204:
                    with receiver.lock:
                        receiver.ids.add(self.headers.get("webhook-id"))
                        receiver.first_at = receiver.first_at or time.perf_counter()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.handler = Handler
        self.server = self._listen(0)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def _listen(self, port):
        server = ThreadingHTTPServer(("127.0.0.1", port), self.handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return server

    def refuse(self):
        """Close the port and the connections open on it: connecting is refused."""
        server, self.server = self.server, None
        server.shutdown()
        server.server_close()
        with self.lock:
            connections = list(self.connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def reopen(self):
        self.server = self._listen(self.port)


def bench_config(uri):
    return type("BenchConfig", (Config,), {
        "SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench", "CAREBOX_WEBHOOK_ALLOW_PRIVATE": True,
        "CAREBOX_ENCRYPTION_KEY": "wKzMWF_m1jcusIHrfnTFPDdNRqPMDYC7D6GgubugLOE=",
    })


def make_app(uri):
    from app import create_app

    return create_app(bench_config(uri))


def fresh_database(raw):
    """A new, migrated database: (uri, cleanup)."""
    if raw and raw.startswith("postgres"):
        url = sa.engine.make_url(database_url(raw))
        name = f"carebox_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        uri = url.set(database=name).render_as_string(hide_password=False)

        def cleanup():
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        folder = tempfile.mkdtemp(prefix="carebox-bench-")
        uri = f"sqlite:///{folder}/bench.db"

        def cleanup():
            for f in Path(folder).iterdir():
                f.unlink()
            os.rmdir(folder)
    app = make_app(uri)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    return uri, cleanup


def reset(app, receiver_url):
    """Empty outbox, one endpoint at the receiver."""
    from app.database import write_intent
    from app.extensions import db
    from app.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
    from app.webhooks.endpoints import create_endpoint

    with app.app_context(), write_intent():
        for model in (WebhookAttempt, WebhookDelivery, WebhookEndpoint):
            db.session.execute(sa.delete(model))
        create_endpoint(db.session, url=receiver_url)
        db.session.commit()
        db.session.remove()


def publish(app, count):
    """`count` events through the one publisher, PUBLISH_BATCH per transaction."""
    from app import events
    from app.database import write_intent
    from app.extensions import db

    with app.app_context():
        for start in range(0, count, PUBLISH_BATCH):
            with write_intent():
                for n in range(start, min(count, start + PUBLISH_BATCH)):
                    events.publish(db.session, "account.unhealthy", {"account": {"id": n}, "previous_health": "ok"})
                db.session.commit()
        db.session.remove()


def pending(app):
    from app.extensions import db
    from app.models import WebhookDelivery

    with app.app_context():
        n = db.session.scalar(sa.select(sa.func.count()).where(WebhookDelivery.status == "pending"))
        db.session.remove()
        return n


def unpause(app):
    """The moment the paused endpoint's next probe is due (what the clock would bring)."""
    from app.database import write_intent
    from app.extensions import db
    from app.models import WebhookEndpoint

    with app.app_context(), write_intent():
        db.session.execute(sa.update(WebhookEndpoint).values(paused_until=datetime.now(timezone.utc)))
        db.session.commit()
        db.session.remove()


def worker_process(uri, owner, ready, start, stop, tick):
    """One worker until told to stop and nothing is left: the real delivery pass over and over (tick None), or
    the worker job every `tick` seconds, as `flask worker` schedules it."""
    from app.webhooks.delivery import deliver_due, run_delivery_job

    app = make_app(uri)
    ready.put(owner)
    start.wait()
    with app.app_context():
        from app.extensions import db

        while not stop.is_set():
            if tick:
                began = time.monotonic()
                run_delivery_job(app, owner)
                db.session.remove()
                time.sleep(max(0.0, tick - (time.monotonic() - began)))
                continue
            claimed = deliver_due(app, owner)
            db.session.remove()
            if not claimed:
                time.sleep(0.01)


class Workers:
    """`count` worker processes, started and released together."""

    def __init__(self, uri, count, tick=None):
        ctx = get_context("spawn")
        ready, self.start, self.stop = ctx.Queue(), ctx.Event(), ctx.Event()
        self.procs = [ctx.Process(target=worker_process, args=(uri, f"bench-{n}", ready, self.start, self.stop, tick))
                      for n in range(count)]
        for p in self.procs:
            p.start()
        for _ in self.procs:
            ready.get(timeout=60)  # every worker has imported and built its app

    def release(self):
        self.start.set()
        return time.perf_counter()

    def wait_for(self, receiver, expected):
        """perf_counter() once `expected` ids have arrived."""
        while len(receiver.ids) < expected:
            time.sleep(0.005)
            if not any(p.is_alive() for p in self.procs):
                raise RuntimeError("workers died")
        return time.perf_counter()

    def close(self):
        self.stop.set()
        for p in self.procs:
            p.join(timeout=60)
            if p.is_alive():
                p.kill()


def run_workers(uri, app, workers, expected, receiver):
    """Start `workers` processes, release them together; seconds until `expected` ids have arrived."""
    pool = Workers(uri, workers)
    try:
        began = pool.release()
        return pool.wait_for(receiver, expected) - began
    finally:
        pool.close()


def throughput(uri, app, receiver, workers, events):
    reset(app, receiver.url)
    receiver.ids.clear()
    publish(app, events)
    seconds = run_workers(uri, app, workers, events, receiver)
    return events / seconds


def backlog_drain(uri, app, receiver, workers, backlog):
    """Receiver down while `backlog` events pile up; the probe fails and pauses the endpoint; the receiver comes
    back; seconds from the next probe being due to the last event delivered."""
    from app.webhooks.delivery import deliver_due

    reset(app, receiver.url)
    receiver.ids.clear()
    receiver.down = True
    publish(app, backlog)
    with app.app_context():
        deliver_due(app, "outage-probe")  # the oldest fails with 503: the endpoint pauses, the rest wait
    assert pending(app) == backlog
    receiver.down = False
    unpause(app)
    return run_workers(uri, app, workers, backlog, receiver)


def recovery(uri, app, receiver, workers, events, refused, unavailable):
    """The field's outage with the worker job running all along: (seconds from the receiver's recovery to the
    first event received, to the last)."""
    reset(app, receiver.url)
    receiver.ids.clear()
    receiver.first_at = None
    pool = Workers(uri, workers, tick=1.0)
    try:
        receiver.refuse()
        pool.release()
        began = time.perf_counter()
        publish(app, events)
        time.sleep(max(0.0, refused - (time.perf_counter() - began)))
        receiver.down = True
        receiver.reopen()
        time.sleep(unavailable)
        receiver.first_at = None
        receiver.down = False
        recovered = time.perf_counter()
        done = pool.wait_for(receiver, events)
        return receiver.first_at - recovered, done - recovered
    finally:
        pool.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=3000, help="events per throughput run")
    parser.add_argument("--backlog", type=int, default=10000, help="events piled up during the outage")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is reported)")
    parser.add_argument("--recovery-events", type=int, default=2000, help="events published during the outage")
    parser.add_argument("--outage", default="2,4", help="seconds refused, then seconds answering 503 (default 2,4)")
    parser.add_argument("--only", choices=("throughput", "backlog", "recovery"), help="run one figure only")
    args = parser.parse_args()
    refused, unavailable = (float(x) for x in args.outage.split(","))

    raw = os.environ.get("DATABASE_URL")
    uri, cleanup = fresh_database(raw)
    database = "PostgreSQL" if uri.startswith("postgres") else "SQLite"
    app = make_app(uri)
    receiver = Receiver()
    print(f"webhook delivery benchmark on {database}, receiver {receiver.url}, {os.cpu_count()} CPUs")
    try:
        for workers in (1, 2) if args.only in (None, "throughput") else ():
            runs = [throughput(uri, app, receiver, workers, args.events) for _ in range(args.repeat)]
            print(f"throughput, {workers} worker(s), {args.events} events: "
                  f"runs {', '.join(f'{r:.0f}' for r in runs)} deliveries/s; median {statistics.median(runs):.0f}/s")
        for workers in (1, 2) if args.only in (None, "backlog") else ():
            runs = [backlog_drain(uri, app, receiver, workers, args.backlog) for _ in range(args.repeat)]
            print(f"backlog of {args.backlog} after an outage, {workers} worker(s): "
                  f"runs {', '.join(f'{r:.1f}' for r in runs)} s; median {statistics.median(runs):.1f} s "
                  f"({args.backlog / statistics.median(runs):.0f}/s)")
        for workers in (1, 2) if args.only in (None, "recovery") else ():
            runs = [recovery(uri, app, receiver, workers, args.recovery_events, refused, unavailable)
                    for _ in range(args.repeat)]
            firsts, lasts = [r[0] for r in runs], [r[1] for r in runs]
            print(f"recovery after {refused:g} s refused + {unavailable:g} s of 503, {args.recovery_events} events "
                  f"waiting, {workers} worker(s), the worker job each second: first delivered "
                  f"{', '.join(f'{f:.2f}' for f in firsts)} s after the receiver was back (median "
                  f"{statistics.median(firsts):.2f} s); backlog fully delivered "
                  f"{', '.join(f'{t:.2f}' for t in lasts)} s (median {statistics.median(lasts):.2f} s)")
    finally:
        from app.extensions import db

        with app.app_context():
            db.engine.dispose()
        cleanup()


if __name__ == "__main__":
    main()
