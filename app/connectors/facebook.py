"""The Facebook connector: comments on the Page's posts in, comment replies out, over the Graph API.

Built on facebook-sdk 3.1.0 GraphAPI. Its version whitelist stops at 3.1, so
the client is built without a version and `graph.version` is set afterwards;
a RewritingSession points it at the account's api_base_url with our timeout.
Every call carries appsecret_proof when the app secret is known.

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
"""
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone

import facebook

from app.connectors.base import (
    AuthError,
    BrandIdentity,
    Connector,
    ConnectorError,
    FetchResult,
    RateLimit,
    RateLimited,
    RejectedError,
    SentReply,
    TransientError,
    redact,
    transport_error,
)
from app.connectors.facebook_cursor import PageCursor
from app.connectors.facebook_items import comment_item, parse_graph_time
from app.connectors.facebook_messenger import PACER, MessengerCursor, MessengerReader
from app.connectors.http import RewritingSession

PRODUCTION_BASE = "https://graph.facebook.com"
DEFAULT_GRAPH_VERSION = "v21.0"
PAGE_SIZE = 100  # Graph's maximum `limit`
MAX_FEED_PAGES = 2  # only the 200 newest posts are watched for new comments
FEED_FIELDS = "id,created_time,updated_time"
COMMENT_FIELDS = "id,message,created_time,from{id,name},parent{id}"

AUTH_CODES = {10, 102, 190}  # plus the 200-299 permission range
RATE_LIMIT_CODES = {4, 17, 32, 613}  # plus 80001 and up (business use case limits)
TRANSIENT_CODES = {1, 2}
USAGE_HEADERS = ("x-app-usage", "x-page-usage", "x-ad-account-usage")
OUTSIDE_WINDOW_SUBCODES = {2018278, 2534022}  # Messenger, Instagram


class ObjectMissing(Exception):
    """Graph error 100/33: the object is gone (a post deleted while we were reading)."""


