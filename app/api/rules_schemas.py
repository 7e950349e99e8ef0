"""Request and response models of the rules API (app/api/rules.py): every condition and action type, documented.

The service checks definitions again (app/rules/definition.py: what the browser pages send goes through the
same check), so these models say what is accepted and the service says why something is not.
"""
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.api.schemas import DbId, Network, Priority, Strict
from app.shapes import Channel

Ids = Annotated[list[DbId], Field(min_length=1, max_length=200)]
Texts = Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(min_length=1, max_length=200)]
Sentiment = Literal["negative", "neutral", "positive"]
Intent = Literal["complaint", "question", "praise", "spam", "other"]
NOT_HELP = "true: the rule matches when this condition does NOT hold."


class _Condition(Strict):
    not_: bool = Field(default=False, alias="not", description=NOT_HELP)


class NetworkCondition(_Condition):
    """The message came from one of these networks."""
    type: Literal["network"]
    networks: Annotated[list[Network], Field(min_length=1, max_length=4)]


class AccountCondition(_Condition):
    """The message came to one of these accounts."""
    type: Literal["account"]
    account_ids: Ids


class ChannelCondition(_Condition):
    """Public (mentions, comments) or private (direct messages)."""
    type: Literal["channel"]
    channel: Channel


class KeywordsCondition(_Condition):
    """Any of these words, as whole words, whatever their case and accents."""
    type: Literal["keywords"]
    keywords: Texts


class PhraseCondition(_Condition):
    """This phrase anywhere in the text, whatever its case and accents."""
    type: Literal["phrase"]
    phrase: str = Field(min_length=1, max_length=200)


class RegexCondition(_Condition):
    """A regular expression (case-insensitive) found in the text. Nested repetition and back-references are
    refused; a pattern that takes too long on a message does not match it."""
    type: Literal["regex"]
    pattern: str = Field(min_length=1, max_length=300)


class LanguageCondition(_Condition):
    """The message's language (ISO 639-1: en, ru, be, ar, …) is one of these."""
    type: Literal["language"]
    languages: Annotated[list[Annotated[str, Field(min_length=2, max_length=8)]], Field(min_length=1, max_length=50)]


class HasLinkCondition(_Condition):
    """The text has a link."""
    type: Literal["has_link"]


class OnlyEmojiCondition(_Condition):
    """The text is only emoji."""
    type: Literal["only_emoji"]


class OnlyMentionCondition(_Condition):
    """The text is only @mentions."""
    type: Literal["only_mention"]


class FollowersCondition(_Condition):
    """The customer's follower count is within these bounds (a customer of unknown count never matches)."""
    type: Literal["followers"]
    min: int | None = Field(default=None, ge=0, le=10**12)
    max: int | None = Field(default=None, ge=0, le=10**12)


class VipCondition(_Condition):
    """The customer is a VIP: their handle or network id is in `handles`, or their contact has the tag "vip"."""
    type: Literal["vip"]
    handles: Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=200)] = []


class ContactTagsCondition(_Condition):
    """The customer's contact has any of these tags."""
    type: Literal["contact_tags"]
    tags: Texts


class SentimentCondition(_Condition):
    """Triage found one of these sentiments."""
    type: Literal["sentiment"]
    sentiments: Annotated[list[Sentiment], Field(min_length=1, max_length=3)]


class IntentCondition(_Condition):
    """Triage found one of these intents."""
    type: Literal["intent"]
    intents: Annotated[list[Intent], Field(min_length=1, max_length=5)]


class BusinessHoursCondition(_Condition):
    """Posted in ("in") or outside ("out") the business hours of the conversation's SLA policy (a policy without
    business hours: always in)."""
    type: Literal["business_hours"]
    when: Literal["in", "out"] = "in"


Condition = Annotated[NetworkCondition | AccountCondition | ChannelCondition | KeywordsCondition | PhraseCondition | RegexCondition | LanguageCondition | HasLinkCondition | OnlyEmojiCondition | OnlyMentionCondition | FollowersCondition | VipCondition | ContactTagsCondition | SentimentCondition | IntentCondition | BusinessHoursCondition, Field(discriminator="type")]


