"""Where an X timeline read stands: a since_id, and the gap below it a stopped read left.

X lists a timeline newest first, 100 per page. A read that stops part way (429, 5xx, a proxy's
HTML page, a timeout) has read everything from the newest post down to the oldest post it reached,
so the position is exact: `since_id` moves to the newest post, and the range still to read is the
gap, bounded below by the old since_id (or, before the first read, the start of the backfill
window) and above by the oldest post reached (`until_id`, exclusive).

A poll reads the gap first, then what is newer than since_id. A new gap can only open once the old
one is closed, so there is at most one; and every call of a poll brings posts not read before (only
the final check for news may come back empty), so even a network that fails every other call gets
through a backlog. The gap's posts are also the longest waiting and the nearest to falling out of
X's reach (the mentions timeline serves only the newest 800, a user's timeline the newest 3,200): a
gap X no longer serves reads empty and closes. Ids bound every read, so nothing is read twice.

Stored under the timeline's name, beside the since_id key of earlier versions:
    {"mentions_since_id": "…", "mentions_gap": {"since_id": "…", "until_id": "…"}}
    {"mentions_since_id": "…", "mentions_gap": {"start_time": "2024-01-15T10:30:00Z", "until_id": "…"}}
"""
from dataclasses import dataclass
from datetime import datetime, timezone

X_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # X's start_time, as tweepy sends it


@dataclass
class Range:
    """Posts newer than `since_id` (or created at or after `start_time`) and older than `until_id` (None: no bound)."""

    until_id: int | None
    since_id: int | None = None
    start_time: datetime | None = None

    @property
    def empty(self):
        return self.until_id is not None and self.since_id is not None and self.until_id <= self.since_id + 1

    def to_json(self):
        lower = {"since_id": str(self.since_id)} if self.since_id is not None else {
            "start_time": self.start_time.strftime(X_TIME_FORMAT)}
        return {**lower, "until_id": str(self.until_id)}

    @classmethod
    def from_json(cls, raw):
        try:
            until_id = int(raw["until_id"])
            if raw.get("since_id") is not None:
                return cls(until_id, since_id=int(raw["since_id"]))
            return cls(until_id, start_time=datetime.strptime(raw["start_time"], X_TIME_FORMAT)
                       .replace(tzinfo=timezone.utc))
        except (KeyError, TypeError, ValueError):
            return None  # a cursor we cannot read: drop the gap rather than fail every poll


@dataclass
class TimelineCursor:
    since_id: int | None = None  # everything newer than the window start up to here is read, but the gap
    gap: Range | None = None

    @classmethod
    def load(cls, cursor, name):
        raw_since = cursor.get(f"{name}_since_id")
        since_id = int(raw_since) if str(raw_since or "").isdigit() else None
        gap = Range.from_json(cursor[f"{name}_gap"]) if isinstance(cursor.get(f"{name}_gap"), dict) else None
        return cls(since_id, gap if gap is not None and not gap.empty else None)

    def store(self, cursor, name):
        """Write this timeline's keys into `cursor` (a dict), leaving out what is empty."""
        cursor.pop(f"{name}_since_id", None)
        cursor.pop(f"{name}_gap", None)
        if self.since_id is not None:
            cursor[f"{name}_since_id"] = str(self.since_id)
        if self.gap is not None:
            cursor[f"{name}_gap"] = self.gap.to_json()

    def top(self, window_start):
        """The range above everything read: newer than since_id, or the whole window before the first read."""
        if self.since_id is not None:
            return Range(None, since_id=self.since_id)
        return Range(None, start_time=window_start)

    def top_read(self, top, newest, oldest, finished):
        """Record a read of the top range that got from `newest` down to `oldest` (ids, or None: nothing)."""
        if newest is None:
            return
        if not finished:
            gap = Range(oldest, since_id=top.since_id, start_time=top.start_time)
            self.gap = None if gap.empty else gap
        self.since_id = max(self.since_id or 0, newest)

    def gap_read(self, oldest, finished):
        """Record a read of the gap that got down to `oldest` (or nothing), to its end when `finished`."""
        if finished:
            self.gap = None
        elif oldest is not None:
            self.gap.until_id = oldest
            if self.gap.empty:
                self.gap = None
