"""Inbox list query at scale: GET /api/v1/conversations?status=open&sort=sla&limit=50 with 1,000,000 messages
in 100,000 open conversations (PostgreSQL).

A scratch PostgreSQL database next to DATABASE_URL (created, migrated, dropped afterwards) is filled with
SQL (INSERT … SELECT generate_series, in a minute or so) to look like a busy deployment: four brand accounts
(two X, two Facebook), customers with several conversations each (one unresolved per account, the rest
resolved), 100,000 open conversations holding 1,000,000 messages (1 to 19 each), pending and resolved ones
besides, 200 agents with 40% of the open conversations assigned, and SLA clocks spread so that most are
fresh, some warn and only a few thousand have breached (a long tail of old ones). Then VACUUM ANALYZE, as
autovacuum would have done (this server runs without it).

One gunicorn node (gunicorn.conf.py, as deployed) serves the app with a Server-Timing header
(bench/server_timing.py); one sequential client with an API token asks for the first page again and
again. Figures per run: p50/p95/p99 of the server time (the app's own, from Server-Timing) and of the
HTTP round trip; the median over runs is quoted, with the target (p95 server time under 25 ms). Then,
in this process, where a page's time goes (the SQL, building the 50 dicts, spectree's response
validation, the JSON) and the EXPLAIN (ANALYZE, BUFFERS) of every statement the list runs.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/inbox_query.py
    DATABASE_URL=… .venv/bin/python bench/inbox_query.py --open 20000 --messages 200000 --runs 3   # quicker
"""
import argparse
import logging
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import migrated_app, scratch_database  # noqa: E402
from bench.server_timing import gunicorn_node, percentile, server_ms  # noqa: E402

TARGET_P95_MS = 25.0
PATH = "/api/v1/conversations?status=open&sort=sla&limit=50"
AGENTS = 200
TEXTS = [
    "@brand where is my order #{n}? It was due three days ago",
    "Посылка {n} так и не пришла, что происходит?",
    "وين طلبي رقم {n}؟ صار له أسبوع",
    "My card was charged twice for order {n} 😡",
    "Can I change the delivery address for {n}?",
    "Thanks, that fixed it! 🙏",
    "Still waiting for a refund on {n}…",
    "The app keeps logging me out since the update",
]
REPLIES = ["Sorry about that! Could you DM us the order number?", "We have refunded order {n}, it shows in 3-5 days.",
           "Thanks for your patience, a new parcel is on its way."]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--open", type=int, default=100_000, help="open conversations (default 100,000)")
    parser.add_argument("--messages", type=int, default=1_000_000,
                        help="messages in the open conversations (default 1,000,000; must be 10 x --open)")
    parser.add_argument("--runs", type=int, default=5, help="runs; the median of their percentiles is quoted")
    parser.add_argument("--requests", type=int, default=200, help="requests per run (default 200)")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile of 50 pages in-process")
    args = parser.parse_args()
    if args.messages != args.open * 10:
        parser.error("--messages must be 10 x --open (each open conversation holds 1 to 19 messages, 10 on average)")
    return args


# ------------------------------------------------------------------ seeding

