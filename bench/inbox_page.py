"""Inbox page speed: how long until the inbox is interactive with N open conversations (default 500).

A real server (werkzeug + Flask-SocketIO threading, as in the tests) on a scratch database of the
kind DATABASE_URL names, seeded with N open conversations of mixed urgency; Debian's chromium
(headless, through Playwright) signs in once, then loads the inbox again and again. Figures, per
load, from the page's own clock (ms since navigation start):

- interactive: the first page of the list rendered, sorted, keyboard and live updates wired
  (main.js marks "inbox-interactive");
- live: the Socket.IO connection is up;
- all rows: every one of the N conversations loaded by scrolling the list to its end.

The median of the runs is the figure to quote (the issue asks for interactive within 1 s on 2 cores, in
every locale). --locale sets the agent's own language (the users row's `locale`, which the pages follow
before Accept-Language, and the browser's Accept-Language too): en, ru, be, ar, or `all` for each in
turn, back to back on the same database and server.

    .venv/bin/python bench/inbox_page.py
    .venv/bin/python bench/inbox_page.py --locale all
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/inbox_page.py --locale ar
    .venv/bin/python bench/inbox_page.py --conversations 2000 --runs 9
"""
import argparse
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import migrated_app, scratch_database  # noqa: E402
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.fixtures.servers import LiveServer  # noqa: E402

PASSWORD = "correct horse battery"
LOCALES = ("en", "ru", "be", "ar")
AGENT_EMAIL = "bench-agent@example.test"
TEXTS = ["Where is my order #{n}?", "Посылка {n} не пришла", "وين طلبي رقم {n}؟", "My card was charged twice 😡 ({n})",
         "Can I change the delivery address for {n}?"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=500, help="open conversations to seed (default 500)")
    parser.add_argument("--runs", type=int, default=7, help="page loads; the median is reported (default 7)")
    parser.add_argument("--locale", choices=(*LOCALES, "all"), default="en",
                        help="the agent's language: en, ru, be, ar, or all (each in turn; default en)")
    args = parser.parse_args()
    args.locales = LOCALES if args.locale == "all" else (args.locale,)
    return args


def seed(app, count):
    """`count` open conversations, one customer each, spread over the last 90 minutes (ok, warning, breached)."""
    from app.accounts import create_account
    from app.database import write_intent
    from app.extensions import db
    from app.ingest.items import InboundAuthor, InboundItem
    from app.ingest.pipeline import ingest
    from app.users import create_user

    now = datetime.now(timezone.utc)
    with app.app_context(), write_intent():
        create_user(db.session, email=AGENT_EMAIL, role="agent", name="Bench Agent", password=PASSWORD)
        account = create_account(db.session, network="custom", name="Bench channel")
        for offset in range(0, count, 100):
            items = [InboundItem(f"m{n}", TEXTS[n % len(TEXTS)].format(n=n), now - timedelta(seconds=n * 5400 / count),
                                 InboundAuthor(f"c{n}", handle=f"customer_{n}", name=f"Customer {n}"))
                     for n in range(offset, min(offset + 100, count))]
            ingest(db.session, account, items)
        db.session.commit()
        db.session.remove()


def set_locale(app, locale):
    """The agent's own language, as the account page would set it: the pages follow it from the next request."""
    import sqlalchemy as sa

    from app.database import write_intent
    from app.extensions import db
    from app.models import User

    with app.app_context(), write_intent():
        db.session.execute(sa.update(User).where(User.email == AGENT_EMAIL).values(locale=locale))
        db.session.commit()
        db.session.remove()


def sign_in(page, url):
    page.goto(f"{url}/login")
    page.fill("input[name=email]", AGENT_EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-inbox-ready]", state="attached")


def one_load(context, url, count, locale):
    page = context.new_page()
    page.goto(f"{url}/")
    page.wait_for_selector("body[data-inbox-ready]", state="attached")
    page.wait_for_selector("#connection-state.conn-live")
    shown = page.evaluate("document.documentElement.lang")
    if shown != locale:
        raise SystemExit(f"the inbox came in {shown!r}, not {locale!r}")
    marks = page.evaluate("""() => ({
        interactive: performance.getEntriesByName("inbox-interactive")[0].startTime,
        domContentLoaded: performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd,
        live: performance.now(),
    })""")
    started = time.perf_counter()
    while page.locator(".conversation").count() < count:
        if time.perf_counter() - started > 60:
            raise SystemExit(f"only {page.locator('.conversation').count()} of {count} rows after 60 s of scrolling")
        page.locator("#list-scroll").evaluate("el => { el.scrollTop = el.scrollHeight; }")
        page.wait_for_timeout(20)
    marks["all rows"] = marks["live"] + (time.perf_counter() - started) * 1000
    page.close()
    return marks


def runs_in(browser, app, url, args, locale):
    """The agent in `locale`: signed in afresh (a browser of that language), then args.runs page loads."""
    set_locale(app, locale)
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale=locale)
    try:
        page = context.new_page()
        sign_in(page, url)  # also warms the server and the browser cache, as a working day would
        page.close()
        return [one_load(context, url, args.conversations, locale) for _ in range(args.runs)]
    finally:
        context.close()


def main():
    from playwright.sync_api import sync_playwright

    args = parse_args()
    results = {}
    with scratch_database() as uri:
        app = migrated_app(uri)
        seed(app, args.conversations)
        server = LiveServer(app).start()
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                for locale in args.locales:
                    results[locale] = runs_in(browser, app, server.url, args, locale)
                browser.close()
        finally:
            server.stop()
            from app.extensions import db

            with app.app_context():
                db.engine.dispose()
    database = "PostgreSQL" if uri.startswith("postgresql") else "SQLite"
    for locale, runs in results.items():
        print(f"inbox page, {args.conversations} open conversations, {database}, locale {locale}, "
              f"{args.runs} loads (ms since navigation start)")
        for key in ("domContentLoaded", "interactive", "live", "all rows"):
            values = [r[key] for r in runs]
            print(f"  {key:>16}: median {statistics.median(values):7.0f}   min {min(values):7.0f}   max {max(values):7.0f}")


if __name__ == "__main__":
    main()
