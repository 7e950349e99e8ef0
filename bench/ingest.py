"""Ingest throughput: messages per second through the one ingest path, two ways.

1. batch: what a poller does with a page, N messages through app.ingest.ingest() in batches of
   100 (one transaction each), a realistic mix of new and returning customers, threads and a
   few native brand replies; first one poller at a time, then --workers processes at once, each
   on its own account (several workers, or one worker's pollers, on the machine's two cores);
2. http: POST /api/v1/messages from one sequential client (one keep-alive connection) against a real
   server (a gunicorn node as deployed, gunicorn.conf.py; or werkzeug in a thread with --server werkzeug), with the
   floor beside it: GET /healthz, which touches no database, with the same client and server.

Both run on a scratch database made from DATABASE_URL (a new PostgreSQL database next to the one
named, dropped afterwards; unset or SQLite: a temporary SQLite file), migrated from empty. After the batch
way it prints what triage (the offline baseline labelling each customer message) costs of it.
Each way runs several times; the median messages/second is the figure to quote.

    .venv/bin/python bench/ingest.py
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/ingest.py
    .venv/bin/python bench/ingest.py --messages 5000 --runs 3 --http-messages 1000 --profile
"""
import argparse
import contextlib
import http.client
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server_timing import free_port  # noqa: E402
from config import Config, database_url  # noqa: E402

BRAND_ID = "1500000000000000001"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20000, help="messages per batch run (default 20000)")
    parser.add_argument("--batch", type=int, default=100, help="messages per ingest() call (default 100)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each way; the median is reported")
    parser.add_argument("--workers", type=int, default=2,
                        help="processes ingesting at once, each its own account, as several workers do (default 2; "
                             "0 skips this way)")
    parser.add_argument("--http-messages", type=int, default=2000, help="messages per HTTP run (default 2000)")
    parser.add_argument("--http-runs", type=int, default=3)
    parser.add_argument("--server", choices=("gunicorn", "werkzeug"), default="gunicorn")
    parser.add_argument("--web-worker", choices=("gevent", "gthread"), default=None,
                        help="gunicorn worker class (default: gunicorn.conf.py's, gevent)")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile of one batch run")
    return parser.parse_args()


# ------------------------------------------------------------------ database

@contextlib.contextmanager
def scratch_database():
    """The URI of a fresh, empty database of the kind DATABASE_URL names; removed afterwards."""
    raw = os.environ.get("DATABASE_URL")
    if not raw or raw.startswith("sqlite"):
        with tempfile.TemporaryDirectory(prefix="carebox-bench-") as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    url = sa.engine.make_url(database_url(raw))
    name = f"carebox_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_config(uri):
    from app.crypto import generate_key

    return type("BenchConfig", (Config,), {
        "SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": uuid.uuid4().hex, "CAREBOX_ENCRYPTION_KEY": generate_key(),
    })


def refresh_statistics(app):
    """PostgreSQL: ANALYZE, as autovacuum would after this much growth. (Without statistics the planner
    misjudges the (network, external_id) lookups and every batch reads the whole messages table; the
    test server here runs with autovacuum off.)"""
    from app.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")


def migrated_app(uri):
    from flask_migrate import upgrade

    from app import create_app

    app = create_app(bench_config(uri))
    with app.app_context():
        upgrade()
    return app


# ------------------------------------------------------------------ workload

class Workload:
    """Posts as a poller sees them: about a third from returning customers (half of those continuing
    one of their threads), the rest from new customers, and a few native brand replies."""

    def __init__(self, seed=7, id_prefix=""):
        from app.sandbox.phrases import PHRASES

        self.rng = random.Random(seed)
        self.id_prefix = id_prefix  # distinct per process when several ingest at once (ids are unique per network)
        self.texts = [t for kinds in PHRASES.values() for phrases in kinds.values() for t in phrases]
        self.customers = []  # ids of customers seen so far
        self.posts_by = {}  # customer id -> their post ids
        self.recent = []  # (customer id, post id) of the latest posts, for brand replies
        self.count = 0

    def next_id(self, prefix):
        self.count += 1
        return f"{self.id_prefix}{prefix}{self.count}"

    def item(self, when):
        from app.ingest.items import InboundAuthor, InboundItem

        rng = self.rng
        text = rng.choice(self.texts).replace("{order}", str(rng.randint(100000, 999999)))
        if self.recent and rng.random() < 0.03:
            _customer, parent = rng.choice(self.recent[-200:])
            return InboundItem(self.next_id("b"), "Sorry about that! We sent you a DM.", when,
                               InboundAuthor(BRAND_ID, "carebox_demo", "Carebox Demo"), in_reply_to=parent,
                               from_brand=True)
        if self.customers and rng.random() < 0.35:
            customer = rng.choice(self.customers)
        else:
            customer = self.next_id("c")
            self.customers.append(customer)
        earlier = self.posts_by.get(customer)
        in_reply_to = rng.choice(earlier) if earlier and rng.random() < 0.5 else None
        post = InboundItem(self.next_id("m"), text, when,
                           InboundAuthor(customer, f"user_{customer}", f"Customer {customer}", rng.randint(0, 5000),
                                         f"https://x.com/user_{customer}"),
                           in_reply_to=in_reply_to, thread_id=in_reply_to)
        self.posts_by.setdefault(customer, []).append(post.external_id)
        self.recent.append((customer, post.external_id))
        return post

    def items(self, count):
        start = datetime.now(timezone.utc) - timedelta(hours=1)
        return [self.item(start + timedelta(milliseconds=n)) for n in range(count)]


