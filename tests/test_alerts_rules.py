"""The spike rules alone: counts in, decisions out (no database)."""
from app.alerts.rules import NEGATIVE_SHARE, VOLUME, Counts, SpikeSettings, decide, negative_share, usual_share, volume

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
