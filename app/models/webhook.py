"""Outbound webhooks (Standard Webhooks): endpoints, and the durable outbox of deliveries with their attempts."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import BigId, UTCDateTime, utcnow

DELIVERY_STATES = ("pending", "delivered", "failed", "cancelled")


class WebhookEndpoint(db.Model):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(2000))
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    events: Mapped[list] = mapped_column(sa.JSON, default=list)  # empty: every event type
    enabled: Mapped[bool] = mapped_column(default=True)
    # whsec_… secrets, Fernet-encrypted at rest (they must be readable to sign, so not hashed).
    secret_encrypted: Mapped[str] = mapped_column(sa.Text)
    previous_secret_encrypted: Mapped[str | None] = mapped_column(sa.Text)  # still signs until the time below
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(500))
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # After an "unavailable" answer (timeout, refused, 429/502/503/504) the endpoint's deliveries wait until here,
    # when its oldest one probes the receiver (app/webhooks/delivery.py) instead of the whole backlog hammering it.
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Unavailable answers in a row: the wait before the next probe grows with it, up to a cap.
    failed_probes: Mapped[int] = mapped_column(default=0, server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class WebhookDelivery(db.Model):
    """One event for one endpoint: written in the transaction that caused the event, delivered at least once."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(sa.String(64))  # the webhook-id header: stable across retries
    event_type: Mapped[str] = mapped_column(sa.String(64))
    payload: Mapped[str] = mapped_column(sa.Text)  # the exact JSON body that is signed
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)  # may be sent from then
    # Its next slot on the Standard Webhooks schedule (None: now). A failed attempt from then on counts against
    # its retries; one made earlier (a probe of its unavailable endpoint, or the drain once the receiver is back)
    # does not, so probing often never uses up retries faster than the schedule.
    retry_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(sa.String(120))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    endpoint: Mapped[WebhookEndpoint] = relationship()
    attempt_log = relationship("WebhookAttempt", order_by="WebhookAttempt.id", passive_deletes=True)

    __table_args__ = (
        sa.CheckConstraint(f"status IN {DELIVERY_STATES}", name="status"),
        sa.UniqueConstraint("endpoint_id", "message_id"),
        sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        sa.Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
    )


class WebhookAttempt(db.Model):
    """The delivery log: one row per HTTP attempt."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"))
    attempt: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    duration_ms: Mapped[int | None]
    status_code: Mapped[int | None]
    response_excerpt: Mapped[str | None] = mapped_column(sa.String(2000))
    error: Mapped[str | None] = mapped_column(sa.String(1000))
    # Made before the delivery's retry slot (see WebhookDelivery.retry_due_at): had it failed, it did not count.
    probe: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    __table_args__ = (sa.Index("ix_webhook_attempts_delivery", "delivery_id", "id"),)
