"""The delivery worker: claim due deliveries, sign them (Standard Webhooks), POST them, schedule retries.

Run every second by each worker (app/worker/jobs.py). One pass:

1. claim: one UPDATE takes a lease on up to BATCH due deliveries (oldest
   first) of enabled, unpaused endpoints. PostgreSQL picks them with
   FOR UPDATE SKIP LOCKED, SQLite under its write lock (write_intent), and
   the lease condition is repeated in the UPDATE, so two workers never hold
   the same delivery and never send the same attempt at once.
2. send: outside any transaction, each endpoint's deliveries in order (one
   thread per endpoint), signed with the `standardwebhooks` library, no
   redirects, through the SSRF guard, stopping at the endpoint's first
   "unavailable" answer. Only 2xx counts. A delivery is never started unless
   it can finish before its lease runs out.
3. record: one transaction writes every attempt, reschedules failures and
   updates the endpoints' health.

Two clocks decide when something is sent:

- Each delivery retries on the Standard Webhooks schedule (SCHEDULE, with
  jitter, never sooner than a Retry-After). `retry_due_at` is its next slot
  there, and `attempts` counts the attempts made at or after their slot: a
  failed attempt made earlier does not use up a retry.
- An endpoint whose receiver is unavailable (timeout, connection error, 429,
  502, 503, 504) is paused on its own, short schedule: nothing of its backlog
  goes until `paused_until`, then the next pass probes it. The wait is
  PROBE_FIRST seconds after the first unavailable answer, doubling with each
  one in a row (`failed_probes`) up to CAREBOX_WEBHOOK_PROBE_MAX_SECONDS, with
  jitter, never sooner than a Retry-After. However long the outage, its end is
  noticed within that cap, not at the next retry slot (minutes to hours).

What a probe sends: the endpoint's oldest pending delivery, the one its
backlog queues behind, whatever its own slot. A delivery that failed
unavailable waits for its endpoint, not for its slot (its `next_attempt_at`
is the endpoint's next probe), so the probe pass claims it first, as any pass
claims oldest first. Its webhook-id never changes, so a receiver that did get
an earlier try dedupes. A probe made before the delivery's slot is logged
(`probe` in the attempt log) but, if it fails, not counted; the first probe
at or after the slot is the retry the schedule asked for. Over a long outage
the head delivery thus spends its retries exactly on the spec's schedule, the
rest of the backlog spends none, and probing more often costs no retries.

When a probe gets through (or the receiver answers anything but
"unavailable": it is reachable), the endpoint is unpaused and the same pass
goes on with the rest of what it claimed, in order, at full speed; later
passes take the rest. That includes deliveries that failed only because the
endpoint was unavailable (say two workers hit the outage at once): their
`next_attempt_at` is a past probe time, not their retry slot, so they go out
promptly too. Deliveries refused for their own sake (400, 500, ...) keep
their slot. Per endpoint, order holds as before: oldest first, one thread per
endpoint, a pass stops at its first unavailable answer (several workers hold
different deliveries and do not order among themselves).

410 Gone disables the endpoint; so does failing for
CAREBOX_WEBHOOK_DISABLE_AFTER_DAYS; its admins are then notified. A worker
that dies mid-pass loses nothing: its leases run out and the deliveries are
sent again (at-least-once; receivers dedupe on webhook-id).
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
from flask_babel import lazy_gettext as _l
from standardwebhooks.webhooks import Webhook

from app.audit import record
from app.database import write_intent
from app.extensions import db
from app.metrics import WEBHOOK_ATTEMPTS
from app.models import User, WebhookAttempt, WebhookDelivery, WebhookEndpoint, isoformat, utcnow
from app.notifications import notify
from app.webhooks import ssrf
from app.webhooks.endpoints import signing_secrets

log = logging.getLogger(__name__)

# Seconds to wait before attempt n+1 (index n = attempts made): the Standard Webhooks schedule.
SCHEDULE = (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
JITTER = 0.1  # ± this fraction of each delay
PROBE_FIRST = 1.0  # seconds from an endpoint's first unavailable answer to its first probe; doubles per answer
MAX_RETRY_AFTER = 24 * 3600
UNAVAILABLE = {429, 502, 503, 504}
BATCH = 100
EXCERPT_CHARS = 1000
JOB_SECONDS = 20  # one job run keeps draining for at most this long
USER_AGENT = "Carebox-Webhooks/1"


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
    retry_due_at: datetime | None

    def due(self, when):
        """At or past its retry slot: a failed attempt now counts against its retries."""
        return self.retry_due_at is None or self.retry_due_at <= when


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
    timeout = float(app.config["CAREBOX_WEBHOOK_TIMEOUT"])
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
                   WebhookDelivery.payload, WebhookDelivery.attempts, WebhookDelivery.retry_due_at)
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


def probe_delay(failed_probes, cap, retry_after=None, *, rng=random):
    """Seconds from an endpoint's `failed_probes`-th unavailable answer in a row to its next probe."""
    base = min(cap, PROBE_FIRST * 2 ** min(failed_probes - 1, 30))
    delay = base * (1 + rng.uniform(-JITTER, JITTER))
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


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
    by_endpoint = {}
    for outcome in outcomes:
        by_endpoint.setdefault(outcome.delivery.endpoint_id, []).append(outcome)
    next_probe = {}
    for endpoint in session.scalars(sa.select(WebhookEndpoint).where(WebhookEndpoint.id.in_(by_endpoint))):
        next_probe[endpoint.id] = _update_endpoint(app, session, endpoint, by_endpoint[endpoint.id], now)
    session.execute(sa.insert(WebhookAttempt), [_attempt_row(o) for o in outcomes])
    table = WebhookDelivery.__table__
    session.execute(
        sa.update(table)
        .where(table.c.id == sa.bindparam("b_id"), table.c.lease_owner == owner)
        .values(status=sa.bindparam("b_status"), attempts=sa.bindparam("b_attempts"),
                next_attempt_at=sa.bindparam("b_next"), retry_due_at=sa.bindparam("b_retry_due"),
                delivered_at=sa.bindparam("b_delivered"), last_status_code=sa.bindparam("b_code"),
                last_error=sa.bindparam("b_error"), lease_owner=None, lease_until=None),
        [_delivery_update(o, now, next_probe.get(o.delivery.endpoint_id)) for o in outcomes],
    )
    for outcome in outcomes:
        result = "delivered" if outcome.ok else "unavailable" if outcome.unavailable else "rejected"
        WEBHOOK_ATTEMPTS.labels(result=result).inc()
        log.info("webhook delivery=%s endpoint=%s attempt=%s probe=%s status=%s error=%s ms=%s", outcome.delivery.id,
                 outcome.delivery.endpoint_id, outcome.delivery.attempts + 1,
                 not outcome.delivery.due(outcome.started_at), outcome.status_code, outcome.error, outcome.duration_ms)


