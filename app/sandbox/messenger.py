"""Facebook Messenger in the sandbox: conversations between a Page and customers (PSIDs), the Send API,
the Conversations API and the `messages` webhooks, as the Messenger Platform behaves.

POST /{v}/{page-id}/messages        Send API: recipient (a JSON string, {"id": PSID} or {"comment_id"} for a
                                    Private Reply), messaging_type RESPONSE | UPDATE | MESSAGE_TAG (tag), message
GET  /{v}/{page-id}/conversations   ?platform=messenger, fields id, updated_time, participants, messages{...}
GET  /{v}/{conversation-id}/messages

Rules: a standard message only within 24 h of the customer's last message; HUMAN_AGENT up to 7 days, only
with the human-agent permission; text at most 2000 characters; `sender_action` never with `message`; one
Private Reply per comment, within 7 days of it. The Conversations API allows 2 calls/s per Page (613).
Every customer message and every Page message (Send API: the app's id; sent from the Page inbox: the Page
inbox app's id) is pushed, in order, as a signed `messages` webhook.

This module knows no Flask request: graph_api.py routes to it and turns MessengerError into Graph errors.
"""
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from app.sandbox.graph_objects import FieldError, fb_time

INSTAGRAM_APP_ID = 124024574287414  # the app id of echoes of DMs the brand sent from the Instagram app (a guess)
PAGE_INBOX_APP_ID = 263902037430900  # the app id of echoes of messages sent from the Page inbox (v12.0+)
MAX_TEXT = 2000
INSTAGRAM_MAX_TEXT = 1000
INSTAGRAM_READABLE = 20  # only a conversation's 20 newest Instagram messages can be read
STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
PRIVATE_REPLY_WINDOW = timedelta(days=7)
MESSAGING_TYPES = ("RESPONSE", "UPDATE", "MESSAGE_TAG")
INSTAGRAM_OUTSIDE_WINDOW = "(#10) This message is sent outside of allowed window."
OUTSIDE_WINDOW = ("(#10) This message is sent outside of allowed window. Learn more about the new policy here: "
                  "https://developers.facebook.com/docs/messenger-platform/policy-overview")

CONVERSATION_DEFAULT_FIELDS = ("id", "updated_time")
MESSAGE_DEFAULT_FIELDS = ("id", "created_time")
CONVERSATION_FIELDS = {"id", "updated_time", "participants", "messages", "message_count", "snippet", "link",
                       "unread_count", "can_reply"}
MESSAGE_FIELDS = {"id", "message", "from", "to", "created_time"}


class MessengerError(Exception):
    """A refusal graph_api.py answers as a Graph error."""

    def __init__(self, message, code, subcode=None, status=400):
        super().__init__(message)
        self.message, self.code, self.subcode, self.status = message, code, subcode, status


@dataclass
class Message:
    id: str
    conversation_id: str
    text: str
    sender: dict  # {"id", "name", "email"}
    recipient: dict
    created_time: datetime
    from_page: bool
    app_id: int | str | None = None  # for the Page's messages: the app that sent it
    metadata: str | None = None


@dataclass
class Conversation:
    id: str
    page_id: str
    customer: dict  # {"id": PSID, "name", "email"}
    updated_time: datetime
    messages: list = field(default_factory=list)  # oldest first
    last_customer_time: datetime | None = None
    platform: str = "messenger"  # or "instagram": customer {"id": IGSID, "username"}, the brand its IG account


def _now():
    return datetime.now(timezone.utc)


def _ms(when):
    return int(when.timestamp() * 1000)


def _app_id(value):
    return int(value) if str(value).isdigit() else value


