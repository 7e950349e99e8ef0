"""The delivery worker: claim due deliveries, sign them (Standard Webhooks), POST them, schedule retries.

Run every second by each worker (app/worker/jobs.py). One pass:

1. claim: one UPDATE takes a lease on up to BATCH due deliveries (oldest
   first) of enabled, unpaused endpoints. PostgreSQL picks them with
   FOR UPDATE SKIP LOCKED, SQLite under its write lock (write_intent), and
   the lease condition is repeated in the UPDATE, so two workers never hold
   the same delivery and never send the same attempt at once.
2. send: outside any transaction, each endpoint's deliveries in order (one
   thread per endpoint), signed with the `standardwebhooks` library, 15 s
   timeout, no redirects, through the SSRF guard. Only 2xx counts. A delivery
   is never started unless it can finish before its lease runs out.
3. record: one transaction writes every attempt and reschedules failures
   on the spec's schedule with jitter (Retry-After honoured: never sooner).

An "unavailable" answer (timeout, connection error, 429, 502, 503, 504)
pauses the endpoint until that delivery's next attempt: the rest of its
backlog waits without spending retries, the failing delivery probes, and
once it gets through the backlog drains at full speed. 410 Gone disables the
endpoint; so does failing for CAREBOX_WEBHOOK_DISABLE_AFTER_DAYS; its
admins are then notified. A worker that dies mid-pass loses nothing: its
leases run out and the deliveries are sent again (at-least-once; receivers
dedupe on webhook-id, which never changes).
"""
import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import requests
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook

from app.audit import record
from app.database import write_intent
from app.extensions import db
from app.models import User, WebhookAttempt, WebhookDelivery, WebhookEndpoint, isoformat, utcnow
from app.notifications import notify
from app.webhooks import ssrf
from app.webhooks.endpoints import signing_secrets

log = logging.getLogger(__name__)

# Seconds to wait before attempt n+1 (index n = attempts made): the Standard Webhooks schedule.
SCHEDULE = (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
JITTER = 0.1  # ± this fraction of each delay
MAX_RETRY_AFTER = 24 * 3600
UNAVAILABLE = {429, 502, 503, 504}
BATCH = 100
EXCERPT_CHARS = 1000
JOB_SECONDS = 20  # one job run keeps draining for at most this long
USER_AGENT = "Carebox-Webhooks/1"

# Tunables (app.config, defaults here).
TIMEOUT = ("CAREBOX_WEBHOOK_TIMEOUT", 15)
DISABLE_AFTER_DAYS = ("CAREBOX_WEBHOOK_DISABLE_AFTER_DAYS", 5)


def setting(app, item):
    name, default = item
    value = app.config.get(name)
    return default if value is None else value


@dataclass
class Target:
    """What sending needs from an endpoint, read before the transaction closes."""

    id: int
    url: str
    signers: list  # standardwebhooks.Webhook per signing secret


@dataclass
class Claimed:
    id: int
    endpoint_id: int
    message_id: str
    payload: str
    attempts: int


@dataclass
class Outcome:
    delivery: Claimed
    started_at: datetime
    duration_ms: int
    status_code: int | None = None
    excerpt: str | None = None
    error: str | None = None
    retry_after: float | None = None

    @property
    def ok(self):
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def unavailable(self):
        return self.status_code is None or self.status_code in UNAVAILABLE


# ------------------------------------------------------------------ the job

def run_delivery_job(app, owner):
    """Worker entry point: drain due deliveries for up to JOB_SECONDS."""
    stop_at = time.monotonic() + JOB_SECONDS
    while time.monotonic() < stop_at:
        if deliver_due(app, owner) < BATCH:
            return


def deliver_due(app, owner, *, limit=BATCH):
    """One pass: claim, send, record. Returns how many deliveries were claimed."""
    timeout = float(setting(app, TIMEOUT))
    lease_seconds = max(60.0, 4 * timeout)
    db.session.commit()  # start afresh, so the claim's transaction begins under write_intent (SQLite)
    with write_intent():
        claimed = claim(db.session, owner, limit, lease_seconds)
        if not claimed:
            db.session.commit()
            return 0
        targets = _targets(db.session, {c.endpoint_id for c in claimed})
        allow = ssrf.allow_private(app, db.session)
        db.session.commit()
    deadline = time.monotonic() + lease_seconds - timeout - 5  # last moment an attempt may start
    groups = {}
    for delivery in claimed:
        groups.setdefault(delivery.endpoint_id, []).append(delivery)
    jobs = [(targets[eid], group, allow, timeout, deadline) for eid, group in groups.items()]
    if len(jobs) == 1:
        outcomes = [_send_group(*jobs[0])]
    else:
        with ThreadPoolExecutor(max_workers=min(8, len(jobs)), thread_name_prefix="webhook") as pool:
            outcomes = list(pool.map(lambda job: _send_group(*job), jobs))
    with write_intent():
        record_outcomes(app, db.session, owner, [o for group in outcomes for o in group], claimed)
        db.session.commit()
    return len(claimed)


def claim(session, owner, limit, lease_seconds, *, now=None):
    """Lease up to `limit` due deliveries to `owner`; returns them oldest first."""
    now = now or utcnow()
    due = (
        sa.select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            sa.or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
            WebhookEndpoint.enabled.is_(True),
            sa.or_(WebhookEndpoint.paused_until.is_(None), WebhookEndpoint.paused_until <= now),
        )
        .order_by(WebhookDelivery.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True, of=WebhookDelivery)
    rows = session.execute(
        sa.update(WebhookDelivery)
        .where(
            WebhookDelivery.id.in_(due.scalar_subquery()),
            sa.or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
        )
        .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_seconds))
        .returning(WebhookDelivery.id, WebhookDelivery.endpoint_id, WebhookDelivery.message_id,
                   WebhookDelivery.payload, WebhookDelivery.attempts)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted((Claimed(*row) for row in rows), key=lambda c: c.id)


