"""Polling one account: claim it, fetch over the network with no transaction open, store atomically.

The order of a poll, and why:
1. Claim the account's lease (a conditional UPDATE): no two workers poll one account.
2. Copy what the connector needs and end the transaction: a slow network never holds a database lock.
3. Fetch. Items and the new cursor come back together; the cursor records exactly what was read,
   also when an error stopped the fetch part way.
4. In one transaction: ingest the items, store the cursor, health and next poll time, release the
   lease. A crash before this commit loses nothing (the next poll fetches the same range again);
   a crash after it duplicates nothing (messages are unique by network and external id).
"""
import logging
import random
from datetime import timedelta

import sqlalchemy as sa

from app import events
from app.connectors import connector_for
from app.connectors.base import AccountInfo, AuthError, ConnectorError, RateLimited
from app.crypto import CredentialsError
from app.database import write_intent
from app.extensions import db
from app.ingest.pipeline import ingest
from app.models import SocialAccount, utcnow
from app.ops.metrics import POLL_LAG, POLLS, RATE_LIMIT_REMAINING
from app.serialize import account_dict
from app.worker.leases import LeaseKeeper, claim_account

log = logging.getLogger(__name__)


def poll_account(app, account_id, owner):
    """Poll `account_id` if it is due and free. Returns a short outcome string (for logs and tests)."""
    cfg = app.config
    session = db.session
    if not claim_account(session, account_id, owner, cfg["CAREBOX_LEASE_SECONDS"]):
        return "skipped"
    account = session.get(SocialAccount, account_id)
    try:
        info = AccountInfo(
            id=account.id, network=account.network, name=account.name, external_id=account.external_id,
            handle=account.handle, api_base_url=account.api_base_url, credentials=account.credentials,
        )
    except CredentialsError as exc:
        session.rollback()  # end the read transaction: _finish must begin a writing one (SQLite)
        return _finish(session, account_id, owner, error=AuthError(str(exc)))
    cursor = dict(account.cursor or {})
    session.commit()  # nothing stays open while we talk to the network

    started = utcnow()
    result, error = None, None
    with LeaseKeeper(app, account_id, owner, cfg["CAREBOX_LEASE_SECONDS"]) as keeper:
        try:
            connector = connector_for(info, timeout=cfg["CAREBOX_HTTP_TIMEOUT"])
            identity = connector.identify() if not info.external_id else None
            result = connector.fetch(cursor)
            if identity is not None:
                result.identity = identity
            error = result.error
        except ConnectorError as exc:
            error = exc
        except Exception as exc:  # a bug or an unexpected payload: keep the worker alive, show the error
            log.exception("poll of account %s failed unexpectedly", account_id)
            error = ConnectorError(f"unexpected error: {type(exc).__name__}")
    if keeper.lost:
        log.warning("lease on account %s was lost during the poll; dropping its results", account_id)
        return "lease-lost"
    return _finish(session, account_id, owner, result=result, error=error, started=started)


def _finish(session, account_id, owner, **outcome):
    """Store what the poll brought, its health and the next poll time; release the lease. One transaction."""
    with write_intent():
        return _store_outcome(session, account_id, owner, **outcome)


def _store_outcome(session, account_id, owner, *, result=None, error=None, started=None):
    from flask import current_app

    cfg = current_app.config
    now = utcnow()
    # FOR UPDATE (PostgreSQL): a rival's claim waits for this commit instead of slipping in between.
    account = session.execute(
        sa.select(SocialAccount).where(SocialAccount.id == account_id, SocialAccount.lease_owner == owner)
        .with_for_update()
    ).scalar_one_or_none()
    if account is None:
        session.rollback()
        return "lease-lost"
    previous_health = account.health
    outcome = "ok"
    account.last_poll_at = now
    if result is not None:
        if result.identity is not None:
            account.external_id = result.identity.external_id
            account.handle = result.identity.handle or account.handle
        stored = ingest(session, account, result.items, received_at=now) if result.items else []
        account.cursor = result.cursor  # committed with the items: a poll stopped part way keeps its progress
        new = [r for r in stored if r.created]
        account.poll_lag_seconds = _lag(result.items, new, now)
        if result.rate_limit is not None:
            account.rate_limit_limit = result.rate_limit.limit
            account.rate_limit_remaining = result.rate_limit.remaining
            account.rate_limit_reset_at = result.rate_limit.reset_at
        outcome = f"ok:{len(new)}"
    if error is None:
        account.consecutive_failures = 0
        account.last_success_at = now
        account.health = "ok"
        account.next_poll_at = now + timedelta(seconds=_interval_from_budget(account, result, cfg, now))
    elif result is not None and error.retryable:
        outcome = _record_interrupted(account, result, error, cfg, now, outcome)
    else:
        outcome = _record_failure(account, error, cfg, now)
    account.lease_owner = None
    account.lease_until = None
    _publish_health_change(session, account, previous_health)
    _observe(account, outcome)  # before the commit: afterwards, reading the account would open a new transaction
    session.commit()
    return outcome


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


def _record_interrupted(account, result, error, cfg, now, outcome):
    """A poll that stored progress before `error` stopped it: degraded, never counted towards unhealthy
    (the account works; the next poll goes on from the stored cursor)."""
    account.last_error = error.message[:2000]
    account.last_error_at = now
    account.health = "degraded" if account.health in ("ok", "unknown") else account.health
    if isinstance(error, RateLimited):
        _record_failure(account, error, cfg, now)  # wait for the budget as any rate-limited poll does
        return outcome.replace("ok", "rate-limited", 1)
    account.next_poll_at = now + timedelta(seconds=_interval_from_budget(account, result, cfg, now))
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
