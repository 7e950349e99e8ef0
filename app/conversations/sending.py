"""Sending replies through the account's connector: queued → sending → sent | failed | unknown.

- The request that creates a reply commits it 'queued'; the web process then sends it at once in
  a background task, and the worker sends any 'queued' reply left behind (the web process died).
- 'queued' → 'sending' is a conditional UPDATE committed before the network call: exactly one
  sender wins, so we never post a reply twice.
- The result is recorded right after the call. If the process dies in between, the reply stays
  'sending'; the worker turns such replies 'unknown' after a grace period. When the network may
  have posted the reply even though we saw an error (a read timeout, a reset connection), it is
  'unknown' too. 'failed' and 'unknown' replies are never re-sent automatically: the agent
  retries or discards (and if the poller later sees the reply on the network, ingest marks it sent).

Which connector call sends a message follows from its conversation's channel and its `send_as`: a reply
on the public post it answers; a direct message to the customer (tagged HUMAN_AGENT when send_as says so);
a Facebook or Instagram Private Reply to the comment it answers (the first message of a move to DM). A
public reply carries a ReplyTarget (Instagram answers a comment on its top-level comment, a mention through
the mentions edge). A network's refusal keeps its words in `delivery_error` and, when the composer explains
it, its code (connectors.base REFUSALS for private messages, REPLY_REFUSALS for public replies) in
`delivery_error_code`. The budgets the send's response headers announced go to the account's health.
"""
import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app import events
from app.connectors import connector_for
from app.connectors.base import AccountInfo, ConnectorError, RejectedError, ReplyTarget, TransientError
from app.database import write_intent
from app.extensions import db, socketio
from app.models import Contact, Conversation, Message, Post, SocialAccount, utcnow
from app.serialize import conversation_summary, message_dict
from app.sla.conversation import on_answer

log = logging.getLogger(__name__)

STALE_SENDING_SECONDS = 120  # well past the HTTP timeout: a reply still 'sending' by then lost its sender
QUEUED_PICKUP_SECONDS = 5  # the web process normally sends at once; the worker takes what it left


def dispatch(app, message_id):
    """Send a freshly queued reply in the background (after the request's commit)."""
    socketio.start_background_task(_send_with_context, app, message_id)


def _send_with_context(app, message_id):
    with app.app_context():
        try:
            send_reply(db.session, message_id)
        except Exception:
            log.exception("sending reply %s crashed", message_id)
            db.session.rollback()
        finally:
            db.session.remove()


def publish_change(session, message, changes):
    conv = session.get(Conversation, message.conversation_id)
    events.publish(session, "message.updated", {
        "conversation": conversation_summary(conv), "message": message_dict(message), "changes": changes,
    })


