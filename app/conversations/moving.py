"""Move to DM: one action that takes a customer from a public conversation to a private one.

- Facebook: a Private Reply to the customer's latest comment. It lands in Messenger, so it is the first
  message of the customer's private conversation (send_as "private_reply", answering the comment's id).
  Facebook allows one per comment, within 7 days of it. Sent, it answers the comment: the public
  conversation's clock stops then (app/conversations/sending.py), as a public reply would stop it.
- Instagram: the same, through the Messenger platform for Instagram; a comment on a live video gets one only
  while it is live. It does not open the 24-hour window: the agent's next DM waits for the customer's answer.
- X: a public reply carrying the deep link that opens a DM to the brand, and, unless the customer does
  not accept DMs from the brand, the first DM itself in the private conversation. The public reply
  stops the public clock when it is sent, like any reply.

The private conversation is the customer's open one on the account, or a new one; either way the public
conversation links to it (`moved_to_id`), which also holds when the network later gives the customer
another id in Messenger. Its SLA clock starts only when the customer writes there: our message is an
answer, not a question. Moving again returns what the first move did (idempotent).

Lock order, as ingest's (app/ingest/store.py): the account (whoever opens a conversation holds it), the
public conversation, then the private one.
"""
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import events
from app.accounts import lock_accounts
from app.audit import record
from app.conversations.replies import (
    check_nothing_unseen,
    check_reply_text,
    latest_customer_message,
    lock_conversation,
    queue_outbound,
)
from app.conversations.windows import live_still_on, private_reply_open, x_dm_link
from app.domain_errors import Invalid, NotFound
from app.models import AuditEvent, Contact, Conversation, Message, Post, SocialAccount, utcnow
from app.serialize import conversation_summary
from app.teams import can_see

DEFAULT_TEXT = _l("Hello, we have moved our conversation to a private message so we can help you with your details.")

# How each network moves a conversation to DM (networks not named here have no private messages).
VIA = {"facebook": "private_reply", "instagram": "private_reply", "twitter": "dm_link"}

REFUSALS = {
    "already_moved": _l("This conversation has already moved to a private conversation."),
    "not_public": _l("Only a public conversation can move to a private one."),
    "no_customer_message": _l("There is no customer message to answer privately."),
    "private_reply_window_closed": _l("Facebook allows a Private Reply only within 7 days of the comment, and the "
                                      "customer's latest comment is older. Answer publicly and ask them to write "
                                      "to the Page."),
    "already_replied_privately": _l("The customer's latest comment already got a Private Reply: Facebook allows "
                                    "one per comment."),
    "network_has_no_dms": _l("This channel has no private messages."),
    "live_ended": _l("Instagram allows a Private Reply to a comment on a live video only while the video is live, "
                     "and this one has ended. Answer publicly."),
}
# Where Instagram's rule reads differently from Facebook's (the same codes).
INSTAGRAM_REFUSALS = {
    "private_reply_window_closed": _l("Instagram allows a Private Reply only within 7 days of the comment, and the "
                                      "customer's latest comment is older. Answer publicly and ask them to send a "
                                      "direct message."),
    "already_replied_privately": _l("The customer's latest comment already got a Private Reply: Instagram allows "
                                    "one per comment."),
}


def refusal_text(network, reason):
    """What to tell the agent for a MoveCheck reason on `network`."""
    if network == "instagram" and reason in INSTAGRAM_REFUSALS:
        return INSTAGRAM_REFUSALS[reason]
    return REFUSALS[reason]


@dataclass(frozen=True)
class MoveCheck:
    """Whether a conversation can move to DM now; `reason` (a REFUSALS key) when not; `via` how it would."""

    allowed: bool
    reason: str | None = None
    via: str | None = None

    def to_json(self):
        return {"allowed": self.allowed, "reason": self.reason, "via": self.via}


@dataclass
class MoveResult:
    public: Conversation
    private: Conversation
    messages: list  # the outbound messages the move queued (public and private), in order
    moved_now: bool  # False: it had moved before; nothing new was queued


def can_move_to_private(session, conv, now=None):
    """The MoveCheck of `conv` at `now` (the same rules the move applies, for the composer to explain)."""
    now = now or utcnow()
    via = VIA.get(conv.network)
    if conv.channel != "public":
        return MoveCheck(False, "not_public")
    if conv.moved_to_id is not None:
        return MoveCheck(False, "already_moved", via)
    if via is None:
        return MoveCheck(False, "network_has_no_dms")
    comment = latest_customer_message(session, conv)
    if comment is None or not comment.external_id:
        return MoveCheck(False, "no_customer_message", via)
    if via == "private_reply":
        if not private_reply_open(_aware(comment.created_at), now):
            return MoveCheck(False, "private_reply_window_closed", via)
        live = _live_video_of(session, comment)
        if live is not None and not live_still_on(_aware(live.posted_at), now):
            return MoveCheck(False, "live_ended", via)
        if _replied_privately(session, comment):
            return MoveCheck(False, "already_replied_privately", via)
    return MoveCheck(True, None, via)