class MessengerBook:
    """Every page's Messenger conversations. Changes happen under the network's lock."""

    def __init__(self, network):
        self.network = network
        self.reset()

    def reset(self):
        self.conversations = {}  # id -> Conversation
        self.private_replies = set()  # comment ids already answered privately
        self.human_agent_pages = set(str(p) for p in self.network.settings.get("messenger_human_agent_pages", ()))

    # ---------------------------------------------------------------- state

    def set_human_agent(self, page_id, enabled=True):
        with self.network.lock:
            (self.human_agent_pages.add if enabled else self.human_agent_pages.discard)(str(page_id))

    def conversation_with(self, page, customer, platform="messenger"):
        """The page's conversation with `customer` ({"id", "name"?}; on Instagram {"id": IGSID, "username"}),
        started if new."""
        psid = str(customer["id"])
        for conversation in self.conversations.values():
            if conversation.page_id == page.id and conversation.customer["id"] == psid \
                    and conversation.platform == platform:
                for key in ("name", "username"):
                    if customer.get(key) and key in conversation.customer:
                        conversation.customer[key] = customer[key]
                return conversation
        number = self.network.ids.next()
        if platform == "instagram":
            person = {"id": psid, "username": customer.get("username") or f"user{psid[-6:]}"}
        else:
            person = {"id": psid, "name": customer.get("name") or f"Customer {psid[-4:]}",
                      "email": customer.get("email") or f"{psid}@facebook.com"}
        conversation = Conversation(id=f"t_{number}", page_id=page.id, updated_time=_now(), customer=person,
                                    platform=platform)
        self.conversations[conversation.id] = conversation
        return conversation

    def page_conversations(self, page_id, platform="messenger"):
        with self.network.lock:
            found = [c for c in self.conversations.values()
                     if c.page_id == page_id and c.messages and c.platform == platform]
        return sorted(found, key=lambda c: (c.updated_time, c.id), reverse=True)

    def customer_message(self, page_id, text, sender, created_at=None, platform="messenger"):
        """A customer writes to the page, or on Instagram to its IG account (created_at backdates it)."""
        with self.network.lock:
            page = self.network.pages[str(page_id)]
            conversation = self.conversation_with(page, sender, platform)
            message = self._add(conversation, text, conversation.customer, self._brand(conversation), created_at,
                                from_page=False)
            conversation.last_customer_time = max(conversation.last_customer_time or message.created_time,
                                                  message.created_time)
            return message

    def page_inbox_message(self, page_id, psid, text, created_at=None):
        """The page answers natively from its inbox, or from the Instagram app for an IGSID (no window check:
        agents see the rules there); created_at backdates it (the traffic generator's backlog)."""
        with self.network.lock:
            page = self.network.pages[str(page_id)]
            conversation = self._known_conversation(page, psid)
            if conversation is None:
                raise KeyError(psid)
            app_id = INSTAGRAM_APP_ID if conversation.platform == "instagram" else PAGE_INBOX_APP_ID
            return self._add(conversation, text, self._brand(conversation), conversation.customer, created_at,
                             from_page=True, app_id=app_id)

    def _known_conversation(self, page, psid):
        return next((c for c in self.conversations.values()
                     if c.page_id == page.id and c.customer["id"] == str(psid)), None)

    def _brand(self, conversation):
        """The brand's side of a conversation: the page, or on Instagram its IG account {"id", "username"}."""
        page = self.network.pages[conversation.page_id]
        if conversation.platform == "instagram":
            account = self.network.instagram.account_by_page(page.id)
            return {"id": account.id, "username": account.username}
        return _participant(page)

    def _add(self, conversation, text, sender, recipient, created_at, *, from_page, app_id=None, metadata=None):
        when = created_at or _now()
        number = self.network.ids.at(when) if created_at else self.network.ids.next()
        message = Message(id=f"m_{number}", conversation_id=conversation.id, text=text, sender=dict(sender),
                          recipient=dict(recipient), created_time=when, from_page=from_page, app_id=app_id,
                          metadata=metadata)
        conversation.messages.append(message)
        conversation.messages.sort(key=lambda m: int(m.id[2:]))
        conversation.updated_time = max(conversation.updated_time, when) if conversation.messages[:-1] else when
        page = self.network.pages[conversation.page_id]
        if conversation.platform == "instagram":
            account = self.network.instagram.account_by_page(page.id)
            self.network.push.instagram_messaging(account, instagram_messaging_event(message))
        else:
            self.network.push.messaging_event(page, messaging_payload(page, message))
        return message

    def is_instagram_send(self, page, values):
        """Whether a Send API call goes to an Instagram recipient (an IGSID the page's IG account talks to,
        or an Instagram comment for a Private Reply)."""
        try:
            recipient = _json_param(values, "recipient")
        except MessengerError:
            return False
        if "comment_id" in recipient:
            return str(recipient["comment_id"]) in self.network.instagram.comments
        return any(c.platform == "instagram" and c.page_id == page.id and c.customer["id"] == str(recipient.get("id"))
                   for c in self.conversations.values())

    def instagram_message(self, message_id):
        """An Instagram DM by id, with its conversation, or None."""
        for conversation in self.conversations.values():
            if conversation.platform == "instagram":
                for message in conversation.messages:
                    if message.id == message_id:
                        return conversation, message
        return None

    # ---------------------------------------------------------------- Send API

    def send(self, page, values):
        """POST /{page-id}/messages with the form `values`; answers {"recipient_id", "message_id"}."""
        recipient = _json_param(values, "recipient")
        message = _json_param(values, "message", required=False)
        if values.get("sender_action") and message is not None:
            raise MessengerError("(#100) Only one of message or sender_action can be specified in the same request", 100)
        if values.get("sender_action"):
            return self._sender_action(page, recipient, values["sender_action"])
        if message is None:
            raise MessengerError("(#100) Must send either message or sender_action", 100)
        messaging_type, tag = _messaging_type(values)
        text = message.get("text") if isinstance(message, dict) else None
        if not isinstance(text, str) or not text:
            raise MessengerError("(#100) param message must be non-empty.", 100)
        instagram = self.is_instagram_send(page, values)
        limit = INSTAGRAM_MAX_TEXT if instagram else MAX_TEXT
        if len(text) > limit:
            raise MessengerError(f"(#100) Length of param message[text] must be less than or equal to {limit}", 100)
        metadata = message.get("metadata")
        if metadata is not None and len(str(metadata)) >= 1000:
            raise MessengerError("(#100) Length of param message[metadata] must be less than 1000", 100)
        with self.network.lock:
            if instagram and "comment_id" in recipient:
                conversation = self._instagram_private_reply_target(page, recipient)
            elif "comment_id" in recipient or "post_id" in recipient:
                conversation = self._private_reply_target(page, recipient)
            else:
                conversation = self._window_target(page, recipient, messaging_type, tag)
            sent = self._add(conversation, text, self._brand(conversation), conversation.customer, None,
                             from_page=True, app_id=_app_id(page.app_id), metadata=metadata)
            if instagram:
                self.network.instagram.log_dm(conversation.customer["id"], sent, recipient.get("comment_id"))
            else:
                self.network._log_api_reply("messenger", page.id, sent.id, text, conversation.customer["id"],
                                            sent.created_time)
        return {"recipient_id": conversation.customer["id"], "message_id": sent.id}

    def _sender_action(self, page, recipient, action):
        if action not in ("typing_on", "typing_off", "mark_seen"):
            raise MessengerError("(#100) Param sender_action must be one of {typing_on, typing_off, mark_seen}", 100)
        with self.network.lock:
            conversation = self._known_conversation(page, recipient.get("id"))
        if conversation is None:
            raise MessengerError("(#100) No matching user found", 100, 2018001)
        return {"recipient_id": conversation.customer["id"]}

    def _window_target(self, page, recipient, messaging_type, tag):
        conversation = self._known_conversation(page, recipient.get("id"))
        if conversation is None:
            raise MessengerError("(#100) No matching user found", 100, 2018001)
        last = conversation.last_customer_time
        age = _now() - last if last else None
        human_agent = messaging_type == "MESSAGE_TAG" and tag == "HUMAN_AGENT" and page.id in self.human_agent_pages
        allowed = STANDARD_WINDOW if not human_agent else HUMAN_AGENT_WINDOW
        if age is None or age > allowed:
            if conversation.platform == "instagram":
                raise MessengerError(INSTAGRAM_OUTSIDE_WINDOW, 10, 2534022)
            raise MessengerError(OUTSIDE_WINDOW, 10, 2018278)
        return conversation

    def _instagram_private_reply_target(self, page, recipient):
        """An Instagram Private Reply: once per comment, within 7 days, on a live video only while it is live;
        the conversation it starts stays closed until the person answers."""
        object_id = str(recipient["comment_id"])
        book = self.network.instagram
        comment = book.live_comment(object_id)
        account = book.account_by_page(page.id)
        media = book.media.get(comment.media_id) if comment else None
        if comment is None or account is None or media.owner["id"] != account.id:
            raise MessengerError(f"(#100) Invalid comment_id {object_id}", 100)
        if object_id in self.private_replies:
            raise MessengerError("(#10900) Activity already replied to", 10900)
        too_late = _now() - comment.timestamp > PRIVATE_REPLY_WINDOW
        if too_late or comment.author["id"] == account.id or (media.product_type == "LIVE" and not media.live):
            raise MessengerError("(#10903) This activity can't be replied to", 10903)
        self.private_replies.add(object_id)
        return self.conversation_with(page, comment.author, "instagram")

    def _private_reply_target(self, page, recipient):
        object_id = str(recipient.get("comment_id") or recipient.get("post_id"))
        comment = self.network.comments.get(object_id)
        if comment is None or comment.deleted or self.network.find_object(object_id)[1] is not page:
            raise MessengerError(f"(#100) Invalid comment_id {object_id}", 100)
        if object_id in self.private_replies:
            raise MessengerError("(#10900) Activity already replied to", 10900)
        if not self.can_reply_privately(comment):
            raise MessengerError("(#10903) This activity can't be replied to", 10903)
        self.private_replies.add(object_id)
        return self.conversation_with(page, comment.author)

    def can_reply_privately(self, comment):
        """Once per comment, within 7 days of it, and only to a person (not the page, not a hidden author)."""
        return (comment.author is not None and comment.author["id"] not in self.network.pages
                and comment.id not in self.private_replies
                and _now() - comment.created_time <= PRIVATE_REPLY_WINDOW)


