"""Polling one account: claim it, fetch over the network with no transaction open, store atomically.

The order of a poll, and why:
1. Claim the account's lease (a conditional UPDATE that also reads what the poll needs): no two
   workers poll one account. The worker's loop claims due accounts in batches (app/worker/loop.py);
   `poll_account` claims one.
2. Fetch, with no transaction open: a slow network never holds a database lock. The worker's
   LeaseKeeper renews the lease meanwhile. Items and the new cursor come back together; the cursor
   records exactly what was read, also when an error stopped the fetch part way. A remote triage
   model (app/ingest/triage.py) labels the items then too.
3. In one transaction: ingest the items, store the cursor, health and next poll time, release the
   lease. A crash before this commit loses nothing (the next poll fetches the same range again);
   a crash after it duplicates nothing (messages are unique by network and external id).

The next poll time counts from when this poll was due, not from when its fetch ended: the next of
the account's slots (app/worker/schedule.py). Only a tighter rate budget (spread from now, as the
network reported it), a rate limit or an error backoff pushes it later.
"""
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app import events
from app.connectors import connector_for
from app.connectors.base import AccountInfo, AuthError, ConnectorError, RateLimited
from app.crypto import CredentialsError, decrypt_json
from app.database import write_intent
from app.extensions import db
from app.ingest.pipeline import ingest, record_posts
from app.ingest.triage import precompute
from app.metrics import POLL_LAG, POLL_START_DELAY, POLLS, RATE_LIMIT_REMAINING
from app.models import SocialAccount, utcnow
from app.serialize import account_dict
from app.worker.followups import resolve_followups
from app.worker.leases import LeaseKeeper, claim_account
from app.worker.schedule import next_slot

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollOutcome:
    text: str  # "ok:<new messages>", "failed", "rate-limited", "stopped", "lease-lost" (for logs and tests)
    next_poll_at: datetime | None = None


def poll_account(app, account_id, owner):
    """Poll `account_id` now if it is due and free. Returns a short outcome string (for logs and tests)."""
    lease = app.config["CAREBOX_LEASE_SECONDS"]
    # A fresh transaction that takes SQLite's write lock up front: one left open by the caller holds a read
    # snapshot that cannot write once another thread (a push's follow-ups) has committed.
    db.session.commit()
    with write_intent():
        claim = claim_account(db.session, account_id, owner, lease)
    if claim is None:
        return "skipped"
    with LeaseKeeper(app, owner, lease) as keeper:
        return run_poll(app, claim, owner, keeper).text


def run_poll(app, claim, owner, keeper, *, started=None, make_connector=connector_for):
    """Poll a claimed account (a leases.Claim): fetch, then store the outcome. Returns a PollOutcome.

    `started` is when the poll actually began (default: now); `make_connector(info, timeout=…)` builds
    the connector (the worker passes its cache of them).
    """
    cfg = app.config
    session = db.session
    started = started or utcnow()
    POLL_START_DELAY.labels(claim.network).observe(max((started - claim.due).total_seconds(), 0))
    try:
        info = AccountInfo(
            id=claim.account_id, network=claim.network, name=claim.name, external_id=claim.external_id,
            handle=claim.handle, api_base_url=claim.api_base_url,
            credentials=decrypt_json(claim.credentials_encrypted) if claim.credentials_encrypted else {},
        )
    except CredentialsError as exc:
        return _finish(session, claim, owner, error=AuthError(str(exc)))

    result, error = None, None
    with keeper.holding(claim.account_id) as hold:
        try:
            connector = make_connector(info, timeout=cfg["CAREBOX_HTTP_TIMEOUT"])
            identity = connector.identify() if not info.external_id else None
            result = connector.fetch(claim.cursor)
            if identity is not None:
                result.identity = identity
            error = result.error
            if claim.network in FOLLOWUP_NETWORKS and (info.external_id or identity is not None):
                _resolve_followups(claim.account_id, connector)
            if result.items:
                result.items = precompute(result.items)  # a remote triage model, before the lock is taken
        except ConnectorError as exc:
            error = exc
        except Exception as exc:  # a bug or an unexpected payload: keep the worker alive, show the error
            log.exception("poll of account %s failed unexpectedly", claim.account_id)
            error = ConnectorError(f"unexpected error: {type(exc).__name__}")
    if hold.lost:
        log.warning("lease on account %s was lost during the poll; dropping its results", claim.account_id)
        return PollOutcome("lease-lost")
    return _finish(session, claim, owner, result=result, error=error, started=started)