def seed(app, n_open):
    """Fill the database with SQL; returns a dict of row counts. Foreign-key triggers are off while loading
    (session_replication_role = replica, as pg_restore does): the generated ids are consistent by design."""
    from app.accounts import create_account
    from app.database import write_intent
    from app.extensions import db
    from app.models import ApiToken, User
    from app.users import create_user

    n_pending, n_resolved = n_open // 20, n_open * 3 // 10
    n_unresolved = n_open + n_pending
    n_contacts = max(n_unresolved * 8 // 10, 1)  # each customer has one unresolved conversation per account at most
    with app.app_context(), write_intent():
        session = db.session
        accounts = [create_account(session, network=network, name=name, credentials=credentials).id
                    for network, name, credentials in (
                        ("twitter", "X Support", {"bearer_token": "bench", "user_id": "1500000000000000001"}),
                        ("twitter", "X Shop", {"bearer_token": "bench", "user_id": "1500000000000000002"}),
                        ("facebook", "FB Page", {"page_id": "1001", "page_access_token": "bench"}),
                        ("facebook", "FB Shop", {"page_id": "1002", "page_access_token": "bench"}))]
        bench_user = create_user(session, email="bench-reader@example.test", role="agent", name="Bench Reader",
                                 password=uuid.uuid4().hex)
        token, raw_token = ApiToken.issue(bench_user, "bench", ("read",))
        session.add(token)
        session.commit()
        password_hash = bench_user.password_hash
        conn = session.connection()
        conn.exec_driver_sql("SET session_replication_role = replica")
        conn.exec_driver_sql("SELECT setseed(0.42)")
        run = lambda sql, **params: conn.execute(sa.text(sql), params)  # noqa: E731
        run("""INSERT INTO users (email, name, role, password_hash, is_active, is_available, created_at)
               SELECT 'agent' || i || '@example.test', 'Agent ' || i, 'agent', :hash, true, true, now()
               FROM generate_series(1, CAST(:n AS int)) i""", hash=password_hash, n=AGENTS)
        first_agent = session.scalar(sa.select(sa.func.min(User.id)).where(User.email.like("agent%")))
        run("CREATE TEMP TABLE bench_accounts (network text, round int, account_id int)")
        run("INSERT INTO bench_accounts VALUES ('twitter', 0, :a), ('twitter', 1, :b), ('facebook', 0, :c), "
            "('facebook', 1, :d)", a=accounts[0], b=accounts[1], c=accounts[2], d=accounts[3])
        run("""INSERT INTO contacts (id, network, external_id, handle, name, followers_count, search_text, created_at,
                                     updated_at)
               SELECT i, CASE WHEN i % 2 = 1 THEN 'twitter' ELSE 'facebook' END, 'bench-c' || i, 'customer_' || i,
                      'Customer ' || i, (random() * 5000)::int, 'customer_' || i || ' customer ' || i,
                      now() - interval '90 days', now()
               FROM generate_series(1, CAST(:n AS int)) i""", n=n_contacts)
        # Unresolved conversations: k-th goes to contact ((k-1) mod C)+1 on the account of its network for
        # round (k-1) div C, so (account, contact) stays unique among them. Clock start ages: 65 * u^4 minutes
        # (most fresh, ~15% warning, ~4% breached) plus a long tail of old breaches.
        run("""
            INSERT INTO conversations (id, account_id, contact_id, network, status, assignee_id, priority, tags, is_spam,
                snippet, message_count, last_message_at, last_inbound_at, last_outbound_at, sla_state, sla_started_at,
                sla_warn_at, sla_breach_at, created_at, updated_at)
            SELECT k, a.account_id, p.contact_id, p.network,
                   CASE WHEN k <= :n_open THEN 'open' ELSE 'pending' END,
                   CASE WHEN p.r1 < 0.4 THEN :first_agent + floor(p.r2 * :agents)::int END,
                   CASE WHEN p.r2 < 0.01 THEN 'urgent' WHEN p.r2 < 0.06 THEN 'high' ELSE 'normal' END,
                   CASE WHEN p.r1 < 0.1 THEN '["billing"]' WHEN p.r1 < 0.15 THEN '["delivery", "vip"]' ELSE '[]' END::json,
                   false, replace(:text1, '{n}', k::text), p.count,
                   p.last_in, p.last_in, p.last_out,
                   CASE WHEN NOT p.running THEN 'stopped'
                        WHEN p.started + interval '60 minutes' <= now() THEN 'breached'
                        WHEN p.started + interval '30 minutes' <= now() THEN 'warning' ELSE 'ok' END,
                   CASE WHEN p.running THEN p.started END,
                   CASE WHEN p.running THEN p.started + interval '30 minutes' END,
                   CASE WHEN p.running THEN p.started + interval '60 minutes' END,
                   p.last_in - interval '2 hours', p.last_in
            FROM (
                SELECT k, c.contact_id, c.network, c.round, x.r1, x.r2, x.running, x.started, x.count,
                       CASE WHEN x.running THEN x.started + (now() - x.started) * x.r3 * 0.5
                            ELSE now() - x.r3 * interval '48 hours' - interval '5 minutes' END AS last_in,
                       CASE WHEN x.running AND x.count >= 3 THEN x.started - interval '10 minutes'
                            WHEN NOT x.running THEN now() - x.r3 * interval '48 hours' END AS last_out
                FROM generate_series(1, CAST(:n_unresolved AS int)) k
                CROSS JOIN LATERAL (SELECT ((k - 1) % :contacts) + 1 AS contact_id,
                                           CASE WHEN ((k - 1) % :contacts) % 2 = 0 THEN 'twitter' ELSE 'facebook' END
                                               AS network,
                                           (k - 1) / :contacts AS round) c
                CROSS JOIN LATERAL (SELECT random() AS u, random() AS r1, random() AS r2, random() AS r3,
                                           (k <= :n_open AND random() < 0.85) AS running,
                                           CASE WHEN k <= :n_open THEN 1 + (k * 7919) % 19 ELSE 2 + k % 4 END AS count,
                                           k AS kk) x0
                CROSS JOIN LATERAL (SELECT x0.*, now() - (65 * power(x0.u, 4)
                                           + CASE WHEN x0.u > 0.985 THEN (x0.u - 0.985) * 200000 ELSE 0 END)
                                           * interval '1 minute' AS started) x
            ) p JOIN bench_accounts a ON a.network = p.network AND a.round = p.round""",
            n_open=n_open, n_unresolved=n_unresolved, contacts=n_contacts, first_agent=first_agent, agents=AGENTS,
            text1=TEXTS[0])
        run("""
            INSERT INTO conversations (id, account_id, contact_id, network, status, assignee_id, priority, tags, is_spam,
                snippet, message_count, last_message_at, last_inbound_at, last_outbound_at, sla_state, created_at,
                updated_at, resolved_at)
            SELECT k, a.account_id, c.contact_id, c.network, 'resolved', :first_agent + (k % :agents), 'normal', '[]',
                   k % 50 = 0, :reply, 1 + k % 5, t.at, t.at - interval '20 minutes', t.at, 'stopped',
                   t.at - interval '1 day', t.at, t.at + interval '1 hour'
            FROM generate_series(CAST(:first AS int), CAST(:last AS int)) k
            CROSS JOIN LATERAL (SELECT 1 + floor(random() * :contacts)::int AS contact_id) r
            CROSS JOIN LATERAL (SELECT r.contact_id, CASE WHEN r.contact_id % 2 = 1 THEN 'twitter' ELSE 'facebook' END
                                       AS network) c
            CROSS JOIN LATERAL (SELECT now() - random() * interval '60 days' - interval '3 days' AS at) t
            JOIN bench_accounts a ON a.network = c.network AND a.round = k % 2""",
            first=n_unresolved + 1, last=n_unresolved + n_resolved, contacts=n_contacts, first_agent=first_agent,
            agents=AGENTS, reply=REPLIES[0])
        # Messages, 3 minutes apart, ending at the conversation's latest; every third one ours. The newest is
        # the customer's when a clock runs, ours otherwise.
        run("""
            INSERT INTO messages (conversation_id, account_id, network, external_id, direction, text, search_text,
                author_external_id, author_handle, author_name, author_user_id, created_at, received_at,
                delivery_status, delivery_attempts, sent_at, is_native, mentions)
            SELECT c.id, c.account_id, c.network, 'bench-' || c.id || '-' || n, d.direction, d.text, lower(d.text),
                   CASE WHEN d.direction = 'inbound' THEN 'bench-c' || c.contact_id END,
                   CASE WHEN d.direction = 'inbound' THEN 'customer_' || c.contact_id ELSE 'brand' END,
                   CASE WHEN d.direction = 'inbound' THEN 'Customer ' || c.contact_id ELSE 'Brand' END,
                   CASE WHEN d.direction = 'outbound' THEN c.assignee_id END,
                   d.at, d.at + interval '2 seconds',
                   CASE WHEN d.direction = 'outbound' THEN 'sent' END, CASE WHEN d.direction = 'outbound' THEN 1 ELSE 0 END,
                   CASE WHEN d.direction = 'outbound' THEN d.at END, false, '[]'
            FROM conversations c
            CROSS JOIN LATERAL generate_series(1, c.message_count) n
            CROSS JOIN LATERAL (
                SELECT x.direction,
                       replace(CASE WHEN x.direction = 'inbound' THEN (CAST(:texts AS text[]))[1 + (c.id + n) % :n_texts]
                                    ELSE (CAST(:replies AS text[]))[1 + (c.id + n) % :n_replies] END, '{n}', c.id::text) AS text,
                       c.last_message_at - (c.message_count - n) * interval '3 minutes' AS at
                FROM (SELECT CASE WHEN n = c.message_count THEN
                                       CASE WHEN c.sla_started_at IS NOT NULL OR c.last_outbound_at IS NULL
                                            THEN 'inbound' ELSE 'outbound' END
                                  WHEN n % 3 = 0 THEN 'outbound' ELSE 'inbound' END AS direction) x
            ) d""", texts=TEXTS, n_texts=len(TEXTS), replies=REPLIES, n_replies=len(REPLIES))
        run("""
            INSERT INTO sla_clocks (conversation_id, account_id, kind, started_at, warn_at, breach_at, state, warned_at,
                                    breached_at)
            SELECT id, account_id, CASE WHEN last_outbound_at IS NULL THEN 'first' ELSE 'next' END, sla_started_at,
                   sla_warn_at, sla_breach_at, sla_state,
                   CASE WHEN sla_state IN ('warning', 'breached') THEN sla_warn_at END,
                   CASE WHEN sla_state = 'breached' THEN sla_breach_at END
            FROM conversations WHERE sla_started_at IS NOT NULL""")
        run("""
            INSERT INTO sla_clocks (conversation_id, account_id, kind, started_at, warn_at, breach_at, state, warned_at,
                                    breached_at, stopped_at, stop_reason, answered_by_user_id, response_seconds, met)
            SELECT id, account_id, 'first', s.started, s.started + interval '30 minutes',
                   s.started + interval '60 minutes',
                   CASE WHEN s.mins >= 60 THEN 'breached' WHEN s.mins >= 30 THEN 'warning' ELSE 'ok' END,
                   CASE WHEN s.mins >= 30 THEN s.started + interval '30 minutes' END,
                   CASE WHEN s.mins >= 60 THEN s.started + interval '60 minutes' END,
                   last_outbound_at, 'reply', assignee_id, s.mins * 60, s.mins < 60
            FROM conversations
            CROSS JOIN LATERAL (SELECT 2 + random() * 90 AS mins) m
            CROSS JOIN LATERAL (SELECT m.mins, last_outbound_at - m.mins * interval '1 minute' AS started) s
            WHERE last_outbound_at IS NOT NULL""")
        conn.exec_driver_sql("SET session_replication_role = DEFAULT")
        for table in ("users", "contacts", "conversations", "messages", "sla_clocks"):
            conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT max(id) FROM {table}))")
        session.commit()
        counts = {table: session.scalar(sa.text(f"SELECT count(*) FROM {table}"))
                  for table in ("contacts", "conversations", "messages", "sla_clocks", "users")}
        counts["open"] = session.scalar(sa.text("SELECT count(*) FROM conversations WHERE status = 'open'"))
        counts["open_messages"] = session.scalar(sa.text(
            "SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.status = 'open'"))
        counts["sla"] = dict(session.execute(sa.text(
            "SELECT sla_state, count(*) FROM conversations WHERE status = 'open' GROUP BY sla_state")).all())
        session.commit()
    with app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    return counts, raw_token


