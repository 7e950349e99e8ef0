"""Each account's slots (app/worker/schedule.py): start to start, missed slots skipped, accounts spread."""
from collections import Counter
from datetime import datetime, timedelta, timezone

from app.worker.schedule import REJOIN_SECONDS, is_slot, next_slot

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
INTERVAL = 10


def seconds(n):
    return timedelta(seconds=n)


def test_a_poll_due_at_a_slot_is_followed_by_the_next_however_long_it_took():
    due = next_slot(7, T0, T0, INTERVAL)
    assert is_slot(7, due, INTERVAL)
    for took in (0.01, 1.5, 9.9):
        assert next_slot(7, due, due + seconds(took), INTERVAL) == due + seconds(INTERVAL)


def test_slots_that_passed_before_a_late_poll_started_are_skipped_not_caught_up():
    due = next_slot(7, T0, T0, INTERVAL)
    assert next_slot(7, due, due + seconds(25), INTERVAL) == due + seconds(30)  # started 25 s late


def test_a_poll_off_its_slots_rejoins_them_within_one_interval_and_a_half_second():
    for offset in (0.0, 0.2, 3.3, 9.99):  # a first poll, or the one after a backoff, due at any moment
        due = T0 + seconds(offset)
        following = next_slot(42, due, due + seconds(0.05), INTERVAL)
        assert is_slot(42, following, INTERVAL)
        assert due + seconds(REJOIN_SECONDS) < following <= due + seconds(INTERVAL + REJOIN_SECONDS)


def test_a_slow_first_poll_still_rejoins_within_one_interval_and_a_half_second_of_its_start():
    # The next slot counts from when the poll started, not from when its fetch ended.
    following = next_slot(42, T0, T0 + seconds(0.05), INTERVAL)
    assert following <= T0 + seconds(INTERVAL + REJOIN_SECONDS)


def test_accounts_connected_together_fall_due_spread_over_the_interval():
    slots = [next_slot(account_id, T0, T0, INTERVAL) for account_id in range(1, 1001)]
    per_tenth = Counter(int((slot - T0).total_seconds() * 10) for slot in slots)
    assert len(per_tenth) == 100  # every tenth of the interval has some
    assert max(per_tenth.values()) <= 2 * 1000 / 100  # and none more than twice its share
