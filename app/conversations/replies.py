"""Replies and notes: the duplicate-answer guard, network length limits, retry and discard.

Never answer twice: the agent's client sends the id of the last message it showed. If anything
the agent has not seen arrived since — the customer wrote again, or someone else replied or is
replying — the reply is refused (409) with those messages, so the agent re-reads first. The
check and the insert run under a lock on the conversation row (PostgreSQL: SELECT … FOR UPDATE;
SQLite: the write lock every POST takes), so two agents pressing send at once cannot both pass.
"""
import re

import sqlalchemy as sa
from twitter_text import parse_tweet
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from app import events
from app.audit import record
from app.conversations.sending import publish_change
from app.domain_errors import Conflict, Invalid, NotFound
from app.models import Conversation, Message, User, fold, utcnow
from app.notifications import notify
from app.serialize import conversation_summary, message_dict
from app.text import snippet

# Longest reply each network takes. X counts weighted characters (twitter-text); Facebook
# comments are capped by characters.
REPLY_LIMITS = {"twitter": 280, "facebook": 8000, "custom": 20000}
NOTE_LIMIT = 20000
MENTION_RE = re.compile(r"(?<![\w@])@([\w.\-]+)", re.UNICODE)


def reply_length(network, text):
    """(length as the network counts it, limit)."""
    limit = REPLY_LIMITS[network]
    if network == "twitter":
        return parse_tweet(text).weightedLength, limit
    return len(text), limit


def check_reply_text(network, text):
    text = (text or "").strip()
    if not text:
        raise Invalid(_l("The reply is empty."), code="empty_reply")
    length, limit = reply_length(network, text)
    if length > limit:
        over = length - limit
        # X counts weighted characters (twitter-text: CJK and emoji count double), the others code points.
        message = (lazy_ngettext("The reply is %(num)s weighted character over the %(limit)s this network allows.",
                                 "The reply is %(num)s weighted characters over the %(limit)s this network allows.",
                                 over, limit=limit) if network == "twitter" else
                   lazy_ngettext("The reply is %(num)s character over the %(limit)s this network allows.",
                                 "The reply is %(num)s characters over the %(limit)s this network allows.",
                                 over, limit=limit))
        raise Invalid(message, code="reply_too_long", details=[{"length": length, "limit": limit}])
    return text


def lock_conversation(session, conversation_id):
    conv = session.execute(
        sa.select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    ).scalar_one_or_none()
    if conv is None:
        raise NotFound(_l("There is no conversation %(id)s.", id=conversation_id))
    return conv


def unseen_messages(session, conv, last_seen_message_id):
    """Customer messages and replies (sent, or on their way) newer than what the agent saw."""
    return session.scalars(
        sa.select(Message).where(
            Message.conversation_id == conv.id,
            Message.id > last_seen_message_id,
            sa.or_(
                Message.direction == "inbound",
                sa.and_(Message.direction == "outbound",
                        Message.delivery_status.in_(("queued", "sending", "sent", "unknown"))),
            ),
        ).order_by(Message.id)
    ).all()


def create_reply(session, conversation_id, *, author, text, in_reply_to_message_id=None, last_seen_message_id=None,
                 idempotency_key=None):
    """Queue a reply. Returns (message, created). The caller commits, then dispatches sending."""
    conv = lock_conversation(session, conversation_id)
    if idempotency_key:
        existing = session.scalars(
            sa.select(Message).where(Message.conversation_id == conv.id, Message.idempotency_key == idempotency_key)
        ).first()
        if existing is not None:
            return existing, False
    text = check_reply_text(conv.network, text)
    if last_seen_message_id is not None:
        newer = unseen_messages(session, conv, last_seen_message_id)
        if newer:
            raise Conflict(_conflict_message(newer, author), code="newer_messages",
                           newer_messages=[message_dict(m) for m in newer])
    target = _reply_target(session, conv, in_reply_to_message_id)
    now = utcnow()
    message = Message(
        conversation_id=conv.id, account_id=conv.account_id, network=conv.network, direction="outbound", text=text,
        search_text=fold(text), author_user_id=author.id, author_name=author.name,
        reply_to_message_id=target.id if target else None,
        in_reply_to_external_id=target.external_id if target else None,
        created_at=now, received_at=now, delivery_status="queued", idempotency_key=idempotency_key, mentions=[],
    )
    session.add(message)
    conv.message_count += 1
    conv.last_message_at = now
    conv.snippet = snippet(text)
    changes = {}
    if conv.assignee_id is None:  # answering a customer takes the conversation
        conv.assignee_id = author.id
        changes["assignee_id"] = {"from": None, "to": author.id}
    session.flush()
    events.publish(session, "message.created", {"conversation": conversation_summary(conv), "message": message_dict(message)})
    if changes:
        events.publish(session, "conversation.updated", {"conversation": conversation_summary(conv), "changes": changes})
    record("reply.queued", actor=author, target=conv, data={"message_id": message.id})
    return message, True