# ------------------------------------------------------------------ measuring over HTTP

def http_runs(url, token, runs, count):
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    for _ in range(30):  # warm-up: connection pool, policy cache, compiled statements, page cache
        http.get(url + PATH, timeout=10).raise_for_status()
    results = []
    for _ in range(runs):
        server, trip = [], []
        for _ in range(count):
            started = time.perf_counter()
            resp = http.get(url + PATH, timeout=10)
            trip.append((time.perf_counter() - started) * 1000)
            resp.raise_for_status()
            server.append(server_ms(resp))
        body = resp.json()
        assert len(body["items"]) == 50 and body["next_cursor"], "expected a full first page"
        results.append({"server": server, "trip": trip})
    return results, body


# ------------------------------------------------------------------ in-process breakdown and plans

def breakdown(app, repeat=50, profile=False):
    """Median ms per page of each step of the view, measured in this process."""
    from flask_login import login_user

    from app.api.schemas import ConversationListOut
    from app.conversations.queries import list_conversations
    from app.extensions import db
    from app.models import User
    from app.serialize import conversation_summary

    steps = {"query (SQL + ORM rows)": [], "50 conversation dicts": [], "spectree validation (pydantic)": [],
             "JSON encoding": []}
    with app.test_request_context(PATH):
        user = db.session.scalar(sa.select(User).where(User.email == "bench-reader@example.test"))
        login_user(user)
        filters = {"status": "open"}
        for _ in range(5):
            rows, _ = list_conversations(filters, user=user, limit=50, sort="sla")
        for _ in range(repeat):
            db.session.rollback()  # a fresh transaction per page, as each request has (policies re-read)
            db.session.expunge_all()
            t0 = time.perf_counter()
            rows, cursor = list_conversations(filters, user=user, limit=50, sort="sla")
            t1 = time.perf_counter()
            payload = {"items": [conversation_summary(c) for c in rows], "next_cursor": cursor}
            t2 = time.perf_counter()
            raw = app.json.dumps(payload).encode()
            t3 = time.perf_counter()
            ConversationListOut.model_validate_json(raw)
            t4 = time.perf_counter()
            steps["query (SQL + ORM rows)"].append((t1 - t0) * 1000)
            steps["50 conversation dicts"].append((t2 - t1) * 1000)
            steps["JSON encoding"].append((t3 - t2) * 1000)
            steps["spectree validation (pydantic)"].append((t4 - t3) * 1000)
        if profile:
            from pyinstrument import Profiler

            client = app.test_client()
            with Profiler(interval=0.0002) as profiler:
                for _ in range(50):
                    client.get(PATH, headers={"Authorization": f"Bearer {app.config['BENCH_TOKEN']}"})
            print(profiler.output_text(unicode=True, color=False, show_all=False))
        db.session.rollback()
    return {name: statistics.median(values) for name, values in steps.items()}


