"""Staff users (agents, managers, admins), their signed-in browser sessions and their API tokens."""
import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

ROLES = ("agent", "manager", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}

TOKEN_SCOPES = ("read", "write", "admin")
TOKEN_PREFIX = "cbx_"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[str] = mapped_column(sa.String(16), default="agent")
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Agents who are "available" take part in auto-assignment.
    is_available: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The user's language and time zone; None follows the browser's Accept-Language and the workspace default.
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    timezone: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (sa.CheckConstraint(f"role IN {ROLES}", name="role"),)

    # The sign-in this request runs under (app/auth/sessions.py sets it): Flask-Login stores get_id() in the
    # session and remember cookies, so they carry that sign-in's token, never the user id, and die with its row.
    login_session = None
    login_session_token = None

    def get_id(self):
        return self.login_session_token

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    def has_role(self, role):
        """True when this user's role is `role` or above (admin > manager > agent)."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    def __repr__(self):
        return f"<User {self.email} {self.role}>"


class UserSession(db.Model):
    """One sign-in (a browser): the session cookie and the remember cookie carry its random token.

    Only the token's SHA-256 is stored. Deleting the row ends that sign-in wherever its cookies went
    (a copy of a logged-out cookie included); deleting a user's rows signs them out everywhere.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(200))

    user: Mapped[User] = relationship()


def hash_token(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored, the raw value is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(16))  # first characters, to recognise a token in lists
    scopes: Mapped[list] = mapped_column(sa.JSON, default=lambda: ["read", "write"])
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @classmethod
    def issue(cls, user, name, scopes=("read", "write")):
        """Create a token; returns (token_row, raw_value). The raw value is never stored."""
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls(user=user, name=name, token_hash=hash_token(raw), prefix=raw[:12], scopes=list(scopes))
        return token, raw

    def has_scope(self, scope):
        return scope in self.scopes or "admin" in self.scopes

    @property
    def is_active(self):
        return self.revoked_at is None and self.user.is_active
