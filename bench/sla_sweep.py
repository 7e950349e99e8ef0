"""How long one SLA sweep takes, and that it stays flat as the open backlog grows.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/sla_sweep.py
    .venv/bin/python bench/sla_sweep.py                  # SQLite, in a temporary file
    .venv/bin/python bench/sla_sweep.py --sizes 10000 100000 --due 0 100 1000 --repeat 9 --plans

Target (the issue): at 100,000 open conversations one sweep takes under 50 ms, flat as the table grows.

For each size it holds that many open conversations with running clocks and times one sweep
(`sweep()`: find the due clocks, flag them with conditional UPDATEs, mirror the conversations,
serialise and publish `sla.changed` for each, commit) with each number of clocks due (half to
warning, half to breach):

    0     the scan alone, which every sweep pays: flatness shows here;
    100   a heavy steady load (the PASS/MISS line);
    500   the most a steady load can make (below);
    1000  a backlog: one full batch, e.g. after a worker outage.

Why 100 and 500: the sweep runs every 5 s (app/worker/jobs.py) and each clock moves at most twice
(warning, breach). 100 transitions a sweep is 10 new conversations a second left unanswered past their
breach time; 50 new messages/s that all start clocks nobody answers make at most 500.

The due clocks are spread evenly over the table (as live ones are), not packed into its first pages.
Before each run they are put back in the same state, untimed, so every run has the same work (on
SQLite the log is checkpointed then, so a sweep's commit copies back only its own pages). On
PostgreSQL each series starts vacuumed and analysed, as autovacuum keeps a live database; SQLite gets
no ANALYZE, as in production. `--webhooks` adds enabled endpoints, so the commit also writes the
outbox (one delivery per event and endpoint). `--plans` prints the plan of every statement of one
sweep at each size. A fresh database is created (and dropped) next to DATABASE_URL on PostgreSQL,
a temporary file used (and removed) on SQLite; nothing of an existing database is touched.
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import TestConfig, database_url  # noqa: E402

CHUNK = 10_000
TARGET_MS = 50
TARGET_DUE = 100


def make_database():
    """(url, cleanup): a new empty database."""
    raw = os.environ.get("DATABASE_URL")
    if not raw or raw.startswith("sqlite"):
        folder = tempfile.mkdtemp(prefix="carebox-bench-")
        return f"sqlite:///{folder}/bench.db", lambda: shutil.rmtree(folder, ignore_errors=True)
    url = sa.engine.make_url(database_url(raw))
    name = f"carebox_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def not_due_times(k, now):
    """(started, warn, breach) of a clock that started in the last 10 minutes: due in 20 to 30 minutes
    (the bench takes a few; it checks every sweep makes exactly the transitions it arranged)."""
    started = now - timedelta(minutes=k % 10, seconds=k % 50)
    return started, started + timedelta(minutes=30), started + timedelta(minutes=60)


def due_times(k, due, now):
    """Clock k of `due`: the first half past its breach time, the second half past its warning time."""
    started = now - timedelta(minutes=61 if k < due // 2 else 31, seconds=k % 50)
    return started, started + timedelta(minutes=30), started + timedelta(minutes=60)


def seed(session, account_id, first, count, *, now):
    """Open conversations first..first+count-1, each with a customer and a running clock, none due yet."""
    from app.models import Contact, Conversation, SlaClock

    for start in range(first, first + count, CHUNK):
        contacts, conversations, clocks = [], [], []
        for i in range(start, min(start + CHUNK, first + count)):
            started, warn, breach = not_due_times(i, now)
            contacts.append({"id": i, "network": "custom", "external_id": f"bench-{i}", "handle": f"c{i}",
                             "search_text": f"c{i}", "created_at": now, "updated_at": now})
            conversations.append({
                "id": i, "account_id": account_id, "contact_id": i, "network": "custom", "status": "open",
                "priority": "normal", "tags": [], "is_spam": False, "snippet": "where is my order?",
                "message_count": 1, "last_message_at": started, "last_inbound_at": started, "sla_state": "ok",
                "sla_started_at": started, "sla_warn_at": warn, "sla_breach_at": breach,
                "created_at": now, "updated_at": now})
            clocks.append({"id": i, "conversation_id": i, "account_id": account_id, "kind": "first",
                           "started_at": started, "warn_at": warn, "breach_at": breach, "state": "ok"})
        session.execute(sa.insert(Contact), contacts)
        session.execute(sa.insert(Conversation), conversations)
        session.execute(sa.insert(SlaClock), clocks)
        session.commit()


def spread(size, count):
    """`count` conversation ids spread evenly over 1..size (clock id = conversation id here)."""
    step = max(size // max(count, 1), 1)
    return [1 + k * step for k in range(count)]


def arrange(session, ids, due):
    """Make the first `due` of `ids` due now and the rest not, all running and unflagged (untimed)."""
    from app.models import Conversation, SlaClock

    now = datetime.now(timezone.utc)
    conversations, clocks = Conversation.__table__, SlaClock.__table__
    rows = []
    for k, i in enumerate(ids):
        started, warn, breach = due_times(k, due, now) if k < due else not_due_times(i, now)
        rows.append({"b_id": i, "b_started": started, "b_warn": warn, "b_breach": breach})
    session.execute(
        sa.update(conversations).where(conversations.c.id == sa.bindparam("b_id")).values(
            sla_state="ok", sla_started_at=sa.bindparam("b_started"), sla_warn_at=sa.bindparam("b_warn"),
            sla_breach_at=sa.bindparam("b_breach")), rows)
    session.execute(
        sa.update(clocks).where(clocks.c.id == sa.bindparam("b_id")).values(
            state="ok", warned_at=None, breached_at=None, started_at=sa.bindparam("b_started"),
            warn_at=sa.bindparam("b_warn"), breach_at=sa.bindparam("b_breach")), rows)
    session.commit()
    if session.get_bind().dialect.name == "sqlite":
        checkpoint(session)  # else the sweep's commit may pay for copying these pages back from the WAL


def checkpoint(session):
    """SQLite: copy the write-ahead log into the database and empty it."""
    with session.get_bind().connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def tidy(session):
    """PostgreSQL: VACUUM ANALYZE before a series, as autovacuum keeps a live database. (SQLite gets no
    ANALYZE, as nothing runs it live; its log is checkpointed after every arrange().)"""
    session.commit()
    engine = session.get_bind()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")


def add_webhooks(session, count):
    """`count` enabled endpoints subscribed to every event: each event then costs one outbox row per endpoint."""
    from app.models import WebhookEndpoint

    for n in range(count):
        session.add(WebhookEndpoint(url=f"https://hooks.example.com/{n}", events=[], enabled=True,
                                    secret_encrypted="unused"))
    session.commit()


class StatementLog:
    """The statements (and parameters) one sweep sends, to show their plans afterwards."""

    def __init__(self, engine):
        self.engine, self.statements = engine, []

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if not executemany and statement.lstrip().split()[0].upper() in ("SELECT", "UPDATE"):
            self.statements.append((statement, parameters))


def show_plans(session, statements):
    """EXPLAIN (ANALYZE, BUFFERS) each statement on PostgreSQL, EXPLAIN QUERY PLAN on SQLite; rolled back."""
    postgres = session.get_bind().dialect.name == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)" if postgres else "EXPLAIN QUERY PLAN"
    conn = session.connection()
    for statement, parameters in statements:
        print("   ", " ".join(statement.split())[:150])
        for row in conn.exec_driver_sql(f"{prefix} {statement}", parameters):
            print("       ", " ".join(str(c) for c in row))
    session.rollback()


def time_sweeps(session, sweep, ids, due, repeat):
    """(wall ms, CPU ms) of `repeat` sweeps with `due` clocks due each, after one untimed to warm up."""
    timings, cpu = [], []
    for _ in range(repeat + 1):
        arrange(session, ids, due)
        session.expunge_all()
        started, started_cpu = time.perf_counter(), time.process_time()
        made = sweep(session)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert len(made) == due, f"expected {due} transitions, got {len(made)}"
    return timings[1:], cpu[1:]


def plans_of_one_sweep(session, sweep, ids, due):
    """Record the statements of one sweep with `due` clocks due, then show their plans on the same rows."""
    tidy(session)
    arrange(session, ids, due)
    with StatementLog(session.get_bind()) as log:
        sweep(session)
    arrange(session, ids, due)
    show_plans(session, log.statements)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="open conversations")
    parser.add_argument("--due", type=int, nargs="+", default=[0, TARGET_DUE, 500, 1000],
                        help="clocks due per sweep")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--webhooks", type=int, default=0, help="enabled webhook endpoints (outbox rows per event)")
    parser.add_argument("--plans", action="store_true", help="print the plan of every statement of one sweep")
    args = parser.parse_args()
    if max(args.due) > min(args.sizes):
        parser.error("--due cannot exceed the smallest size")
    args.sizes, args.due = sorted(args.sizes), sorted(args.due)
    return args


def run(args, session, sweep):
    """Every size, every number due: one line each. Returns {(size, due): median ms}."""
    from app.accounts import create_account

    account_id = create_account(session, network="custom", name="Bench").id
    session.commit()
    add_webhooks(session, args.webhooks)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
          f"(other work on the machine inflates wall times)")
    print(f"database: {session.get_bind().dialect.name}; {args.repeat} runs per figure; "
          f"{args.webhooks} webhook endpoint(s); times in ms ('ms/due': above the 0-due median, per transition)")
    print(f"{'open':>9} {'due':>5} {'median':>8} {'min':>7} {'max':>7} {'CPU':>7} {'ms/due':>8}  seeded")
    medians, seeded, ids = {}, 0, []
    for size in args.sizes:
        started = time.perf_counter()
        seed(session, account_id, seeded + 1, size - seeded, now=datetime.now(timezone.utc))
        seeded = size
        if ids:
            arrange(session, ids, 0)  # the last size's due clocks back among the others
        ids = spread(size, max(args.due))
        seed_s = time.perf_counter() - started
        for due in args.due:
            tidy(session)
            timings, cpu = time_sweeps(session, sweep, ids, due, args.repeat)
            median = medians[size, due] = statistics.median(timings)
            per_due = f"{(median - medians[size, 0]) / due:8.3f}" if due and (size, 0) in medians else f"{'':8}"
            print(f"{size:>9,} {due:>5} {median:8.1f} {min(timings):7.1f} {max(timings):7.1f} "
                  f"{statistics.median(cpu):7.1f} {per_due}  {seed_s:.1f} s")
        if args.plans:
            due = min([d for d in args.due if d] or [0])
            print(f"plans at {size:,} open conversations, {due} due (one sweep):")
            plans_of_one_sweep(session, sweep, ids, due)
    return medians


def report(medians, sizes, dues):
    """The verdict on the target, and how the medians grew with the table."""
    small, large = sizes[0], sizes[-1]
    if (large, TARGET_DUE) in medians:
        median = medians[large, TARGET_DUE]
        verdict = "PASS" if median < TARGET_MS else "MISS"
        print(f"{verdict}: {TARGET_DUE} due at {large:,} open conversations: median {median:.1f} ms "
              f"(target under {TARGET_MS} ms)")
    if small != large:
        ratios = ", ".join(f"{due} due x{medians[large, due] / medians[small, due]:.2f}" for due in dues)
        print(f"flatness {small:,} -> {large:,} open conversations (median ratio): {ratios}")


def main():
    args = parse_args()

    import logging

    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.worker.sla_sweep import sweep

    logging.disable(logging.WARNING)
    url, drop = make_database()
    # As deployed: no schema check of every published payload (the test suite turns it on).
    app = create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, "CAREBOX_CHECK_EVENT_PAYLOADS": False}))
    try:
        with app.app_context():
            upgrade()
            report(run(args, db.session, sweep), args.sizes, args.due)
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()


if __name__ == "__main__":
    main()
