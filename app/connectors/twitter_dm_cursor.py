"""Where the read of an X account's direct messages stands.

X lists DM events (GET /2/dm_events) newest first, 100 per page, over the last 30 days, and takes no
since_id: every read starts at the newest event, or at a page's pagination_token. So the cursor
records bounds by event id (X ids grow with time) and the read stops by itself:

- `dm_newest_id`: the newest event read. Everything from the start of the backfill window (the first
  poll) up to it is read, but the gap. A poll reads from the newest event down to this id and stops
  paging at the page that reaches it; the first poll reads down to the window start instead.
- `dm_gap`: what a read stopped part way (429, 5xx, a proxy's HTML page, a timeout) left: the events
  newer than `since_id` (or created at or after `start_time`, on the first poll) and older than
  `until_id` (the oldest event read, exclusive), and `pagination_token`, the page after the last one
  read. The next poll goes on at that token: the events above `until_id` are not asked for again.
  Should X refuse the token (it never promised tokens keep), the gap is read from the newest event
  again, skipping what is at or above `until_id`: more pages, nothing lost.
- `dm_paused_until`: the DM lookup budget (its own: 300 requests / 15 min per user, shared by the
  three DM GETs) is spent until then, so no DM request is made before it. Mentions go on meanwhile.

A poll reads the gap first, then what is newer than `dm_newest_id`, as twitter_cursor.py does for
timelines and for the same reasons: there is at most one gap, and every call of a poll brings events
not read before. A gap X no longer serves (older than 30 days) reads empty and closes. Pages that
overlap are harmless: events outside the range are skipped, and items are unique by id anyway.

    {"dm_newest_id": "…"}
    {"dm_newest_id": "…", "dm_gap": {"since_id": "…", "until_id": "…", "pagination_token": "…"}}
    {"dm_newest_id": "…", "dm_gap": {"start_time": "2024-01-15T10:30:00Z", "until_id": "…"},
     "dm_paused_until": "2024-01-15T10:45:00Z"}
"""
from dataclasses import dataclass
from datetime import datetime, timezone

X_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
KEYS = ("dm_newest_id", "dm_gap", "dm_paused_until")


def _time_json(when):
    return when.astimezone(timezone.utc).strftime(X_TIME_FORMAT)


def _time_from_json(raw):
    return datetime.strptime(raw, X_TIME_FORMAT).replace(tzinfo=timezone.utc)


@dataclass
class DMRange:
    """Events newer than `since_id` (or created at or after `start_time`) and older than `until_id`
    (None: no upper bound), to be read from `pagination_token` (None: from the newest event)."""

    until_id: int | None
    since_id: int | None = None
    start_time: datetime | None = None
    pagination_token: str | None = None

    @property
    def empty(self):
        return self.until_id is not None and self.since_id is not None and self.until_id <= self.since_id + 1

    def holds(self, event_id, created_at):
        """Whether an event is inside the range (below it: `below` says so)."""
        return (self.until_id is None or event_id < self.until_id) and not self.below(event_id, created_at)

    def below(self, event_id, created_at):
        """Whether an event is older than the range: reading further down is of no use."""
        if self.since_id is not None:
            return event_id <= self.since_id
        return created_at is not None and self.start_time is not None and created_at < self.start_time

    def to_json(self):
        lower = {"since_id": str(self.since_id)} if self.since_id is not None else {
            "start_time": _time_json(self.start_time)}
        token = {"pagination_token": self.pagination_token} if self.pagination_token else {}
        return {**lower, "until_id": str(self.until_id), **token}

    @classmethod
    def from_json(cls, raw):
        try:
            until_id = int(raw["until_id"])
            token = raw.get("pagination_token") or None
            if raw.get("since_id") is not None:
                return cls(until_id, since_id=int(raw["since_id"]), pagination_token=token)
            return cls(until_id, start_time=_time_from_json(raw["start_time"]), pagination_token=token)
        except (KeyError, TypeError, ValueError):
            return None  # a cursor we cannot read: drop the gap rather than fail every poll


@dataclass
class DMCursor:
    newest_id: int | None = None
    gap: DMRange | None = None
    paused_until: datetime | None = None

    @classmethod
    def load(cls, cursor):
        raw_newest = cursor.get("dm_newest_id")
        newest_id = int(raw_newest) if str(raw_newest or "").isdigit() else None
        gap = DMRange.from_json(cursor["dm_gap"]) if isinstance(cursor.get("dm_gap"), dict) else None
        try:
            paused_until = _time_from_json(cursor["dm_paused_until"]) if cursor.get("dm_paused_until") else None
        except (TypeError, ValueError):
            paused_until = None
        return cls(newest_id, gap if gap is not None and not gap.empty else None, paused_until)

    def store(self, cursor):
        """Write the DM keys into `cursor` (a dict), leaving out what is empty."""
        for key in KEYS:
            cursor.pop(key, None)
        if self.newest_id is not None:
            cursor["dm_newest_id"] = str(self.newest_id)
        if self.gap is not None:
            cursor["dm_gap"] = self.gap.to_json()
        if self.paused_until is not None:
            cursor["dm_paused_until"] = _time_json(self.paused_until)

    def paused(self, now):
        return self.paused_until is not None and now < self.paused_until

    def top(self, window_start):
        """The range above everything read: newer than newest_id, or the whole window before the first read."""
        if self.newest_id is not None:
            return DMRange(None, since_id=self.newest_id)
        return DMRange(None, start_time=window_start)

    def top_read(self, top, read):
        """Record a read of the top range (a RangeRead)."""
        if read.newest is None:
            return  # nothing new, or stopped before the first page: nothing changes
        if not read.finished:
            gap = DMRange(read.oldest, since_id=top.since_id, start_time=top.start_time,
                          pagination_token=read.next_token)
            self.gap = None if gap.empty else gap
        self.newest_id = max(self.newest_id or 0, read.newest)

    def gap_read(self, read):
        """Record a read of the gap: closed when finished, else narrowed to what is still unread."""
        if read.finished:
            self.gap = None
            return
        if read.oldest is not None:
            self.gap.until_id = min(self.gap.until_id, read.oldest)
        self.gap.pagination_token = read.next_token
        if self.gap.empty:
            self.gap = None


@dataclass
class RangeRead:
    """What reading a range got to: the newest and oldest event ids taken (None: none), whether it reached
    the range's end, and the token of the first page not read (when it stopped part way)."""

    newest: int | None = None
    oldest: int | None = None
    finished: bool = False
    next_token: str | None = None

    def took(self, event_id):
        self.newest = max(self.newest or 0, event_id)
        self.oldest = min(self.oldest or event_id, event_id)
