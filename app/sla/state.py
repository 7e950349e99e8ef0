"""A clock as people see it now: its level, whether business hours pause it, and its stored record.

`level` is how far the clock has run by its due times: ok, warning or breached.
`state` is what the inbox shows: the level, or "paused" when the policy's
business hours are closed right now and the clock has not breached (a breach
stands whatever the hour), or "stopped" when no clock runs.
"""
from datetime import datetime, timezone

from flask import has_app_context
from sqlalchemy.orm import object_session

from app.models import isoformat
from app.sla.policies import effective_policy

LEVELS = ("ok", "warning", "breached")


def level(conv, now):
    """ok / warning / breached from the due times (right even before the sweep has run), or None."""
    if conv.sla_started_at is None:
        return None
    by_time = "breached" if now >= conv.sla_breach_at else "warning" if now >= conv.sla_warn_at else "ok"
    stored = conv.sla_state if conv.sla_state in LEVELS else "ok"
    return max(by_time, stored, key=LEVELS.index)  # a flagged state never goes back


def clock_view(conv, now=None, session=None):
    """The "sla" dict of a conversation (fields of DESIGN.md plus what the inbox needs to tick)."""
    now = now or datetime.now(timezone.utc)
    current = level(conv, now)
    view = {
        "state": current or "stopped",
        "level": current,
        "started_at": isoformat(conv.sla_started_at),
        "warn_at": isoformat(conv.sla_warn_at),
        "breach_at": isoformat(conv.sla_breach_at),
        "paused": False,
        "paused_reason": None,
        "resumes_at": None,
        "pauses_at": None,
        "policy": None,
    }
    session = session or _session_of(conv)
    if session is None or conv.account_id is None:
        return view
    policy = effective_policy(session, conv.account_id)
    view["policy"] = policy.ref()
    schedule = policy.schedule
    if current is None or schedule is None:
        return view
    is_open, change = schedule.status(now)
    if is_open:
        view["pauses_at"] = isoformat(change)
    elif current != "breached":
        view.update(state="paused", paused=True, resumes_at=isoformat(change),
                    paused_reason="holiday" if schedule.is_holiday(now) else "outside_business_hours")
    return view


def _session_of(conv):
    """The conversation's session, or the app's for plain objects (the sweep serialises rows)."""
    found = object_session(conv) if hasattr(conv, "_sa_instance_state") else None
    if found is None and has_app_context():
        from app.extensions import db

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


def paused_account_ids(session, now=None):
    """Accounts whose SLA policy's business hours are closed right now (their clocks are paused)."""
    import sqlalchemy as sa

    from app.models import SocialAccount

    now = now or datetime.now(timezone.utc)
    paused = []
    for account_id in session.scalars(sa.select(SocialAccount.id)):
        schedule = effective_policy(session, account_id).schedule
        if schedule is not None and not schedule.status(now)[0]:
            paused.append(account_id)
    return paused
