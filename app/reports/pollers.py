"""Poller health per account, and whether a poller has stalled.

A stalled poller breaks every SLA silently (posts simply never arrive), so it is worked out
here on the server and shown loudly. An enabled, polled account has stalled when:
- its polling stopped (the network rejected the credentials), or
- its last successful poll is older than a few poll intervals, or
- its next poll is long overdue (no worker is running), or
- a worker holds its lease long past the lease's end (that worker died mid-poll).
Custom (push) accounts are not polled and never stall.
"""
from datetime import datetime, timedelta

from flask import current_app
from babel.dates import format_timedelta
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _

from app.models import isoformat
from app.serialize import call_budget

STALL_INTERVALS = 6  # "a few poll intervals"
STALL_FLOOR_SECONDS = 60


def stall_after(cfg=None):
    cfg = cfg or current_app.config
    return timedelta(seconds=max(STALL_INTERVALS * cfg["CAREBOX_POLL_INTERVAL"], STALL_FLOOR_SECONDS))


def _ago(delta):
    """"20 min", "3 h", in the reader's language: minutes up to two hours, hours after."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return format_timedelta(timedelta(minutes=minutes), granularity="minute", threshold=120, format="short",
                                locale=get_locale())
    return format_timedelta(timedelta(hours=minutes // 60), granularity="hour", threshold=48, format="short",
                            locale=get_locale())


def stall_reason(account, now, limit):
    """Why this account's poller counts as stalled, or None: a sentence for the dashboard, in the reader's language."""
    if not account.enabled or account.network == "custom":
        return None
    if account.health == "stopped":
        return _("polling stopped: the network refused the credentials")
    if account.lease_owner and account.lease_until and now - account.lease_until > limit:
        return _("a worker stopped mid-poll %(duration)s ago", duration=_ago(now - account.lease_until))
    if account.next_poll_at and now - account.next_poll_at > limit:
        return _("poll overdue by %(duration)s: is a worker running?", duration=_ago(now - account.next_poll_at))
    last = account.last_success_at or account.created_at
    if last and now - last > limit:
        if account.rate_limit_remaining == 0 and account.rate_limit_reset_at and account.rate_limit_reset_at > now:
            return _("no successful poll for %(duration)s (rate limited until %(time)s)", duration=_ago(now - last),
                     time=format_datetime(account.rate_limit_reset_at, "short"))
        return _("no successful poll for %(duration)s", duration=_ago(now - last))
    return None


def rate_limits(account):
    """Each endpoint's budget as the network's headers last said: name -> {limit, remaining, reset_at}.

    Only those three fields, as numbers and a timestamp string: the page formats them, whatever else was stored."""
    budgets = {}
    for name, budget in sorted((account.rate_limits or {}).items()):
        if not isinstance(budget, dict):
            continue
        budgets[str(name)] = {
            "limit": _whole(budget.get("limit")), "remaining": _whole(budget.get("remaining")),
            "reset_at": _instant(budget.get("reset_at")),
        }
    return budgets


def _whole(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _instant(value):
    """An ISO 8601 timestamp as stored, or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return None
    return value


def poller_dict(account, now, limit):
    reason = stall_reason(account, now, limit)
    return {
        "state": account.health,
        "polled": account.enabled and account.network != "custom",
        "stalled": reason is not None,
        "stalled_reason": reason,
        "last_poll_at": isoformat(account.last_poll_at),
        "last_success_at": isoformat(account.last_success_at),
        "poll_lag_seconds": account.poll_lag_seconds,
        "rate_limit_remaining": account.rate_limit_remaining,
        "rate_limit_reset_at": isoformat(account.rate_limit_reset_at),
        "rate_limits": rate_limits(account),
        "budget": call_budget(account.network),  # e.g. Instagram's Business Use Case: pages word it
        "last_error": account.last_error,
        "last_error_at": isoformat(account.last_error_at),
        "next_poll_at": isoformat(account.next_poll_at),
    }
