"""Request and response models of the REST API (shapes fixed by docs/design.md; fields may be added)."""
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl, field_validator

from app.shapes import (  # noqa: F401  (the shared shapes, re-exported for the API's modules)
    AccountHealthOut,
    AccountOut,
    Channel,
    ContactOut,
    ConversationOut,
    MessageAuthorOut,
    MessageOut,
    Network,
    NotificationOut,
    PostOut,
    Priority,
    SlaOut,
    SlaPolicyRefOut,
    SlaState,
    Status,
    UserRefOut,
)

# Row ids as the database can hold them: a larger number is a validation error, not a driver error.
DbId = Annotated[int, Field(ge=1, le=2**31 - 1)]


def _no_nul(value):
    """PostgreSQL text cannot hold NUL characters: refuse them here (422), not in the database (500)."""
    texts = value if isinstance(value, list) else [value]
    if any(isinstance(t, str) and "\x00" in t for t in texts):
        raise ValueError("must not contain NUL characters")
    return value


class Strict(BaseModel):
    """A request body: unknown fields and NUL characters are refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    _text_ok = field_validator("*")(_no_nul)


class Query(BaseModel):
    """Query parameters: unknown ones are ignored, NUL characters refused."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    _text_ok = field_validator("*")(_no_nul)


# --- errors -------------------------------------------------------------------------------

class ErrorDetail(BaseModel):
    code: str
    message: str
    details: list[dict] | None = None


class ErrorOut(BaseModel):
    error: ErrorDetail


# --- shapes only the REST API returns ----------------------------------------------------

class AccountRefOut(BaseModel):
    id: int
    name: str
    network: Network
    handle: str | None


class HistoryItemOut(BaseModel):
    id: int
    account_id: int
    status: Status
    is_spam: bool
    created_at: datetime
    resolved_at: datetime | None
    message_count: int
    snippet: str
    outcome: Literal["open", "answered", "unanswered", "spam"]


class ReplyLimitOut(BaseModel):
    network: Network
    max: int | None
    counting: Literal["weighted", "characters"]


class ReplyWindowOut(BaseModel):
    state: Literal["open", "human_agent", "closed", "none"] = Field(
        description="open: a standard answer; human_agent: only tagged HUMAN_AGENT (sent so automatically); "
                    "closed: nothing until the customer writes again; none: the network has no window.")
    closes_at: datetime | None = Field(description="The end of the standard (24-hour) window.")
    human_agent_until: datetime | None = Field(description="The end of the HUMAN_AGENT window, when the account has it.")


MoveRefusal = Literal["already_moved", "not_public", "no_customer_message", "private_reply_window_closed",
                      "live_ended", "already_replied_privately", "network_has_no_dms"]


class CanMoveToPrivateOut(BaseModel):
    allowed: bool
    reason: MoveRefusal | None = Field(description="Why it cannot move now (the code POST move-to-private answers).")
    via: Literal["private_reply", "dm_link"] | None = Field(
        description="private_reply: a Facebook or Instagram Private Reply to the latest comment; dm_link: an X public reply "
                    "with a DM deep link, and the first DM.")


class ConversationDetailOut(ConversationOut):
    messages: list[MessageOut]
    account: AccountRefOut
    history: list[HistoryItemOut]
    reply_limit: ReplyLimitOut
    reply_window: ReplyWindowOut | None = Field(description="Private conversations: when they can be answered.")
    can_move_to_private: CanMoveToPrivateOut
    related: list[ConversationOut] = Field(
        description="The customer's other conversations on this account (public and private), newest first.")
    posts: dict[str, PostOut] = Field(
        default_factory=dict, description="The posts and media the messages hang off, by external id (the "
                                          "messages' `post_external_id`): their context cards.")


class ConversationListOut(BaseModel):
    items: list[ConversationOut]
    next_cursor: str | None


class AccountListOut(BaseModel):
    items: list[AccountOut]
    next_cursor: str | None = None


# --- inbound messages (custom channel) ----------------------------------------------------

class AuthorIn(Strict):
    external_id: str = Field(min_length=1, max_length=128)
    handle: str | None = Field(default=None, max_length=120)
    name: str | None = Field(default=None, max_length=200)
    followers_count: int | None = Field(default=None, ge=0)
    profile_url: HttpUrl | None = None


class MessageIn(Strict):
    account_id: DbId
    external_id: str = Field(min_length=1, max_length=128)
    text: str = Field(min_length=1, max_length=20000)
    created_at: AwareDatetime | None = Field(default=None, description="Platform time with a time zone; defaults to receipt time.")
    author: AuthorIn
    in_reply_to: str | None = Field(default=None, max_length=128, description="External id of the message this one answers.")


class MessageCreatedOut(MessageOut):
    conversation_id: int


# --- conversations ------------------------------------------------------------------------

