"""The moderation rules ask for (messages.moderation_pending, set inside ingest), done after the commit.

`run_pending` works through the pending rows oldest first, each with `perform_pending` (no transaction
open across its network call). The worker runs it under a job lease, so one worker at a time does it; a
worker killed part way leaves the rows it had not recorded pending, and the next lease holder does them
(the network's hide, unhide and like are idempotent; a delete found gone already counts as done).

Transient failures (an outage, a rate limit, refused credentials) are tried again with exponential
backoff, per message, and a rate limit holds the whole account until its reset. The backoff lives in the
worker's memory (the schema has no column for it): a new lease holder starts with none and tries at once.
"""
import logging
import random
import threading
import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.domain_errors import Unavailable
from app.models import Message, utcnow
from app.moderation.actions import perform_pending

BATCH = 50  # rows per run
FIRST_RETRY_SECONDS = 5
MAX_RETRY_SECONDS = 900
_EXTENSION = "carebox.moderation_backoff"

log = logging.getLogger(__name__)


class Backoff:
    """When each failing message (and each rate-limited account) may be tried next."""

    def __init__(self):
        self._messages = {}  # message id -> (failures, not before)
        self._accounts = {}  # account id -> not before
        self._lock = threading.Lock()

    def waiting(self, now):
        """(message ids, account ids) not to try before later."""
        with self._lock:
            return ([m for m, (_, at) in self._messages.items() if at > now],
                    [a for a, at in self._accounts.items() if at > now])

    def failed(self, message_id, account_id, now, retry_at=None):
        with self._lock:
            failures = self._messages.get(message_id, (0, now))[0] + 1
            delay = min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** (failures - 1))
            self._messages[message_id] = (failures, now + timedelta(seconds=delay * random.uniform(0.8, 1.2)))
            if retry_at is not None:
                self._accounts[account_id] = retry_at

    def settled(self, message_id):
        with self._lock:
            self._messages.pop(message_id, None)

    def failures(self, message_id):
        with self._lock:
            return self._messages.get(message_id, (0, None))[0]


def backoff_of(app):
    """The application's Backoff (one per process, shared by its job runs)."""
    return app.extensions.setdefault(_EXTENSION, Backoff())


def run_pending(session, *, now=None, limit=BATCH, time_budget=None):
    """Perform up to `limit` pending actions (stopping after `time_budget` seconds). Returns the outcomes
    as {message id: "done" | "refused" | "dropped" | "retry"}."""
    now = now or utcnow()
    backoff = backoff_of(current_app)
    waiting_messages, waiting_accounts = backoff.waiting(now)
    query = sa.select(Message.id, Message.account_id).where(Message.moderation_pending.is_not(None))
    if waiting_messages:
        query = query.where(Message.id.not_in(waiting_messages))
    if waiting_accounts:
        query = query.where(Message.account_id.not_in(waiting_accounts))
    rows = session.execute(query.order_by(Message.id).limit(limit)).all()
    session.commit()
    started, outcomes = time.monotonic(), {}
    for message_id, account_id in rows:
        if time_budget is not None and time.monotonic() - started > time_budget:
            break
        try:
            outcomes[message_id] = perform_pending(session, message_id)
            backoff.settled(message_id)
        except Unavailable as exc:
            session.rollback()
            backoff.failed(message_id, account_id, now, _parse(exc.extra.get("retry_at")))
            outcomes[message_id] = "retry"
        except Exception:  # a bug with one row must not stop the others: it waits like an outage
            log.exception("pending moderation of message %s failed", message_id)
            session.rollback()
            backoff.failed(message_id, account_id, now)
            outcomes[message_id] = "retry"
    return outcomes


def _parse(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
