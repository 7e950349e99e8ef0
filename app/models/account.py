"""Brand accounts on a network, with poller state, health and lease."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.crypto import decrypt_json, encrypt_json
from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.vocabulary import NETWORKS  # noqa: F401  (re-exported)

HEALTH_STATES = ("unknown", "ok", "degraded", "unhealthy", "stopped")


class SocialAccount(db.Model):
    __tablename__ = "social_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.String(120))
    # The brand's own id on the network (X user id, Facebook page id); filled in by the first poll.
    external_id: Mapped[str | None] = mapped_column(sa.String(64))
    handle: Mapped[str | None] = mapped_column(sa.String(120))
    api_base_url: Mapped[str | None] = mapped_column(sa.String(500))
    # Fernet token of the JSON credentials (see app/crypto.py); never logged, never sent to clients.
    credentials_encrypted: Mapped[str] = mapped_column(sa.Text, default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    # Poll position, connector-specific JSON (e.g. {"since_id": "..."}); advanced in the ingest transaction.
    cursor: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    sla_policy_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sla_policies.id", ondelete="SET NULL"))
    # The policy of the account's private conversations (None: the default private policy, else sla_policy_id's).
    private_sla_policy_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sla_policies.id", ondelete="SET NULL"))
    # Messenger's human-agent permission: answers tagged HUMAN_AGENT up to 7 days after the customer wrote.
    human_agent_enabled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    # Health, as shown to managers.
    health: Mapped[str] = mapped_column(sa.String(16), default="unknown")
    last_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    rate_limit_limit: Mapped[int | None]
    rate_limit_remaining: Mapped[int | None]
    rate_limit_reset_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    poll_lag_seconds: Mapped[float | None]
    # Each endpoint's budget as its headers last said: {"dm_lookup": {"limit", "remaining", "reset_at"}, ...}.
    rate_limits: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default="{}")

    # Scheduling and the lease that keeps two workers off one account.
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(sa.String(120))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.CheckConstraint(f"network IN {NETWORKS}", name="network"),
        sa.Index("ix_social_accounts_due", "enabled", "next_poll_at"),
    )

    @property
    def credentials(self):
        return decrypt_json(self.credentials_encrypted) if self.credentials_encrypted else {}

    @credentials.setter
    def credentials(self, value):
        self.credentials_encrypted = encrypt_json(value or {})

    def __repr__(self):
        return f"<SocialAccount {self.id} {self.network} {self.name}>"