def as_api_body(account_id, item):
    author = item.author
    body = {"account_id": account_id, "external_id": item.external_id, "text": item.text,
            "created_at": item.created_at.isoformat(),
            "author": {"external_id": author.external_id, "handle": author.handle, "name": author.name}}
    if item.in_reply_to:
        body["in_reply_to"] = item.in_reply_to
    return body


# ------------------------------------------------------------------ batch way

def create_account(app, network):
    from app.accounts import create_account as create
    from app.database import write_intent
    from app.extensions import db

    credentials = {"bearer_token": "bench", "user_id": BRAND_ID} if network == "twitter" else {}
    with app.app_context(), write_intent():
        account = create(db.session, network=network, name=f"Bench {network}", credentials=credentials)
        db.session.commit()
        return account.id


def ingest_batches(app, account_id, items, batch):
    """Seconds to ingest `items` in batches, each in its own transaction (as a poller stores a page)."""
    from app.database import write_intent
    from app.extensions import db
    from app.ingest.pipeline import ingest
    from app.models import SocialAccount

    with app.app_context():
        started = time.perf_counter()
        for offset in range(0, len(items), batch):
            with write_intent():
                account = db.session.get(SocialAccount, account_id)
                ingest(db.session, account, items[offset:offset + batch])
                db.session.commit()
        elapsed = time.perf_counter() - started
        db.session.remove()
    return elapsed


def batch_way(app, args, workload):
    account_id = create_account(app, "twitter")
    ingest_batches(app, account_id, workload.items(args.batch * 5), args.batch)  # warm-up: caches, pool
    rates = []
    for _ in range(args.runs):
        refresh_statistics(app)
        items = workload.items(args.messages)
        rates.append(args.messages / ingest_batches(app, account_id, items, args.batch))
    if args.profile:
        from pyinstrument import Profiler

        with Profiler(interval=0.0005) as profiler:
            ingest_batches(app, account_id, workload.items(args.messages), args.batch)
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    return rates


def triage_cost(app, workload, count):
    """Seconds per customer message the baseline's triage takes (part of every batch above: ingest labels each
    new customer message in its plan), on the workload's texts with their detected languages."""
    from app.ingest.language import message_language
    from app.triage import baseline_signals

    with app.app_context():
        texts = [(i.text, message_language(i.text)) for i in workload.items(count) if not i.from_brand]
        baseline_signals(texts[:100])  # warm-up: the lexicons load once per process
        started = time.perf_counter()
        baseline_signals(texts)
        return (time.perf_counter() - started) / len(texts)


def _ingest_worker(uri, index, args, barrier, results):
    """One process of the parallel way: its own app, account and customers, a batch run each time released."""
    import logging

    from app import create_app

    logging.disable(logging.WARNING)
    app = create_app(bench_config(uri))
    workload = Workload(seed=100 + index, id_prefix=f"w{index}-")
    account_id = create_account(app, "twitter")
    ingest_batches(app, account_id, workload.items(args.batch * 5), args.batch)  # warm-up
    for _ in range(args.runs):
        items = workload.items(args.messages)
        barrier.wait()
        started = time.time()
        ingest_batches(app, account_id, items, args.batch)
        results.put((started, time.time()))