def move_to_private(session, conversation_id, *, author, text=None, last_seen_message_id=None, now=None):
    """Move the public conversation `conversation_id` to DM. Returns a MoveResult; the caller commits, then
    dispatches sending of `messages` when `moved_now`. Raises NotFound, Conflict (newer messages) or
    Invalid (a MoveCheck reason, or a text too long)."""
    now = now or utcnow()
    found = session.get(Conversation, conversation_id)
    if found is None or not can_see(session, author, found):
        raise NotFound(_l("There is no conversation %(id)s.", id=conversation_id))
    lock_accounts(session, [found.account_id])
    public = lock_conversation(session, conversation_id)
    if public.moved_to_id is not None and public.channel == "public":
        private = lock_conversation(session, public.moved_to_id)
        return MoveResult(public, private, _messages_of_the_move(session, public), moved_now=False)
    check = can_move_to_private(session, public, now)
    if not check.allowed:
        raise Invalid(refusal_text(public.network, check.reason), code=check.reason)
    check_nothing_unseen(session, public, last_seen_message_id, author)

    account = session.get(SocialAccount, public.account_id)
    contact = session.get(Contact, public.contact_id)
    comment = latest_customer_message(session, public)
    text = check_reply_text(public.network, (text or "").strip() or str(DEFAULT_TEXT), "private")
    public_text = None
    if check.via == "dm_link":
        brand_id = account.external_id or account.credentials.get("user_id")
        if not brand_id:
            raise Invalid(_l("The account's X user id is not known yet: wait for its first poll."),
                          code="account_not_identified")
        public_text = check_reply_text(public.network, f"{text} {x_dm_link(brand_id)}")

    private, opened = _private_conversation(session, public, author, now)
    messages = []
    if check.via == "private_reply":
        messages.append(queue_outbound(session, private, author=author, text=text, target=None, now=now,
                                       send_as="private_reply", in_reply_to_external_id=comment.external_id))
    else:
        messages.append(queue_outbound(session, public, author=author, text=public_text, target=comment, now=now))
        if contact.accepts_dms is not False:  # None: X did not say; a refusal then shows on the DM ('failed')
            messages.append(queue_outbound(session, private, author=author, text=text, target=None, now=now))

    changes = {"moved_to_id": {"from": None, "to": private.id}}
    if public.assignee_id is None:  # moving the customer answers them: it takes the conversation
        public.assignee_id = author.id
        changes["assignee_id"] = {"from": None, "to": author.id}
    public.moved_to_id = private.id
    session.flush()
    events.publish(session, "conversation.updated", {"conversation": conversation_summary(public), "changes": changes})
    record("conversation.moved", actor=author, target=public,
           data={"private_id": private.id, "via": check.via, "opened": opened, "message_ids": [m.id for m in messages]})
    return MoveResult(public, private, messages, moved_now=True)


def _private_conversation(session, public, author, now):
    """(the customer's unresolved private conversation on the account, locked; or a new one, True if new)."""
    existing = session.execute(
        sa.select(Conversation).where(
            Conversation.account_id == public.account_id, Conversation.contact_id == public.contact_id,
            Conversation.channel == "private", Conversation.status != "resolved",
        ).with_for_update()
    ).scalar_one_or_none()
    if existing is not None:
        return existing, False
    private = Conversation(
        account_id=public.account_id, contact_id=public.contact_id, network=public.network, channel="private",
        status="open", assignee_id=author.id, priority=public.priority, tags=[], is_spam=False, snippet="",
        message_count=0, language=public.language, team_id=public.team_id, created_at=now, updated_at=now,
    )
    session.add(private)
    session.flush()
    events.publish(session, "conversation.created", {"conversation": conversation_summary(private)})
    return private, True


def _live_video_of(session, comment):
    """The live video (an Instagram media of product type LIVE) `comment` is on; None for any other."""
    if comment.network != "instagram" or not comment.post_external_id:
        return None
    return session.scalars(sa.select(Post).where(Post.network == comment.network,
                                                 Post.external_id == comment.post_external_id,
                                                 Post.product_type == "LIVE")).first()


def _replied_privately(session, comment):
    """Whether Carebox already sent (or is sending) a Private Reply to `comment`, or the network said so."""
    return session.scalar(
        sa.select(sa.func.count()).select_from(Message).where(
            Message.network == comment.network, Message.send_as == "private_reply",
            Message.in_reply_to_external_id == comment.external_id,
            sa.or_(Message.delivery_status.in_(("queued", "sending", "sent", "unknown")),
                   Message.delivery_error_code == "already_replied_privately"),
        )
    ) > 0


def _messages_of_the_move(session, public):
    """The messages the earlier move queued, as its audit record lists them (those still there)."""
    moved = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "conversation.moved", AuditEvent.target_type == "Conversation",
                                    AuditEvent.target_id == str(public.id))
        .order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    ids = (moved.data or {}).get("message_ids", []) if moved else []
    if not ids:
        return []
    return list(session.scalars(sa.select(Message).where(Message.id.in_(ids)).order_by(Message.id)))


def _aware(when):
    return when.replace(tzinfo=timezone.utc) if isinstance(when, datetime) and when.tzinfo is None else when
