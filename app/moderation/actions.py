"""Moderating a message on the network for a person (`moderate`, `moderate_many`) or for a rule (`perform_pending`).

Each action is one connector call, made with no database transaction open (everything it needs is read and
the transaction committed first, as in sending a reply), so a slow network holds no lock. Its outcome is
then written with a compare-and-set UPDATE on the column it changes: the event's `changes` say what the
row really went from, and two agents hiding at once publish one change. A success clears the stored refusal,
is audited (who, never the text) and published as `message.updated` (the webhooks message.hidden/unhidden/
deleted come from it). A refusal keeps the network's reason in `moderation_error_code` and raises Refused;
a rate limit or outage raises Unavailable and changes nothing. An action whose result is there already (hide
a hidden message) succeeds without a network call.
"""
import logging
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app import audit, permissions, teams
from app.connectors import connector_for
from app.connectors.base import AccountInfo, ConnectorError, RejectedError
from app.conversations.sending import publish_change
from app.database import write_intent
from app.domain_errors import Conflict, DomainError, Invalid, NotFound, Refused
from app.models import Conversation, Message, SocialAccount, utcnow
from app.moderation.applicable import TARGETS, check_applicable, family
from app.moderation.refusals import known_reason, refused, unavailable
from app.vocabulary import MODERATION_ACTIONS

log = logging.getLogger(__name__)

PERMISSIONS = {"hide": "moderation.hide", "unhide": "moderation.hide", "like": "moderation.like",
               "unlike": "moderation.like", "delete": "moderation.delete"}
MAX_BULK = 100
_MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class _Call:
    """What one network call needs, read before the transaction ends."""

    message_id: int
    action: str
    external_id: str
    info: AccountInfo


def check_action(action):
    if action not in MODERATION_ACTIONS:
        raise Invalid(_l("Unknown moderation action: %(action)s.", action=action), code="unknown_action")


def visible_message(session, message_id, user):
    """The message, if it exists and `user` may see its conversation (else NotFound, as for a missing one)."""
    message = session.get(Message, message_id) if 1 <= message_id <= _MAX_ID else None
    conversation = session.get(Conversation, message.conversation_id) if message is not None else None
    if conversation is None or not teams.can_see(session, user, conversation):
        raise NotFound(_l("There is no message %(id)s.", id=message_id))
    return message


def moderate(session, message_id, action, *, actor):
    """Do `action` (vocabulary.MODERATION_ACTIONS) to message `message_id` on the network, as `actor`.
    Commits. Returns the message as it now is."""
    check_action(action)
    message = visible_message(session, message_id, actor)
    permissions.check(session, actor, PERMISSIONS[action])
    check_applicable(session, message, action)
    return _carry_out(session, message, action, actor=actor)


def moderate_many(session, message_ids, action, *, actor):
    """`action` on each of `message_ids` (at most MAX_BULK), one after the other; one failure does not stop
    the rest. Returns [{"id", "ok", "message"? (the message), "reason"?, "error"?}] in the given order."""
    check_action(action)
    ids = list(dict.fromkeys(message_ids))
    if len(ids) > MAX_BULK:
        raise Invalid(_l("At most %(num)s messages at once.", num=MAX_BULK), code="too_many_messages")
    permissions.check(session, actor, "moderation.bulk")
    permissions.check(session, actor, PERMISSIONS[action])
    results = []
    for message_id in ids:
        try:
            message = moderate(session, message_id, action, actor=actor)
        except DomainError as exc:
            session.rollback()
            results.append({"id": message_id, "ok": False, "reason": exc.extra.get("reason") or exc.code,
                            "error": exc.message})
            continue
        results.append({"id": message_id, "ok": True, "message": message})
    return results


def perform_pending(session, message_id):
    """Do the action a rule left in the message's `moderation_pending`, as the system. Returns "done",
    "refused" (the reason stored) or "dropped" (nothing to do, or it no longer makes sense); raises Unavailable
    when it should be tried again later. The pending mark is cleared only with the outcome, so a worker killed
    in between leaves it for the next (hiding twice is harmless)."""
    message = session.get(Message, message_id)
    action = message.moderation_pending if message is not None else None
    if action is None:
        session.commit()
        return "dropped"
    try:
        check_action(action)
        check_applicable(session, message, action)
    except Invalid as exc:
        reason = known_reason(exc.extra.get("reason"))
        _settle_pending(session, message_id, action, reason)
        return "refused" if reason else "dropped"
    except Conflict:  # deleted already
        _settle_pending(session, message_id, action, None, keep_code=True)
        return "dropped"
    try:
        _carry_out(session, message, action, actor=None, pending=action)
    except Refused:
        return "refused"
    return "done"


