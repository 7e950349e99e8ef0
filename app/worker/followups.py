"""The reads a push left to do (push_followups rows), done through the connector: one function for the web
process (right after a push's commit: app/push/followups.py) and the poller (on each Instagram poll). It
lives with the worker because the worker may not import the push receivers (the layers in .importlinter).

Instagram's `mentions` webhooks carry ids only, and a comment on a media Carebox has no Post for brings no
caption or picture. The receiver stores what it can at once and leaves a row per read to do, in the same
transaction; `resolve_followups` then:

1. takes the account's due rows (next_attempt_at passed), with no lock held;
2. reads each through the connector (mentioned_comment, mentioned_media, the media itself) with no
   transaction open: a slow network never holds the account's row lock;
3. in one transaction, under the account's lock as ingest wants: stores what was read, deletes the rows
   done, and backs the failed ones off (attempts, next_attempt_at, last_error, redacted).

Two resolvers racing (a push's task and a poll) may both read a row; ingest stores the item once (messages
are unique by network and external id) and the row is deleted once (a delete of a gone row is nothing). A
process that dies before step 3 leaves the rows for the next poll.
"""
import logging
import random
from datetime import timedelta

import sqlalchemy as sa

from app.accounts import lock_accounts
from app.connectors.base import AccountInfo, ConnectorError, RateLimited, redact
from app.database import write_intent
from app.ingest.pipeline import ingest, record_posts
from app.ingest.triage import precompute
from app.models import PushFollowup, utcnow

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 20  # reads one resolution makes at most (the rest wait for the next one)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
GIVE_UP_AFTER = 12  # attempts: a read that never succeeds (a mention since deleted) is dropped


def resolve_followups(session, account, connector, limit=DEFAULT_LIMIT):
    """Do `account`'s due follow-up reads through `connector`; returns how many rows were done (deleted).
    `account` is a SocialAccount or its id. Commits."""
    account_id = account if isinstance(account, int) else account.id
    now = utcnow()
    due = session.execute(
        sa.select(PushFollowup.id, PushFollowup.kind, PushFollowup.external_id, PushFollowup.media_id,
                  PushFollowup.attempts)
        .where(PushFollowup.account_id == account_id, PushFollowup.next_attempt_at <= now)
        .order_by(PushFollowup.next_attempt_at, PushFollowup.id).limit(limit)
    ).all()
    session.commit()  # nothing held while the network answers
    if not due:
        return 0
    items, posts, done, failed = _read_all(connector, due)
    items = precompute(items)  # a remote triage model, before the lock
    with write_intent():
        locked = lock_accounts(session, [account_id]).get(account_id)
        if locked is None:  # the account was removed meanwhile (its rows went with it)
            session.rollback()
            return 0
        if posts:
            record_posts(session, locked, posts)
        if items:
            ingest(session, locked, items)
        if done:
            session.execute(sa.delete(PushFollowup).where(PushFollowup.id.in_(done)))
        secrets = list((locked.credentials or {}).values())
        for row, exc in failed:
            _back_off(session, row, exc, secrets, now)
        session.commit()
    return len(done)


def _read_all(connector, due):
    """Read each due row: (items, posts, ids of the rows done, [(row, error)] of those that failed)."""
    items, posts, done, failed = [], [], [], []
    for row in due:
        try:
            item, post = _read(connector, row.kind, row.external_id, row.media_id)
        except ConnectorError as exc:
            failed.append((row, exc))
            if isinstance(exc, RateLimited):
                break  # the account's budget: the others wait too
            continue
        items += [item] if item is not None else []
        posts += [post] if post is not None else []
        done.append(row.id)
    return items, posts, done, failed


def _read(connector, kind, external_id, media_id):
    """(the item to ingest or None, the post to record or None) for one follow-up read."""
    if kind == "mentioned_comment":
        return connector.read_mentioned_comment(external_id, media_id), None
    if kind == "mentioned_media":
        return connector.read_mentioned_media(external_id), None
    return None, connector.read_media(external_id)


def _back_off(session, row, exc, secrets, now):
    attempts = row.attempts + 1
    if attempts >= GIVE_UP_AFTER:
        log.warning("push follow-up %s %s dropped after %d attempts: %s", row.kind, row.external_id, attempts,
                    redact(exc.message, secrets))
        session.execute(sa.delete(PushFollowup).where(PushFollowup.id == row.id))
        return
    wait = min(BACKOFF_BASE * 2 ** (attempts - 1), BACKOFF_MAX)
    if isinstance(exc, RateLimited) and exc.reset_at is not None:
        wait = max(wait, exc.reset_at - now)
    session.execute(sa.update(PushFollowup).where(PushFollowup.id == row.id).values(
        attempts=attempts, last_error=redact(exc.message, secrets)[:2000],
        next_attempt_at=now + wait * random.uniform(1, 1.25)))


def account_info(account):
    """The AccountInfo a connector is built from, for a SocialAccount."""
    return AccountInfo(id=account.id, network=account.network, name=account.name, external_id=account.external_id,
                       handle=account.handle, api_base_url=account.api_base_url,
                       credentials=dict(account.credentials or {}))
