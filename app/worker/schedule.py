"""When an account's next poll starts: on its own fixed slots, start to start.

Each account has slots `interval` seconds apart. A poll that was due at a slot is followed by the
next slot, whenever its fetch ended: a slow network does not push the schedule, so consecutive
polls start `interval` apart plus however late the worker picked each up (the start delay,
`carebox_poll_start_delay_seconds`). Slots that passed before a poll started (no worker running,
none free) are skipped, not caught up in a burst.

The slots are offset within the interval by the account's id (Knuth's multiplicative hash, the
golden-ratio sequence), so accounts connected together — an agency adding 1,000 brands, a bulk
import — fall due spread evenly over the interval instead of all at once, from their second poll
on; and every worker computes the same slots from the database alone.

A poll that was not due at a slot (an account's first poll, the one after a backoff or a
rate-limit wait) is followed by the first slot at least REJOIN_SECONDS after it was due: it
joins its slots within interval + REJOIN_SECONDS, never with two polls back to back.

All arithmetic is in integer microseconds, so a slot is exactly `interval` after the last.
"""
from datetime import datetime, timedelta, timezone

REJOIN_SECONDS = 0.5  # see above; under the 1 s a poll may start late, with room for the start delay
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)
_HASH_MULTIPLIER = 2654435769  # 2**32 / golden ratio: consecutive ids land far apart in [0, 2**32)


def slot_offset(account_id, interval):
    """Where in each interval this account's slots fall, in microseconds from the interval's start."""
    period = _period(interval)
    return (account_id * _HASH_MULTIPLIER % 2**32) * period >> 32


def next_slot(account_id, due, started, interval):
    """The account's first slot after both `due` + REJOIN_SECONDS and `started`, for its poll that was due
    at `due` and started at `started`.

    Counted from the start, not from when the fetch ended: a poll due at a slot and started on time is
    followed by `due + interval` however long its fetch took (if it took longer, the next poll is due at
    once). Slots that passed before a poll even started (no worker free, none running) are skipped,
    not caught up in a burst.
    """
    period = _period(interval)
    offset = slot_offset(account_id, interval)
    rejoin = min(round(REJOIN_SECONDS * 1e6), period // 2)
    after = max(_micros(due) + rejoin, _micros(started))
    return _EPOCH + (((after - offset) // period + 1) * period + offset) * _MICROSECOND


def is_slot(account_id, when, interval):
    """Whether `when` is one of the account's slots (for tests and checks)."""
    return (_micros(when) - slot_offset(account_id, interval)) % _period(interval) == 0


def _period(interval):
    return round(interval * 1e6)


def _micros(when):
    return (when - _EPOCH) // _MICROSECOND
