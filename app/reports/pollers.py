"""Poller health per account, and whether a poller has stalled.

A stalled poller breaks every SLA silently (posts simply never arrive), so it is worked out
here on the server and shown loudly. An enabled, polled account has stalled when:
- its polling stopped (the network rejected the credentials), or
- its last successful poll is older than a few poll intervals, or
- its next poll is long overdue (no worker is running), or
- a worker holds its lease long past the lease's end (that worker died mid-poll).
Custom (push) accounts are not polled and never stall.
"""
from datetime import timedelta

from flask import current_app

from app.models import isoformat

STALL_INTERVALS = 6  # "a few poll intervals"
STALL_FLOOR_SECONDS = 60


def stall_after(cfg=None):
    cfg = cfg or current_app.config
    return timedelta(seconds=max(STALL_INTERVALS * cfg["CAREBOX_POLL_INTERVAL"], STALL_FLOOR_SECONDS))


def _ago(delta):
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"


def stall_reason(account, now, limit):
    """Why this account's poller counts as stalled, or None."""
    if not account.enabled or account.network == "custom":
        return None
    if account.health == "stopped":
        return "polling stopped: the network refused the credentials"
    if account.lease_owner and account.lease_until and now - account.lease_until > limit:
        return f"a worker stopped mid-poll {_ago(now - account.lease_until)} ago"
    if account.next_poll_at and now - account.next_poll_at > limit:
        return f"poll overdue by {_ago(now - account.next_poll_at)}: is a worker running?"
    last = account.last_success_at or account.created_at
    if last and now - last > limit:
        reason = f"no successful poll for {_ago(now - last)}"
        if account.rate_limit_remaining == 0 and account.rate_limit_reset_at and account.rate_limit_reset_at > now:
            reason += f" (rate limited until {isoformat(account.rate_limit_reset_at)})"
        return reason
    return None


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
        "last_error": account.last_error,
        "last_error_at": isoformat(account.last_error_at),
        "next_poll_at": isoformat(account.next_poll_at),
    }
