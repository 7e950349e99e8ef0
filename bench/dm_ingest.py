"""DM ingest throughput: direct messages through the one batch path, beside public posts.

What a DM poller does with a page: N messages through app.ingest.pipeline.ingest() as InboundItems with
channel "private", in batches of 100 (one transaction each): customers writing in their one private
conversation with the brand (a third of them returning), and now and then the brand's own DM (an answer
sent natively, with its counterpart). The public batches beside them are bench/ingest.py's workload
(mentions, threads, native replies), on an account of their own. The two ways alternate run by run, back
to back, so both see the same machine and the same database growth; the figures are the medians and
their ratio (private / public).

Runs on a scratch database made from DATABASE_URL (a new PostgreSQL database next to the one named,
dropped afterwards; unset or SQLite: a temporary SQLite file), migrated from empty, as bench/ingest.py.

    .venv/bin/python bench/dm_ingest.py
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/dm_ingest.py
    .venv/bin/python bench/dm_ingest.py --messages 5000 --runs 3
"""
import argparse
import logging
import os
import random
import statistics
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import (  # noqa: E402
    BRAND_ID,
    Workload,
    create_account,
    ingest_batches,
    load,
    migrated_app,
    refresh_statistics,
    scratch_database,
    summary,
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10000, help="messages per run of each way (default 10000)")
    parser.add_argument("--batch", type=int, default=100, help="messages per ingest() call (default 100)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each way; the medians are reported")
    return parser.parse_args()


class PrivateWorkload:
    """DMs as a DM poller sees them: about a third from returning customers, who continue their one private
    conversation, the rest from new customers; a few of the brand's own DMs, each to the customer whose
    message it answers."""

    def __init__(self, seed=11):
        from app.sandbox.phrases import PRIVATE_PHRASES

        self.rng = random.Random(seed)
        self.texts = [t for kinds in PRIVATE_PHRASES.values() for phrases in kinds.values() for t in phrases]
        self.customers = []  # InboundAuthor of customers seen so far
        self.recent = []  # (customer, DM id) of the latest customer DMs, for the brand's answers
        self.count = 0

    def next_id(self, prefix):
        self.count += 1
        return f"dm-{prefix}{self.count}"

    def item(self, when):
        from app.ingest.items import InboundAuthor, InboundItem

        rng = self.rng
        text = (rng.choice(self.texts).replace("{order}", str(rng.randint(100000, 999999)))
                .replace("{address}", f"{rng.randint(1, 120)} Sandbox Lane, Exampleton"))
        if self.recent and rng.random() < 0.05:
            customer, answered = rng.choice(self.recent[-200:])
            return InboundItem(self.next_id("b"), "Thanks, I've found your order and passed it on.", when,
                               InboundAuthor(BRAND_ID, "carebox_demo", "Carebox Demo"), in_reply_to=answered,
                               from_brand=True, channel="private", counterpart=customer)
        if self.customers and rng.random() < 0.35:
            customer = rng.choice(self.customers)
        else:
            number = self.next_id("c")
            customer = InboundAuthor(number, f"user_{number}", f"Customer {number}", rng.randint(0, 5000),
                                     f"https://x.com/user_{number}", accepts_dms=True)
            self.customers.append(customer)
        message = InboundItem(self.next_id("m"), text, when, customer, channel="private")
        self.recent.append((customer, message.external_id))
        return message

    def items(self, count):
        start = datetime.now(timezone.utc) - timedelta(hours=1)
        return [self.item(start + timedelta(milliseconds=n)) for n in range(count)]


def stored_channels(app, account_ids):
    """(channel, conversations) per account: the private items did open private conversations."""
    from app.extensions import db
    from app.models import Conversation

    with app.app_context():
        rows = db.session.execute(sa.select(Conversation.account_id, Conversation.channel, sa.func.count())
                                  .where(Conversation.account_id.in_(account_ids))
                                  .group_by(Conversation.account_id, Conversation.channel)).all()
        db.session.remove()
    return {(account_id, channel): count for account_id, channel, count in rows}


def main():
    args = parse_args()
    logging.disable(logging.WARNING)  # migrations and the app log at INFO; the figures are the output
    with scratch_database() as uri:
        app = migrated_app(uri)
        kind = sa.engine.make_url(uri).get_backend_name()
        print(f"database: {kind} (scratch, migrated from empty); {os.cpu_count()} CPUs; {load()}")
        ways = {"public": (create_account(app, "twitter"), Workload()),
                "private": (create_account(app, "twitter"), PrivateWorkload())}
        for account_id, workload in ways.values():  # warm-up: caches, pool
            ingest_batches(app, account_id, workload.items(args.batch * 5), args.batch)
        rates = {name: [] for name in ways}
        for _ in range(args.runs):
            for name, (account_id, workload) in ways.items():  # back to back, the same conditions
                refresh_statistics(app)
                items = workload.items(args.messages)
                rates[name].append(args.messages / ingest_batches(app, account_id, items, args.batch))
        for name in ways:
            print(f"batch ingest, {name}, {args.batch} per transaction, {args.messages} messages x {args.runs} runs: "
                  f"{summary(rates[name])}")
        ratio = statistics.median(rates["private"]) / statistics.median(rates["public"])
        print(f"private / public: {ratio:.2f} (medians)")
        channels = stored_channels(app, [account_id for account_id, _ in ways.values()])
        print("conversations stored: " + ", ".join(
            f"{name} account: " + " ".join(f"{channel} {count}" for (aid, channel), count in sorted(channels.items())
                                           if aid == ways[name][0]) for name in ways))
        print(f"done; {load()} (other work on the machine lowers the figures)")
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()


if __name__ == "__main__":
    main()