class FacebookConnector(Connector):
    network = "facebook"

    def __init__(self, account, *, timeout, backfill=None):
        super().__init__(account, timeout=timeout, backfill=backfill)
        self.credentials = dict(account.credentials or {})
        self.page_id = str(self.credentials.get("page_id") or account.external_id or "") or None
        self.session = RewritingSession(PRODUCTION_BASE, account.api_base_url, timeout)
        token = self.credentials.get("page_access_token")
        self.graph = facebook.GraphAPI(access_token=token, timeout=timeout, session=self.session)
        self.graph.version = _graph_version(self.credentials.get("graph_version"))
        app_secret = self.credentials.get("app_secret")
        self._proof = (
            hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest() if app_secret and token else None
        )
        self._rate_limits = {}  # budget name ("feed", "conversations", "send_api") -> [RateLimit, …] of this call
        self._budget = "feed"  # the budget the calls made now spend
        self._requests = 0
        self.pacer = PACER  # Conversations API calls per Page (shared by every connector of this process)

    def _start(self, budget):
        self._rate_limits, self._requests, self._budget = {}, 0, budget

    def _args(self, **args):
        if self._proof:
            args["appsecret_proof"] = self._proof
        return args

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
            if error is not None and _ends_the_poll(error, progress=bool(items) or state.moved or messenger.moved):
                break
        found = [e for e in errors.values() if e is not None]
        if found and not items and not state.moved and not messenger.moved:
            raise _gravest(found)
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

    # ------------------------------------------------------------ Messenger

    def send_private(self, recipient_id, text, *, human_agent=False):
        """A Messenger message through the Send API (facebook-sdk has no method for it: a plain Graph POST)."""
        kind = {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"} if human_agent else {"messaging_type": "RESPONSE"}
        return self._send_api({"id": str(recipient_id)}, text, kind)

    def send_private_reply(self, comment_id, text):
        return self._send_api({"comment_id": str(comment_id)}, text, {"messaging_type": "RESPONSE"})

    def _send_api(self, recipient, text, kind):
        self._start("send_api")
        page_id = self.page_id or self.identify().external_id
        self._budget = "send_api"
        # post_args are form-encoded: nested objects must be JSON strings, or requests sends only their keys.
        post_args = self._args(recipient=json.dumps(recipient), message=json.dumps({"text": text}), **kind)
        try:
            result = self._call(
                lambda: self.graph.request(f"{self.graph.version}/{page_id}/messages", post_args=post_args),
                sending=True, private=True,
            )
        finally:
            self.last_rate_limits = self._budgets()
        message_id = result.get("message_id") if isinstance(result, dict) else None
        if not message_id:
            raise TransientError("Facebook accepted the message but sent back no message id")
        return SentReply(str(message_id), created_at=None, raw=dict(result))

    # ------------------------------------------------------------ plumbing

    def _call(self, request, *, sending=False, reading_page=False, private=False):
        """Run one Graph request, noting its usage headers and translating its failures."""
        self._requests += 1
        self.session.last_response = None
        try:
            return request()
        except Exception as exc:
            error = self._translate(exc, sending=sending, reading_page=reading_page, private=private)
            if error is None:
                raise
            raise error from None  # the original's message holds the URL, access token included
        finally:
            self._note_usage()

    def _note_usage(self):
        response = self.session.last_response
        if response is None:
            return
        percents = []
        for name in USAGE_HEADERS:
            percents += _usage_percents(response.headers.get(name))
        percents += _business_usage_percents(response.headers.get("x-business-use-case-usage"))
        if percents:
            self._rate_limits.setdefault(self._budget, []).append(RateLimit(
                limit=100, remaining=max(0, int(100 - max(percents))), reset_at=_regain_at(response.headers)))

    def _budgets(self):
        """Each budget's tightest RateLimit seen since the operation began."""
        return {name: min(limits, key=lambda r: r.remaining) for name, limits in self._rate_limits.items() if limits}

    def _tightest_rate_limit(self):
        budgets = self._budgets()
        return min(budgets.values(), key=lambda r: r.remaining) if budgets else None

    def _translate(self, exc, *, sending, reading_page, private=False):
        secrets = list(self.credentials.values()) + [self._proof]
        if isinstance(exc, facebook.GraphAPIError):
            if private and (refusal := _messaging_refusal(exc, redact(exc.message, secrets))) is not None:
                return refusal
            return self._translate_graph_error(exc, redact(exc.message, secrets), sending, reading_page)
        return transport_error(exc, "Facebook", self.timeout, secrets)

    def _translate_graph_error(self, exc, message, sending, reading_page):
        error = exc.result.get("error") if isinstance(exc.result, dict) else None
        error = error if isinstance(error, dict) else {}
        if exc.code is None:  # not a Graph error body at all (HTML from a proxy, …)
            return TransientError(f"Facebook sent an unexpected response: {message}")
        code = int(exc.code)
        subcode = error.get("error_subcode")
        if code in AUTH_CODES or 200 <= code <= 299 or "appsecret_proof" in message:
            return AuthError(f"Facebook refused the page credentials: {message}", code=code)
        if code in RATE_LIMIT_CODES or code >= 80001:
            # Graph sends no reset time; the usage headers estimate when access comes back (else the poller's default).
            response = self.session.last_response
            reset_at = _regain_at(response.headers) if response is not None else None
            when = f"; access expected back at {reset_at:%H:%M:%S} UTC" if reset_at else ""
            return RateLimited(f"Facebook rate limit reached: {message}{when}", code=code, reset_at=reset_at)
        if code in TRANSIENT_CODES or error.get("is_transient"):
            return TransientError(f"Facebook is temporarily unavailable: {message}", code=code)
        if sending:
            return RejectedError(f"Facebook refused the reply: {message}", code=code)
        if code == 100 and subcode == 33:
            if reading_page:
                return AuthError(f"Facebook does not show this page to the token: {message}", code=code)
            return ObjectMissing(message)
        return TransientError(f"Facebook refused the request: {message}", code=code)


class MessengerNotReadable(TransientError):
    """The token may not read the Page's Messenger conversations (a permission is missing): the feed still is."""


def _ends_the_poll(error, *, progress):
    """Whether `error`, stopping one read, also stops the other in this poll: a rate limit of the Page's or
    the app's whole budget (every code but 613, the limit of one API such as the Conversations API's 2 calls/s),
    bad credentials, or a network failing before anything was read (do not hammer it)."""
    if isinstance(error, MessengerNotReadable):
        return False
    if isinstance(error, RateLimited):
        return error.code != 613
    if isinstance(error, AuthError):
        return True
    return not progress


def _gravest(errors):
    """The error to raise when nothing at all was read: credentials first, then rate limits."""
    for kind in (AuthError, RateLimited):
        for error in errors:
            if isinstance(error, kind):
                return error
    return errors[0]


def _messaging_refusal(exc, message):
    """The Send API's refusals the composer explains, or None. Code 10 is also a permission error, so the
    window is recognised by its message too (Instagram uses another subcode than Messenger's 2018278)."""
    error = exc.result.get("error") if isinstance(exc.result, dict) else None
    subcode = (error or {}).get("error_subcode") if isinstance(error, dict) else None
    code = int(exc.code) if exc.code is not None else None
    if code == 10 and (subcode in OUTSIDE_WINDOW_SUBCODES or "outside of allowed window" in message):
        return RejectedError(f"Facebook refused the message: {message}", code=code, reason="outside_window")
    if code == 10900:
        return RejectedError(f"Facebook refused the Private Reply: {message}", code=code,
                             reason="already_replied_privately")
    if code in (10903, 10901):
        return RejectedError(f"Facebook refused the Private Reply: {message}", code=code,
                             reason="cannot_reply_privately")
    return None


def _post_activity(post):
    """When a feed post last had activity (updated_time moves with every comment), or None."""
    if not isinstance(post, dict) or not post.get("id"):
        return None
    return parse_graph_time(post.get("updated_time")) or parse_graph_time(post.get("created_time"))


def _graph_version(configured):
    version = str(configured or DEFAULT_GRAPH_VERSION)
    return version if version.startswith("v") else f"v{version}"


def _usage_percents(header):
    """X-App-Usage / X-Page-Usage: {"call_count": pct, "total_cputime": pct, "total_time": pct}."""
    try:
        usage = json.loads(header) if header else {}
        return [float(v) for v in usage.values() if isinstance(v, (int, float))]
    except (ValueError, AttributeError):
        return []


def _regain_at(headers):
    """When X-Business-Use-Case-Usage expects access back (its estimated_time_to_regain_access, in minutes),
    or None when it is 0 or absent (not blocked, or no estimate)."""
    try:
        usage = json.loads(headers.get("x-business-use-case-usage") or "{}")
        minutes = max((float(entry.get("estimated_time_to_regain_access") or 0)
                       for values in usage.values() for entry in values), default=0)
    except (ValueError, AttributeError, TypeError):
        return None
    return datetime.now(timezone.utc) + timedelta(minutes=minutes) if minutes > 0 else None


def _business_usage_percents(header):
    """X-Business-Use-Case-Usage: {business_id: [{"call_count": pct, …}, …]}."""
    try:
        usage = json.loads(header) if header else {}
        entries = [entry for values in usage.values() for entry in values]
        return [float(entry[key]) for entry in entries for key in ("call_count", "total_cputime", "total_time")
                if isinstance(entry.get(key), (int, float))]
    except (ValueError, AttributeError, TypeError):
        return []
