"""When a spike starts and when it ends: pure decisions over counts, no database.

For one account, the counts of the last 15 minutes are set against the same 15 minutes of the day on each
of the last 7 days. Volume: the inbound messages. Negative share: the negative ones among them. A spike
is raised above a high threshold and ends only below a lower one (hysteresis), so a measure hovering
around the threshold raises one alert, not one a minute.

Only what Carebox saw counts as history: the days before an account was connected are unknown, not
quiet (a busy account connected yesterday is not spiking all week). An account connected less than a
day ago is measured against its last hour instead; one connected just now raises nothing yet.
"""
from dataclasses import dataclass

VOLUME, NEGATIVE_SHARE = "volume", "negative_share"  # vocabulary.ALERT_KINDS


@dataclass(frozen=True)
class Counts:
    """Inbound messages in one window, and how many of them triage found negative."""

    total: int = 0
    negative: int = 0

    @property
    def share(self):
        return self.negative / self.total if self.total else 0.0


@dataclass(frozen=True)
class SpikeSettings:
    """The thresholds (config.py: CAREBOX_SPIKE_*)."""

    min_messages: int = 20  # a volume spike needs at least this many messages in the window
    factor: float = 3.0  # ... and this many times the usual count
    baseline_floor: float = 5.0  # the usual count is taken as at least this: a quiet history is not "zero"
    min_negative: int = 10  # a negative-share spike needs at least this many negative messages
    negative_factor: float = 2.0  # ... and a share this many times the usual share
    negative_floor: float = 0.15  # the usual share is taken as at least this
    end_factor: float = 1.5  # an open spike ends once the measure is below usual x this

    @classmethod
    def from_config(cls, config):
        return cls(
            min_messages=int(config["CAREBOX_SPIKE_MIN_MESSAGES"]), factor=float(config["CAREBOX_SPIKE_FACTOR"]),
            baseline_floor=float(config["CAREBOX_SPIKE_BASELINE_FLOOR"]),
            min_negative=int(config["CAREBOX_SPIKE_MIN_NEGATIVE"]),
            negative_factor=float(config["CAREBOX_SPIKE_NEGATIVE_FACTOR"]),
            negative_floor=float(config["CAREBOX_SPIKE_NEGATIVE_FLOOR"]),
            end_factor=float(config["CAREBOX_SPIKE_END_FACTOR"]),
        )


@dataclass(frozen=True)
class Decision:
    """What to do about one kind of spike on one account: "raise", "end" or None (nothing changes)."""

    kind: str
    action: str | None
    observed: float  # a count (volume) or a share from 0 to 1
    baseline: float  # the usual value, as history says (before any floor)


def known_history(spans, counts, connected_at, days):
    """The past windows that say what is usual. `spans`: [(start, end)] of the last window, then the same
    window on each of `days` past days, then the windows of the hour before the last; `counts`: their Counts.
    The past days' windows since the account was connected; none yet: the last hour's, since connected."""
    past = [c for (start, _end), c in zip(spans[1:days + 1], counts[1:days + 1]) if start >= connected_at]
    if past:
        return past
    return [c for (start, _end), c in zip(spans[days + 1:], counts[days + 1:]) if start >= connected_at]


def usual_volume(history):
    """The mean count over the past days' windows (days without a message count as zero)."""
    return sum(c.total for c in history) / len(history) if history else 0.0


def usual_share(history):
    """The share of negative messages over all the past days' windows together."""
    total = sum(c.total for c in history)
    return sum(c.negative for c in history) / total if total else 0.0


def volume(now, history, settings, *, is_open):
    usual = usual_volume(history)
    reference = max(usual, settings.baseline_floor)
    observed = now.total
    if (not is_open and history and observed >= settings.min_messages
            and observed >= reference * settings.factor):
        return Decision(VOLUME, "raise", observed, usual)
    if is_open and observed < reference * min(settings.end_factor, settings.factor):
        return Decision(VOLUME, "end", observed, usual)
    return Decision(VOLUME, None, observed, usual)


def negative_share(now, history, settings, *, is_open):
    usual = usual_share(history)
    reference = max(usual, settings.negative_floor)
    observed = now.share
    if (not is_open and history and now.negative >= settings.min_negative
            and observed >= reference * settings.negative_factor):
        return Decision(NEGATIVE_SHARE, "raise", observed, usual)
    if is_open and observed < reference * min(settings.end_factor, settings.negative_factor):
        return Decision(NEGATIVE_SHARE, "end", observed, usual)
    return Decision(NEGATIVE_SHARE, None, observed, usual)


def decide(now, history, settings, open_kinds=()):
    """Both kinds' decisions for one account. `now`: Counts of the last window; `history`: the known past
    windows (known_history; empty: nothing is raised); `open_kinds`: the kinds already open on the account."""
    return [
        volume(now, history, settings, is_open=VOLUME in open_kinds),
        negative_share(now, history, settings, is_open=NEGATIVE_SHARE in open_kinds),
    ]