def _carry_out(session, message, action, *, actor, pending=None):
    column, target = TARGETS[action]
    if getattr(message, column) == target:  # done already: nothing to ask the network
        if pending or message.moderation_pending in family(action):
            _settle_pending(session, message.id, pending or message.moderation_pending, None, keep_code=True)
        session.commit()
        return message
    account = session.get(SocialAccount, message.account_id)
    call = _Call(message.id, action, message.external_id, AccountInfo(
        id=account.id, network=account.network, name=account.name, external_id=account.external_id,
        handle=account.handle, api_base_url=account.api_base_url, credentials=account.credentials))
    session.commit()  # no transaction stays open across the network call

    connector = None
    try:
        connector = connector_for(call.info, timeout=current_app.config["CAREBOX_HTTP_TIMEOUT"])
        _network_call(connector, call)
    except RejectedError as exc:
        if pending == "delete" and exc.reason == "object_missing":  # deleted by an attempt a crash cut short
            return _record_done(session, call, connector, actor=actor, pending=pending)
        _record_refusal(session, call, known_reason(exc.reason), connector, pending=pending)
        raise refused(exc.reason) from None
    except ConnectorError as exc:
        log.info("moderation %s of message %s not done: %s", action, call.message_id, exc.message)
        _record_rate_limits(session, call, connector)
        raise unavailable(exc) from None
    return _record_done(session, call, connector, actor=actor, pending=pending)


def _network_call(connector, call):
    if call.action in ("hide", "unhide"):
        return connector.hide(call.external_id, hidden=call.action == "hide")
    return getattr(connector, call.action)(call.external_id)


def _record_done(session, call, connector, *, actor, pending):
    """Write the action's result with a compare-and-set on its column; audit and publish what changed."""
    column_name, target = TARGETS[call.action]
    column = getattr(Message, column_name)
    with write_intent():
        for _ in range(5):
            message = session.get(Message, call.message_id, populate_existing=True)
            if message is None or pending and message.moderation_pending != pending:
                session.commit()  # gone, or someone decided otherwise meanwhile: theirs stands
                return message
            before = getattr(message, column_name)
            values = {column_name: target, "moderated_at": utcnow(), "moderation_error_code": None}
            where = [Message.id == call.message_id, column == before]
            if message.moderation_pending in family(call.action):
                values["moderation_pending"] = None
                where.append(Message.moderation_pending == message.moderation_pending)
            updated = session.execute(sa.update(Message).where(*where).values(**values)
                                      .execution_options(synchronize_session=False)).rowcount
            if updated:
                break
        else:  # changed under us at every try: what the others wrote stands
            session.commit()
            return message
        message = session.get(Message, call.message_id, populate_existing=True)
        _store_rate_limits(session, message.account_id, connector)
        if before != target:
            data = {"conversation_id": message.conversation_id, "network": message.network,
                    "from": before, "to": target}
            if actor is None:
                data["by"] = "rule"
            audit.record(f"message.{call.action}", actor=actor, target=message, data=data)
            publish_change(session, message, {column_name: {"from": before, "to": target}})
        session.commit()
    return message


def _record_refusal(session, call, reason, connector, *, pending):
    with write_intent():
        message = session.get(Message, call.message_id, populate_existing=True)
        if message is None:
            session.commit()
            return
        _store_rate_limits(session, message.account_id, connector)
        if pending and message.moderation_pending != pending:
            session.commit()
            return
        before = message.moderation_error_code
        message.moderation_error_code = reason
        if message.moderation_pending in family(call.action):
            message.moderation_pending = None
        session.flush()
        if before != reason:
            publish_change(session, message, {"moderation_error_code": {"from": before, "to": reason}})
        session.commit()


def _record_rate_limits(session, call, connector):
    with write_intent():
        _store_rate_limits(session, call.info.id, connector)
        session.commit()


def _settle_pending(session, message_id, action, reason, *, keep_code=False):
    """Clear the pending `action` of a message (only if it is still that one), storing `reason` if any."""
    values = {"moderation_pending": None}
    if not keep_code:
        values["moderation_error_code"] = reason
    with write_intent():
        session.execute(sa.update(Message).where(Message.id == message_id, Message.moderation_pending == action)
                        .values(**values).execution_options(synchronize_session=False))
        session.commit()


def _store_rate_limits(session, account_id, connector):
    """The budgets the call's responses announced (name → RateLimit), merged into the account's health."""
    limits = getattr(connector, "last_rate_limits", None) or {}
    if not limits:
        return
    account = session.get(SocialAccount, account_id)
    account.rate_limits = {**(account.rate_limits or {}), **{name: limit.to_json() for name, limit in limits.items()}}