def _messaging_type(values):
    messaging_type = values.get("messaging_type", "RESPONSE")
    if messaging_type not in MESSAGING_TYPES:
        raise MessengerError("(#100) Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}", 100)
    tag = values.get("tag")
    if messaging_type == "MESSAGE_TAG" and not tag:
        raise MessengerError("(#100) Param tag is required when messaging_type is MESSAGE_TAG", 100)
    return messaging_type, tag


def _participant(page):
    return {"id": page.id, "name": page.name, "email": f"{page.id}@facebook.com"}


def _json_param(values, name, required=True):
    """A nested Send API parameter: facebook-sdk form-encodes it as a JSON string."""
    raw = values.get(name)
    if raw in (None, ""):
        if required:
            raise MessengerError(f"(#100) The parameter {name} is required", 100)
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise MessengerError(f"(#100) param {name} must be a JSON object", 100) from None
    if not isinstance(value, dict):
        raise MessengerError(f"(#100) param {name} must be a JSON object", 100)
    return value


# ---------------------------------------------------------------- JSON shapes

def messaging_payload(page, message):
    """The `messages` webhook body for one message (customer's, or the page's echo)."""
    body = {"mid": message.id, "text": message.text}
    if message.from_page:
        body = {"mid": message.id, "is_echo": True, "app_id": message.app_id, "text": message.text}
        if message.metadata is not None:
            body["metadata"] = message.metadata
    event = {"sender": {"id": message.sender["id"]}, "recipient": {"id": message.recipient["id"]},
             "timestamp": _ms(message.created_time), "message": body}
    return {"object": "page", "entry": [{"id": page.id, "time": _ms(_now()), "messaging": [event]}]}


