"""Request and response models of the integration endpoints: tokens, users, contacts, webhooks.

The payloads of webhook events are declared in the event catalogue (app/events/catalogue.py).
"""
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.api.schemas import ContactOut, ConversationOut, Network, Query, Strict
from app.events.catalogue import WEBHOOK_TYPES
from app.passwords import MAX_LENGTH as MAX_PASSWORD_LENGTH
from app.passwords import MIN_LENGTH as MIN_PASSWORD_LENGTH

Scope = Literal["read", "write", "admin"]
Role = Literal["agent", "manager", "admin"]
EventType = Literal[tuple(WEBHOOK_TYPES)]
IdCursor = Field(default=None, pattern=r"^\d{1,18}$", description="next_cursor of the previous page")


class PageQuery(Query):
    cursor: str | None = IdCursor
    limit: int = Field(default=50, ge=1, le=200)


# --- API tokens ---------------------------------------------------------------------------

class TokenIn(Strict):
    name: str = Field(min_length=1, max_length=120, description="What the token is for, e.g. 'CRM sync'.")
    scopes: list[Scope] = Field(default_factory=lambda: ["read", "write"], min_length=1, max_length=3)
    user_id: int | None = Field(default=None, ge=1, description="Whom the token acts as; default: you.")


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str = Field(description="The token's first characters, to recognise it.")
    scopes: list[Scope]
    user_id: int
    user_email: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The bearer token. Shown once: only its hash is stored.")


class TokenListOut(BaseModel):
    items: list[TokenOut]
    next_cursor: str | None = None


# --- users --------------------------------------------------------------------------------

class UserOut(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    is_active: bool
    is_available: bool
    created_at: datetime
    last_login_at: datetime | None


class UserCreatedOut(UserOut):
    password: str | None = Field(description="The generated password when none was given; shown once.")


class UserListOut(BaseModel):
    items: list[UserOut]
    next_cursor: str | None = None


class UserQuery(Query):
    role: Role | None = None
    active: bool | None = None


class UserIn(Strict):
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    name: str | None = Field(default=None, min_length=1, max_length=120)
    role: Role = "agent"
    password: str | None = Field(default=None, max_length=512, description=(
        f"{MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters, and hard to guess (zxcvbn score 3 or more, "
        "not close to the e-mail or name); 422 says why otherwise. Default: a generated one, returned once."))


class UserPasswordIn(Strict):
    password: str | None = Field(default=None, max_length=512, description=(
        "The new password (the same rule as creating a user). Default: a generated one, returned once."))


class UserPatchIn(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    role: Role | None = None
    is_active: bool | None = Field(default=None, description="false deactivates: no sign-in, tokens stop working.")


# --- contacts -----------------------------------------------------------------------------

class ContactQuery(PageQuery):
    q: str | None = Field(default=None, max_length=200, description="Search handles and names")
    network: Network | None = None


class ContactSummaryOut(ContactOut):
    network: Network
    created_at: datetime


class ContactListOut(BaseModel):
    items: list[ContactSummaryOut]
    next_cursor: str | None


class ContactDetailOut(ContactSummaryOut):
    conversations: list[ConversationOut]


# --- webhooks -----------------------------------------------------------------------------

class WebhookIn(Strict):
    url: str = Field(min_length=1, max_length=2000, description="http(s) URL on a public address")
    events: list[EventType] | None = Field(default=None, description="Event types to receive; empty or absent: all.")
    description: str | None = Field(default=None, max_length=200)
    enabled: bool = True


class WebhookPatchIn(Strict):
    url: str | None = Field(default=None, min_length=1, max_length=2000)
    events: list[EventType] | None = None
    description: str | None = Field(default=None, max_length=200)
    enabled: bool | None = None


class WebhookOut(BaseModel):
    id: int
    url: str
    description: str
    events: list[str]
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    paused_until: datetime | None
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="whsec_… signing secret. Shown once.")


class WebhookListOut(BaseModel):
    items: list[WebhookOut]
    next_cursor: str | None = None


class RotateIn(Strict):
    grace_seconds: int = Field(default=86400, ge=0, le=7 * 86400,
                               description="How long the old secret keeps signing beside the new one.")


class RotateOut(BaseModel):
    secret: str
    previous_secret_expires_at: datetime | None


class AttemptOut(BaseModel):
    attempt: int
    started_at: datetime
    duration_ms: int | None
    status_code: int | None
    response_excerpt: str | None
    error: str | None
    probe: bool = Field(description="Made before the delivery's retry slot, probing its unavailable endpoint (or "
                                    "draining after it came back); had it failed, it did not count as a retry.")


class DeliveryOut(BaseModel):
    id: int
    endpoint_id: int
    message_id: str = Field(description="The webhook-id header; the same on every retry.")
    event_type: str
    status: Literal["pending", "delivered", "failed", "cancelled"]
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[AttemptOut]


class DeliveryDetailOut(DeliveryOut):
    payload: dict[str, Any] = Field(description="The body that is signed and sent.")


class DeliveryListOut(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None


class DeliveryQuery(PageQuery):
    status: Literal["pending", "delivered", "failed", "cancelled"] | None = None
    event_type: str | None = Field(default=None, max_length=64)


class EventTypeOut(BaseModel):
    type: str
    description: str


class EventTypeListOut(BaseModel):
    items: list[EventTypeOut]
