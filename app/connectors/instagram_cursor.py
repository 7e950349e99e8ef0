"""Where an Instagram account's read stands, and which media a poll spends its calls on.

Instagram lists a media's TOP-LEVEL comments NEWEST FIRST, each with its replies nested (oldest first), with
cursor paging and no working time filter. So a media is read from its newest comment down to what an earlier
read saw (`newest`, minus OVERLAP: comments can surface late, and times are seconds), and the media listing's
`comments_count` (top-level comments and replies) tells whether that was enough: when the count moved by more
or less than the new comments found (a reply on an older top-level comment, a deletion), the whole media is
read again. A read that stops part way (a rate limit, a 5xx, an HTML page, a timeout, or the poll's call budget
spent) keeps a `gap`: the paging cursor of the page it was on and what it found so far, and the next poll goes
on from there; a paging cursor Graph no longer accepts restarts that read from the newest comment.

Which media a poll reads (`plan`), within its call budget (`calls_for_poll`):
1. the one media whose last read is the oldest, when that is older than AGEING (the ageing slot: whatever
   else is busy, one media a poll is re-read, so under any steady limit of two calls or more per poll, the
   listing and one read, every media is read again within as many polls as there are media);
2. media with a read under way (a gap, or a whole re-read due);
3. media whose comments_count changed since their last read (or never read), the most recently active first;
4. media with activity within RECENT (new comments are likely there; a deletion and a new comment leave the
   count unchanged), the most recent first;
5. every other media whose last read is older than AGEING, the oldest read first.

The budget is a setting (CAREBOX_INSTAGRAM_CALLS_PER_POLL); when the usage header (X-Business-Use-Case-Usage)
of the last poll showed the account past half its budget, polls spend proportionally less, down to
MIN_CALLS.

    {"media": {"<media id>": {"count": n, "newest": <unix s>, "read": <unix s>, "active": <unix s>,
                              "listed": n,                          # comments_count as last listed
                              "gap": {"after": "<cursor>"|null, "full": bool, "found": n, "top": <unix s>}}},
     "usage": <percent>, "dms": {…MessengerCursor…}, "dms_first": true?}

Plain data and functions: no network, no database.
"""
from dataclasses import dataclass, field
from datetime import timedelta

OVERLAP = timedelta(minutes=2)
RECENT = timedelta(minutes=10)  # activity this recent makes a media worth re-reading every poll
AGEING = timedelta(hours=1)  # every media is re-read at least this often, budget permitting
DEFAULT_CALLS_PER_POLL = 25
MIN_CALLS = 2  # the media listing and one read
MAX_MEDIA = 200  # a hard bound on the cursor


@dataclass
class Gap:
    """A read of one media under way: `after` is the paging cursor of the page to read next (None: from the
    newest comment), `full` whether it reads the whole media, `found` the new comments it counted so far,
    `top` the newest comment time it saw."""

    after: str | None = None
    full: bool = False
    found: int = 0
    top: int | None = None

    def to_json(self):
        return {"after": self.after, "full": self.full, "found": self.found, "top": self.top}


@dataclass
class MediaState:
    active: int  # last activity (unix s): the newest comment seen, else when the media was posted
    count: int | None = None  # comments_count when it was last read to its end (None: never read)
    newest: int | None = None  # the newest comment or reply read (unix s)
    read: int | None = None  # when it was last read to its end (unix s)
    listed: int | None = None  # comments_count as the last listing showed it
    gap: Gap | None = None

    def to_json(self):
        data = {"active": self.active, "count": self.count, "newest": self.newest, "read": self.read,
                "listed": self.listed}
        if self.gap is not None:
            data["gap"] = self.gap.to_json()
        return data

    @classmethod
    def from_json(cls, raw):
        gap = raw.get("gap")
        return cls(
            active=int(raw["active"]), count=_int(raw.get("count")), newest=_int(raw.get("newest")),
            read=_int(raw.get("read")), listed=_int(raw.get("listed")),
            gap=Gap(gap.get("after"), bool(gap.get("full")), int(gap.get("found") or 0), _int(gap.get("top")))
            if isinstance(gap, dict) else None,
        )

    @property
    def changed(self):
        return self.count is None or (self.listed is not None and self.listed != self.count)


@dataclass
class ReadPlan:
    """How to read one media now: from `after` (None: the newest comment), the whole media or down to
    `stop_before` (unix s: top-level comments older than this were read), emitting comments created at or
    after `emit_since`."""

    after: str | None
    full: bool
    stop_before: int | None
    emit_since: int