def _attempt_row(o):
    return {"delivery_id": o.delivery.id, "attempt": o.delivery.attempts + 1, "started_at": o.started_at,
            "duration_ms": o.duration_ms, "status_code": o.status_code, "response_excerpt": o.excerpt,
            "error": (o.error or None) and o.error[:1000], "probe": not o.delivery.due(o.started_at)}


def _delivery_update(o, now, next_probe):
    """The delivery's row after an attempt. `next_probe`: when its endpoint is probed next, if now paused."""
    d = o.delivery
    error = o.error or (None if o.ok else f"HTTP {o.status_code}")
    row = {"b_id": d.id, "b_status": "pending", "b_attempts": d.attempts, "b_next": None,
           "b_retry_due": d.retry_due_at, "b_delivered": None, "b_code": o.status_code,
           "b_error": error and error[:1000]}
    if o.ok:
        row.update(b_status="delivered", b_attempts=d.attempts + 1, b_retry_due=None, b_delivered=now)
        return row
    if d.due(o.started_at):  # a retry the schedule asked for: it counts, and the next slot follows
        row["b_attempts"] = d.attempts + 1
        delay = retry_delay(row["b_attempts"], o.retry_after)
        if delay is None:
            row.update(b_status="failed", b_retry_due=None)
            return row
        row["b_retry_due"] = o.started_at + timedelta(seconds=delay)
    elif o.retry_after is not None:  # an early try (a probe): its slot stays, but never sooner than asked
        row["b_retry_due"] = max(d.retry_due_at, o.started_at + timedelta(seconds=o.retry_after))
    # Unavailable: it waits for its endpoint's next probe, not for its own slot, so it goes first once the
    # receiver is back. Refused for its own sake: it waits for its slot.
    row["b_next"] = next_probe if o.unavailable and next_probe is not None else row["b_retry_due"]
    return row


def _update_endpoint(app, session, endpoint, results, now):
    """Health of an endpoint after its attempts in this pass (they ran in order; the last one decides).

    Returns when it is probed next if it is now paused, else None.
    """
    last = results[-1]
    if last.ok:
        endpoint.failing_since = endpoint.paused_until = None
        endpoint.failed_probes = 0
        return None
    endpoint.failing_since = endpoint.failing_since or last.started_at
    if last.status_code == 410:
        disable_endpoint(session, endpoint, "the receiver answered 410 Gone")
        return None
    if last.unavailable:
        if endpoint.paused_until is None or endpoint.paused_until <= now:
            endpoint.failed_probes = (endpoint.failed_probes or 0) + 1
            cap = float(app.config["CAREBOX_WEBHOOK_PROBE_MAX_SECONDS"])
            endpoint.paused_until = now + timedelta(seconds=probe_delay(endpoint.failed_probes, cap, last.retry_after))
        elif last.retry_after is not None:  # another worker's probe of this round already set the next one
            endpoint.paused_until = max(endpoint.paused_until, now + timedelta(seconds=last.retry_after))
    else:  # it answered: reachable, so the rest of its backlog may go
        endpoint.failed_probes = 0
        endpoint.paused_until = None
    failing_for = now - endpoint.failing_since
    if failing_for >= timedelta(days=float(app.config["CAREBOX_WEBHOOK_DISABLE_AFTER_DAYS"])):
        disable_endpoint(session, endpoint, f"every delivery failed since {isoformat(endpoint.failing_since)}")
    return endpoint.paused_until


def disable_endpoint(session, endpoint, reason):
    """Turn an endpoint off (its pending deliveries wait) and tell every admin, in the app and live."""
    if not endpoint.enabled:
        return
    endpoint.enabled = False
    endpoint.disabled_reason = reason[:500]
    record("webhook.disabled", target=endpoint, data={"reason": reason[:500]})
    admins = session.scalars(sa.select(User).where(User.role == "admin", User.is_active.is_(True)))
    text = _l("Webhook endpoint %(id)s was disabled: %(reason)s. Fix the receiver, then enable it again.",
              id=endpoint.id, reason=reason)
    for admin in admins:
        notify(session, admin.id, "webhook_disabled", text)
    log.warning("webhook endpoint %s disabled: %s", endpoint.id, reason)
