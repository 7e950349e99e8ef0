"""New due times for running clocks when the policy that governs them changes.

Only what has not happened yet moves: a clock in "ok" gets new warning and
breach times, one in "warning" keeps the warning it was flagged by and gets a
new breach time, a breached clock stays as it was. So states still only move
forward and each transition is still published once; if the new times are
already past, the next sweep flags the clock.
"""
import sqlalchemy as sa

from app import events
from app.models import Conversation, SlaClock
from app.sla.clock import due_times
from app.sla.policies import effective_policy, forget


def recompute_accounts(session, account_ids):
    """Recompute the running clocks of these accounts under their current policy. Returns how many moved."""
    session.flush()
    forget(session)  # read the policies as they are now, in this transaction
    moved = 0
    for account_id in sorted(set(account_ids)):
        moved += _recompute_account(session, account_id, effective_policy(session, account_id))
    if moved:
        events.publish(session, "sla.recomputed", {"account_ids": sorted(set(account_ids)), "clocks": moved})
    return moved


def _recompute_account(session, account_id, policy):
    clocks = session.execute(
        sa.select(SlaClock.id, SlaClock.conversation_id, SlaClock.state, SlaClock.started_at, SlaClock.warn_at)
        .where(SlaClock.account_id == account_id, SlaClock.stopped_at.is_(None), SlaClock.state != "breached")
        .order_by(SlaClock.conversation_id)
    ).all()
    if not clocks:
        return 0
    clock_rows, conversation_rows = [], []
    for c in clocks:
        warn_at, breach_at = due_times(policy, c.started_at)
        if c.state == "warning":
            warn_at = c.warn_at  # already flagged: that stands
        clock_rows.append({"id": c.id, "warn_at": warn_at, "breach_at": breach_at, "policy_id": policy.id})
        conversation_rows.append({"id": c.conversation_id, "sla_warn_at": warn_at, "sla_breach_at": breach_at})
    # Conversations before clocks: the lock order of ingest, replies and the sweep.
    session.execute(sa.update(Conversation), conversation_rows)
    session.execute(sa.update(SlaClock), clock_rows)
    _expire_loaded(session, {r["id"] for r in conversation_rows}, {r["id"] for r in clock_rows})
    return len(clock_rows)


def _expire_loaded(session, conversation_ids, clock_ids):
    """Objects of these rows already in the session would show the old times: reload them on next use."""
    for obj in list(session.identity_map.values()):
        if (isinstance(obj, Conversation) and obj.id in conversation_ids) or (
                isinstance(obj, SlaClock) and obj.id in clock_ids):
            session.expire(obj)
