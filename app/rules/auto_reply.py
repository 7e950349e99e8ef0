"""The auto_reply action: an automatic first answer from a canned response, queued like any reply (the sender
posts it after the commit), marked automatic (`automatic_rule_id`), in the customer's language when a canned
response of the same shortcut exists in it; at most once per customer per period (planned_actions checks
`contacts.last_auto_reply_at`; here it is set).

Replies belong to app/conversations, which sits above ingest (it reaches the connectors, which know ingest's
item types): it hands its reply functions to this module when imported (`use_replies`), rather than rules
importing it back."""
import logging
import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.domain_errors import Invalid
from app.events import PENDING_KEY
from app.models import CannedResponse, Contact, Conversation, Message, fold

log = logging.getLogger(__name__)
DEFERRED_KEY = "carebox_rules_deferred_events"
VARIABLE = re.compile(r"\{\{\s*(contact\.name|contact\.handle|agent\.name)\s*\}\}")


_replies = {}  # "queue_outbound", "check_reply_text", "private_send_as": app/conversations/replies.py's


def use_replies(*, queue_outbound, check_reply_text, private_send_as):
    _replies.update(queue_outbound=queue_outbound, check_reply_text=check_reply_text, private_send_as=private_send_as)


@dataclass(frozen=True)
class System:
    """Who an automatic answer is from: no person (it takes no conversation)."""

    id: None = None
    name: str = "Carebox"


def choose_canned(session, canned_id, language):
    """The canned response `canned_id`, or the one of its shortcut written in `language`."""
    chosen = session.get(CannedResponse, canned_id)
    if chosen is None or not language or chosen.language == language:
        return chosen
    translated = session.scalars(sa.select(CannedResponse).where(
        sa.func.lower(CannedResponse.shortcut) == fold(chosen.shortcut), CannedResponse.language == language)
        .order_by(CannedResponse.id).limit(1)).first()
    return translated or chosen


def render(text, contact, brand_name):
    values = {"contact.name": (contact.name or contact.handle or "") if contact else "",
              "contact.handle": f"@{contact.handle}" if contact is not None and contact.handle else "",
              "agent.name": brand_name or ""}
    return VARIABLE.sub(lambda m: values[m.group(1)], text).strip()


def send_auto_replies(session, account, hits, *, now):
    """Queue one automatic answer per customer among `hits` (recorded hits whose actions include auto_reply)."""
    if hits and not _replies:
        raise RuntimeError("app.conversations was not imported: automatic answers cannot be queued")
    answered = set()
    for hit in hits:
        action = next(a for a in hit["actions"] if a["type"] == "auto_reply")
        conv = session.get(Conversation, hit["conversation_id"])
        if conv is None or conv.contact_id in answered or conv.is_spam:
            continue
        message = session.get(Message, hit["message_id"])
        canned = choose_canned(session, action["canned_id"], message.language or conv.language)
        contact = session.get(Contact, conv.contact_id)
        text = render(canned.text, contact, account.name) if canned is not None else ""
        if not text:
            continue
        try:
            _replies["check_reply_text"](conv.network, text, conv.channel)
            send_as = _replies["private_send_as"](session, conv, now) if conv.channel == "private" else None
        except Invalid as refused:
            log.info("automatic answer not sent", extra={"rule_id": hit["rule_id"], "reason": refused.code})
            continue
        pending = session.info.setdefault(PENDING_KEY, [])
        published_before = len(pending)
        _replies["queue_outbound"](session, conv, author=System(name=str(_l("Automatic answer"))), text=text,
                                   target=message, now=now, send_as=send_as, automatic_rule_id=hit["rule_id"])
        # Ingest publishes the customer's message (and a new conversation) after the rules: the answer's
        # events go out after those, at the commit.
        session.info.setdefault(DEFERRED_KEY, []).extend(pending[published_before:])
        del pending[published_before:]
        contact.last_auto_reply_at = now
        answered.add(conv.contact_id)


@event.listens_for(Session, "before_commit", insert=True)  # before the publisher writes the webhook deliveries
def _publish_deferred(session):
    deferred = session.info.pop(DEFERRED_KEY, None)
    if deferred:
        session.info.setdefault(PENDING_KEY, []).extend(deferred)


@event.listens_for(Session, "after_soft_rollback")
def _drop_deferred(session, previous_transaction):
    if previous_transaction.parent is None:
        session.info.pop(DEFERRED_KEY, None)
