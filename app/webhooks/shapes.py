"""JSON shapes of endpoints, deliveries and attempts (the API's; the admin pages read the same fields)."""
import json

from app.models import isoformat


def endpoint_dict(endpoint):
    """Never the secret: it is returned only when created or rotated."""
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "description": endpoint.description or "",
        "events": list(endpoint.events or []),
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "failing_since": isoformat(endpoint.failing_since),
        "paused_until": isoformat(endpoint.paused_until),
        "previous_secret_expires_at": isoformat(endpoint.previous_secret_expires_at),
        "created_at": isoformat(endpoint.created_at),
        "updated_at": isoformat(endpoint.updated_at),
    }


def attempt_dict(attempt):
    return {
        "attempt": attempt.attempt,
        "started_at": isoformat(attempt.started_at),
        "duration_ms": attempt.duration_ms,
        "status_code": attempt.status_code,
        "response_excerpt": attempt.response_excerpt,
        "error": attempt.error,
        "probe": attempt.probe,
    }


def delivery_dict(delivery, *, with_payload=False):
    out = {
        "id": delivery.id,
        "endpoint_id": delivery.endpoint_id,
        "message_id": delivery.message_id,
        "event_type": delivery.event_type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": isoformat(delivery.next_attempt_at) if delivery.status == "pending" else None,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "created_at": isoformat(delivery.created_at),
        "delivered_at": isoformat(delivery.delivered_at),
        "attempt_log": [attempt_dict(a) for a in delivery.attempt_log],
    }
    if with_payload:
        out["payload"] = json.loads(delivery.payload)
    return out
