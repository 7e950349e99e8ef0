"""What a rule's conditions read about one customer message: `Facts`, built the same way from a message being
ingested and from a stored one (the dry run), so a dry run and the live rule decide alike.

Text helpers here are plain functions: links, emoji-only and mention-only messages, and folding for
keyword matching (case- and diacritics-insensitive).
"""
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

import regex

from app.text import fold

_LINK = regex.compile(r"(?i)(?:\bhttps?://|\bwww\.)\S+|\b[\w-]+\.(?:com|net|org|io|co|me|ly|ru|by|info|biz|app|shop)"
                      r"(?:/\S*)?\b")
_MENTION_ONLY = regex.compile(r"\s*(?:@[\w.]+[\s\p{P}]*)+")
_EMOJI_PART = regex.compile(r"[\p{Extended_Pictographic}\p{Regional_Indicator}\p{Emoji_Modifier}\u200d\ufe0f\u20e3\s]")
# Messenger and Instagram take an answer within 24 hours of the customer's message (app/conversations/windows.py;
# the sender checks the window itself again, with the human-agent tag, when the automatic answer is queued).
MESSAGING_WINDOW = timedelta(hours=24)
WINDOWED_NETWORKS = ("facebook", "instagram")
_PICTURE = regex.compile(r"[\p{Extended_Pictographic}\p{Regional_Indicator}]")


def folded(text):
    """`text` case-folded and without diacritics (é -> e, Arabic harakat dropped), for matching words."""
    decomposed = unicodedata.normalize("NFKD", fold(text))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def has_link(text):
    return bool(_LINK.search(text or ""))


def only_emoji(text):
    text = text or ""
    return bool(_PICTURE.search(text)) and not _EMOJI_PART.sub("", text)


def only_mention(text):
    return bool(text) and bool(_MENTION_ONLY.fullmatch(text))


def handle_key(value):
    """A handle or id as a VIP list compares it: folded, without the leading @."""
    return fold(str(value or "").strip().lstrip("@"))


@dataclass(frozen=True)
class Facts:
    """One customer message and its context, as conditions read them."""

    network: str
    account_id: int
    channel: str  # vocabulary.CHANNELS
    text: str
    created_at: datetime
    language: str | None = None
    followers: int | None = None
    contact_handle: str | None = None
    contact_external_id: str | None = None
    contact_tags: tuple = ()
    sentiment: str | None = None
    intent: str | None = None
    in_business_hours: bool = True  # under the conversation's SLA policy; always when it has no business hours
    is_spam: bool = False  # the conversation, before this message's rules
    last_auto_reply_at: datetime | None = None  # the contact's last automatic answer
    can_answer_privately: bool = True  # a private conversation's messaging window and DM acceptance allow one
    extra: dict = field(default_factory=dict, compare=False)

    @cached_property
    def folded_text(self):
        return folded(self.text)

    @cached_property
    def has_link(self):
        return has_link(self.text)

    @cached_property
    def only_emoji(self):
        return only_emoji(self.text)

    @cached_property
    def only_mention(self):
        return only_mention(self.text)

    @cached_property
    def contact_keys(self):
        return {handle_key(v) for v in (self.contact_handle, self.contact_external_id) if v}

    @cached_property
    def folded_tags(self):
        return {fold(t) for t in self.contact_tags}


def build_facts(*, network, account_id, channel, text, created_at, received_at, language=None, sentiment=None,
                intent=None, followers=None, contact_handle=None, contact_external_id=None, contact_tags=(),
                accepts_dms=None, last_auto_reply_at=None, is_spam=False, policy=None):
    """The Facts of one customer message, from a message being ingested or a stored one alike. `policy`: the
    conversation's SLA policy (its business hours)."""
    late = (received_at or created_at) - created_at
    return Facts(
        network=network, account_id=account_id, channel=channel or "public", text=text or "", created_at=created_at,
        language=language, followers=followers, contact_handle=contact_handle,
        contact_external_id=contact_external_id, contact_tags=tuple(contact_tags or ()), sentiment=sentiment,
        intent=intent, in_business_hours=in_business_hours(policy, created_at), is_spam=bool(is_spam),
        last_auto_reply_at=last_auto_reply_at,
        can_answer_privately=not ((network in WINDOWED_NETWORKS and late > MESSAGING_WINDOW)
                                  or (network == "twitter" and accepts_dms is False)),
    )


def in_business_hours(policy, at):
    """Whether `at` falls in the business hours of `policy` (an app.sla.policies.Policy; no hours: always)."""
    schedule = policy.schedule if policy is not None else None
    return True if schedule is None else bool(schedule.status(at)[0])
