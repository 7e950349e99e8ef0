"""Replies and notes: the duplicate-answer guard, network length limits, retry and discard.

Private conversations (direct messages) take the same path, with their own rules checked before
anything is queued: each network's DM length limit, Messenger's messaging window (a reply past 24 hours
goes out tagged HUMAN_AGENT when the account has that permission, up to 7 days; nothing after that), and
X customers who do not accept DMs from the brand (app/conversations/windows.py holds the rules).

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
from app.conversations.windows import PRIVATE_LIMITS, reply_window
from app.conversations.sending import publish_change
from app.domain_errors import Conflict, Invalid, NotFound
from app.models import Contact, Conversation, Message, SocialAccount, User, fold, isoformat, utcnow
from app.notifications import notify
from app.serialize import conversation_summary, message_dict
from app.teams import can_see, check_visible
from app.text import snippet

# Longest reply each network takes. X counts weighted characters (twitter-text); Facebook and
# Instagram comments are capped by characters.
REPLY_LIMITS = {"twitter": 280, "facebook": 8000, "instagram": 2200, "custom": 20000}
NOTE_LIMIT = 20000
MENTION_RE = re.compile(r"(?<![\w@])@([\w.\-]+)", re.UNICODE)


def reply_limit(network, channel="public"):
    """{"max", "counting"}: the longest reply on this network and channel, and how the network counts it.
    Public X posts count weighted characters (twitter-text); DMs and the other networks count characters."""
    if channel == "private":
        return {"max": PRIVATE_LIMITS.get(network, REPLY_LIMITS["custom"]), "counting": "characters"}
    return {"max": REPLY_LIMITS.get(network, REPLY_LIMITS["custom"]),
            "counting": "weighted" if network == "twitter" else "characters"}


def reply_length(network, text, channel="public"):
    """(length as the network counts it, limit)."""
    limit = reply_limit(network, channel)
    if limit["counting"] == "weighted":
        return parse_tweet(text).weightedLength, limit["max"]
    return len(text), limit["max"]


def check_reply_text(network, text, channel="public"):
    text = (text or "").strip()
    if not text:
        raise Invalid(_l("The reply is empty."), code="empty_reply")
    length, limit = reply_length(network, text, channel)
    if length > limit:
        over = length - limit
        # X counts weighted characters (twitter-text: CJK and emoji count double), the others code points.
        weighted = reply_limit(network, channel)["counting"] == "weighted"
        message = (lazy_ngettext("The reply is %(num)s weighted character over the %(limit)s this network allows.",
                                 "The reply is %(num)s weighted characters over the %(limit)s this network allows.",
                                 over, limit=limit) if weighted else
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
    conv = check_visible(session, author, lock_conversation(session, conversation_id))
    if idempotency_key:
        existing = session.scalars(
            sa.select(Message).where(Message.conversation_id == conv.id, Message.idempotency_key == idempotency_key)
        ).first()
        if existing is not None:
            return existing, False
    text = check_reply_text(conv.network, text, conv.channel)
    check_nothing_unseen(session, conv, last_seen_message_id, author)
    now = utcnow()
    send_as = private_send_as(session, conv, now) if conv.channel == "private" else None
    target = _reply_target(session, conv, in_reply_to_message_id)
    message = queue_outbound(session, conv, author=author, text=text, target=target, now=now, send_as=send_as,
                             idempotency_key=idempotency_key)
    record("reply.queued", actor=author, target=conv, data={"message_id": message.id})
    return message, True


def check_nothing_unseen(session, conv, last_seen_message_id, author):
    """The duplicate-answer guard: Conflict (409) when anything arrived after what the agent saw."""
    if last_seen_message_id is None:
        return
    newer = unseen_messages(session, conv, last_seen_message_id)
    if newer:
        raise Conflict(_conflict_message(newer, author), code="newer_messages",
                       newer_messages=[message_dict(m) for m in newer])


def private_send_as(session, conv, now):
    """How a reply in the private conversation `conv` goes out at `now` (None: a plain DM; "human_agent":
    tagged HUMAN_AGENT), or Invalid with the reason it cannot (checked before queueing)."""
    account = session.get(SocialAccount, conv.account_id)
    contact = session.get(Contact, conv.contact_id)
    if conv.network == "twitter" and contact.accepts_dms is False:
        raise Invalid(_l("This customer does not accept direct messages from the brand on X. Answer publicly, "
                         "or ask them to open their DMs."), code="recipient_refuses_dms")
    window = reply_window(conv.network, conv.last_inbound_at, now, human_agent_enabled=account.human_agent_enabled)
    if not window.can_send:
        if window.closes_at is None:
            message = _l("The customer has not written here yet: Messenger allows an answer only after they write. "
                         "The customer must write first.")
        else:
            message = _l("The messaging window closed on %(closed_at)s: Messenger allows an answer only within "
                         "24 hours of the customer's last message (7 days with the human-agent tag, where the "
                         "account enables it). The customer must write first.",
                         closed_at=f"{window.human_agent_until or window.closes_at:%Y-%m-%d %H:%M} UTC")
        raise Invalid(message, code="outside_window", details=[
            {"closes_at": isoformat(window.closes_at), "human_agent_until": isoformat(window.human_agent_until)}])
    return "human_agent" if window.needs_human_agent_tag else None


def queue_outbound(session, conv, *, author, text, target, now, send_as=None, idempotency_key=None,
                   in_reply_to_external_id=None, automatic_rule_id=None):
    """A queued outbound message in `conv` (locked by the caller), its counters and the message.created event.
    Answering a customer takes the conversation (an automatic answer, `automatic_rule_id` set and `author`
    no user, takes none). The caller commits, then dispatches sending."""
    message = Message(
        conversation_id=conv.id, account_id=conv.account_id, network=conv.network, direction="outbound", text=text,
        search_text=fold(text), author_user_id=author.id, author_name=author.name,
        reply_to_message_id=target.id if target else None,
        in_reply_to_external_id=in_reply_to_external_id or (target.external_id if target else None),
        created_at=now, received_at=now, delivery_status="queued", idempotency_key=idempotency_key, mentions=[],
        send_as=send_as, post_external_id=target.post_external_id if target is not None else None,
        automatic_rule_id=automatic_rule_id,
    )
    session.add(message)
    conv.message_count += 1
    conv.last_message_at = now
    conv.snippet = snippet(text)
    changes = {}
    if conv.assignee_id is None and author.id is not None:  # answering a customer takes the conversation
        conv.assignee_id = author.id
        changes["assignee_id"] = {"from": None, "to": author.id}
    session.flush()
    events.publish(session, "message.created", {"conversation": conversation_summary(conv), "message": message_dict(message)})
    if changes:
        events.publish(session, "conversation.updated", {"conversation": conversation_summary(conv), "changes": changes})
    return message


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
    target = latest_customer_message(session, conv)
    # A DM goes to the customer, not to one of their messages: a private conversation the brand opened
    # (a move to DM on X) can be answered before the customer wrote in it.
    if target is None and conv.network != "custom" and conv.channel != "private":
        raise Invalid(_l("This conversation has no customer message to answer."), code="bad_reply_target")
    return target


def latest_customer_message(session, conv):
    return session.scalars(
        sa.select(Message).where(Message.conversation_id == conv.id, Message.direction == "inbound")
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(1)
    ).first()


def retry_reply(session, message_id, *, actor):
    """failed/unknown → queued, because the agent decided so. Returns the message."""
    message = _own_outbound(session, message_id, actor)
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
    message = _own_outbound(session, message_id, actor)
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


def _own_outbound(session, message_id, actor):
    message = session.get(Message, message_id)
    if (message is None or message.direction != "outbound" or message.is_native
            or not can_see(session, actor, session.get(Conversation, message.conversation_id))):
        raise NotFound(_l("There is no reply %(id)s.", id=message_id))
    return message


def create_note(session, conversation_id, *, author, text, mention_ids=()):
    """A private note; @mentioned staff are notified."""
    conv = session.get(Conversation, conversation_id)
    if conv is None or not can_see(session, author, conv):
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
        if user.id == author.id or not can_see(session, user, conv):  # no news of another team's conversation
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