def _targets(session, endpoint_ids):
    rows = session.scalars(sa.select(WebhookEndpoint).where(WebhookEndpoint.id.in_(endpoint_ids)))
    return {e.id: Target(e.id, e.url, [Webhook(s) for s in signing_secrets(e)]) for e in rows}


# ------------------------------------------------------------------ sending

def _send_group(target, deliveries, allow_private, timeout, deadline):
    """One endpoint's deliveries, in order; stops at an unavailable answer or when the lease runs short."""
    outcomes = []
    for delivery in deliveries:
        if time.monotonic() > deadline:
            break
        outcome = send(target, delivery, allow_private=allow_private, timeout=timeout)
        outcomes.append(outcome)
        if not outcome.ok and (outcome.unavailable or outcome.status_code == 410):
            break
    return outcomes


def signature_headers(signers, message_id, payload, when):
    """Standard Webhooks headers; during a secret rotation, one v1 signature per secret, space-separated."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": " ".join(signer.sign(message_id, when, payload) for signer in signers),
    }


def send(target, delivery, *, allow_private, timeout):
    """POST one delivery; never raises. The outcome says what happened."""
    started_at = datetime.now(timezone.utc)
    headers = {"content-type": "application/json", "user-agent": USER_AGENT,
               **signature_headers(target.signers, delivery.message_id, delivery.payload, started_at)}
    clock = time.monotonic()
    outcome = Outcome(delivery, started_at, 0)
    try:
        http = ssrf.guarded_session(allow_private)
        with http.post(target.url, data=delivery.payload.encode(), headers=headers, timeout=timeout,
                       allow_redirects=False, stream=True) as resp:
            outcome.status_code = resp.status_code
            outcome.excerpt = _read_excerpt(resp, clock + timeout)
            outcome.retry_after = parse_retry_after(resp.headers.get("retry-after"))
    except ssrf.BlockedAddress as exc:
        outcome.error = str(exc)
    except requests.Timeout:
        outcome.error = f"no answer within {timeout:g} s"
    except requests.ConnectionError as exc:
        outcome.error = _connection_error(exc)
    except requests.RequestException as exc:
        outcome.error = f"request failed ({type(exc).__name__})"
    outcome.duration_ms = int((time.monotonic() - clock) * 1000)
    return outcome


def _read_excerpt(resp, read_deadline):
    """The start of the response body; reading the rest (when short) keeps the connection reusable."""
    chunks, size = [], 0
    for chunk in resp.iter_content(1024):
        chunks.append(chunk)
        size += len(chunk)
        if size > EXCERPT_CHARS * 4 or time.monotonic() > read_deadline:
            break
    return b"".join(chunks).decode("utf-8", "replace")[:EXCERPT_CHARS]


def _connection_error(exc):
    """A short reason without the URL (it may carry the receiver's own secret token)."""
    text = str(exc).lower()
    for needle, reason in (("refused", "connection refused"), ("reset", "connection reset"),
                           ("aborted", "connection closed without an answer"),
                           ("remotedisconnected", "connection closed without an answer"),
                           ("name resolution", "cannot resolve the host"), ("resolve", "cannot resolve the host"),
                           ("ssl", "TLS handshake failed"), ("timed out", "connection timed out")):
        if needle in text:
            return reason
    return "connection failed"


def parse_retry_after(value):
    """Retry-After as seconds (a number or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    return max(0.0, min(seconds, MAX_RETRY_AFTER))


def retry_delay(attempts_made, retry_after=None, *, rng=random):
    """Seconds until the next attempt after `attempts_made` attempts, or None when retries are used up."""
    if attempts_made >= len(SCHEDULE):
        return None
    base = SCHEDULE[attempts_made]
    delay = base * (1 + rng.uniform(-JITTER, JITTER))
    if retry_after is not None:
        delay = max(delay, retry_after)  # never sooner than the receiver asked
    return delay


# ------------------------------------------------------------------ recording

def record_outcomes(app, session, owner, outcomes, claimed):
    """Write the attempts, reschedule, update endpoint health; give back the leases of unsent deliveries."""
    now = utcnow()
    sent_ids = {o.delivery.id for o in outcomes}
    unsent = [c.id for c in claimed if c.id not in sent_ids]
    if unsent:
        session.execute(
            sa.update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(unsent), WebhookDelivery.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )
    if not outcomes:
        return
    session.execute(sa.insert(WebhookAttempt), [_attempt_row(o) for o in outcomes])
    updates = [_delivery_update(o, now) for o in outcomes]
    table = WebhookDelivery.__table__
    session.execute(
        sa.update(table)
        .where(table.c.id == sa.bindparam("b_id"), table.c.lease_owner == owner)
        .values(status=sa.bindparam("b_status"), attempts=sa.bindparam("b_attempts"),
                next_attempt_at=sa.bindparam("b_next"), delivered_at=sa.bindparam("b_delivered"),
                last_status_code=sa.bindparam("b_code"), last_error=sa.bindparam("b_error"),
                lease_owner=None, lease_until=None),
        updates,
    )
    by_endpoint = {}
    for outcome, update in zip(outcomes, updates):
        by_endpoint.setdefault(outcome.delivery.endpoint_id, []).append((outcome, update))
    for endpoint in session.scalars(sa.select(WebhookEndpoint).where(WebhookEndpoint.id.in_(by_endpoint))):
        _update_endpoint(app, session, endpoint, by_endpoint[endpoint.id], now)
    for outcome in outcomes:
        log.info("webhook delivery=%s endpoint=%s attempt=%s status=%s error=%s ms=%s", outcome.delivery.id,
                 outcome.delivery.endpoint_id, outcome.delivery.attempts + 1, outcome.status_code,
                 outcome.error, outcome.duration_ms)


def _attempt_row(o):
    return {"delivery_id": o.delivery.id, "attempt": o.delivery.attempts + 1, "started_at": o.started_at,
            "duration_ms": o.duration_ms, "status_code": o.status_code, "response_excerpt": o.excerpt,
            "error": (o.error or None) and o.error[:1000]}


def _delivery_update(o, now):
    attempts = o.delivery.attempts + 1
    if o.ok:
        status, next_at, delivered = "delivered", None, now
    else:
        delay = retry_delay(attempts, o.retry_after)
        status = "pending" if delay is not None else "failed"
        next_at = o.started_at + timedelta(seconds=delay) if delay is not None else None
        delivered = None
    error = o.error or (None if o.ok else f"HTTP {o.status_code}")
    return {"b_id": o.delivery.id, "b_status": status, "b_attempts": attempts, "b_next": next_at,
            "b_delivered": delivered, "b_code": o.status_code, "b_error": error and error[:1000]}


def _update_endpoint(app, session, endpoint, results, now):
    """Health of an endpoint after its attempts in this pass (they ran in order; the last one decides)."""
    last, update = results[-1]
    if last.ok:
        endpoint.failing_since = endpoint.paused_until = None
        return
    endpoint.failing_since = endpoint.failing_since or last.started_at
    if last.unavailable:
        endpoint.paused_until = update["b_next"] or now + timedelta(seconds=SCHEDULE[-1])
    if last.status_code == 410:
        disable_endpoint(session, endpoint, "the receiver answered 410 Gone")
        return
    failing_for = now - endpoint.failing_since
    if failing_for >= timedelta(days=float(setting(app, DISABLE_AFTER_DAYS))):
        disable_endpoint(session, endpoint, f"every delivery failed since {isoformat(endpoint.failing_since)}")


def disable_endpoint(session, endpoint, reason):
    """Turn an endpoint off (its pending deliveries wait) and tell every admin, in the app and live."""
    if not endpoint.enabled:
        return
    endpoint.enabled = False
    endpoint.disabled_reason = reason[:500]
    record("webhook.disabled", target=endpoint, data={"reason": reason[:500]})
    admins = session.scalars(sa.select(User).where(User.role == "admin", User.is_active.is_(True)))
    text = f"Webhook endpoint {endpoint.id} was disabled: {reason}. Fix the receiver, then enable it again."
    for admin in admins:
        notify(session, admin.id, "webhook_disabled", text)
    log.warning("webhook endpoint %s disabled: %s", endpoint.id, reason)
