"""New due times for running clocks when the policy that governs them changes.

What moves is decided by app/sla/rules.py `under_new_policy`: only what has not
happened yet. States still only move forward and each transition is still
published once; if the new times are already past, the next sweep flags the clock.
"""
import sqlalchemy as sa

from app import events
from app.models import Conversation, SlaClock
from app.sla import rules
from app.sla.policies import chosen_policy, effective_policy, forget
from app.vocabulary import CHANNELS


def recompute_accounts(session, account_ids):
    """Recompute the running clocks of these accounts under their current policy. Returns how many moved."""
    session.flush()
    forget(session)  # read the policies as they are now, in this transaction
    moved = 0
    for account_id in sorted(set(account_ids)):
        moved += _recompute_account(session, account_id, {
            channel: effective_policy(session, account_id, channel) for channel in CHANNELS})
    if moved:
        events.publish(session, "sla.recomputed", {"account_ids": sorted(set(account_ids)), "clocks": moved})
    return moved


def _recompute_account(session, account_id, policies):
    """`policies`: channel -> the Policy of the account's conversations of that channel."""
    found = session.execute(
        sa.select(SlaClock.id, SlaClock.conversation_id, SlaClock.policy_id, SlaClock.kind, SlaClock.started_at,
                  SlaClock.warn_at, SlaClock.breach_at, SlaClock.state, Conversation.channel,
                  Conversation.sla_policy_id)
        .join(Conversation, Conversation.id == SlaClock.conversation_id)
        .where(SlaClock.account_id == account_id, SlaClock.stopped_at.is_(None))
        .order_by(SlaClock.conversation_id)
    ).all()
    clock_rows, conversation_rows = [], []
    for row in found:
        before = rules.Clock(row.policy_id, row.kind, row.started_at, row.warn_at, row.breach_at, row.state)
        # A conversation a rule chose a policy for keeps it, whatever its account follows.
        policy = chosen_policy(session, row.sla_policy_id) or policies.get(row.channel) or policies["public"]
        after = rules.under_new_policy(before, policy)
        if after == before:
            continue
        clock_rows.append({"id": row.id, "warn_at": after.warn_at, "breach_at": after.breach_at,
                           "policy_id": after.policy_id})
        if (after.warn_at, after.breach_at) != (before.warn_at, before.breach_at):
            conversation_rows.append({"id": row.conversation_id, "sla_warn_at": after.warn_at,
                                      "sla_breach_at": after.breach_at})
    # Conversations before clocks: the lock order of ingest, replies and the sweep.
    if conversation_rows:
        session.execute(sa.update(Conversation), conversation_rows)
    if clock_rows:
        session.execute(sa.update(SlaClock), clock_rows)
        _expire_loaded(session, {r["id"] for r in conversation_rows}, {r["id"] for r in clock_rows})
    return len(conversation_rows)


def _expire_loaded(session, conversation_ids, clock_ids):
    """Objects of these rows already in the session would show the old times: reload them on next use."""
    for obj in list(session.identity_map.values()):
        if (isinstance(obj, Conversation) and obj.id in conversation_ids) or (
                isinstance(obj, SlaClock) and obj.id in clock_ids):
            session.expire(obj)
