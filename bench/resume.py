"""How much of a backlog the connectors read when the network keeps stopping them, before and after a change.

    .venv/bin/python bench/resume.py                  # this checkout's connectors against those of 27eb2e0
    .venv/bin/python bench/resume.py --before main --polls 30

Both versions run against this checkout's sandbox over real HTTP, in one process, polled the way
each version's poller stored cursors (the old one kept a cursor only when a fetch was complete),
with the clock moved past every wait. The scenarios: Facebook, 255 comments on the oldest active
post and 40 on a newer one, every fifth Graph call rate-limited (code 613); X, 300 mentions of the
last 90 minutes on a newly connected account, every second mentions call answered 429.
"""
import argparse
import importlib.util
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import time_machine  # noqa: E402

from app.connectors import FacebookConnector, RateLimited, TransientError, TwitterConnector  # noqa: E402
from app.sandbox import DEMO_FACEBOOK, DEMO_X, SandboxServer  # noqa: E402
from tests.fixtures.sandbox import facebook_account_info, x_account_info  # noqa: E402


def connector_at(revision, module, class_name, workdir):
    """`class_name` from app/connectors/<module>.py as it was at `revision` (it imports today's base modules)."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{revision}:app/connectors/{module}.py"],
                            check=True, capture_output=True, text=True).stdout
    path = Path(workdir) / f"{module}_{revision.replace('/', '_')}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return getattr(loaded, class_name)


def facebook_backlog(net):
    newer, oldest = net.feed(DEMO_FACEBOOK["page_id"])
    now = datetime.now(timezone.utc)
    ids = {net.inject_comment(DEMO_FACEBOOK["page_id"], f"oldest {n}", post_id=oldest.id,
                              created_at=now - timedelta(seconds=21 * (255 - n))).id for n in range(255)}
    ids |= {net.inject_comment(DEMO_FACEBOOK["page_id"], f"newer {n}", post_id=newer.id,
                               created_at=now - timedelta(seconds=70 * (40 - n))).id for n in range(40)}
    net.add_fault("429", network="facebook", every=5, count=None, code=613, retry_after=60)
    return ids


def x_backlog(net):
    now = datetime.now(timezone.utc)
    ids = {net.inject_tweet(DEMO_X["user_id"], f"@carebox_demo backlog {n}",
                            created_at=now - timedelta(seconds=18 * (300 - n))).id for n in range(300)}
    net.add_fault("429", network="twitter", path_contains="/mentions", every=2, count=None)
    return ids


def run(connector_class, account_info, backlog, polls, keeps_partial_cursor):
    """(polls made, posts read, posts written): poll until all is read or `polls` is reached."""
    with time_machine.travel(datetime.now(timezone.utc), tick=True) as clock:
        server = SandboxServer({"traffic_rate": 0}).start()
        try:
            expected = backlog(server.network)
            cursor, read = {}, set()
            for made in range(1, polls + 1):  # noqa: B007  (the count made is returned)
                try:
                    result = connector_class(account_info(server.url), timeout=5).fetch(cursor)
                    read |= {item.external_id for item in result.items}
                    if result.complete or keeps_partial_cursor:
                        cursor = result.cursor
                except (RateLimited, TransientError):
                    pass
                server.network.limiter.clear()  # as if the 15-minute window had passed
                clock.shift(960)
                if expected <= read:
                    break
            return made, len(expected & read), len(expected)
        finally:
            server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="27eb2e0", help="the git revision to compare with")
    parser.add_argument("--polls", type=int, default=20, help="give up after this many polls")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        cases = [
            ("Facebook", connector_at(args.before, "facebook", "FacebookConnector", workdir), FacebookConnector,
             facebook_account_info, facebook_backlog),
            ("X", connector_at(args.before, "twitter", "TwitterConnector", workdir), TwitterConnector,
             x_account_info, x_backlog),
        ]
        for network, before, after, info, backlog in cases:
            for label, connector_class, keeps in ((args.before, before, False), ("this checkout", after, True)):
                made, read, total = run(connector_class, info, backlog, args.polls, keeps)
                print(f"{network:8} {label:14} {read:3}/{total} read after {made} polls")


if __name__ == "__main__":
    main()
