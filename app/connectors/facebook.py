"""The Facebook connector: comments on the Page's posts in, comment replies out, over the Graph API.

Built on facebook-sdk 3.1.0 GraphAPI through the Graph plumbing it shares with
the Instagram connector (graph.py: the client, appsecret_proof, the call wrapper,
usage headers, error translation, the Send API).

Credentials: page_id, page_access_token, app_secret, graph_version.

Reading: the newest feed posts (a few pages at most) with their updated_time
(moved by every new comment); then, for each post active within the backfill
window, its comment stream from where the last read of that post stopped
(see facebook_cursor.py), the post furthest behind first. Posts the cursor
already knows to have unread comments are read before the feed is listed. A
rate limit or an error part way keeps every post's position, so any steady
rate of partial success reads everything. After a rate limit the wait comes
from the usage headers (X-Business-Use-Case-Usage's
estimated_time_to_regain_access).

Messenger (facebook_messenger.py): each fetch also reads the Page's Messenger conversations through the
Conversations API, with its own position in the cursor ("messenger") and its own budget. The two reads
take turns going first, so a budget that lets only some calls through starves neither. A 613 (the limit
of one API, such as the Conversations API's 2 calls/s per Page) stops only the read it hit; a rate limit
of the Page's or the app's whole budget (4, 17, 32, 80001+), refused credentials, or a network failing
before anything was read stop both for this poll. A token that may not read Messenger (a permission
missing) leaves the feed polled. FetchResult.rate_limits carries the budgets "feed" and "conversations"
from the usage headers of their calls (a 613 shows "conversations" spent until the next second).

Sending private messages: facebook-sdk 3.1.0 has no Send API method, so `send_private` and
`send_private_reply` POST to /{page-id}/messages through GraphAPI.request with post_args; post_args are
form-encoded, so `recipient` and `message` are json.dumps'd (requests would send only a dict's keys).
A standard RESPONSE within 24 h of the customer's last message, or MESSAGE_TAG HUMAN_AGENT (up to 7 days,
with the Human Agent permission); the refusals the composer explains come back as RejectedError.reason
(outside_window: code 10 with its message, whatever the subcode; already_replied_privately: 10900;
cannot_reply_privately: 10903/10901). The send's usage is kept in `last_rate_limits["send_api"]`.

Moderation of comments on the Page's posts: `hide` is POST /{comment-id} is_hidden=true|false (refused for the
Page's own comments, can_hide false: not_hideable), `delete` DELETE /{comment-id}, `like` / `unlike` POST and
DELETE /{object-id}/likes as the Page (graph.py's _moderate: the refusals, and why not put_like itself). Their
usage is kept in `last_rate_limits["feed"]`, the Page's budget.
"""
from datetime import datetime, timedelta, timezone

from app.connectors.base import (
    AuthError,
    BrandIdentity,
    ConnectorError,
    FetchResult,
    ModerationResult,
    RateLimit,
    RateLimited,
    SentReply,
    TransientError,
)
from app.connectors.facebook_cursor import PageCursor
from app.connectors.facebook_items import comment_item, parse_graph_time
from app.connectors.facebook_messenger import PACER, MessengerCursor, MessengerReader
from app.connectors.graph import (  # noqa: F401  (re-exported: tests and older imports name them here)
    DEFAULT_GRAPH_VERSION,
    PRODUCTION_BASE,
    GraphConnector,
    MessengerNotReadable,
    ObjectMissing,
    ends_the_poll,
    gravest,
    messaging_refusal,
)

PAGE_SIZE = 100  # Graph's maximum `limit`
MAX_FEED_PAGES = 2  # only the 200 newest posts are watched for new comments
FEED_FIELDS = "id,created_time,updated_time"
COMMENT_FIELDS = "id,message,created_time,from{id,name},parent{id}"


