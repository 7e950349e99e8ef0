"""Request and response shapes of the moderation routes (app/api/moderation.py)."""
from typing import Literal

from pydantic import BaseModel, Field

from app.api.schemas import DbId, ErrorDetail, MessageOut, Strict
from app.vocabulary import MODERATION_ACTIONS

MAX_BULK = 100  # app.moderation.MAX_BULK


class ModeratedOut(BaseModel):
    message: MessageOut


class RefusedOut(BaseModel):
    """A refusal by the network (code refused_by_network), or an action that makes no sense for the message
    (code cannot_moderate): `reason` is the refusal, one of not_hideable, not_supported, object_missing,
    not_permitted (null when the network gave none Carebox knows)."""

    error: ErrorDetail
    reason: str | None = None


class UnavailableOut(BaseModel):
    """The network is down, rate limited, or refuses the account's credentials: nothing changed."""

    error: ErrorDetail
    retry_at: str | None = Field(default=None, description="After a rate limit: when the network's budget resets.")


class BulkModerationIn(Strict):
    action: Literal[MODERATION_ACTIONS]
    message_ids: list[DbId] = Field(min_length=1, max_length=MAX_BULK)


class BulkModerationResultOut(BaseModel):
    id: int
    ok: bool
    message: MessageOut | None = Field(default=None, description="On success: the message as it now is.")
    reason: str | None = Field(default=None, description="On failure: the network's refusal (not_hideable, "
                               "not_supported, object_missing, not_permitted) or the error's code (not_found, "
                               "message_deleted, unavailable, rate_limited…).")
    error: str | None = Field(default=None, description="On failure: what went wrong, in the caller's language.")


class BulkModerationOut(BaseModel):
    results: list[BulkModerationResultOut]
