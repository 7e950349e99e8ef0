"""The JSON shapes of docs/design.md ("Shapes to keep"), as pydantic models: what app/serialize.py builds.

The REST API's responses (app/api/schemas.py), the Socket.IO events and the webhooks (app/events/catalogue.py)
all carry these; fields may be added, never renamed.
"""
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.vocabulary import (
    CHANNELS, DELIVERY_STATES, DIRECTIONS, INTENTS, MODERATION_STATES, NETWORKS, PRIORITIES, PRIORITY_REASONS, SEND_AS,
    SENTIMENTS, SLA_LEVELS, SLA_STATES, STATUSES,
)

Network = Literal[NETWORKS]
Channel = Literal[CHANNELS]
SendAs = Literal[SEND_AS]
Status = Literal[STATUSES]
Priority = Literal[PRIORITIES]
SlaState = Literal[SLA_STATES]
SlaLevel = Literal[SLA_LEVELS]
Direction = Literal[DIRECTIONS]
DeliveryStatus = Literal[DELIVERY_STATES]
Sentiment = Literal[SENTIMENTS]
Intent = Literal[INTENTS]
ModerationState = Literal[MODERATION_STATES]
PriorityReason = Literal[PRIORITY_REASONS]


class ContactOut(BaseModel):
    id: int
    external_id: str
    handle: str | None
    name: str | None
    followers_count: int | None = None
    profile_url: str | None = None
    accepts_dms: bool | None = Field(
        default=None, description="X: whether the customer accepts direct messages from the brand "
                                  "(receives_your_dm); null when the network has not said.")
    tags: list[str] = Field(default=[], description="Labels managers gave the customer (rules can match them).")


class SlaPolicyRefOut(BaseModel):
    id: int | None
    name: str
    warn_minutes: int
    breach_minutes: int
    business_hours: bool = Field(default=False, description="Whether the clock runs only in business hours.")
    timezone: str | None = None


class SlaOut(BaseModel):
    state: SlaState
    started_at: datetime | None
    warn_at: datetime | None
    breach_at: datetime | None
    level: SlaLevel | None = Field(
        default=None, description="How far the clock has run by its due times (kept while paused).")
    paused: bool = False
    paused_reason: Literal["outside_business_hours", "holiday"] | None = None
    resumes_at: datetime | None = None
    pauses_at: datetime | None = Field(default=None, description="When a running clock next pauses (business hours).")
    policy: SlaPolicyRefOut | None = None


class MessageAuthorOut(BaseModel):
    external_id: str | None
    handle: str | None
    name: str | None
    user_id: int | None = None


class PostOut(BaseModel):
    """A post or media public messages hang off: the context card above its run of messages."""

    external_id: str
    caption: str | None
    permalink: str | None
    thumbnail_url: str | None
    media_type: str | None = Field(description="IMAGE, VIDEO or CAROUSEL_ALBUM (Instagram); null when not known.")
    product_type: str | None = Field(description="FEED, REELS, STORY, AD or LIVE (Instagram); null when not known.")
    owner_handle: str | None = Field(description="Who published it.")
    owned: bool = Field(description="The brand's own; false: someone else's, read because it mentions the brand.")
    posted_at: datetime | None


class MessageOut(BaseModel):
    id: int
    conversation_id: int
    direction: Direction
    external_id: str | None
    text: str
    author: MessageAuthorOut
    in_reply_to: str | None = None
    created_at: datetime
    received_at: datetime
    delivery_status: DeliveryStatus | None
    delivery_error: str | None = None
    delivery_error_code: str | None = Field(
        default=None, description="Why the network refused it, when Carebox knows the refusal. Direct "
                                  "messages: recipient_refuses_dms, outside_window, already_replied_privately, "
                                  "cannot_reply_privately. Public replies (Instagram): comment_hidden, "
                                  "comment_deleted, live_comment, comments_disabled.")
    is_native: bool = False
    mentions: list[int] = []
    language: str | None = Field(
        default=None, description="Customer messages: the language the network gave or Carebox detected "
                                  "(ISO 639-1: en, ru, be, uk, ar); null when not known.")
    send_as: SendAs | None = Field(
        default=None, description="Outbound: `private_reply` (a Facebook or Instagram Private Reply to the comment in "
                                  "`in_reply_to`, the move to DM) or `human_agent` (a Messenger message tagged "
                                  "HUMAN_AGENT, past the 24-hour window); null for a plain reply.")
    post_external_id: str | None = Field(
        default=None, description="Public messages: the post or media it hangs off (a key of the conversation "
                                  "detail's `posts`); null when none or not known.")
    sentiment: Sentiment | None = Field(default=None, description="Customer messages: triage's reading; null when not triaged.")
    intent: Intent | None = Field(default=None, description="Customer messages: complaint, question, praise, spam or "
                                                            "other; null when not triaged.")
    moderation: ModerationState = Field(default="visible", description="Its state on the network: visible, hidden "
                                                                       "(by the brand) or deleted.")
    liked: bool = Field(default=False, description="The brand liked it on the network.")
    moderation_error_code: str | None = Field(
        default=None, description="Why the network refused the last moderation action: not_hideable, "
                                  "not_supported, object_missing, not_permitted.")
    automatic_rule_id: int | None = Field(
        default=None, description="Outbound: the rule whose automatic first answer this is; null when a person wrote it.")


