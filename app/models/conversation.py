"""Customers, their conversations with a brand account, and the messages in them."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import BigId, UTCDateTime, utcnow
from app.text import fold  # noqa: F401  (re-exported: search columns hold folded text)
from app.vocabulary import (  # noqa: F401
    CHANNELS, DELIVERY_STATES, DIRECTIONS, FOLLOWUP_KINDS, INTENTS, MODERATION_ACTIONS, MODERATION_STATES, PRIORITIES,
    SEND_AS, SENTIMENTS, SLA_STATES, STATUSES,
)


class Contact(db.Model):
    """A customer on one network."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(sa.String(16))
    external_id: Mapped[str] = mapped_column(sa.String(128))
    handle: Mapped[str | None] = mapped_column(sa.String(120))
    name: Mapped[str | None] = mapped_column(sa.String(200))
    followers_count: Mapped[int | None]
    profile_url: Mapped[str | None] = mapped_column(sa.String(500))
    # X's receives_your_dm: whether the customer accepts direct messages from the brand (None: not known).
    accepts_dms: Mapped[bool | None]
    # Labels managers give a customer (rules can match them): "vip", "press", "reseller"…
    tags: Mapped[list] = mapped_column(sa.JSON, default=list, server_default="[]")
    # The last automatic first answer a rule sent them: at most one per customer per period (app/rules).
    last_auto_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    search_text: Mapped[str] = mapped_column(sa.String(400), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (sa.UniqueConstraint("network", "external_id"),)


class Conversation(db.Model):
    """One customer on one account and channel. At most one unresolved conversation per (account, contact, channel)."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("social_accounts.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(sa.String(16))  # copied from the account for cheap filtering
    channel: Mapped[str] = mapped_column(sa.String(16), default="public", server_default="public")
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    priority: Mapped[str] = mapped_column(sa.String(16), default="normal")
    tags: Mapped[list] = mapped_column(sa.JSON, default=list)
    is_spam: Mapped[bool] = mapped_column(default=False)
    snippet: Mapped[str] = mapped_column(sa.String(280), default="")  # last message, for the list
    message_count: Mapped[int] = mapped_column(default=0)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_outbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The language of the latest customer message that had one (app/ingest/language.py); None: not known.
    language: Mapped[str | None] = mapped_column(sa.String(8))
    # A public conversation that moved to DM links to the customer's private conversation.
    moved_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("conversations.id", ondelete="SET NULL"))
    # The team that owns it (app/teams): its members see it; None: unrouted, every agent sees it.
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    # Why it ranks high (vocabulary.PRIORITY_REASONS), shown beside it in the list (app/ranking).
    priority_reasons: Mapped[list] = mapped_column(sa.JSON, default=list, server_default="[]")
    # An SLA policy a rule chose for it (else the account's); sla_exempt: a rule took it out of SLA (spam).
    sla_policy_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sla_policies.id", ondelete="SET NULL"))
    sla_exempt: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    # The running SLA clock, denormalised for the inbox sort (see app/sla).
    sla_state: Mapped[str] = mapped_column(sa.String(16), default="stopped")
    sla_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_breach_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account = relationship("SocialAccount")
    contact: Mapped[Contact] = relationship()
    assignee = relationship("User")
    messages = relationship(
        "Message", back_populates="conversation", order_by="(Message.created_at, Message.id)", passive_deletes=True
    )

    __table_args__ = (
        sa.CheckConstraint(f"status IN {STATUSES}", name="status"),
        sa.CheckConstraint(f"channel IN {CHANNELS}", name="channel"),
        sa.CheckConstraint(f"priority IN {PRIORITIES}", name="priority"),
        sa.CheckConstraint(f"sla_state IN {SLA_STATES}", name="sla_state"),
        # Ingest relies on this: a new message joins the contact's unresolved conversation on its channel,
        # never opens a second.
        sa.Index(
            "uq_conversations_unresolved",
            "account_id",
            "contact_id",
            "channel",
            unique=True,
            sqlite_where=sa.text("status != 'resolved'"),
            postgresql_where=sa.text("status != 'resolved'"),
        ),
        # Inbox: most urgent first, newest first, per assignee.
        sa.Index("ix_conversations_status_breach", "status", "sla_breach_at", "id"),
        sa.Index("ix_conversations_status_last", "status", "last_message_at", "id"),
        sa.Index("ix_conversations_assignee_status", "assignee_id", "status"),
        sa.Index("ix_conversations_contact", "contact_id", "id"),
        sa.Index("ix_conversations_moved_to", "moved_to_id"),
        sa.Index("ix_conversations_team_status", "team_id", "status"),
        # The default sort lists each priority tier by urgency (app/conversations/queries.py): migration 0010.
        sa.Index("ix_conversations_status_priority_breach", "status", "priority", "sla_breach_at", "id"),
        sa.Index("ix_conversations_status_priority_last", "status", "priority", "last_message_at", "id"),
    )


class Message(db.Model):
    """An inbound customer post, an outbound brand reply, or a private note."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(sa.ForeignKey("conversations.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("social_accounts.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(sa.String(16))
    external_id: Mapped[str | None] = mapped_column(sa.String(128))  # None for notes and unsent replies
    direction: Mapped[str] = mapped_column(sa.String(16))
    text: Mapped[str] = mapped_column(sa.Text, default="")
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    author_external_id: Mapped[str | None] = mapped_column(sa.String(128))
    author_handle: Mapped[str | None] = mapped_column(sa.String(120))
    author_name: Mapped[str | None] = mapped_column(sa.String(200))
    author_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    in_reply_to_external_id: Mapped[str | None] = mapped_column(sa.String(128))
    reply_to_message_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("messages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # on the platform
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # by Carebox
    # Outbound only.
    delivery_status: Mapped[str | None] = mapped_column(sa.String(16))
    delivery_error: Mapped[str | None] = mapped_column(sa.Text)
    delivery_error_code: Mapped[str | None] = mapped_column(sa.String(40))  # a REFUSALS code, when it is one
    delivery_attempts: Mapped[int] = mapped_column(default=0)
    sending_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a stale 'sending' becomes 'unknown'
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_native: Mapped[bool] = mapped_column(default=False)  # a brand reply made on the network, seen by the poller
    mentions: Mapped[list] = mapped_column(sa.JSON, default=list)  # user ids @mentioned in a note
    # A client-chosen key that makes "send this reply" safe to retry (Idempotency-Key header).
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(100))
    # Customer messages: the language the network gave or that ingest detected; None: not known.
    language: Mapped[str | None] = mapped_column(sa.String(8))
    # Outbound: how it goes out when not as a plain reply on its conversation's channel (vocabulary.SEND_AS).
    send_as: Mapped[str | None] = mapped_column(sa.String(24))
    # Public messages: the post or media they hang off (a Post's external_id; Instagram, Facebook).
    post_external_id: Mapped[str | None] = mapped_column(sa.String(128))
    # Triage of customer messages (app/triage): vocabulary.SENTIMENTS and INTENTS; None: not triaged.
    sentiment: Mapped[str | None] = mapped_column(sa.String(16))
    intent: Mapped[str | None] = mapped_column(sa.String(16))
    # Its state on the network (vocabulary.MODERATION_STATES) and whether the brand liked it (app/moderation).
    moderation: Mapped[str] = mapped_column(sa.String(16), default="visible", server_default="visible")
    liked: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # A network action a rule asked for (vocabulary.MODERATION_ACTIONS), done by the worker after the commit.
    moderation_pending: Mapped[str | None] = mapped_column(sa.String(16))
    # The network's refusal of the last moderation action (app.connectors.base.MODERATION_REFUSALS), if any.
    moderation_error_code: Mapped[str | None] = mapped_column(sa.String(40))
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Outbound: the rule whose automatic first answer this is (shown as automatic in the thread).
    automatic_rule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rules.id", ondelete="SET NULL"))

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
    author_user = relationship("User")

    __table_args__ = (
        sa.UniqueConstraint("network", "external_id"),
        sa.CheckConstraint(f"direction IN {DIRECTIONS}", name="direction"),
        sa.CheckConstraint(f"moderation IN {MODERATION_STATES}", name="moderation"),
        sa.Index("ix_messages_conversation", "conversation_id", "id"),
        # Replies only (inbound messages and notes have no delivery status): migration 0002.
        sa.Index("ix_messages_delivery", "delivery_status", "id",
                 sqlite_where=sa.text("delivery_status IS NOT NULL"),
                 postgresql_where=sa.text("delivery_status IS NOT NULL")),
        sa.Index("uq_messages_idempotency", "conversation_id", "idempotency_key", unique=True,
                 sqlite_where=sa.text("idempotency_key IS NOT NULL"),
                 postgresql_where=sa.text("idempotency_key IS NOT NULL")),
        # What the worker's moderation job picks up (rules' "hide" action): migration 0010.
        sa.Index("ix_messages_moderation_pending", "id",
                 sqlite_where=sa.text("moderation_pending IS NOT NULL"),
                 postgresql_where=sa.text("moderation_pending IS NOT NULL")),
        # Dry runs and spike alerts read an account's recent customer messages.
        sa.Index("ix_messages_account_created", "account_id", "created_at"),
    )


class Post(db.Model):
    """A post or media public threads hang off (an Instagram media, a Facebook post): its caption, link and
    picture, shown as context above the thread. The brand's own, or someone else's that mentions the brand."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("social_accounts.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(sa.String(16))
    external_id: Mapped[str] = mapped_column(sa.String(128))
    caption: Mapped[str | None] = mapped_column(sa.Text)
    permalink: Mapped[str | None] = mapped_column(sa.String(500))
    thumbnail_url: Mapped[str | None] = mapped_column(sa.String(1000))
    media_type: Mapped[str | None] = mapped_column(sa.String(24))  # vocabulary.MEDIA_TYPES
    product_type: Mapped[str | None] = mapped_column(sa.String(16))  # vocabulary.MEDIA_PRODUCT_TYPES
    owner_handle: Mapped[str | None] = mapped_column(sa.String(120))
    owned: Mapped[bool] = mapped_column(default=True)  # False: someone else's, that mentions the brand
    comments_count: Mapped[int | None]
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (sa.UniqueConstraint("network", "external_id"),)


class PushFollowup(db.Model):
    """A read a push receiver left to do: a webhook that carries only ids (an Instagram mention, a comment on a
    media Carebox has no details of). Done at once after the push's commit, else by the next poll; the row
    goes when its items are stored (app/push/followups.py)."""

    __tablename__ = "push_followups"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("social_accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(24))  # vocabulary.FOLLOWUP_KINDS
    external_id: Mapped[str] = mapped_column(sa.String(128))  # the comment or media to read
    media_id: Mapped[str | None] = mapped_column(sa.String(128))  # the media a mentioned comment is on
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("account_id", "kind", "external_id"),
        sa.CheckConstraint(f"kind IN {FOLLOWUP_KINDS}", name="kind"),
        sa.Index("ix_push_followups_due", "account_id", "next_attempt_at"),
    )