def _conflict_message(newer, author):
    customer = sum(1 for m in newer if m.direction == "inbound")
    ours = [m for m in newer if m.direction == "outbound"]
    parts = []
    if customer:
        parts.append(f"the customer wrote {customer} new message{'s' if customer > 1 else ''}")
    others = {m.author_name or "a colleague" for m in ours if m.author_user_id != author.id}
    if others:
        parts.append(f"{', '.join(sorted(others))} replied")
    if any(m.author_user_id == author.id for m in ours):
        parts.append("you already replied")
    return "Not sent: " + " and ".join(parts or ["the conversation changed"]) + " since you last looked. Re-read, then send or discard."


def _reply_target(session, conv, in_reply_to_message_id):
    """The message the reply answers: the one asked for, else the customer's latest message."""
    if in_reply_to_message_id is not None:
        target = session.get(Message, in_reply_to_message_id)
        if target is None or target.conversation_id != conv.id or target.direction == "note":
            raise Invalid(_l("in_reply_to_message_id must be a message of this conversation."), code="bad_reply_target")
        if not target.external_id and conv.network != "custom":
            raise Invalid(_l("That message is not on the network yet, so it cannot be answered there."),
                           code="bad_reply_target")
        return target
    target = session.scalars(
        sa.select(Message).where(Message.conversation_id == conv.id, Message.direction == "inbound")
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(1)
    ).first()
    if target is None and conv.network != "custom":
        raise Invalid(_l("This conversation has no customer message to answer."), code="bad_reply_target")
    return target


def retry_reply(session, message_id, *, actor):
    """failed/unknown → queued, because the agent decided so. Returns the message."""
    message = _own_outbound(session, message_id)
    if message.delivery_status not in ("failed", "unknown"):
        raise Conflict(_l("Only failed or unknown replies can be retried."), code="not_retryable")
    previous = message.delivery_status
    message.delivery_status = "queued"
    message.delivery_error = None
    message.received_at = utcnow()
    publish_change(session, message, {"delivery_status": {"from": previous, "to": "queued"}})
    record("reply.retried", actor=actor, target=message, data={"from": previous})
    return message


def discard_reply(session, message_id, *, actor):
    """Give up on a failed/unknown reply: it leaves the thread (the audit trail keeps it)."""
    message = _own_outbound(session, message_id)
    if message.delivery_status not in ("failed", "unknown"):
        raise Conflict(_l("Only failed or unknown replies can be discarded."), code="not_discardable")
    conv = session.get(Conversation, message.conversation_id)
    record("reply.discarded", actor=actor, target=conv,
           data={"message_id": message.id, "status": message.delivery_status, "text": message.text[:500]})
    session.delete(message)
    conv.message_count = max(0, conv.message_count - 1)
    session.flush()
    events.publish(session, "conversation.updated", {"conversation": conversation_summary(conv),
                                                     "changes": {"discarded_message_id": {"from": message_id, "to": None}}})
    return conv


def _own_outbound(session, message_id):
    message = session.get(Message, message_id)
    if message is None or message.direction != "outbound" or message.is_native:
        raise NotFound(_l("There is no reply %(id)s.", id=message_id))
    return message


def create_note(session, conversation_id, *, author, text, mention_ids=()):
    """A private note; @mentioned staff are notified."""
    conv = session.get(Conversation, conversation_id)
    if conv is None:
        raise NotFound(_l("There is no conversation %(id)s.", id=conversation_id))
    text = (text or "").strip()
    if not text:
        raise Invalid(_l("The note is empty."), code="empty_note")
    if len(text) > NOTE_LIMIT:
        raise Invalid(_l("Notes are limited to %(num)s characters.", num=NOTE_LIMIT), code="note_too_long")
    mentioned = resolve_mentions(session, text, mention_ids)
    now = utcnow()
    note = Message(
        conversation_id=conv.id, account_id=conv.account_id, network=conv.network, direction="note", text=text,
        search_text=fold(text), author_user_id=author.id, author_name=author.name, created_at=now, received_at=now,
        mentions=[u.id for u in mentioned],
    )
    session.add(note)
    conv.message_count += 1
    session.flush()
    for user in mentioned:
        if user.id == author.id:
            continue
        notify(session, user.id, "mention", _l("%(name)s mentioned you in a note on conversation #%(id)s.",
                                               name=author.name, id=conv.id),
               conversation_id=conv.id, message_id=note.id)
    events.publish(session, "message.created", {"conversation": conversation_summary(conv), "message": message_dict(note)})
    return note


def resolve_mentions(session, text, mention_ids=()):
    """Users named by id, or by an @token matching the start of their email or their name without spaces."""
    tokens = {t.lower().rstrip(".") for t in MENTION_RE.findall(text)}
    users = session.scalars(sa.select(User).where(User.is_active.is_(True))).all()
    wanted = set(mention_ids or ())
    found = []
    for user in users:
        keys = {user.email.split("@")[0].lower(), user.name.replace(" ", "").lower()}
        if user.id in wanted or keys & tokens:
            found.append(user)
    unknown = wanted - {u.id for u in found}
    if unknown:
        raise Invalid(_l("No user to mention with the id(s) %(ids)s.", ids=", ".join(map(str, sorted(unknown)))),
                      code="unknown_mention")
    return found
