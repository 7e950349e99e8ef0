"""Messenger for the Page, polled: the Conversations API read into InboundItems, and where that read stands.

    GET /{page-id}/conversations?platform=messenger&fields=id,updated_time,participants,messages.limit(N){…}
    GET /{conversation-id}/messages?fields=…&after=…   (when a conversation has more new messages than N)

Both list newest first (conversations by their last activity, messages by time) and have no time-based
paging, and the Conversations API allows 2 calls per second per Page (error 613). So a read lists the
conversations page by page and stops at the first one not updated since the cursor's `since`; for each
listed conversation it takes the messages newest first down to those already read, going on through
`/{conversation-id}/messages` when all N nested messages are new and more exist. Calls are paced to the
2 per second of the Page (process-wide), and a 613 only stops this read: the feed's is separate.

The cursor, under "messenger" in the account's cursor (beside the feed's "posts", facebook_cursor.py):

    {"since": <unix s>, "goes_first": true?,   # goes_first: this read comes before the feed's next time
     "conversations": {"<conversation id>": {
         "read": [<unix s>, ["<mid>", …]],      # read: every message of an earlier second, and these mids
         "gap": {"after": "<paging cursor>", "top": [<unix s>, ["<mid>", …]]}}}}   # only while one is open

- `since`: every conversation last updated before this second was read to its end. It moves to the newest
  updated_time listed once a listing ran to its end (or to a conversation older than `since`) and every
  conversation in it was read; the first poll starts it at the backfill window's start. A conversation
  with no entry counts as read up to `since` (messages of that very second are read again: ingest dedupes).
- `read`: Graph's times are seconds, so the mids of the newest second read tell a message written later in
  that same second from one already read. Entries older than `since` (and without a gap) are dropped: the
  cursor stays as small as the conversations active since the last complete read.
- `gap`: a conversation's read that stopped part way through `/messages` (a 613, a 5xx, an HTML page, a
  timeout). The messages from the newest one (`top`) down to the page before `after` are read (and went to
  ingest with this cursor); those between `after` and `read` are not. The next poll goes on from `after`
  before anything else, then reads what came since `top`. A cursor Graph no longer accepts (it advises
  against keeping them) is dropped and the conversation is read again from its newest message.

So a read stopped anywhere keeps every message it saw, loses none it did not, and repeats at most one
second's messages. Messenger sends messages in order; a message that surfaces later with an earlier
created_time than one already read would be missed here, which is why the `messages` webhook comes first
and this poll is the safety net.
"""
import threading
import time
from dataclasses import dataclass, field

from app.connectors.base import ConnectorError, TransientError
from app.connectors.facebook_items import messenger_message_item, parse_graph_time

CONVERSATIONS_PAGE_SIZE = 25
NESTED_MESSAGES = 25  # messages listed with each conversation (Graph's default for a nested edge)
MESSAGES_PAGE_SIZE = 100
MESSAGE_FIELDS = "id,message,from,to,created_time"
CONVERSATION_FIELDS = f"id,updated_time,participants,messages.limit({NESTED_MESSAGES}){{{MESSAGE_FIELDS}}}"
CALLS_PER_SECOND = 2  # the Conversations API's limit per Page
PACING_MARGIN = 0.05  # seconds: our clock and Graph's window do not start at the same instant
MAX_LISTING_PAGES = 400  # a bound on one read, far beyond any Page's day of conversations


class Pacer:
    """At most CALLS_PER_SECOND Conversations API calls per Page from this process, whatever connector makes them."""

    def __init__(self, calls_per_second=CALLS_PER_SECOND):
        self.interval = 1 / calls_per_second + PACING_MARGIN
        self._lock = threading.Lock()
        self._next = {}  # page id -> monotonic time of its next allowed call

    def wait(self, page_id):
        with self._lock:
            now = time.monotonic()
            at = max(now, self._next.get(page_id, 0))
            self._next[page_id] = at + self.interval
        if at > now:
            time.sleep(at - now)


PACER = Pacer()


@dataclass
class Mark:
    """Messages read down to here: all created before `second`, and `mids` of that second."""

    second: int
    mids: tuple = ()

    def has_read(self, created, mid):
        return created < self.second or (created == self.second and mid in self.mids)

    def to_json(self):
        return [self.second, list(self.mids)]

    @classmethod
    def from_json(cls, raw):
        second, mids = raw
        return cls(int(second), tuple(str(m) for m in mids))


