"""Where a Facebook Page read stands: a position in each active post's comment stream.

Comments are read per post, oldest first (`order=chronological`) with Graph's time-based `since`,
so a read stopped part way (a rate limit every few calls on a busy Page, a 5xx, a proxy's HTML
page) has read every comment up to the newest one it saw: that post's `since` moves there and the
next poll goes on from it. Graph's `since` is second-granular and inclusive, so a resumed read
repeats the comments of that one second (ingest dedupes them). Graph advises against storing its
`after` cursors (a deleted comment invalidates them), hence times.

A post is read again when the feed shows activity (`updated_time`) newer than what was read, and
for OVERLAP after its last activity (a comment written in the same second as the feed was listed
shows no newer updated_time; comments can also surface late); such a fresh read starts OVERLAP
before its position. Only posts active within the backfill window are kept, so the cursor stays
bounded. (The feed itself, one or two calls, is listed on every poll: it is how activity shows.)

    {"posts": {"<post id>": {"since": <unix s>, "updated": <unix s>, "read": <unix s>}, …}}
    # "read" is absent while that post's stream is being read
"""
from dataclasses import dataclass, field
from datetime import timedelta

OVERLAP = timedelta(minutes=2)
MAX_POSTS = 500  # a hard bound on the cursor, beyond the window's own


@dataclass
class PostPosition:
    since: int  # comments created at or after this second are still to read
    updated: int  # the post's updated_time as the feed last showed it
    read: int | None = None  # the updated_time its stream was read up to (None: a read is under way)

    def to_json(self):
        data = {"since": self.since, "updated": self.updated}
        if self.read is not None:
            data["read"] = self.read
        return data


@dataclass
class PageCursor:
    window_start: int  # the backfill window's start (unix s): older activity is not watched
    default_since: int  # where a post seen for the first time starts being read
    posts: dict = field(default_factory=dict)  # post id -> PostPosition
    moved: bool = False  # whether anything worth storing changed (a fetch that changed nothing raises instead)

    @classmethod
    def load(cls, cursor, now, backfill):
        window_start = int((now - backfill).timestamp())
        legacy = cursor.get("comments_since")  # the single position earlier versions kept
        default_since = int(legacy) - int(OVERLAP.total_seconds()) if _is_int(legacy) else window_start
        posts = {}
        for post_id, raw in (cursor.get("posts") or {}).items():
            try:
                posts[str(post_id)] = PostPosition(int(raw["since"]), int(raw["updated"]),
                                                   int(raw["read"]) if raw.get("read") is not None else None)
            except (KeyError, TypeError, ValueError):
                continue  # unreadable: the post is read from the window start again
        return cls(window_start, default_since, posts)

    def dump(self):
        """The cursor to store: posts no longer active within the window, and read to their end, are dropped."""
        recent_first = sorted(self.posts.items(), key=lambda kv: kv[1].updated, reverse=True)
        kept = {post_id: pos for post_id, pos in recent_first
                if pos.read is None or pos.updated >= self.window_start}
        kept = dict(list(kept.items())[:MAX_POSTS])
        return {"posts": {post_id: pos.to_json() for post_id, pos in kept.items()}}

    def saw_post(self, post_id, updated):
        """The feed lists `post_id` with this updated_time (unix s). New activity is worth storing even
        if no comment gets read in this poll: the next one then reads that post first."""
        position = self.posts.get(post_id)
        if position is not None:
            if updated > position.updated:
                position.updated = updated
                self.moved = True
        elif updated >= self.window_start:
            self.posts[post_id] = PostPosition(max(self.default_since, self.window_start), updated)
            self.moved = True

    def pending(self):
        """Post ids the cursor knows to have unread comments (a read under way, or activity not read yet),
        the furthest behind first."""
        return [post_id for _, post_id in sorted(
            (pos.since, post_id) for post_id, pos in self.posts.items() if pos.read is None or pos.updated > pos.read)]

    def due(self, now):
        """Post ids whose comments may hold something unread, the furthest behind first."""
        recent = int((now - OVERLAP).timestamp())
        due = [(pos.since, post_id) for post_id, pos in self.posts.items()
               if pos.read is None or pos.updated > pos.read or pos.read >= recent]
        return [post_id for _, post_id in sorted(due)]

    def start_reading(self, post_id):
        """The `since` to read `post_id` from: where a stopped read left off, or OVERLAP before a finished one."""
        position = self.posts[post_id]
        since = position.since
        if position.read is not None:
            since = max(since - int(OVERLAP.total_seconds()), self.window_start)
            position.read = None
        return since

    def read_page(self, post_id, newest):
        """A page of `post_id`'s stream was read, its newest comment created at `newest` (unix s, or None)."""
        position = self.posts[post_id]
        if newest is not None and newest > position.since:
            position.since = newest
            self.moved = True

    def finished(self, post_id):
        position = self.posts[post_id]
        position.read = position.updated
        self.moved = True

    def forget(self, post_id):
        self.posts.pop(post_id, None)
        self.moved = True


def _is_int(value):
    try:
        int(value)
        return True
    except (TypeError, ValueError):
        return False