class ConversationQuery(Query):
    status: Status | None = None
    assignee: str | None = Field(default=None, pattern=r"^(me|none|all|\d+)$", description="me, none, all or a user id")
    sla: Literal["ok", "warning", "breached", "paused", "stopped"] | None = None
    account: DbId | None = None
    network: Network | None = None
    channel: Channel | None = None
    language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}$",
                                 description="The conversation's language (ISO 639-1, e.g. en, ru, be, ar)")
    tag: str | None = Field(default=None, max_length=64)
    team: str | None = Field(default=None, pattern=r"^(none|\d{1,18})$",
                             description="A team id, or none for unrouted conversations")
    q: str | None = Field(default=None, max_length=200, description="Text search in messages and customer names")
    sort: Literal["sla", "newest", "oldest"] = "sla"
    cursor: str | None = Field(default=None, max_length=500)
    limit: int = Field(default=50, ge=1, le=200)


class CountsOut(BaseModel):
    status: dict[str, int]
    assignee: dict[str, int]
    sla: dict[str, int]
    channel: dict[str, int]


class ConversationPatchIn(Strict):
    status: Status | None = None
    priority: Priority | None = None
    tags: list[str] | None = Field(default=None, max_length=20)
    assignee_id: DbId | None = Field(default=None, description="A user id; null unassigns.")
    is_spam: bool | None = None
    team_id: DbId | None = Field(default=None, description="Move it to another team (managers); null: unrouted.")


class BulkIn(Strict):
    ids: list[DbId] = Field(min_length=1, max_length=500)
    action: Literal["assign", "unassign", "tag", "untag", "resolve", "reopen", "spam", "priority"]
    value: str | int | None = Field(default=None, description="assign: user id or 'me'; tag/untag: the tag; priority.")


class BulkErrorOut(BaseModel):
    id: int
    message: str


class BulkOut(BaseModel):
    updated: list[int]
    errors: list[BulkErrorOut]


class ReplyIn(Strict):
    text: str = Field(min_length=1, max_length=20000)
    in_reply_to_message_id: DbId | None = Field(default=None, description="Default: the customer's latest message.")
    last_seen_message_id: DbId | None = Field(
        default=None, description="The newest message the agent saw; 409 when anything newer arrived since.")


class ConflictOut(ErrorOut):
    newer_messages: list[MessageOut] = []


class MoveToPrivateIn(Strict):
    text: str | None = Field(default=None, max_length=20000, description=(
        "The first private message (default: a translated greeting that says the conversation moved). On X the "
        "public reply is this text and the DM deep link."))
    last_seen_message_id: DbId | None = Field(
        default=None, description="The newest message the agent saw; 409 when anything newer arrived since.")


class MoveToPrivateOut(BaseModel):
    conversation: ConversationDetailOut = Field(description="The private conversation.")
    public: ConversationOut = Field(description="The public conversation, with its moved_to_id.")
    messages: list[MessageOut] = Field(description="The outbound messages the move queued, public and private.")


class NoteIn(Strict):
    text: str = Field(min_length=1, max_length=20000)
    mentions: list[DbId] = Field(default_factory=list, max_length=50)


# --- team, me, notifications, settings ---------------------------------------------------

TeamMemberOut = UserRefOut


class TeamOut(BaseModel):
    items: list[TeamMemberOut]


class MeOut(TeamMemberOut):
    email: str
    locale: str | None = Field(description="My language (en, ru, be, ar); null: the browser's language")
    timezone: str | None = Field(description="My IANA time zone; null: the workspace's default")


class MePatchIn(Strict):
    is_available: bool | None = None
    name: str | None = Field(default=None, min_length=1, max_length=120)
    locale: str | None = Field(default=None, max_length=8, description="null: the browser's language")
    timezone: str | None = Field(default=None, max_length=64, description="null: the workspace's default")


class NotificationListOut(BaseModel):
    items: list[NotificationOut]
    unread: int


class NotificationQuery(Query):
    unread: bool = False
    limit: int = Field(default=50, ge=1, le=200)


class NotificationReadIn(Strict):
    ids: list[DbId] = Field(default_factory=list, max_length=500, description="Empty: mark all as read.")


class AutoAssignIO(Strict):
    mode: Literal["off", "round_robin", "least_loaded"]


# --- canned responses ----------------------------------------------------------------------

CANNED_LANGUAGE = "The language it is written in (en, ru, be or ar); null: any conversation."


class CannedIn(Strict):
    title: str = Field(min_length=1, max_length=120)
    shortcut: str = Field(min_length=1, max_length=32, pattern=r"^[\w-]+$")
    text: str = Field(min_length=1, max_length=8000)
    language: str | None = Field(default=None, max_length=16, description=CANNED_LANGUAGE)


class CannedPatchIn(Strict):
    title: str | None = Field(default=None, min_length=1, max_length=120)
    shortcut: str | None = Field(default=None, min_length=1, max_length=32, pattern=r"^[\w-]+$")
    text: str | None = Field(default=None, min_length=1, max_length=8000)
    language: str | None = Field(default=None, max_length=16,
                                 description=CANNED_LANGUAGE + " Leave it out to keep the language.")


class CannedOut(BaseModel):
    id: int
    title: str
    shortcut: str
    text: str
    language: str | None = Field(default=None, description=CANNED_LANGUAGE)


class CannedListOut(BaseModel):
    items: list[CannedOut]


class CannedQuery(Query):
    language: str | None = Field(
        default=None, pattern=r"^[a-z]{2,3}$",
        description="Order for a conversation in this language: its canned responses first, then those of no "
                    "language, then the others (each group by title).")