@dataclass
class ConversationPosition:
    read: Mark
    gap_after: str | None = None  # paging cursor of /messages where a stopped read goes on
    gap_top: Mark | None = None  # the newest message that stopped read had taken

    def to_json(self):
        data = {"read": self.read.to_json()}
        if self.gap_after is not None:
            data["gap"] = {"after": self.gap_after, "top": self.gap_top.to_json()}
        return data


@dataclass
class MessengerCursor:
    since: int
    conversations: dict = field(default_factory=dict)  # conversation id -> ConversationPosition
    goes_first: bool = False  # read before the feed in the next poll (the two take turns)
    moved: bool = False  # whether anything worth storing changed

    @classmethod
    def load(cls, cursor, window_start, key="messenger"):
        """The position stored under `key` of the account's cursor ("messenger"; Instagram's DMs: "dms")."""
        raw = cursor.get(key) if isinstance(cursor.get(key), dict) else {}
        try:
            since = max(int(raw["since"]), window_start)
        except (KeyError, TypeError, ValueError):
            since = window_start
        conversations = {}
        for conversation_id, entry in (raw.get("conversations") or {}).items():
            try:
                position = ConversationPosition(Mark.from_json(entry["read"]))
                if entry.get("gap"):
                    position.gap_after = str(entry["gap"]["after"])
                    position.gap_top = Mark.from_json(entry["gap"]["top"])
            except (KeyError, TypeError, ValueError):
                continue  # unreadable: that conversation counts as read up to `since`
            conversations[str(conversation_id)] = position
        return cls(since, conversations, goes_first=raw.get("goes_first") is True)

    def dump(self):
        kept = {cid: pos for cid, pos in self.conversations.items()
                if pos.gap_after is not None or pos.read.second >= self.since}
        data = {"since": self.since, "conversations": {cid: pos.to_json() for cid, pos in kept.items()}}
        if self.goes_first:
            data["goes_first"] = True
        return data

    def position(self, conversation_id):
        if conversation_id not in self.conversations:
            self.conversations[conversation_id] = ConversationPosition(Mark(self.since))
        return self.conversations[conversation_id]

    def with_gaps(self):
        return [cid for cid, pos in self.conversations.items() if pos.gap_after is not None]