class FacebookConnector(GraphConnector):
    network = "facebook"

    def __init__(self, account, *, timeout, backfill=None):
        super().__init__(account, timeout=timeout, backfill=backfill)
        self.page_id = self.page_id or (str(account.external_id) if account.external_id else None)
        self._budget = "feed"
        self.pacer = PACER  # Conversations API calls per Page (shared by every connector of this process)

    # ------------------------------------------------------------ identity

    def identify(self):
        node = self.page_id or "me"
        page = self._call(lambda: self.graph.get_object(node, **self._args(fields="id,name")), reading_page=True)
        if not isinstance(page, dict) or not page.get("id"):
            raise TransientError("Facebook sent a page without an id")
        self.page_id = str(page["id"])
        return BrandIdentity(self.page_id, handle=None, name=page.get("name"))

    # --------------------------------------------------------------- fetch

    def fetch(self, cursor):
        cursor = dict(cursor or {})
        self._start("feed")
        identity = None if self.page_id else self.identify()
        now = datetime.now(timezone.utc)
        state = PageCursor.load(cursor, now, self.backfill)
        messenger = MessengerCursor.load(cursor, state.window_start)
        items = {}
        reads = {"feed": lambda: self._read_feed(state, items),
                 "conversations": lambda: self._read_messenger(messenger, items)}
        # The two reads take turns going first: when the Page's budget lets only some calls through (a
        # rate limit every few calls), neither is the one always left without.
        order = ["conversations", "feed"] if messenger.goes_first else ["feed", "conversations"]
        errors = {}
        for name in order:
            errors[name] = error = reads[name]()
            if error is not None and ends_the_poll(error, progress=bool(items) or state.moved or messenger.moved):
                break
        found = [e for e in errors.values() if e is not None]
        if found and not items and not state.moved and not messenger.moved:
            raise gravest(found)
        messenger.goes_first = not messenger.goes_first
        error = errors.get("feed") or errors.get("conversations") or (
            None if len(errors) == len(reads) else TransientError("Facebook polling stopped part way"))
        return FetchResult(
            list(items.values()), {**state.dump(), "messenger": messenger.dump()}, complete=error is None,
            rate_limit=self._tightest_rate_limit(), rate_limits=self._budgets(), identity=identity, error=error,
            requests=self._requests,
        )

    def _read_feed(self, state, items):
        """The Page's comments into `items`, moving `state`. Returns the error that stopped the read, or None."""
        self._budget = "feed"
        try:
            # Work the cursor already knows of comes first, so every call brings something unread even
            # when the network fails every other call; then the feed shows what else is new.
            known = state.pending()
            for post_id in known:
                self._read_comments(state, post_id, items)
            self._sweep_feed(state)
            for post_id in state.due(datetime.now(timezone.utc)):
                if post_id not in known:
                    self._read_comments(state, post_id, items)
        except ConnectorError as exc:
            return exc
        return None

    def _read_messenger(self, state, items):
        """The Page's Messenger messages into `items`, moving `state`. Returns the error that stopped it, or None."""
        self._budget = "conversations"
        reader = MessengerReader(self.graph, self.page_id, call=self._call, args=self._args, missing=ObjectMissing,
                                 state=state, items=items, pacer=self.pacer)
        try:
            reader.read()
        except AuthError as exc:
            # The Page's token may read its feed but not its Messenger conversations (no pages_messaging):
            # the feed goes on being polled, and the error says why messages are not read.
            return MessengerNotReadable(f"Messenger conversations not readable: {exc.message}", code=exc.code)
        except ConnectorError as exc:
            if isinstance(exc, RateLimited) and exc.reset_at is None:
                exc.reset_at = datetime.now(timezone.utc) + timedelta(seconds=1)  # 613: calls per second
            if isinstance(exc, RateLimited):
                self._rate_limits.setdefault("conversations", []).append(
                    RateLimit(limit=100, remaining=0, reset_at=exc.reset_at))
            return exc
        return None

    def _sweep_feed(self, state):
        """List the newest feed posts (MAX_FEED_PAGES pages at most) with their updated_time."""
        args = self._args(fields=FEED_FIELDS, limit=PAGE_SIZE)
        for _ in range(MAX_FEED_PAGES):
            page = self._call(lambda: self.graph.get_connections(self.page_id, "feed", **args), reading_page=True)
            if not isinstance(page, dict):
                raise TransientError("Facebook sent a malformed feed page")
            for post in page.get("data") or []:
                updated = _post_activity(post)
                if updated is not None:
                    state.saw_post(str(post["id"]), int(updated.timestamp()))
            paging = page.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return
            args = dict(args, after=after)

    def _read_comments(self, state, post_id, items):
        """Read `post_id`'s comment stream from its position to the end, moving the position page by page."""
        since = state.start_reading(post_id)
        args = self._args(filter="stream", order="chronological", since=since, fields=COMMENT_FIELDS,
                          limit=PAGE_SIZE)
        try:
            for page in self._pages(post_id, "comments", args):
                newest = None
                for comment in page:
                    item = comment_item(comment, post_id, self.page_id)
                    if item is None:
                        continue
                    items.setdefault(item.external_id, item)
                    if item.created_at is not None:
                        newest = max(newest or 0, int(item.created_at.timestamp()))
                state.read_page(post_id, newest)
        except ObjectMissing:
            state.forget(post_id)  # the post was deleted since the feed listed it
            return
        state.finished(post_id)

    def _pages(self, node, edge, args):
        """Each page's data of an edge, following `after` cursors ourselves (within one read only:
        facebook-sdk's get_all_connections breaks when paging.next carries no access token)."""
        while True:
            page = self._call(lambda: self.graph.get_connections(node, edge, **args))
            if not isinstance(page, dict):
                raise TransientError(f"Facebook sent a malformed {edge} page")
            yield [entry for entry in page.get("data") or [] if isinstance(entry, dict)]
            paging = page.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return
            args = dict(args, after=after)

    # --------------------------------------------------------------- reply

    def send_reply(self, in_reply_to, text, *, target=None):
        self._start("feed")
        result = self._call(
            lambda: self.graph.put_object(in_reply_to, "comments", **self._args(message=text)), sending=True
        )
        comment_id = result.get("id") if isinstance(result, dict) else None
        if not comment_id:
            raise TransientError("Facebook accepted the reply but sent back no comment id")
        return SentReply(str(comment_id), created_at=None, raw=dict(result))

    # ------------------------------------------------------------ moderation

    def hide(self, external_id, hidden=True):
        self._moderate("feed", "hide", self._node_request(external_id, "POST", is_hidden=_flag(hidden)))
        return ModerationResult(str(external_id), hidden=bool(hidden))

    def delete(self, external_id):
        self._moderate("feed", "delete", self._node_request(external_id, "DELETE"))
        return ModerationResult(str(external_id), deleted=True)

    def like(self, external_id):
        # put_like(id) is put_object(id, "likes") without arguments: with them, the appsecret_proof goes along.
        self._moderate("feed", "like", lambda: self.graph.put_object(external_id, "likes", **self._args()))
        return ModerationResult(str(external_id), liked=True)

    def unlike(self, external_id):
        self._moderate("feed", "unlike", self._node_request(f"{external_id}/likes", "DELETE"))
        return ModerationResult(str(external_id), liked=False)

    # ------------------------------------------------------------ Messenger

    def send_private(self, recipient_id, text, *, human_agent=False):
        """A Messenger message through the Send API (facebook-sdk has no method for it: a plain Graph POST)."""
        return self._send_api({"id": str(recipient_id)}, text, self._message_kind(human_agent))

    def send_private_reply(self, comment_id, text):
        return self._send_api({"comment_id": str(comment_id)}, text, {"messaging_type": "RESPONSE"})

    def _messaging_page_id(self):
        return self.page_id or self.identify().external_id


def _flag(value):
    """A Graph boolean parameter: form-encoding would send Python's True as "True"."""
    return "true" if value else "false"


def _post_activity(post):
    """When a feed post last had activity (updated_time moves with every comment), or None."""
    if not isinstance(post, dict) or not post.get("id"):
        return None
    return parse_graph_time(post.get("updated_time")) or parse_graph_time(post.get("created_time"))
