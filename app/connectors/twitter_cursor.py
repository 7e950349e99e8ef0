"""Where an X timeline read stands: a since_id plus the gaps below it not yet read.

X lists a timeline newest first, 100 per page. A read that stops part way (429, 5xx, a proxy's
HTML page, a timeout) has read everything from the newest post down to the oldest post it reached,
so the position is exact: the cursor moves its `since_id` to the newest post and remembers the
range still to read as a gap, bounded below by the old since_id (or, before the first read, the
start of the backfill window) and above by the oldest post reached (`until_id`, exclusive). The
next poll first reads what is newer than since_id (new posts are the urgent ones), then the gaps,
oldest first (they are the longest waiting, and the closest to falling out of X's reach: the
mentions timeline serves only the newest 800, a user's timeline the newest 3,200). Ids bound every
range, so nothing is read twice; a gap X no longer serves reads empty and closes.

Stored under the timeline's name, next to the cursor keys of earlier versions:
    {"mentions_since_id": "…", "mentions_gaps": [{"since_id": "…", "until_id": "…"},
                                                 {"start_time": "2024-01-15T10:30:00Z", "until_id": "…"}]}
"""
from dataclasses import dataclass, field
from datetime import datetime, timezone

MAX_GAPS = 10  # past this, the two oldest gaps merge (re-reading what lay between them) to bound the cursor
X_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass
class Gap:
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
            start = datetime.strptime(raw["start_time"], X_TIME_FORMAT).replace(tzinfo=timezone.utc)
            return cls(until_id, start_time=start)
        except (KeyError, TypeError, ValueError):
            return None  # a cursor we cannot read: drop the gap rather than fail every poll


@dataclass
class TimelineCursor:
    since_id: int | None = None  # everything newer than the window start up to here is read, but the gaps
    gaps: list = field(default_factory=list)  # Gap, oldest first

    @classmethod
    def load(cls, cursor, name):
        raw_since = cursor.get(f"{name}_since_id")
        since_id = int(raw_since) if str(raw_since or "").isdigit() else None
        gaps = [g for g in map(Gap.from_json, cursor.get(f"{name}_gaps") or []) if g is not None and not g.empty]
        return cls(since_id, sorted(gaps, key=lambda g: g.until_id))

    def store(self, cursor, name):
        """Write this timeline's keys into `cursor` (a dict), leaving out what is empty."""
        cursor.pop(f"{name}_since_id", None)
        cursor.pop(f"{name}_gaps", None)
        if self.since_id is not None:
            cursor[f"{name}_since_id"] = str(self.since_id)
        if self.gaps:
            cursor[f"{name}_gaps"] = [g.to_json() for g in self.gaps]

    def top(self, window_start):
        """The range above everything read: newer than since_id, or the whole window before the first read."""
        if self.since_id is not None:
            return Gap(None, since_id=self.since_id)
        return Gap(None, start_time=window_start)

    def top_read(self, lower, newest, oldest, finished):
        """Record a read of the top range that got from `newest` down to `oldest` (ids, or None: nothing)."""
        if newest is None:
            return
        if not finished:
            self._add_gap(Gap(oldest, since_id=lower.since_id, start_time=lower.start_time))
        self.since_id = max(self.since_id or 0, newest)

    def gap_read(self, gap, oldest, finished):
        """Record a read of `gap` that got down to `oldest` (or nothing), to its end when `finished`."""
        if finished:
            self.gaps.remove(gap)
        elif oldest is not None:
            gap.until_id = oldest
            if gap.empty:
                self.gaps.remove(gap)

    def _add_gap(self, gap):
        if gap.empty:
            return
        self.gaps.append(gap)
        self.gaps.sort(key=lambda g: g.until_id)
        while len(self.gaps) > MAX_GAPS:
            oldest, older = self.gaps[0], self.gaps[1]
            older.since_id, older.start_time = oldest.since_id, oldest.start_time
            self.gaps.pop(0)
