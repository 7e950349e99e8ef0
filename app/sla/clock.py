"""Starting and stopping response clocks.

A clock starts at the platform time of the oldest customer message that has
no later answer, and stops when we answer (here or natively on the network)
or the conversation is resolved. The conversation row mirrors its running
clock (sla_state, sla_started_at, sla_warn_at, sla_breach_at) so the inbox
can sort by urgency without a join.
"""
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.models import SlaClock, SlaPolicy, SocialAccount


@dataclass(frozen=True)
class Policy:
    id: int | None
    warn_minutes: int
    breach_minutes: int
    timezone: str = "UTC"
    business_hours: dict | None = None
    holidays: tuple = ()


def default_policy():
    cfg = current_app.config
    return Policy(None, cfg["CAREBOX_SLA_WARN_MINUTES"], cfg["CAREBOX_SLA_BREACH_MINUTES"])


def effective_policy(session, account_id):
    row = session.execute(
        sa.select(SlaPolicy).join(SocialAccount, SocialAccount.sla_policy_id == SlaPolicy.id)
        .where(SocialAccount.id == account_id)
    ).scalar_one_or_none()
    if row is None:
        return default_policy()
    return Policy(row.id, row.warn_minutes, row.breach_minutes, row.timezone, row.business_hours, tuple(row.holidays or ()))


def due_times(policy, started_at):
    """When a clock started at `started_at` warns and breaches under `policy`."""
    return started_at + timedelta(minutes=policy.warn_minutes), started_at + timedelta(minutes=policy.breach_minutes)


def start_clock(session, conversation, started_at, *, policy, kind="first"):
    """Start a clock unless one is running. Returns the new clock, or None if one was running."""
    if conversation.sla_started_at is not None:  # the conversation mirrors its running clock
        return None
    warn_at, breach_at = due_times(policy, started_at)
    clock = SlaClock(
        conversation_id=conversation.id, account_id=conversation.account_id, policy_id=policy.id,
        kind=kind, started_at=started_at, warn_at=warn_at, breach_at=breach_at, state="ok",
    )
    session.add(clock)
    conversation.sla_state = "ok"
    conversation.sla_started_at, conversation.sla_warn_at, conversation.sla_breach_at = started_at, warn_at, breach_at
    return clock


def stop_clock(session, conversation, stopped_at, reason, *, user_id=None):
    """Stop the running clock, if any, and keep it for reports."""
    if conversation.sla_started_at is None:
        return None
    clock = _running(session, conversation.id)
    if clock is None:
        return None
    stopped_at = max(stopped_at, clock.started_at)
    clock.stopped_at = stopped_at
    clock.stop_reason = reason
    clock.answered_by_user_id = user_id
    clock.response_seconds = (stopped_at - clock.started_at).total_seconds()
    clock.met = reason != "resolved" and stopped_at <= clock.breach_at
    conversation.sla_state = "stopped"
    conversation.sla_started_at = conversation.sla_warn_at = conversation.sla_breach_at = None
    return clock


def _running(session, conversation_id):
    with session.no_autoflush:
        pending = [c for c in session.new if isinstance(c, SlaClock) and c.conversation_id == conversation_id]
    if pending:
        return pending[0]
    return session.execute(
        sa.select(SlaClock).where(SlaClock.conversation_id == conversation_id, SlaClock.stopped_at.is_(None))
    ).scalar_one_or_none()