def plans(app):
    """EXPLAIN (ANALYZE, BUFFERS) of each statement the first page runs (captured as the app runs them)."""
    from sqlalchemy import event

    from app.conversations.queries import list_conversations
    from app.extensions import db
    from app.models import User
    from app.serialize import conversation_summary

    captured = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    with app.test_request_context(PATH):
        user = db.session.scalar(sa.select(User).where(User.email == "bench-reader@example.test"))
        db.session.rollback()
        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            rows, _ = list_conversations({"status": "open"}, user=user, limit=50, sort="sla")
            [conversation_summary(c) for c in rows]
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
        out = []
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for statement, parameters in captured:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                out.append((statement, [r[0] for r in cursor.fetchall()]))
        finally:
            raw.close()
        db.session.rollback()
    return out


def short_sql(statement):
    text = re.sub(r"\s+", " ", statement)
    text = re.sub(r"SELECT .*? FROM", "SELECT … FROM", text, count=1)
    return text[:230]


# ------------------------------------------------------------------ report

def main():
    args = parse_args()
    raw_url = os.environ.get("DATABASE_URL", "")
    if not raw_url.startswith(("postgres://", "postgresql")):
        raise SystemExit("bench/inbox_query.py needs PostgreSQL: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test")
    logging.disable(logging.WARNING)
    print(f"{os.cpu_count()} CPUs; load average %.1f %.1f %.1f" % os.getloadavg())
    with scratch_database() as uri:
        app = migrated_app(uri)
        started = time.perf_counter()
        counts, token = seed(app, args.open)
        app.config["BENCH_TOKEN"] = token
        print(f"seeded in {time.perf_counter() - started:.0f} s (SQL, then VACUUM ANALYZE): {counts['open']:,} open "
              f"conversations holding {counts['open_messages']:,} messages; {counts['conversations']:,} conversations, "
              f"{counts['messages']:,} messages, {counts['contacts']:,} contacts, {counts['sla_clocks']:,} SLA clocks "
              f"in all; open by SLA state: " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts["sla"].items())))
        env = {**os.environ, "DATABASE_URL": uri, "SECRET_KEY": app.config["SECRET_KEY"],
               "CAREBOX_ENCRYPTION_KEY": app.config["CAREBOX_ENCRYPTION_KEY"], "LOG_LEVEL": "WARNING"}
        env.pop("REDIS_URL", None)
        with tempfile.TemporaryDirectory(prefix="carebox-bench-") as folder, \
                gunicorn_node(env, log_path=f"{folder}/web.log") as (url, _proc):
            results, body = http_runs(url, token, args.runs, args.requests)
        print(f"GET {PATH}: {args.runs} runs x {args.requests} sequential requests, gunicorn -c gunicorn.conf.py "
              f"(1 process, {env.get('CAREBOX_WEB_WORKER', 'gevent')})")
        for kind, label in (("server", "server time (Server-Timing)"), ("trip", "HTTP round trip")):
            per_run = [(percentile(r[kind], 50), percentile(r[kind], 95), percentile(r[kind], 99)) for r in results]
            p50, p95, p99 = (statistics.median(p[i] for p in per_run) for i in range(3))
            verdict = ""
            if kind == "server":
                verdict = f"   target p95 < {TARGET_P95_MS:.0f} ms: {'PASS' if p95 < TARGET_P95_MS else 'MISS'}"
            print(f"  {label:<28} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  p99 {p99:6.2f} ms  "
                  f"(p95 per run: {', '.join(f'{p[1]:.1f}' for p in per_run)}){verdict}")
        first = body["items"][0]
        print(f"  first row: conversation {first['id']}, sla {first['sla']['state']}, breach_at {first['sla']['breach_at']}")
        print("where a page's time goes (in this process, median of 50 pages):")
        for name, ms in breakdown(app, profile=args.profile).items():
            print(f"  {name:<32} {ms:6.2f} ms")
        print("statements of one page, EXPLAIN (ANALYZE, BUFFERS):")
        for statement, plan in plans(app):
            print(f"  -- {short_sql(statement)}")
            for line in plan:
                print(f"     {line}")
        print("done; load average %.1f %.1f %.1f (other work on the machine inflates the figures)" % os.getloadavg())
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()


if __name__ == "__main__":
    main()