FOLLOWUP_NETWORKS = ("instagram",)  # networks whose webhooks leave reads to do (app/push/followups.py)


def _resolve_followups(account_id, connector):
    """The reads pushes left for this account (a push whose process died before it read them): with no
    transaction open before the reads; a failure here never fails the poll (the rows back off)."""
    try:
        resolve_followups(db.session, account_id, connector)
    except Exception:
        log.exception("resolving the push follow-ups of account %s failed", account_id)
        db.session.rollback()


def _finish(session, claim, owner, **outcome):
    """Store what the poll brought, its health and the next poll time; release the lease. One transaction."""
    with write_intent():
        return _store_outcome(session, claim.account_id, owner, due=claim.due, **outcome)


def _store_outcome(session, account_id, owner, *, result=None, error=None, started=None, due=None):
    cfg = current_app.config
    now = utcnow()
    # FOR UPDATE (PostgreSQL): a rival's claim waits for this commit instead of slipping in between.
    account = session.execute(
        sa.select(SocialAccount).where(SocialAccount.id == account_id, SocialAccount.lease_owner == owner)
        .with_for_update()
    ).scalar_one_or_none()
    if account is None:
        session.rollback()
        return PollOutcome("lease-lost")
    previous_health = account.health
    outcome = "ok"
    account.last_poll_at = now
    if result is not None:
        if result.identity is not None:
            account.external_id = result.identity.external_id
            account.handle = result.identity.handle or account.handle
        if result.posts:
            record_posts(session, account, result.posts, received_at=now)
        stored = ingest(session, account, result.items, received_at=now) if result.items else []
        account.cursor = result.cursor  # committed with the items: a poll stopped part way keeps its progress
        new = [r for r in stored if r.created]
        account.poll_lag_seconds = _lag(result.items, new, now)
        if result.rate_limit is not None:
            account.rate_limit_limit = result.rate_limit.limit
            account.rate_limit_remaining = result.rate_limit.remaining
            account.rate_limit_reset_at = result.rate_limit.reset_at
        if result.rate_limits:
            account.rate_limits = {**(account.rate_limits or {}),
                                   **{name: limit.to_json() for name, limit in result.rate_limits.items()}}
        outcome = f"ok:{len(new)}"
    if error is None:
        account.consecutive_failures = 0
        account.last_success_at = now
        account.health = "ok"
        account.next_poll_at = _next_poll_at(account, due, started, _interval_from_budget(account, result, cfg, now),
                                             cfg, now)
    elif result is not None and error.retryable:
        outcome = _record_interrupted(account, result, error, cfg, now, outcome, due, started)
    else:
        outcome = _record_failure(account, error, cfg, now)
    account.lease_owner = None
    account.lease_until = None
    _publish_health_change(session, account, previous_health)
    _observe(account, outcome)  # before the commit: afterwards, reading the account would open a new transaction
    next_poll_at = account.next_poll_at
    session.commit()
    return PollOutcome(outcome, next_poll_at)


def _observe(account, outcome):
    POLLS.labels(account.network, outcome.split(":")[0]).inc()
    if account.poll_lag_seconds is not None:
        POLL_LAG.labels(str(account.id)).set(account.poll_lag_seconds)
    if account.rate_limit_remaining is not None:
        RATE_LIMIT_REMAINING.labels(str(account.id)).set(account.rate_limit_remaining)