def instagram_messaging_event(message):
    """An Instagram `messaging` webhook event: the customer's DM, or the brand's echo (is_echo)."""
    body = {"mid": message.id, "text": message.text}
    if message.from_page:
        body["is_echo"] = True
    return {"sender": {"id": message.sender["id"]}, "recipient": {"id": message.recipient["id"]},
            "timestamp": _ms(message.created_time), "message": body}


def readable_messages(conversation):
    """The messages the Conversations API shows, newest first (Instagram: only the 20 newest)."""
    messages = conversation.messages[-INSTAGRAM_READABLE:] if conversation.platform == "instagram" \
        else conversation.messages
    return list(reversed(messages))


def message_json(message):
    return {"id": message.id, "message": message.text, "from": dict(message.sender),
            "to": {"data": [dict(message.recipient)]}, "created_time": fb_time(message.created_time)}


def select_message(message, wanted):
    return _select(message_json(message), wanted, MESSAGE_DEFAULT_FIELDS, MESSAGE_FIELDS, "Message")


def conversation_json(conversation, page, wanted, paginate, brand=None):
    """A conversation with the fields asked for; `paginate(items)` pages a nested `messages` edge."""
    wanted = wanted or dict.fromkeys(CONVERSATION_DEFAULT_FIELDS)
    unknown = set(wanted) - CONVERSATION_FIELDS
    if unknown:
        raise FieldError(f"(#100) Tried accessing nonexisting field ({sorted(unknown)[0]}) on node type (Conversation)")
    full = {
        "id": conversation.id, "updated_time": fb_time(conversation.updated_time),
        "message_count": len(conversation.messages), "unread_count": 0, "can_reply": True,
        "snippet": conversation.messages[-1].text[:100] if conversation.messages else "",
        "link": f"/{page.id}/inbox/{conversation.id[2:]}",
        "participants": {"data": [dict(conversation.customer), brand or _participant(page)]},
    }
    out = {}
    for name, nested in wanted.items():
        if name == "messages":
            block = paginate(readable_messages(conversation))
            block["data"] = [select_message(m, nested) for m in block["data"]]
            out[name] = block
        elif name == "participants" and nested:
            out[name] = {"data": [{k: v for k, v in p.items() if k in nested} for p in full[name]["data"]]}
        else:
            out[name] = full[name]
    return out


def _select(full, wanted, defaults, known, node_type):
    if not wanted:
        return {name: full[name] for name in defaults}
    out = {}
    for name, nested in wanted.items():
        if name not in known:
            raise FieldError(f"(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})")
        value = full[name]
        if nested and name == "to":
            value = {"data": [{k: v for k, v in p.items() if k in nested} for p in value["data"]]}
        elif nested and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k in nested}
        out[name] = value
    return out
