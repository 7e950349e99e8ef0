"""Routing the queue before an agent opens it: teams, the rules managers write, and spike alerts."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import BigId, UTCDateTime, utcnow
from app.vocabulary import ALERT_KINDS, ALERT_STATES

team_members = sa.Table(
    "team_members", db.metadata,
    sa.Column("team_id", sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)

team_accounts = sa.Table(
    "team_accounts", db.metadata,
    sa.Column("team_id", sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("account_id", sa.ForeignKey("social_accounts.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Team(db.Model):
    """Agents who split the work: a team owns accounts and/or languages, and sees only its conversations
    (app/teams). Managers and admins see every team's."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    # The languages it owns (ISO 639-1, app.ingest.language.DETECTED); empty: any language of its accounts.
    languages: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Auto-assignment among its members (app.assignment.AUTO_ASSIGN_MODES); None: the workspace's mode.
    auto_assign: Mapped[str | None] = mapped_column(sa.String(16))
    last_assigned_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    members = relationship("User", secondary=team_members, order_by="User.name")
    accounts = relationship("SocialAccount", secondary=team_accounts, order_by="SocialAccount.id")


class Rule(db.Model):
    """A manager's rule: when every condition holds for a new customer message, its actions run, once, inside
    ingest (app/rules). Rules run in `position` order; `stop` ends the run for that message."""

    __tablename__ = "rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    position: Mapped[int] = mapped_column(default=0)
    enabled: Mapped[bool] = mapped_column(default=False)  # a new rule is off until a manager switches it on
    conditions: Mapped[list] = mapped_column(sa.JSON, default=list)  # [{"type": vocabulary.RULE_CONDITIONS, …}]
    actions: Mapped[list] = mapped_column(sa.JSON, default=list)  # [{"type": vocabulary.RULE_ACTIONS, …}]
    stop: Mapped[bool] = mapped_column(default=False)
    hit_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    last_hit_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (sa.Index("ix_rules_position", "position", "id"),)


class RuleHit(db.Model):
    """One rule matching one message, and what it did: the hit counts and the proof each ran once."""

    __tablename__ = "rule_hits"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[int] = mapped_column(sa.ForeignKey("rules.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("messages.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(sa.ForeignKey("conversations.id", ondelete="CASCADE"))
    actions: Mapped[list] = mapped_column(sa.JSON, default=list)  # what it did, as the dry run reports it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("rule_id", "message_id"),
        sa.Index("ix_rule_hits_message", "message_id"),
    )


class Alert(db.Model):
    """A spike on one account: inbound volume, or the share of negative messages, over the last 15 minutes
    far above the same time on the last 7 days (app/alerts). Raised once; ends when the spike is over."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("social_accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(24))  # vocabulary.ALERT_KINDS
    state: Mapped[str] = mapped_column(sa.String(16), default="open")  # vocabulary.ALERT_STATES
    observed: Mapped[float] = mapped_column(sa.Float)  # the last 15 minutes: messages, or the negative share (0..1)
    baseline: Mapped[float] = mapped_column(sa.Float)  # the same 15 minutes on the last 7 days
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (
        sa.CheckConstraint(f"kind IN {ALERT_KINDS}", name="kind"),
        sa.CheckConstraint(f"state IN {ALERT_STATES}", name="state"),
        # Once per spike: at most one open alert of a kind per account.
        sa.Index("uq_alerts_open", "account_id", "kind", unique=True,
                 sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'")),
        sa.Index("ix_alerts_created", "created_at"),
    )