def _lag(items, new_results, now):
    """How late we saw the newest posts of this poll (0 when nothing new: we are caught up)."""
    new_ids = {r.external_id for r in new_results}
    times = [i.created_at for i in items if i.external_id in new_ids and i.created_at is not None]
    return round((now - max(times)).total_seconds(), 3) if times else 0.0


def _next_poll_at(account, due, started, interval, cfg, now):
    """The next of the account's slots after the one this poll was due at; later only if the budget says so."""
    if interval > cfg["CAREBOX_POLL_INTERVAL"] or due is None:
        return now + timedelta(seconds=interval)  # the budget sets the pace: spread it from now, as measured
    return next_slot(account.id, due, started or now, cfg["CAREBOX_POLL_INTERVAL"])


def _interval_from_budget(account, result, cfg, now):
    """Poll as often as allowed, but spread the remaining rate-limit budget over its window."""
    base = cfg["CAREBOX_POLL_INTERVAL"]
    rl = result.rate_limit if result is not None else None
    if rl is None or rl.remaining is None or rl.reset_at is None:
        return base
    window = max((rl.reset_at - now).total_seconds(), 0)
    if rl.remaining <= 0:
        return max(base, window + random.uniform(1, 3))
    per_poll = max(result.requests, 1)
    return max(base, window * per_poll / rl.remaining)


def _record_failure(account, error, cfg, now):
    account.last_error = error.message[:2000]
    account.last_error_at = now
    if isinstance(error, AuthError):
        account.health = "stopped"
        account.next_poll_at = None  # until someone fixes the credentials
        return "stopped"
    if isinstance(error, RateLimited):
        reset = error.reset_at or now + timedelta(seconds=min(cfg["CAREBOX_POLL_MAX_BACKOFF"], 300))
        account.rate_limit_remaining = 0
        account.rate_limit_reset_at = reset
        account.next_poll_at = max(reset, now) + timedelta(seconds=random.uniform(1, 3))
        account.health = "degraded" if account.health in ("ok", "unknown") else account.health
        return "rate-limited"
    account.consecutive_failures += 1
    # Exponential backoff with full jitter: base * 2^(n-1) .. base * 2^n, capped.
    ceiling = min(cfg["CAREBOX_POLL_MAX_BACKOFF"], cfg["CAREBOX_POLL_INTERVAL"] * 2 ** account.consecutive_failures)
    account.next_poll_at = now + timedelta(seconds=random.uniform(ceiling / 2, ceiling))
    unhealthy = account.consecutive_failures >= cfg["CAREBOX_UNHEALTHY_AFTER_FAILURES"]
    account.health = "unhealthy" if unhealthy else "degraded"
    return "failed"


def _record_interrupted(account, result, error, cfg, now, outcome, due, started):
    """A poll that stored progress before `error` stopped it: degraded, never counted towards unhealthy
    (the account works; the next poll goes on from the stored cursor)."""
    account.last_error = error.message[:2000]
    account.last_error_at = now
    account.health = "degraded" if account.health in ("ok", "unknown") else account.health
    if isinstance(error, RateLimited):
        _record_failure(account, error, cfg, now)  # wait for the budget as any rate-limited poll does
        return outcome.replace("ok", "rate-limited", 1)
    account.next_poll_at = _next_poll_at(account, due, started, _interval_from_budget(account, result, cfg, now),
                                         cfg, now)
    return outcome.replace("ok", "partial", 1)


def _publish_health_change(session, account, previous):
    if previous == account.health:
        return
    data = {"account": account_dict(account), "previous_health": previous}
    if account.health in ("unhealthy", "stopped"):
        events.publish(session, "account.unhealthy", data, room=events.MANAGERS)
    elif account.health == "ok" and previous in ("unhealthy", "stopped"):
        events.publish(session, "account.recovered", data, room=events.MANAGERS)
    events.publish(session, "account.updated", data, room=events.MANAGERS)
