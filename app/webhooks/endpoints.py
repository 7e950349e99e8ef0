"""Webhook endpoints: the rules the REST API and the admin pages share.

Each endpoint has a `whsec_` secret, Fernet-encrypted at rest (it must be
readable to sign). Rotating keeps the previous secret signing next to the new
one for a grace period, so receivers can switch without losing a delivery.
Callers commit.
"""
import base64
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from flask_babel import lazy_gettext as _l

from app.audit import record
from app.crypto import decrypt_json, encrypt_json
from app.domain_errors import Invalid
from app.events import outbox
from app.events.catalogue import TEST_TYPE, WEBHOOK_TYPES
from app.models import Setting, WebhookDelivery, WebhookEndpoint, utcnow
from app.webhooks import ssrf

SECRET_PREFIX = "whsec_"
DEFAULT_GRACE = timedelta(hours=24)
MAX_GRACE = timedelta(days=7)


class WebhookError(Invalid, ValueError):
    """Bad input for an endpoint; the message says what to fix."""

    code = "invalid_webhook"


class UrlRefused(WebhookError):
    """The URL is not http(s) or resolves to an address webhooks may not reach (see ssrf.py)."""

    code = "url_refused"


def new_secret():
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signing_secrets(endpoint, now=None):
    """The secrets that sign a delivery now: the current one, and the previous one during its grace period."""
    now = now or utcnow()
    found = [decrypt_json(endpoint.secret_encrypted)]
    if endpoint.previous_secret_encrypted and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        found.append(decrypt_json(endpoint.previous_secret_encrypted))
    return found


def validate_url(session, url):
    url = (url or "").strip()
    if len(url) > 2000:
        raise WebhookError(_l("The URL is longer than %(num)s characters.", num=2000))
    try:
        return ssrf.check_url(url, ssrf.allow_private(current_app, session))
    except ssrf.BlockedAddress as exc:
        raise UrlRefused(str(exc)) from None


def validate_events(events):
    events = sorted(set(events or []))
    unknown = [e for e in events if e not in WEBHOOK_TYPES]
    if unknown:
        raise WebhookError(_l("Unknown event type(s): %(unknown)s. Known: %(known)s.", unknown=", ".join(unknown),
                              known=", ".join(WEBHOOK_TYPES)))
    return events


def create_endpoint(session, *, url, events=None, description="", enabled=True, actor=None):
    """Register an endpoint. Returns (endpoint, secret); the secret is shown to the caller once."""
    endpoint = WebhookEndpoint(
        url=validate_url(session, url), events=validate_events(events), description=(description or "").strip()[:200],
        enabled=bool(enabled), created_by_id=getattr(actor, "id", None),
    )
    secret = new_secret()
    endpoint.secret_encrypted = encrypt_json(secret)
    session.add(endpoint)
    session.flush()
    record("webhook.created", actor=actor, target=endpoint, data={"events": endpoint.events, "enabled": endpoint.enabled})
    return endpoint, secret


def update_endpoint(session, endpoint, *, url=None, events=None, description=None, enabled=None, actor=None):
    """Change what is given (None leaves a field alone). Re-enabling clears the failure state."""
    changed = {}
    if url is not None and url != endpoint.url:
        endpoint.url = validate_url(session, url)
        changed["url"] = True
    if events is not None:
        endpoint.events = validate_events(events)
        changed["events"] = endpoint.events
    if description is not None:
        endpoint.description = description.strip()[:200]
        changed["description"] = True
    if enabled is not None and bool(enabled) != endpoint.enabled:
        endpoint.enabled = bool(enabled)
        changed["enabled"] = endpoint.enabled
        if endpoint.enabled:
            endpoint.disabled_reason = endpoint.failing_since = endpoint.paused_until = None
            endpoint.failed_probes = 0
    if changed:
        record("webhook.updated", actor=actor, target=endpoint, data=changed)
    return endpoint


def delete_endpoint(session, endpoint, *, actor=None):
    record("webhook.deleted", actor=actor, target=endpoint, data={})
    session.delete(endpoint)


def rotate_secret(session, endpoint, *, grace=DEFAULT_GRACE, actor=None):
    """A new secret; the old one keeps signing (beside it) until now + grace. Returns the new secret."""
    grace = max(timedelta(0), min(grace, MAX_GRACE))
    secret = new_secret()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = utcnow() + grace
    endpoint.secret_encrypted = encrypt_json(secret)
    record("webhook.secret_rotated", actor=actor, target=endpoint, data={"grace_seconds": int(grace.total_seconds())})
    return secret


def redeliver(session, delivery, *, actor=None):
    """Send a delivery again now, whatever its state. The webhook-id stays the same, so receivers can dedupe.

    A delivery that used up its retries gets one more attempt.
    """
    delivery.status = "pending"
    delivery.next_attempt_at = utcnow()
    delivery.retry_due_at = None  # this attempt counts, as a fresh retry
    delivery.lease_owner = delivery.lease_until = None
    _unpause(session, delivery.endpoint_id)
    record("webhook.redelivered", actor=actor, target=delivery, data={"endpoint_id": delivery.endpoint_id})
    return delivery


def send_test_event(session, endpoint, *, actor=None):
    """Queue a webhook.test delivery for this endpoint only; the worker sends it like any other."""
    data = {"endpoint_id": endpoint.id, "message": "A test event from Carebox."}
    delivery = outbox.enqueue(session, endpoint.id, TEST_TYPE.name, data)
    _unpause(session, endpoint.id)
    record("webhook.test_sent", actor=actor, target=endpoint, data={"delivery_id": delivery.id})
    return delivery


def set_allow_private(session, allow, *, actor=None):
    """The admin setting that lets webhooks reach loopback and private addresses (tests, the sandbox)."""
    setting = session.get(Setting, ssrf.SETTING_KEY) or Setting(key=ssrf.SETTING_KEY, value={})
    setting.value = {**(setting.value or {}), "allow_private": bool(allow)}
    session.add(setting)
    record("setting.changed", actor=actor, data={"key": ssrf.SETTING_KEY, "allow_private": bool(allow)})
    return bool(allow)


def _unpause(session, endpoint_id):
    """An admin asked for a delivery now: let it through even if the endpoint is waiting out a failure."""
    session.execute(sa.update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id).values(paused_until=None))


def get_delivery(session, endpoint_id, delivery_id):
    delivery = session.get(WebhookDelivery, delivery_id) if 0 < delivery_id < 2**63 else None
    return delivery if delivery is not None and delivery.endpoint_id == endpoint_id else None
