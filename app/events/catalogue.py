"""The event catalogue: every event Carebox publishes and every webhook type, declared once with its payload.

Socket.IO events (`EVENTS`) are what the one publisher (app/events/publisher.py) sends to the browsers'
rooms after a commit; `CLIENT_EVENTS` what browsers send. Webhook types (`WEBHOOK_TYPES`) are what integrators receive; each names the
event it comes from and which of that event's payloads become it. Publishing a name not declared here
fails, and with CAREBOX_CHECK_EVENT_PAYLOADS on (the test suite) every payload is checked against its
schema as it is published. The OpenAPI document's `webhooks` section is generated from WEBHOOK_TYPES.
"""
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.shapes import AccountOut, AlertOut, ConversationOut, MessageOut, NotificationOut, SlaClockOut, SlaLevel, UserRefOut

# Socket.IO rooms. Every signed-in staff member joins STAFF; managers and admins also join MANAGERS;
# each user their own USER room (notifications meant for one person); each team member their TEAM rooms.
# An event declared for STAFF that is about a conversation goes only to its viewers (conversation_rooms).
STAFF = "staff"
MANAGERS = "managers"
USER = "user:{user_id}"
TEAM = "team:{team_id}"


def team_room(team_id):
    return TEAM.format(team_id=team_id)


def conversation_rooms(team_id, *previous_team_ids):
    """The rooms of everyone who sees a conversation of `team_id` (None: unrouted, all staff), and of those
    who saw it in the teams it just left (so their lists drop it)."""
    if team_id is None or None in previous_team_ids:
        return [STAFF]
    teams = sorted({team_id, *previous_team_ids})
    return [team_room(t) for t in teams] + [MANAGERS]


class UndeclaredEvent(KeyError):
    """Something tried to publish an event the catalogue does not declare."""


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Change(BaseModel):
    from_: Any = Field(alias="from")
    to: Any


class ConversationData(Payload):
    conversation: ConversationOut


class ConversationUpdatedData(ConversationData):
    changes: dict[str, Change] = Field(description="Each changed field, from → to.")


class MessageData(Payload):
    conversation: ConversationOut
    message: MessageOut
    changes: dict[str, Change] | None = Field(
        default=None, description="Set on message.updated (and so on message.sent/failed of a Carebox reply): "
                                  "what changed, e.g. the delivery_status.")


class SlaChangedData(Payload):
    conversation: ConversationOut
    clock: SlaClockOut
    from_: SlaLevel = Field(alias="from")
    to: SlaLevel


class SlaRecomputedData(Payload):
    account_ids: list[int]
    clocks: int = Field(description="How many running clocks got new due times.")


class AccountData(Payload):
    account: AccountOut
    previous_health: str | None


class AlertData(Payload):
    alert: AlertOut
    account: AccountOut


class TeamData(Payload):
    user: UserRefOut


class PresenceData(Payload):
    conversation_id: int
    viewers: list[dict]
    typers: list[dict]


class ViewIn(BaseModel):
    conversation_id: int | None = None


class TypingIn(BaseModel):
    conversation_id: int
    typing: bool = False


class TestData(Payload):
    endpoint_id: int
    message: str


@dataclass(frozen=True)
class Event:
    name: str
    description: str
    data: type[BaseModel]
    room: str = STAFF  # who hears it on Socket.IO by default


@dataclass(frozen=True)
class WebhookType:
    name: str
    description: str
    data: type[BaseModel]
    sources: dict  # event name -> which of its payloads become this type: data -> bool


def _always(_data):
    return True


def _events(*declared):
    return {event.name: event for event in declared}


EVENTS = _events(
    Event("conversation.created", "A customer's first message opened a conversation.", ConversationData),
    Event("conversation.updated", "Status, priority, tags or assignee changed; `changes` says what.",
          ConversationUpdatedData),
    Event("message.created", "A message joined a conversation: the customer's, a native brand reply, a reply "
          "queued in Carebox or a note.", MessageData),
    Event("message.updated", "A message changed: the delivery state of a reply, or its moderation on the network "
          "(hidden, unhidden, deleted, liked); `changes` says what.", MessageData),
    Event("sla.changed", "A clock moved ok → warning → breached (once per move).", SlaChangedData),
    Event("sla.recomputed", "A policy change gave running clocks new due times.", SlaRecomputedData),
    Event("account.updated", "An account's poller health changed.", AccountData, room=MANAGERS),
    Event("account.unhealthy", "An account's poller keeps failing.", AccountData, room=MANAGERS),
    Event("account.recovered", "An unhealthy account polls successfully again.", AccountData, room=MANAGERS),
    Event("team.updated", "A colleague's name or availability changed.", TeamData),
    Event("alert", "A spike on an account: inbound volume or the share of negative messages (raised once per "
          "spike, and again when it ends).", AlertData, room=MANAGERS),
    Event("notification", "Something for one person: a mention, an assignment.", NotificationOut, room=USER),
    Event("presence", "Who views and who types in a conversation (Socket.IO only, never stored).", PresenceData),
)


