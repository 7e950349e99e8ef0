"""Team-wide things: canned responses, notifications, and settings admins change at run time."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.batch_sql import prebuilt
from app.extensions import db
from app.models.base import BigId, UTCDateTime, utcnow


class CannedResponse(db.Model):
    """A saved reply; `text` may use {{contact.name}}, {{contact.handle}}, {{agent.name}}."""

    __tablename__ = "canned_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    shortcut: Mapped[str] = mapped_column(sa.String(32))
    text: Mapped[str] = mapped_column(sa.Text)
    # The language it is written in (app.i18n.LANGUAGES); None: any conversation.
    language: Mapped[str | None] = mapped_column(sa.String(8))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # One shortcut per language ("/thanks" in English and in Russian); app/canned.py also keeps them
    # unique whatever their case, and once among those of no language (NULLs are distinct here).
    __table_args__ = (sa.UniqueConstraint("shortcut", "language", name="uq_canned_responses_shortcut_language"),)


class Notification(db.Model):
    """Something one user should see: an @mention in a note, an assignment, a disabled webhook…"""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    text: Mapped[str] = mapped_column(sa.String(500), default="")
    conversation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("conversations.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("messages.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.Index("ix_notifications_user", "user_id", "read_at", "id"),)


class Setting(db.Model):
    """A run-time setting (e.g. "auto_assign": {"mode": "off" | "round_robin" | "least_loaded"})."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


@prebuilt
def _setting_value(_dialect):
    settings = Setting.__table__
    return sa.select(settings.c.value).where(settings.c.key == sa.bindparam("key"))


def setting_value(session, key):
    """A run-time setting's stored value, or None: a plain column read (ingest asks on every batch), through
    the session so it autoflushes."""
    return session.execute(_setting_value(session), {"key": key}).scalar()
