"""SLA policies: when the response clock warns and breaches."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.vocabulary import POLICY_CHANNELS


class SlaPolicy(db.Model):
    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    # The policy of accounts that have none of their own (when absent: the configured 30/60 minutes).
    is_default: Mapped[bool] = mapped_column(default=False)
    # The channel kind it is meant for ("any", "public", "private"): a default per channel kind.
    channel: Mapped[str] = mapped_column(sa.String(16), default="any", server_default="any")
    warn_minutes: Mapped[int] = mapped_column(default=30)
    breach_minutes: Mapped[int] = mapped_column(default=60)
    # Business hours: None means the clock always runs. Otherwise a time zone and, per weekday
    # ("mon".."sun"), a list of ["HH:MM", "HH:MM"] periods; holidays are ISO dates.
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    business_hours: Mapped[dict | None] = mapped_column(sa.JSON)
    holidays: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.CheckConstraint("warn_minutes > 0 AND breach_minutes >= warn_minutes", name="minutes"),
        sa.UniqueConstraint("name"),
        sa.CheckConstraint(f"channel IN {POLICY_CHANNELS}", name="channel"),
        # At most one default policy per channel kind.
        sa.Index("uq_sla_policies_default", "is_default", "channel", unique=True,
                 sqlite_where=sa.text("is_default"), postgresql_where=sa.text("is_default")),
    )


CLOCK_KINDS = ("first", "next")
STOP_REASONS = ("reply", "native_reply", "resolved")


class SlaClock(db.Model):
    """One response clock: started by a customer message, stopped by our answer or by resolving.

    Kept forever (reports read these rows, never recompute history from conversations).
    `state` only moves ok -> warning -> breached, each move made by a conditional UPDATE so
    it happens (and is published) exactly once even with several workers sweeping.
    """

    __tablename__ = "sla_clocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(sa.ForeignKey("conversations.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("social_accounts.id", ondelete="CASCADE"))
    policy_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sla_policies.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(8), default="first")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    warn_at: Mapped[datetime] = mapped_column(UTCDateTime)
    breach_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(sa.String(16), default="ok")
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stop_reason: Mapped[str | None] = mapped_column(sa.String(16))
    answered_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    response_seconds: Mapped[float | None]  # business seconds from start to stop
    met: Mapped[bool | None]  # stopped by an answer before breach_at

    __table_args__ = (
        sa.CheckConstraint(f"kind IN {CLOCK_KINDS}", name="kind"),
        sa.CheckConstraint("state IN ('ok', 'warning', 'breached')", name="state"),
        # At most one running clock per conversation.
        sa.Index(
            "uq_sla_clocks_running", "conversation_id", unique=True,
            sqlite_where=sa.text("stopped_at IS NULL"), postgresql_where=sa.text("stopped_at IS NULL"),
        ),
        # The sweep reads only clocks that are due to change: cost follows the changes, not the backlog.
        sa.Index(
            "ix_sla_clocks_due_warn", "warn_at",
            sqlite_where=sa.text("stopped_at IS NULL AND state = 'ok'"),
            postgresql_where=sa.text("stopped_at IS NULL AND state = 'ok'"),
        ),
        sa.Index(
            "ix_sla_clocks_due_breach", "breach_at",
            sqlite_where=sa.text("stopped_at IS NULL AND state != 'breached'"),
            postgresql_where=sa.text("stopped_at IS NULL AND state != 'breached'"),
        ),
        sa.Index("ix_sla_clocks_started", "started_at"),
        # Answers per agent today; running clocks (no stop time) stay out of it: migration 0002.
        sa.Index("ix_sla_clocks_stopped", "stopped_at",
                 sqlite_where=sa.text("stopped_at IS NOT NULL"), postgresql_where=sa.text("stopped_at IS NOT NULL")),
        sa.Index("ix_sla_clocks_conversation", "conversation_id", "id"),
    )
