"""A clock as people see it now: its state, whether business hours pause it, and its stored record.

`level` is how far the clock has run by its due times: ok, warning or breached.
`state` is what the inbox shows: the level, or "paused" when the policy's business hours are closed
right now and the clock has not breached, or "stopped" when no clock runs (app/sla/rules.py shown_state).
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from flask import has_app_context
from sqlalchemy.orm import object_session

from app.extensions import db
from app.models import SocialAccount, isoformat
from app.sla import rules
from app.sla.policies import conversation_policy, effective_policy
from app.sla.store import state_of
from app.vocabulary import CHANNELS


def clock_view(conv, now=None, session=None):
    """The "sla" dict of a conversation (fields of docs/design.md plus what the inbox needs to tick)."""
    now = now or datetime.now(timezone.utc)
    clock = state_of(conv).running
    session = session or _session_of(conv)
    policy = conversation_policy(session, conv) if session is not None and conv.account_id else None
    schedule = policy.schedule if policy is not None else None
    state, level, pause = rules.shown_state(clock, now, schedule)
    view = {
        "state": state,
        "level": level,
        "started_at": isoformat(conv.sla_started_at),
        "warn_at": isoformat(conv.sla_warn_at),
        "breach_at": isoformat(conv.sla_breach_at),
        "paused": state == "paused",
        "paused_reason": pause[0] if state == "paused" else None,
        "resumes_at": isoformat(pause[1]) if state == "paused" else None,
        "pauses_at": isoformat(pause[1]) if pause is not None and pause[0] == "open" else None,
        "policy": policy.ref() if policy is not None else None,
    }
    return view


def channel_of(conv):
    """The conversation's channel kind (rows of older shapes have none: public)."""
    return getattr(conv, "channel", None) or "public"


def _session_of(conv):
    """The conversation's session, or the app's for plain objects (the sweep serialises rows)."""
    found = object_session(conv) if hasattr(conv, "_sa_instance_state") else None
    if found is None and has_app_context():
        found = db.session()
    return found


def clock_dict(clock):
    """One stored clock, as in sla.changed events and the clocks export."""
    return {
        "id": clock.id,
        "conversation_id": clock.conversation_id,
        "account_id": clock.account_id,
        "policy_id": clock.policy_id,
        "kind": clock.kind,
        "state": clock.state,
        "started_at": isoformat(clock.started_at),
        "warn_at": isoformat(clock.warn_at),
        "breach_at": isoformat(clock.breach_at),
        "warned_at": isoformat(clock.warned_at),
        "breached_at": isoformat(clock.breached_at),
        "stopped_at": isoformat(clock.stopped_at),
        "stop_reason": clock.stop_reason,
        "answered_by_user_id": clock.answered_by_user_id,
        "response_seconds": clock.response_seconds,
        "met": clock.met,
    }


def paused_channels(session, now=None):
    """{(account id, channel)} whose policy's business hours are closed right now: their clocks are paused."""
    now = now or datetime.now(timezone.utc)
    paused = set()
    for account_id in session.scalars(sa.select(SocialAccount.id)):
        for channel in CHANNELS:
            schedule = effective_policy(session, account_id, channel).schedule
            if schedule is not None and not schedule.status(now)[0]:
                paused.add((account_id, channel))
    return paused