# What browsers send (Socket.IO client events); "presence" asks for everyone's presence, answered by
# acknowledgement. Handled in app/realtime.
CLIENT_EVENTS = {
    "view": ViewIn,
    "typing": TypingIn,
    "presence": None,
}


def _inbound(data):
    return data["message"]["direction"] == "inbound"


def _native_brand_reply(data):
    message = data["message"]
    return message["direction"] == "outbound" and message["delivery_status"] == "sent"


def _delivery_became(status):
    def selects(data):
        change = (data.get("changes") or {}).get("delivery_status")
        return isinstance(change, dict) and change.get("to") == status
    return selects


def _moved(data):
    return "moved_to_id" in (data.get("changes") or {})


def _moderation_became(state, *, was=None):
    def selects(data):
        change = (data.get("changes") or {}).get("moderation")
        return isinstance(change, dict) and change.get("to") == state and (was is None or change.get("from") == was)
    return selects


def _alert_raised(data):
    return data["alert"]["state"] == "open"


def _clock_became(level):
    return lambda data: data["to"] == level


WEBHOOK_TYPES = {t.name: t for t in (
    WebhookType("conversation.created", "A customer's first message opened a conversation.", ConversationData,
                {"conversation.created": _always}),
    WebhookType("conversation.updated", "Status, priority, tags or assignee changed; `changes` says what changed.",
                ConversationUpdatedData, {"conversation.updated": _always}),
    WebhookType("conversation.moved", "A public conversation moved to DM: `conversation.moved_to_id` is the "
                "customer's private conversation (`changes.moved_to_id` too).", ConversationUpdatedData,
                {"conversation.updated": _moved}),
    WebhookType("message.received", "A customer message arrived (polled, pushed or sent to POST /messages).",
                MessageData, {"message.created": _inbound}),
    WebhookType("message.sent", "A reply went out: sent from Carebox, or made natively on the network and seen "
                "by the poller.", MessageData,
                {"message.created": _native_brand_reply, "message.updated": _delivery_became("sent")}),
    WebhookType("message.failed", "A reply could not be delivered to the network.", MessageData,
                {"message.updated": _delivery_became("failed")}),
    WebhookType("message.hidden", "A message was hidden on the network (by an agent, a rule, or natively).",
                MessageData, {"message.updated": _moderation_became("hidden")}),
    WebhookType("message.unhidden", "A hidden message was shown again on the network.", MessageData,
                {"message.updated": _moderation_became("visible", was="hidden")}),
    WebhookType("message.deleted", "A message was deleted on the network.", MessageData,
                {"message.updated": _moderation_became("deleted")}),
    WebhookType("alert.spike", "An account's inbound volume, or its share of negative messages, spiked over the "
                "last 15 minutes against the same time on the last 7 days (once per spike).", AlertData,
                {"alert": _alert_raised}),
    WebhookType("sla.warning", "A conversation's response clock passed its warning time.", SlaChangedData,
                {"sla.changed": _clock_became("warning")}),
    WebhookType("sla.breached", "A conversation's response clock passed its breach time.", SlaChangedData,
                {"sla.changed": _clock_became("breached")}),
    WebhookType("account.unhealthy", "An account's poller keeps failing.", AccountData, {"account.unhealthy": _always}),
    WebhookType("account.recovered", "An unhealthy account polls successfully again.", AccountData,
                {"account.recovered": _always}),
)}
# Sent to one endpoint by "send test event"; not subscribable, not published.
TEST_TYPE = WebhookType("webhook.test", "A test event an admin sent to one endpoint.", TestData, {})


def event(name):
    """The declared Event called `name`; UndeclaredEvent otherwise."""
    try:
        return EVENTS[name]
    except KeyError:
        raise UndeclaredEvent(f"{name!r} is not in the event catalogue (app/events/catalogue.py)") from None


def webhook_types_for(event_name, data):
    """The webhook types a published event becomes (usually one, often none)."""
    return [t.name for t in WEBHOOK_TYPES.values() if event_name in t.sources and t.sources[event_name](data)]


def check_payload(name, data):
    """Validate `data` against the event's schema; raises pydantic.ValidationError when it does not fit."""
    event(name).data.model_validate(data)


def subscribed(endpoint_events, webhook_type):
    """An endpoint with no event list receives every type."""
    return not endpoint_events or webhook_type in endpoint_events
