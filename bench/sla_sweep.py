"""How long one SLA sweep takes, and that it stays flat as the open backlog grows.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/sla_sweep.py
    .venv/bin/python bench/sla_sweep.py                  # SQLite, in a temporary file
    .venv/bin/python bench/sla_sweep.py --sizes 10000 100000 --due 1000 --repeat 9

For each size it holds that many open conversations with running clocks, of which `--due`
are due to change (half to warning, half to breach), and times one sweep (`sweep()`: find
the due clocks, flag them with conditional UPDATEs, mirror the conversations, serialise and
publish `sla.changed` for each, commit). Between runs the same clocks are put back, so every
run has the same work. Prints median, min and max over the runs. A fresh database is created
(and dropped) next to DATABASE_URL on PostgreSQL; nothing of an existing database is touched.
"""
import argparse
import os
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


def make_database():
    """(url, cleanup): a new empty database."""
    raw = os.environ.get("DATABASE_URL")
    if not raw or raw.startswith("sqlite"):
        folder = tempfile.mkdtemp(prefix="carebox-bench-")
        return f"sqlite:///{folder}/bench.db", lambda: None
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


def seed(session, account_id, first, count, *, due, now):
    """Open conversations first..first+count-1, each with a customer and a running clock.
    The first `due` of them are due: half past their warning time, half past their breach time."""
    from app.models import Contact, Conversation, SlaClock

    for start in range(first, first + count, CHUNK):
        ids = range(start, min(start + CHUNK, first + count))
        contacts, conversations, clocks = [], [], []
        for i in ids:
            k = i - first
            minutes_ago = (61 if k < due // 2 else 31) if k < due else 5 + (k % 20)
            started = now - timedelta(minutes=minutes_ago, seconds=k % 50)
            warn, breach = started + timedelta(minutes=30), started + timedelta(minutes=60)
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


def put_back(session, first, due):
    """Undo the last sweep's transitions so the next run has the same work."""
    from app.models import Conversation, SlaClock

    ids = range(first, first + due)
    session.execute(sa.update(SlaClock).where(SlaClock.id.in_(ids))
                    .values(state="ok", warned_at=None, breached_at=None))
    session.execute(sa.update(Conversation).where(Conversation.id.in_(ids)).values(sla_state="ok"))
    session.commit()


def analyze(session):
    session.execute(sa.text("ANALYZE"))  # fresh statistics, as autovacuum would give a live database
    session.commit()


def explain(session, now):
    from app.models import SlaClock

    stmt = (sa.select(SlaClock.id, SlaClock.conversation_id)
            .where(SlaClock.stopped_at.is_(None), SlaClock.state != "breached", SlaClock.breach_at <= now)
            .order_by(SlaClock.breach_at).limit(1000))
    dialect = session.get_bind().dialect
    sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN" if dialect.name == "postgresql" else "EXPLAIN QUERY PLAN"
    return [" ".join(str(c) for c in row) for row in session.execute(sa.text(f"{prefix} {sql}"))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()

    import logging

    from flask_migrate import upgrade

    from app import create_app
    from app.accounts import create_account
    from app.extensions import db
    from app.sla import sweep as sweep_module
    from app.sla.sweep import sweep

    publishing = []  # time spent serialising and queueing the events, per run
    real_publish = sweep_module._publish

    def timed_publish(session, made):
        started = time.perf_counter()
        real_publish(session, made)
        publishing[-1] += (time.perf_counter() - started) * 1000

    sweep_module._publish = timed_publish

    logging.disable(logging.WARNING)
    url, drop = make_database()
    config = type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url})
    app = create_app(config)
    try:
        with app.app_context():
            upgrade()
            session = db.session
            account_id = create_account(session, network="custom", name="Bench").id
            session.commit()
            dialect = session.get_bind().dialect.name
            print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (other work on the machine inflates wall times)")
            print(f"database: {dialect}; {args.due} clocks due per sweep ({args.due // 2} to warning, "
                  f"{args.due - args.due // 2} to breach); {args.repeat} runs per size")
            now = datetime.now(timezone.utc)
            seeded = 0
            rows = []
            for size in sorted(args.sizes):
                t0 = time.perf_counter()
                seed(session, account_id, seeded + 1, size - seeded, due=args.due if seeded == 0 else 0, now=now)
                seeded = size
                analyze(session)
                seed_s = time.perf_counter() - t0
                timings, cpu = [], []
                publishing.clear()
                for _ in range(args.repeat):
                    publishing.append(0.0)
                    session.expunge_all()
                    started, started_cpu = time.perf_counter(), time.process_time()
                    made = sweep(session)
                    timings.append((time.perf_counter() - started) * 1000)
                    cpu.append((time.process_time() - started_cpu) * 1000)
                    assert len(made) == args.due, f"expected {args.due} transitions, got {len(made)}"
                    put_back(session, 1, args.due)
                rows.append((size, statistics.median(timings), min(timings), max(timings)))
                print(f"open conversations {size:>8,}: one sweep median {statistics.median(timings):7.1f} ms "
                      f"(min {min(timings):.1f}, max {max(timings):.1f}); building the {args.due} events "
                      f"{statistics.median(publishing):.1f} ms, the rest (queries, commit, emit) "
                      f"{statistics.median(t - p for t, p in zip(timings, publishing)):.1f} ms; "
                      f"Python CPU {statistics.median(cpu):.1f} ms; seeded in {seed_s:.1f} s")
            print("plan of the due-clock query:")
            for line in explain(session, now):
                print("   ", line)
            if len(rows) > 1:
                print(f"growth {rows[0][0]:,} -> {rows[-1][0]:,} open conversations: "
                      f"median x{rows[-1][1] / rows[0][1]:.2f}")
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()


if __name__ == "__main__":
    main()
