"""When and how a private conversation can be answered: the networks' messaging windows and limits.

Plain functions over plain values, so the composer (through the conversation JSON), the reply service
and the tests read the same rules.

- Messenger (and Instagram DMs): a standard answer within 24 hours of the customer's last message; with
  the account's human-agent permission, an answer tagged HUMAN_AGENT up to 7 days after it; past that,
  nothing can be sent until the customer writes again.
- X direct messages have no window; the customer must accept DMs from the brand (receives_your_dm).
- A Facebook or Instagram Private Reply (the move to DM) is allowed once per comment, within 7 days of the
  comment; on Instagram a comment on a live video gets one only while the video is live. An Instagram Private
  Reply does not open the 24-hour window: the window opens when the customer answers it (as everywhere here,
  the window runs from the customer's last message).
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
PRIVATE_REPLY_WINDOW = timedelta(days=7)
# Instagram Live broadcasts last at most 4 hours. Carebox cannot see when one ended, so a comment on a live
# video counts as "while live" for that long after the broadcast started, and no longer.
LIVE_BROADCAST_LIMIT = timedelta(hours=4)
WINDOWED_NETWORKS = ("facebook", "instagram")

# The longest private message each network takes, counted as it counts (characters).
PRIVATE_LIMITS = {"twitter": 10000, "facebook": 2000, "instagram": 1000, "custom": 20000}


@dataclass(frozen=True)
class ReplyWindow:
    """Whether a private conversation can be answered at `now`, and until when.

    `state`: "open" (a standard answer), "human_agent" (only tagged HUMAN_AGENT), "closed" (nothing until the
    customer writes again), "none" (the network has no window).
    """

    state: str
    closes_at: datetime | None = None  # the end of the standard window
    human_agent_until: datetime | None = None  # the end of the HUMAN_AGENT window, when the account has it

    @property
    def can_send(self):
        return self.state != "closed"

    @property
    def needs_human_agent_tag(self):
        return self.state == "human_agent"

    def to_json(self, isoformat):
        return {"state": self.state, "closes_at": isoformat(self.closes_at),
                "human_agent_until": isoformat(self.human_agent_until)}


def reply_window(network, last_customer_message_at, now, *, human_agent_enabled=False):
    """The ReplyWindow of a private conversation on `network` whose customer last wrote at
    `last_customer_message_at` (None: never, e.g. a conversation the brand opened)."""
    if network not in WINDOWED_NETWORKS:
        return ReplyWindow("none")
    if last_customer_message_at is None:
        return ReplyWindow("closed")
    closes_at = last_customer_message_at + STANDARD_WINDOW
    human_agent_until = last_customer_message_at + HUMAN_AGENT_WINDOW if human_agent_enabled else None
    if now <= closes_at:
        return ReplyWindow("open", closes_at, human_agent_until)
    if human_agent_until is not None and now <= human_agent_until:
        return ReplyWindow("human_agent", closes_at, human_agent_until)
    return ReplyWindow("closed", closes_at, human_agent_until)


def private_reply_open(comment_created_at, now):
    """Whether a Private Reply to a comment posted at `comment_created_at` is still allowed at `now`."""
    return comment_created_at is not None and now - comment_created_at <= PRIVATE_REPLY_WINDOW


def live_still_on(live_started_at, now):
    """Whether an Instagram live video that started at `live_started_at` may still be live at `now` (its
    comments can get a Private Reply only then). Not known when it started: not live any more."""
    return live_started_at is not None and now - live_started_at <= LIVE_BROADCAST_LIMIT


def x_dm_link(brand_user_id, text=None):
    """X's deep link that opens a DM to the brand (https://developer.x.com/en/docs/x-for-websites/direct-message-deep-link)."""
    query = {"recipient_id": str(brand_user_id)}
    if text:
        query["text"] = text
    return "https://x.com/messages/compose?" + urlencode(query)
