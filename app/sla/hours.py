"""Business hours: the stretches of time during which an SLA clock runs.

A schedule is a time zone, a list of periods per weekday and a set of holiday
dates. Periods are wall-clock times in that zone ("09:00"-"17:30"); one whose
end is not after its start runs past midnight into the next day ("22:00"-"06:00"),
and "24:00" ends a period at midnight. Holidays are whole local dates: time
that falls on them never counts, even inside a period that started the day
before. Overlapping periods count once.

Everything is computed from local wall-clock times converted with zoneinfo, so
daylight-saving changes come out right: "01:00"-"04:00" lasts two real hours on
the spring-forward night and four on the fall-back night.

All instants in and out are aware UTC datetimes.
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 24 * 60
HHMM = re.compile(r"^(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$")
# A valid schedule has at least one period a week and at most a few hundred holidays,
# so an opening is always found well within this horizon.
SEARCH_DAYS = 3 * 366


class NeverOpen(ValueError):
    """The schedule has no open time within the search horizon."""


def parse_hhmm(text):
    """Minutes after midnight of "HH:MM" ("24:00" allowed). Raises ValueError otherwise."""
    match = HHMM.match(text or "")
    if not match:
        raise ValueError(f"{text!r} is not a time like 09:00 (00:00 to 24:00)")
    hours, minutes = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
    return int(hours) * 60 + int(minutes)


def period_minutes(start, end):
    """(start, end) minutes of one period; the end runs into the next day when it is not after the start."""
    a, b = parse_hhmm(start), parse_hhmm(end)
    if a == DAY_MINUTES:
        raise ValueError("a period cannot start at 24:00")
    if b <= a:
        b += DAY_MINUTES
    return a, b


@dataclass(frozen=True)
class Schedule:
    tz: ZoneInfo
    weekly: tuple  # seven tuples (Monday first) of (start_minute, end_minute); end may pass 1440
    holidays: frozenset  # of datetime.date, local to tz
    _last_status: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def build(cls, tz_name, business_hours, holidays=()):
        weekly = tuple(
            tuple(sorted(period_minutes(start, end) for start, end in (business_hours.get(day) or ())))
            for day in WEEKDAYS
        )
        days = frozenset(d if isinstance(d, date) else date.fromisoformat(d) for d in holidays or ())
        return cls(ZoneInfo(tz_name), weekly, days)

    # --- the open stretches -----------------------------------------------------------------

    def _local(self, day, minute):
        extra_days, minute = divmod(minute, DAY_MINUTES)
        d = day + timedelta(days=extra_days)
        return datetime.combine(d, time(minute // 60, minute % 60), tzinfo=self.tz).astimezone(timezone.utc)

    def _day_pieces(self, day):
        """Open pieces of the periods that start on local date `day`, split at midnight, holidays removed."""
        pieces = []
        for start, end in self.weekly[day.weekday()]:
            cuts = [(start, min(end, DAY_MINUTES), day)]
            if end > DAY_MINUTES:
                cuts.append((DAY_MINUTES, end, day + timedelta(days=1)))
            for a, b, on in cuts:
                if on in self.holidays:
                    continue
                ua, ub = self._local(day, a), self._local(day, b)
                if ub > ua:  # a period inside a skipped DST hour is empty
                    pieces.append((ua, ub))
        pieces.sort()
        return pieces

    def open_intervals(self, since):
        """Merged open intervals (start, end) from `since` on, in order; the first may start at `since`."""
        day = since.astimezone(self.tz).date() - timedelta(days=1)  # yesterday's periods may run past midnight
        current = None
        for _ in range(SEARCH_DAYS):
            for a, b in self._day_pieces(day):
                if b <= since:
                    continue
                a = max(a, since)
                if current is not None and a <= current[1]:
                    current = (current[0], max(current[1], b))
                    continue
                if current is not None:
                    yield current
                current = (a, b)
            day += timedelta(days=1)
            # Pieces of later days start after the next local midnight: anything ending before it is final.
            if current is not None and current[1] < self._local(day, 0):
                yield current
                current = None
        if current is not None:
            yield current
            return
        raise NeverOpen("no open business hours within three years")

    # --- arithmetic ---------------------------------------------------------------------------

    def add(self, start, seconds):
        """The instant at which `seconds` of open time have passed since `start`."""
        remaining = float(seconds)
        for a, b in self.open_intervals(start):
            span = (b - a).total_seconds()
            if remaining <= span:
                return a + timedelta(seconds=remaining)
            remaining -= span
        raise NeverOpen("no open business hours within three years")

    def seconds_between(self, start, end):
        """Open seconds in [start, end)."""
        if end <= start:
            return 0.0
        total = 0.0
        for a, b in self.open_intervals(start):
            if a >= end:
                break
            total += (min(b, end) - a).total_seconds()
        return total

    def status(self, at):
        """(is_open, next_change): when open, the instant it closes; when closed, the instant it opens."""
        # A page of conversations asks about nearly the same instant many times: reuse the last answer
        # while `at` stays inside the stretch (open or closed) it described.
        since, until, is_open = self._last_status.get("span", (None, None, None))
        if since is not None and since <= at < until:
            return is_open, until
        a, b = next(self.open_intervals(at))
        if a <= at:
            self._last_status["span"] = (at, b, True)
            return True, b
        self._last_status["span"] = (at, a, False)
        return False, a

    def is_holiday(self, at):
        return at.astimezone(self.tz).date() in self.holidays
