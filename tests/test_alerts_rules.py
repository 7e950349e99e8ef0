"""The spike rules alone: counts in, decisions out (no database)."""
from datetime import datetime, timedelta, timezone

from app.alerts.rules import (
    NEGATIVE_SHARE, VOLUME, Counts, SpikeSettings, decide, known_history, negative_share, usual_share, volume,
)
from app.alerts.store import windows

SETTINGS = SpikeSettings(min_messages=20, factor=3.0, baseline_floor=5.0, min_negative=10, negative_factor=2.0,
                         negative_floor=0.15, end_factor=1.5)


def week(*totals, negative=0):
    return [Counts(t, negative) for t in totals]


def test_volume_three_times_the_usual_and_past_the_minimum_raises():
    history = week(10, 10, 10, 10, 10, 10, 10)
    assert volume(Counts(30), history, SETTINGS, is_open=False).action == "raise"
    decision = volume(Counts(29), history, SETTINGS, is_open=False)
    assert decision.action is None and decision.observed == 29 and decision.baseline == 10


def test_a_quiet_history_does_not_alert_on_a_handful_of_messages():
    quiet = week(0, 0, 1, 0, 0, 0, 0)
    assert volume(Counts(3), quiet, SETTINGS, is_open=False).action is None  # 3 >> 1/7, but below the minimum
    assert volume(Counts(19), quiet, SETTINGS, is_open=False).action is None
    raised = volume(Counts(20), quiet, SETTINGS, is_open=False)
    assert raised.action == "raise" and raised.baseline == 1 / 7  # the floor decides, the true usual is kept


def test_the_floor_scales_the_threshold_when_history_is_thin():
    settings = SpikeSettings(min_messages=5, factor=3.0, baseline_floor=5.0)
    assert volume(Counts(14), week(0, 0, 0, 0, 0, 0, 0), settings, is_open=False).action is None
    assert volume(Counts(15), week(0, 0, 0, 0, 0, 0, 0), settings, is_open=False).action == "raise"


def test_an_open_volume_spike_ends_only_below_the_lower_threshold():
    history = week(10, 10, 10, 10, 10, 10, 10)  # raise at 30, end below 15
    for still_high in (40, 29, 20, 15):
        assert volume(Counts(still_high), history, SETTINGS, is_open=True).action is None
    assert volume(Counts(14), history, SETTINGS, is_open=True).action == "end"


def test_hovering_around_the_threshold_raises_once():
    history = week(10, 10, 10, 10, 10, 10, 10)
    is_open, raised = False, 0
    for count in (31, 29, 32, 28, 30, 16, 31, 14, 12):
        decision = volume(Counts(count), history, SETTINGS, is_open=is_open)
        raised += decision.action == "raise"
        is_open = {"raise": True, "end": False}.get(decision.action, is_open)
    assert raised == 1 and not is_open


def test_negative_share_far_above_the_usual_share_raises():
    history = [Counts(20, 2)] * 7  # 10 % negative usually: the floor of 15 % applies, raise at 30 %
    assert usual_share(history) == 0.1
    raised = negative_share(Counts(30, 12), history, SETTINGS, is_open=False)
    assert raised.action == "raise" and raised.observed == 0.4 and raised.baseline == 0.1
    assert negative_share(Counts(50, 12), history, SETTINGS, is_open=False).action is None  # 24 %


def test_negative_share_needs_enough_negative_messages():
    assert negative_share(Counts(9, 9), week(20, 20), SETTINGS, is_open=False).action is None
    assert negative_share(Counts(10, 10), week(20, 20), SETTINGS, is_open=False).action == "raise"


def test_negative_share_ends_below_the_lower_threshold():
    history = [Counts(20, 2)] * 7  # raise at 30 %, end below 22.5 %
    assert negative_share(Counts(40, 10), history, SETTINGS, is_open=True).action is None  # 25 %
    assert negative_share(Counts(40, 8), history, SETTINGS, is_open=True).action == "end"  # 20 %
    assert negative_share(Counts(0, 0), history, SETTINGS, is_open=True).action == "end"


def test_decide_covers_both_kinds_and_respects_what_is_open():
    history = week(10, 10, 10, 10, 10, 10, 10)
    burst = Counts(40, 30)
    assert [(d.kind, d.action) for d in decide(burst, history, SETTINGS)] == [(VOLUME, "raise"), (NEGATIVE_SHARE, "raise")]
    assert [d.action for d in decide(burst, history, SETTINGS, {VOLUME, NEGATIVE_SHARE})] == [None, None]
    assert [d.action for d in decide(Counts(2), history, SETTINGS, {VOLUME})] == ["end", None]


def test_settings_come_from_the_config():
    from config import Config

    config = {k: getattr(Config, k) for k in dir(Config) if k.startswith("CAREBOX_SPIKE_")}
    assert SpikeSettings.from_config(config) == SpikeSettings()


def test_without_any_known_history_nothing_is_raised():
    assert volume(Counts(500), [], SETTINGS, is_open=False).action is None
    assert negative_share(Counts(50, 50), [], SETTINGS, is_open=False).action is None
    assert volume(Counts(0), [], SETTINGS, is_open=True).action == "end"  # an open one can still end


NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
SPANS = windows(NOW)  # the last window, the 7 past days', then the 4 of the hour before
COUNTS = [Counts(90)] + [Counts(day) for day in range(1, 8)] + [Counts(30 + n) for n in range(4)]


def test_history_is_the_past_days_since_the_account_was_connected():
    assert len(SPANS) == 12 and SPANS[0] == (NOW - timedelta(minutes=15), NOW)
    assert SPANS[3] == (NOW - timedelta(days=3, minutes=15), NOW - timedelta(days=3))
    assert SPANS[8] == (NOW - timedelta(minutes=30), NOW - timedelta(minutes=15))
    long_ago = NOW - timedelta(days=30)
    assert known_history(SPANS, COUNTS, long_ago, 7) == [Counts(day) for day in range(1, 8)]
    # Connected two and a half days ago: only yesterday's and the day before's windows are known.
    assert known_history(SPANS, COUNTS, NOW - timedelta(days=2, hours=12), 7) == [Counts(1), Counts(2)]


def test_an_account_connected_today_is_measured_against_its_last_hour():
    assert known_history(SPANS, COUNTS, NOW - timedelta(hours=3), 7) == [Counts(30 + n) for n in range(4)]
    assert known_history(SPANS, COUNTS, NOW - timedelta(minutes=50), 7) == [Counts(30), Counts(31)]
    assert known_history(SPANS, COUNTS, NOW - timedelta(minutes=20), 7) == []  # nothing to compare with yet
    # Its usual pace is busy: 90 in the window is not three times it.
    history = known_history(SPANS, COUNTS, NOW - timedelta(hours=3), 7)
    assert volume(Counts(90), history, SETTINGS, is_open=False).action is None
    assert volume(Counts(95), history, SETTINGS, is_open=False).action == "raise"