def parallel_batch_way(app, args):
    """`--workers` processes ingest pages at once (several workers, each polling its own accounts, on the two
    cores); messages/second over all of them, from the first start to the last finish of each run."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(args.workers + 1), ctx.Queue()
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    procs = [ctx.Process(target=_ingest_worker, args=(uri, n, args, barrier, results), daemon=True)
             for n in range(args.workers)]
    for proc in procs:
        proc.start()
    rates = []
    try:
        for _ in range(args.runs):
            refresh_statistics(app)
            barrier.wait(timeout=600)
            spans = [results.get(timeout=600) for _ in procs]
            wall = max(end for _, end in spans) - min(start for start, _ in spans)
            rates.append(args.workers * args.messages / wall)
    finally:
        for proc in procs:
            proc.join(timeout=60)
            if proc.is_alive():
                proc.kill()
    return rates


# ------------------------------------------------------------------ HTTP way

@contextlib.contextmanager
def running_server(app, kind, web_worker=None):
    """The app served on a loopback port; yields its base URL. gunicorn: a node as production runs it
    (gunicorn.conf.py, its default worker or `web_worker`)."""
    port = free_port()
    if kind == "werkzeug":
        from werkzeug.serving import make_server

        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.shutdown()
        return
    from bench.server_timing import gunicorn_node

    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": app.config["SECRET_KEY"],
           "CAREBOX_ENCRYPTION_KEY": app.config["CAREBOX_ENCRYPTION_KEY"], "LOG_LEVEL": "WARNING"}
    if web_worker:
        env["CAREBOX_WEB_WORKER"] = web_worker
    with tempfile.TemporaryDirectory(prefix="carebox-bench-") as folder, \
            gunicorn_node(env, log_path=f"{folder}/web.log") as (url, _proc):
        yield url


def api_token(app):
    from app.database import write_intent
    from app.extensions import db
    from app.models import ApiToken
    from app.users import create_user

    with app.app_context(), write_intent():
        user = create_user(db.session, email=f"bench-{uuid.uuid4().hex[:6]}@example.test", role="agent",
                           password=uuid.uuid4().hex)
        token, raw = ApiToken.issue(user, "bench", ("read", "write"))
        db.session.add(token)
        db.session.commit()
    return raw


class Client:
    """One keep-alive HTTP connection (http.client): a lean sequential client, so the figure is the server's.
    (requests costs about 1 ms of CPU per call on these machines, on the same two cores as the server.)"""

    def __init__(self, url, token):
        self.conn = http.client.HTTPConnection(url.split("//", 1)[1], timeout=10)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def request(self, method, path, body=None):
        self.conn.request(method, path, json.dumps(body) if body is not None else None, self.headers)
        resp = self.conn.getresponse()
        return resp.status, resp.read()


def post_messages(client, bodies):
    started = time.perf_counter()
    for body in bodies:
        status, text = client.request("POST", "/api/v1/messages", body)
        if status != 201:
            raise SystemExit(f"POST /api/v1/messages answered {status}: {text[:300]}")
    return time.perf_counter() - started


def floor_rate(client, count=1000):
    """Requests/second of GET /healthz (no database, no authentication) with the same client and server: the
    most any endpoint can do here, one request at a time."""
    started = time.perf_counter()
    for _ in range(count):
        client.request("GET", "/healthz")
    return count / (time.perf_counter() - started)


def http_way(app, args, workload):
    account_id = create_account(app, "custom")
    token = api_token(app)
    rates, floors = [], []
    with running_server(app, args.server, args.web_worker) as url:
        client = Client(url, token)
        post_messages(client, [as_api_body(account_id, i) for i in workload.items(50)])  # warm-up
        for _ in range(args.http_runs):
            refresh_statistics(app)
            bodies = [as_api_body(account_id, i) for i in workload.items(args.http_messages)]
            rates.append(args.http_messages / post_messages(client, bodies))
            floors.append(floor_rate(client))
    return rates, floors


# ------------------------------------------------------------------ report

def summary(rates):
    return f"median {statistics.median(rates):,.0f} msg/s  (runs: {', '.join(f'{r:,.0f}' for r in rates)})"


def load():
    return "load average %.1f %.1f %.1f" % os.getloadavg()


def main():
    args = parse_args()
    import logging

    logging.disable(logging.WARNING)  # migrations and the app log at INFO; the figures are the output
    with scratch_database() as uri:
        app = migrated_app(uri)
        kind = sa.engine.make_url(uri).get_backend_name()
        print(f"database: {kind} (scratch, migrated from empty); {os.cpu_count()} CPUs; {load()}")
        workload = Workload()
        rates = batch_way(app, args, workload)
        print(f"batch ingest, one poller at a time, {args.batch} per transaction, {args.messages} messages x "
              f"{args.runs} runs: {summary(rates)}")
        per_message = triage_cost(app, workload, args.messages)
        print(f"  of which triage (the offline baseline, sentiment and intent of each customer message): "
              f"{per_message * 1e6:,.0f} us per message, {per_message * statistics.median(rates):.0%} of the "
              f"batch ingest time")
        if args.workers:
            rates = parallel_batch_way(app, args)
            print(f"batch ingest, {args.workers} worker processes at once (each {args.messages} messages, its own "
                  f"account), {args.batch} per transaction, {args.runs} runs: {summary(rates)}")
        if not args.skip_http:
            rates, floors = http_way(app, args, workload)
            server = (f"gunicorn -c gunicorn.conf.py ({args.web_worker or 'gevent'})" if args.server == "gunicorn"
                      else "werkzeug, threaded")
            print(f"POST /api/v1/messages, one sequential client, {server}, {args.http_messages} messages x "
                  f"{args.http_runs} runs: {summary(rates)}")
            print(f"  the floor, GET /healthz with the same client and server: {summary(floors).replace('msg/s', 'req/s')}")
        print(f"done; {load()} (other work on the machine lowers the figures)")
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()


if __name__ == "__main__":
    main()