def _claim(session, message_id):
    """queued → sending, for exactly one sender. Returns the message, or None if someone else has it."""
    with write_intent():
        claimed = session.execute(
            sa.update(Message)
            .where(Message.id == message_id, Message.delivery_status == "queued")
            .values(delivery_status="sending", sending_started_at=utcnow(), delivery_attempts=Message.delivery_attempts + 1,
                    delivery_error=None, delivery_error_code=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            session.commit()
            return None
        message = session.get(Message, message_id, populate_existing=True)
        publish_change(session, message, {"delivery_status": {"from": "queued", "to": "sending"}})
        session.commit()
        return message


def send_reply(session, message_id):
    """Send one queued reply. Returns its final delivery status (or 'skipped')."""

    message = _claim(session, message_id)
    if message is None:
        return "skipped"
    account = session.get(SocialAccount, message.account_id)
    info = AccountInfo(id=account.id, network=account.network, name=account.name, external_id=account.external_id,
                       handle=account.handle, api_base_url=account.api_base_url, credentials=account.credentials)
    send = _network_call(session, message)
    session.commit()  # no transaction stays open across the network call

    if info.network == "custom":
        # A custom channel's integrator delivers it, on the message.sent webhook.
        return _record(session, message_id, "sent", external_id=None, sent_at=utcnow())
    connector = None
    try:
        connector = connector_for(info, timeout=current_app.config["CAREBOX_HTTP_TIMEOUT"])
        sent = send(connector)
    except TransientError as exc:
        status = "unknown" if exc.reached_network else "failed"
        return _record(session, message_id, status, error=exc.message, connector=connector)
    except RejectedError as exc:
        return _record(session, message_id, "failed", error=exc.message, error_code=exc.reason, connector=connector)
    except ConnectorError as exc:
        return _record(session, message_id, "failed", error=exc.message, connector=connector)
    except Exception as exc:  # a bug: record it rather than leave the reply 'sending'
        log.exception("reply %s: unexpected error from the connector", message_id)
        return _record(session, message_id, "unknown", error=f"unexpected error: {type(exc).__name__}")
    return _record(session, message_id, "sent", external_id=sent.external_id, sent_at=sent.created_at or utcnow(),
                   connector=connector)


def _network_call(session, message):
    """The connector call that sends `message`, as a function of the connector."""
    text, in_reply_to = message.text, message.in_reply_to_external_id
    if message.send_as == "private_reply":  # the first DM of a move to DM answers the customer's comment
        return lambda connector: connector.send_private_reply(in_reply_to, text)
    conv = session.get(Conversation, message.conversation_id)
    if conv.channel == "private":
        recipient = session.get(Contact, conv.contact_id).external_id
        human_agent = message.send_as == "human_agent"
        return lambda connector: connector.send_private(recipient, text, human_agent=human_agent)
    target = reply_target(session, message)
    return lambda connector: connector.send_reply(in_reply_to, text, target=target)


def reply_target(session, message):
    """The ReplyTarget of a public reply: what the answered message is on the network (what it answers, the
    post it hangs off, whether that post is someone else's that mentions the brand), for networks whose reply
    call depends on it (Instagram). None when the answered message is not stored."""
    answered = session.get(Message, message.reply_to_message_id) if message.reply_to_message_id else None
    if answered is None and message.in_reply_to_external_id:
        answered = session.scalars(sa.select(Message).where(
            Message.network == message.network, Message.external_id == message.in_reply_to_external_id)).first()
    if answered is None or not answered.external_id:
        return None
    post_id = answered.post_external_id
    mention = False
    if post_id:
        owned = session.scalar(sa.select(Post.owned).where(Post.network == answered.network,
                                                           Post.external_id == post_id))
        mention = owned is False
    return ReplyTarget(answered.external_id, parent_id=answered.in_reply_to_external_id, post_id=post_id,
                       mention=mention)


def _record(session, message_id, status, *, external_id=None, sent_at=None, error=None, error_code=None,
            connector=None):
    with write_intent():
        message = session.get(Message, message_id, populate_existing=True)
        _store_rate_limits(session, message.account_id, connector)
        if message.delivery_status != "sending":  # the poller confirmed it meanwhile
            session.commit()
            return message.delivery_status
        if status == "sent":
            mark_sent(session, message, external_id, sent_at)
        else:
            message.delivery_status = status
            message.delivery_error = (error or "")[:2000]
            message.delivery_error_code = error_code
            publish_change(session, message, {"delivery_status": {"from": "sending", "to": status}})
        session.commit()
        return status


def _store_rate_limits(session, account_id, connector):
    """The budgets the send's responses announced (endpoint name → RateLimit), merged into account health.
    Connectors that do not keep them have no `last_rate_limits`."""
    limits = getattr(connector, "last_rate_limits", None) or {}
    if not limits:
        return
    account = session.get(SocialAccount, account_id)
    # A new dict: the JSON column notices a replaced value, not one changed in place.
    account.rate_limits = {**(account.rate_limits or {}), **{name: limit.to_json() for name, limit in limits.items()}}


def mark_sent(session, message, external_id, sent_at):
    """Record a reply as on the network: it stops the SLA clock (once the customer can see our answer)."""
    previous = message.delivery_status
    message.delivery_status = "sent"
    message.delivery_error = None
    message.external_id = external_id or message.external_id
    message.sent_at = sent_at
    if message.send_as == "private_reply":
        _answer_the_comment(session, message, sent_at)
    conv = session.get(Conversation, message.conversation_id)
    on_answer(session, conv, sent_at, by_user_id=message.author_user_id)
    session.flush()
    publish_change(session, message, {"delivery_status": {"from": previous, "to": "sent"}})


def _answer_the_comment(session, message, sent_at):
    """A Private Reply answers the customer's comment: the public conversation's clock stops when it is sent,
    as a public reply would stop it. (Its private conversation's clock starts only when the customer writes
    there.) The public conversation first: the lock order public, then private."""
    comment = session.scalars(
        sa.select(Message).where(Message.network == message.network,
                                 Message.external_id == message.in_reply_to_external_id)
    ).first()
    if comment is None or comment.conversation_id == message.conversation_id:
        return
    public = session.execute(
        sa.select(Conversation).where(Conversation.id == comment.conversation_id).with_for_update()
    ).scalar_one()
    before = conversation_summary(public)["sla"]["state"]
    on_answer(session, public, sent_at, by_user_id=message.author_user_id)
    session.flush()
    after = conversation_summary(public)
    if after["sla"]["state"] != before:  # the inbox moves the conversation out of the urgent ones
        events.publish(session, "conversation.updated", {
            "conversation": after, "changes": {"sla_state": {"from": before, "to": after["sla"]["state"]}}})


def recover_stale(session, *, now=None):
    """Worker job: 'sending' replies whose sender vanished become 'unknown'. Returns how many."""
    now = now or utcnow()
    with write_intent():
        stale = session.scalars(
            sa.select(Message).where(
                Message.delivery_status == "sending",
                Message.sending_started_at < now - timedelta(seconds=STALE_SENDING_SECONDS),
            ).with_for_update(skip_locked=True)
        ).all()
        for message in stale:
            message.delivery_status = "unknown"
            message.delivery_error = "The sender stopped before recording the network's answer; it may or may not be posted."
            publish_change(session, message, {"delivery_status": {"from": "sending", "to": "unknown"}})
        session.commit()
    return len(stale)


def queued_left_behind(session, *, now=None):
    now = now or utcnow()
    return session.scalars(
        sa.select(Message.id).where(
            Message.delivery_status == "queued", Message.received_at < now - timedelta(seconds=QUEUED_PICKUP_SECONDS)
        ).order_by(Message.id).limit(50)
    ).all()


def run_sending_job(app, owner):
    """Periodic worker job: send replies the web process left queued; settle stale 'sending' ones."""
    session = db.session
    recover_stale(session)
    for message_id in queued_left_behind(session):
        session.commit()
        send_reply(session, message_id)