class TagAction(Strict):
    """Add these tags to the conversation."""
    type: Literal["tag"]
    tags: Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(min_length=1, max_length=20)]


class SetPriorityAction(Strict):
    """Set the conversation's priority (its reasons get "rule")."""
    type: Literal["set_priority"]
    priority: Priority


class AssignTeamAction(Strict):
    """Route the conversation to this team."""
    type: Literal["assign_team"]
    team_id: DbId


class AssignAgentAction(Strict):
    """Assign the conversation to this agent."""
    type: Literal["assign_agent"]
    user_id: DbId


class ApplySlaPolicyAction(Strict):
    """The conversation follows this SLA policy instead of its account's: its clock moves to it."""
    type: Literal["apply_sla_policy"]
    policy_id: DbId


class ExcludeFromSlaAction(Strict):
    """Take the conversation out of SLA: no clock runs, reports leave it out."""
    type: Literal["exclude_from_sla"]


class HideAction(Strict):
    """Hide the message on the network (public messages on X, Facebook, Instagram), right after it is stored."""
    type: Literal["hide"]


class MarkSpamAction(Strict):
    """Mark the conversation as spam (and out of SLA)."""
    type: Literal["mark_spam"]


class NotifyAction(Strict):
    """Notify these users and/or the members of this team."""
    type: Literal["notify"]
    user_ids: Annotated[list[DbId], Field(max_length=200)] = []
    team_id: DbId | None = None


class AutoReplyAction(Strict):
    """An automatic first answer from a canned response (in the customer's language when one of the same shortcut
    exists in it), marked automatic in the thread; at most once per customer per `period_hours`; never to spam."""
    type: Literal["auto_reply"]
    canned_id: DbId
    period_hours: int = Field(default=24, ge=1, le=24 * 90)


Action = Annotated[TagAction | SetPriorityAction | AssignTeamAction | AssignAgentAction | ApplySlaPolicyAction | ExcludeFromSlaAction | HideAction | MarkSpamAction | NotifyAction | AutoReplyAction, Field(discriminator="type")]


class DefinitionIn(Strict):
    """An unsaved rule, for a dry run."""
    conditions: Annotated[list[Condition], Field(max_length=20)] = []
    actions: Annotated[list[Action], Field(min_length=1, max_length=20)]


class RuleIn(DefinitionIn):
    name: str = Field(min_length=1, max_length=120)
    enabled: bool = Field(default=False, description="A new rule is off unless switched on.")
    stop: bool = Field(default=False, description="When it matches, later rules do not run for that message.")


class RulePatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    enabled: bool | None = None
    stop: bool | None = None
    conditions: Annotated[list[Condition], Field(max_length=20)] | None = None
    actions: Annotated[list[Action], Field(min_length=1, max_length=20)] | None = None


class RuleOrderIn(Strict):
    ids: Annotated[list[DbId], Field(min_length=1, max_length=1000, description="Every rule's id, in the new order.")]


class DryRunIn(Strict):
    days: int = Field(default=7, ge=1, le=7, description="How many days back to look.")


class DefinitionDryRunIn(DefinitionIn):
    days: int = Field(default=7, ge=1, le=7)


class RuleOut(BaseModel):
    id: int
    name: str
    position: int
    enabled: bool
    stop: bool
    conditions: list[dict]
    actions: list[dict]
    hit_count: int
    last_hit_at: datetime | None
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime


class RuleBody(BaseModel):
    rule: RuleOut


class RuleListOut(BaseModel):
    items: list[RuleOut]


class DryRunItemOut(BaseModel):
    message_id: int
    conversation_id: int
    text: str
    created_at: datetime
    actions: list[dict]


class DryRunOut(BaseModel):
    rule_id: int | None
    since: datetime
    until: datetime
    scanned: int
    matched: int
    truncated: bool = Field(description="More messages matched than `items` lists.")
    items: list[DryRunItemOut]