@dataclass
class InstagramCursor:
    window_start: int  # the backfill window's start (unix s)
    media: dict = field(default_factory=dict)  # media id -> MediaState
    usage: float | None = None  # the highest usage percentage of the last poll's answers
    moved: bool = False

    @classmethod
    def load(cls, cursor, now, backfill):
        cursor = cursor if isinstance(cursor, dict) else {}
        media = {}
        for media_id, raw in (cursor.get("media") or {}).items():
            try:
                media[str(media_id)] = MediaState.from_json(raw)
            except (KeyError, TypeError, ValueError, AttributeError):
                continue  # unreadable: that media is read as if new
        usage = cursor.get("usage")
        return cls(int((now - backfill).timestamp()), media,
                   float(usage) if isinstance(usage, (int, float)) else None)

    def dump(self):
        """The cursor to store: the MAX_MEDIA most recently active media, every read under way kept."""
        ranked = sorted(self.media.items(), key=lambda kv: (kv[1].gap is None, -kv[1].active))[:MAX_MEDIA]
        data = {"media": {media_id: state.to_json() for media_id, state in ranked}}
        if self.usage is not None:
            data["usage"] = self.usage
        return data

    # ------------------------------------------------------------ listing

    def saw_media(self, media_id, comments_count, posted_at):
        """The listing shows `media_id` with this comments_count, posted at `posted_at` (unix s or None)."""
        state = self.media.get(media_id)
        if state is None:
            self.media[media_id] = MediaState(active=int(posted_at or self.window_start), listed=comments_count)
            self.moved = True
            return
        if comments_count is not None and comments_count != state.listed:
            state.listed = comments_count
            self.moved = True

    # ------------------------------------------------------------ planning

    def plan(self, now):
        """Media ids in the order a poll at `now` should read them (it reads them until its budget ends)."""
        at = int(now.timestamp())
        recent_since = at - int(RECENT.total_seconds())
        by_activity = sorted(self.media, key=lambda m: -self.media[m].active)
        stale = self._stale(now)
        order = self.known_work(now)
        order += [m for m in by_activity if self.media[m].changed]
        order += [m for m in by_activity if self.media[m].active >= recent_since]
        order += stale[1:]
        return list(dict.fromkeys(order))

    def known_work(self, now):
        """What the cursor alone says to read first, before any listing: the ageing slot and the reads under way."""
        by_activity = sorted(self.media, key=lambda m: -self.media[m].active)
        order = self._stale(now)[:1] + [m for m in by_activity if self.media[m].gap is not None]
        return list(dict.fromkeys(order))

    def _stale(self, now):
        """Media last read longer than AGEING ago (or never), the oldest read first."""
        ageing_before = int(now.timestamp()) - int(AGEING.total_seconds())
        return sorted((m for m in self.media if (self.media[m].read or 0) < ageing_before),
                      key=lambda m: (self.media[m].read or 0, -self.media[m].active))

    # ------------------------------------------------------------ one read

    def start_read(self, media_id):
        """The ReadPlan for reading `media_id` now (going on from a read under way)."""
        state = self.media[media_id]
        if state.gap is None:
            # A media never read is read down to the backfill window; one read before, down to its newest
            # comment then, minus the overlap.
            state.gap = Gap(full=False)
        full = state.gap.full
        stop_before = None
        if not full:
            stop_before = (self.window_start if state.newest is None
                           else max(state.newest - int(OVERLAP.total_seconds()), self.window_start))
        return ReadPlan(after=state.gap.after, full=full, stop_before=stop_before, emit_since=self.window_start)

    def read_page(self, media_id, *, found, newest, next_after):
        """A page of `media_id`'s comments was read: `found` comments and replies newer than what earlier reads
        saw, the newest created at `newest` (unix s or None); the read goes on from `next_after`."""
        gap = self.media[media_id].gap
        gap.found += found
        if newest is not None:
            gap.top = max(gap.top or 0, newest)
        gap.after = next_after
        self.moved = True

    def restart(self, media_id):
        """Graph no longer takes the read's paging cursor: it goes on from the newest comment (repeating some)."""
        self.media[media_id].gap.after = None
        self.moved = True

    def finished(self, media_id, now):
        """The read of `media_id` reached its end. Returns True when it is settled, False when the count moved
        by more or less than the comments it found, so the whole media is to be read again (a gap, full)."""
        state = self.media[media_id]
        gap = state.gap
        at = int(now.timestamp())
        if gap.top is not None:
            state.newest = max(state.newest or 0, gap.top)
            state.active = max(state.active, gap.top)
        first = state.count is None
        explained = first or gap.full or state.listed is None or state.listed - state.count == gap.found
        self.moved = True
        if not explained:
            state.gap = Gap(full=True)
            return False
        state.gap = None
        state.read = at
        if state.listed is not None:
            state.count = state.listed
        return True

    def seen_comment(self, media_id, created):
        """Whether a comment created at `created` (unix s) is newer than what the earlier reads saw."""
        newest = self.media[media_id].newest
        return newest is None or created > newest

    def forget(self, media_id):
        self.media.pop(media_id, None)
        self.moved = True


def calls_for_poll(configured, usage_percent):
    """The calls one poll may make: `configured`, less once the account's usage passed half its budget
    (none of it left at 100 %, but MIN_CALLS, so the poll still learns when access is back)."""
    configured = max(int(configured or DEFAULT_CALLS_PER_POLL), MIN_CALLS)
    if usage_percent is None or usage_percent <= 50:
        return configured
    share = max(0.0, (100 - float(usage_percent)) / 50)
    return max(MIN_CALLS, int(configured * share))


def _int(value):
    return int(value) if value is not None else None