class MessengerReader:
    """One read of the Page's Messenger conversations into `items` (external id -> InboundItem), moving `state`.

    `platform` is "messenger" (the Page's own conversations) or "instagram" (the DMs of the Instagram account
    the Page is linked to); `brand_id` is who the brand is in those messages (the Page id, or the IG user id),
    and the calls are paced per brand (2 per second per Page, and per Instagram account).

    `call(request)` runs a Graph request through the connector (usage noted, errors translated), `args(**kw)`
    adds the connector's appsecret_proof; `missing` is the error `call` raises for an object that is gone."""

    def __init__(self, graph, page_id, *, call, args, missing, state, items, pacer=PACER, platform="messenger",
                 brand_id=None):
        self.graph, self.page_id, self.call, self.args, self.missing = graph, page_id, call, args, missing
        self.state, self.items, self.pacer = state, items, pacer
        self.platform = platform
        self.brand_id = str(brand_id or page_id)
        self.network = "instagram" if platform == "instagram" else "facebook"
        self.label = "Instagram" if platform == "instagram" else "Facebook"

    def read(self):
        for conversation_id in self.state.with_gaps():  # known to be behind: before anything new
            self._close_gap(conversation_id)
        self._list_conversations()

    # ------------------------------------------------------------ listing

    def _list_conversations(self):
        args = self.args(platform=self.platform, fields=CONVERSATION_FIELDS, limit=CONVERSATIONS_PAGE_SIZE)
        newest = None
        for _ in range(MAX_LISTING_PAGES):
            page = self._get(self.page_id, "conversations", args)
            for conversation in page.get("data") or []:
                if not isinstance(conversation, dict) or not conversation.get("id"):
                    continue
                updated = parse_graph_time(conversation.get("updated_time"))
                if updated is not None and int(updated.timestamp()) < self.state.since:
                    return self._listed(newest)  # older than the last complete read: all read already
                if updated is not None:
                    newest = max(newest or 0, int(updated.timestamp()))
                self._read_conversation(str(conversation["id"]), conversation.get("messages"))
            after = _next_after(page)
            if after is None:
                return self._listed(newest)
            args = dict(args, after=after)
        raise TransientError(f"{self.label} listed more conversations than one read follows")

    def _listed(self, newest):
        if newest is not None and newest > self.state.since:
            self.state.since = newest
            self.state.moved = True

    # ------------------------------------------------------- one conversation

    def _read_conversation(self, conversation_id, nested):
        position = self.state.position(conversation_id)
        if position.gap_after is not None:
            self._close_gap(conversation_id)
        block = nested if isinstance(nested, dict) else {}
        top, reached = self._take(block.get("data"), position.read, conversation_id)
        if top is None:
            return  # nothing new
        after = _paging_after(block)
        if reached or after is None:
            self._advance(position, top)
            return
        # All the nested messages are new and more may be: the rest comes through /messages, page by page.
        position.gap_after, position.gap_top = after, top
        self.state.moved = True
        self._close_gap(conversation_id)

    def _close_gap(self, conversation_id):
        """Read `conversation_id`'s messages from its gap down to what was read before it."""
        position = self.state.conversations[conversation_id]
        args = self.args(fields=MESSAGE_FIELDS, limit=MESSAGES_PAGE_SIZE, after=position.gap_after)
        while True:
            try:
                page = self._get(conversation_id, "messages", args)
            except (RefusedCursor, self.missing):
                # Graph no longer takes that cursor (or the conversation is gone): the next listing reads
                # the conversation again from its newest message, down to what was read before the gap.
                # Instagram shows only a conversation's 20 newest messages (older ones read as deleted):
                # what is past them cannot be read, so the read counts as done down to there.
                if self.platform == "instagram":
                    self._advance(position, position.gap_top)
                position.gap_after, position.gap_top = None, None
                self.state.moved = True
                return
            _, reached = self._take(page.get("data"), position.read, conversation_id)
            after = _next_after(page)
            if reached or after is None:
                self._advance(position, position.gap_top)
                position.gap_after, position.gap_top = None, None
                return
            position.gap_after = after
            self.state.moved = True
            args = dict(args, after=after)

    def _take(self, messages, read, conversation_id):
        """Add the messages (newest first) not yet read to the items. Returns (the newest message's Mark or
        None, whether a message already read was reached)."""
        top = None
        for message in messages or []:
            item = messenger_message_item(message, self.brand_id, self.network)
            if item is None or item.created_at is None:
                continue
            second = int(item.created_at.timestamp())
            if top is None:
                top = Mark(second, (item.external_id,))
            elif second == top.second:
                top = Mark(second, top.mids + (item.external_id,))
            if read.has_read(second, item.external_id):
                return top, True
            self.items.setdefault(item.external_id, item)
        return top, False

    def _advance(self, position, top):
        if top is None:
            return
        if top.second == position.read.second:
            top = Mark(top.second, tuple(dict.fromkeys(position.read.mids + top.mids)))
        if top.second >= position.read.second:
            position.read = top
            self.state.moved = True

    # ------------------------------------------------------------ plumbing

    def _get(self, node, edge, args):
        self.pacer.wait(self.brand_id)
        try:
            page = self.call(lambda: self.graph.get_connections(node, edge, **args))
        except ConnectorError as exc:
            if edge == "messages" and args.get("after") and exc.code == 100:
                raise RefusedCursor() from None
            raise
        except self.missing:
            if edge == "messages":
                raise
            raise TransientError(f"{self.label} does not show the Page's conversations") from None
        if not isinstance(page, dict):
            raise TransientError(f"{self.label} sent a malformed {edge} page")
        return page


class RefusedCursor(Exception):
    """Graph refused a stored /messages paging cursor (error 100)."""


def _next_after(page):
    paging = page.get("paging") or {}
    after = (paging.get("cursors") or {}).get("after")
    return after if paging.get("next") and after else None


def _paging_after(block):
    """A nested edge's `after` cursor when more messages may follow: Graph sets `next` then; a full block
    without it is followed too (a nested edge's paging does not always carry `next`)."""
    paging = block.get("paging") or {}
    after = (paging.get("cursors") or {}).get("after")
    data = block.get("data") or []
    if not after:
        return None
    return after if paging.get("next") or len(data) >= NESTED_MESSAGES else None