class ConversationOut(BaseModel):
    id: int
    status: Status
    account_id: int
    network: Network
    channel: Channel = "public"
    contact: ContactOut
    assignee_id: int | None
    priority: Priority
    tags: list[str]
    is_spam: bool = False
    snippet: str = ""
    message_count: int = 0
    sla: SlaOut
    last_message_at: datetime | None
    last_inbound_at: datetime | None = None
    language: str | None = Field(
        default=None, description="The language of the latest customer message that had one (ISO 639-1: en, "
                                  "ru, be, uk, ar); null when not known.")
    created_at: datetime | None = None
    updated_at: datetime | None = None
    moved_to_id: int | None = Field(
        default=None, description="A public conversation that moved to DM: the customer's private conversation.")
    team_id: int | None = Field(default=None, description="The team that owns it; null: unrouted, every agent sees it.")
    priority_reasons: list[PriorityReason] = Field(
        default=[], description="Why it ranks high: followers (reach), negative (mood), complaint, vip, rule, manual.")
    sla_exempt: bool = Field(default=False, description="A rule took it out of SLA (spam): no clock runs.")


class CallBudgetOut(BaseModel):
    kind: Literal["business_use_case"] = Field(description="Which documented budget this is.")
    calls_per_impression: int = Field(description="Calls allowed per impression of the account's content.")
    window_hours: int = Field(description="The rolling window the calls are counted over.")


class AccountHealthOut(BaseModel):
    state: str
    last_poll_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    consecutive_failures: int
    rate_limit_limit: int | None
    rate_limit_remaining: int | None
    rate_limit_reset_at: datetime | None
    rate_limits: dict[str, dict] = Field(
        default_factory=dict, description="Each endpoint's budget as the network's headers last said, by name "
                                          "(mentions, tweets, dm_lookup, dm_send, conversations, send_api, "
                                          "instagram: the Business Use Case usage): {limit, remaining, reset_at}.")
    poll_lag_seconds: float | None
    next_poll_at: datetime | None
    budget: CallBudgetOut | None = Field(
        default=None, description="The network's documented per-account call budget, as data for pages to "
                                  "word (Instagram: Business Use Case, calls within 24 hours = 4800 x the "
                                  "account's impressions); null when the network documents none.")



class AccountOut(BaseModel):
    id: int
    network: Network
    name: str
    external_id: str | None
    handle: str | None
    api_base_url: str | None
    enabled: bool
    human_agent_enabled: bool = Field(
        default=False, description="Facebook and Instagram: the app has the human-agent permission, so agents may "
                                   "answer up to 7 days after the customer's last message (tagged HUMAN_AGENT).")
    health: AccountHealthOut



class AlertOut(BaseModel):
    """A spike on one account (app/alerts): raised once, ended when the spike is over."""

    id: int
    account_id: int
    kind: Literal["volume", "negative_share"] = Field(
        description="volume: inbound messages; negative_share: the share of negative ones.")
    state: Literal["open", "ended"]
    observed: float = Field(description="The last 15 minutes: a message count, or a share from 0 to 1.")
    baseline: float = Field(description="The same 15 minutes of the day, on the last 7 days (their mean).")
    window_start: datetime
    window_end: datetime
    created_at: datetime
    ended_at: datetime | None


class UserRefOut(BaseModel):
    """A staff member as colleagues see them."""

    id: int
    name: str
    role: Literal["agent", "manager", "admin"]
    is_available: bool


class NotificationOut(BaseModel):
    id: int
    kind: str
    text: str
    conversation_id: int | None
    message_id: int | None
    created_at: datetime
    read_at: datetime | None


class SlaClockOut(BaseModel):
    """One stored clock (sla.changed events, the clocks export)."""

    model_config = {"extra": "allow"}
    id: int
    conversation_id: int
    account_id: int
    policy_id: int | None
    kind: Literal["first", "next"]
    state: SlaLevel
    started_at: datetime
    warn_at: datetime
    breach_at: datetime
    warned_at: datetime | None
    breached_at: datetime | None
    stopped_at: datetime | None
    stop_reason: str | None
    answered_by_user_id: int | None
