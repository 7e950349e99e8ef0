"""The Facebook connector: comments on the Page's posts in, comment replies out, over the Graph API.

Built on facebook-sdk 3.1.0 GraphAPI. Its version whitelist stops at 3.1, so
the client is built without a version and `graph.version` is set afterwards;
a RewritingSession points it at the account's api_base_url with our timeout.
Every call carries appsecret_proof when the app secret is known.

Credentials: page_id, page_access_token, app_secret, graph_version.
Cursor: {"comments_since": <unix seconds of the newest comment seen>}.

Reading: the newest feed posts (a few pages at most) whose updated_time
(moved by every new comment) falls in the window, then for each its whole
comment stream since the window start. The window reopens OVERLAP before the
cursor: Graph's `since` is second-granular and comments can surface late;
the repeats are harmless because ingest dedupes by external id.
"""
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone

import facebook

from app.connectors.base import (
    AuthError, BrandIdentity, Connector, ConnectorError, FetchResult, RateLimit, RateLimited, RejectedError,
    SentReply, TransientError, redact, transport_error,
)
from app.connectors.http import RewritingSession
from app.ingest.items import InboundAuthor, InboundItem

PRODUCTION_BASE = "https://graph.facebook.com"
DEFAULT_GRAPH_VERSION = "v21.0"
PAGE_SIZE = 100  # Graph's maximum `limit`
MAX_FEED_PAGES = 2  # only the 200 newest posts are watched for new comments
OVERLAP = timedelta(minutes=2)
FIRST_POLL_WINDOW = timedelta(days=1)  # how far back the first poll of an account looks
FEED_FIELDS = "id,created_time,updated_time"
COMMENT_FIELDS = "id,message,created_time,from{id,name},parent{id}"

AUTH_CODES = {10, 102, 190}  # plus the 200-299 permission range
RATE_LIMIT_CODES = {4, 17, 32, 613}  # plus 80001 and up (business use case limits)
TRANSIENT_CODES = {1, 2}
USAGE_HEADERS = ("x-app-usage", "x-page-usage", "x-ad-account-usage")


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
        self._rate_limits = []
        self._requests = 0

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
        self._rate_limits, self._requests = [], 0
        identity = None if self.page_id else self.identify()
        since = cursor.get("comments_since")
        window_start = (
            datetime.fromtimestamp(int(since), timezone.utc) - OVERLAP if since
            else datetime.now(timezone.utc) - FIRST_POLL_WINDOW
        )
        items, newest = {}, int(since) if since else None
        try:
            for post_id in self._posts_updated_since(window_start):
                for comment in self._comments(post_id, window_start):
                    item = self._item(comment, post_id)
                    if item is None:
                        continue
                    items.setdefault(item.external_id, item)
                    if item.created_at is not None:
                        newest = max(newest or 0, int(item.created_at.timestamp()))
        except ConnectorError as exc:
            if not items:
                raise
            return self._result(items, cursor, identity, complete=False, error=exc)
        new_cursor = dict(cursor)
        if newest is not None:
            new_cursor["comments_since"] = newest
        return self._result(items, new_cursor, identity)

    def _posts_updated_since(self, window_start):
        """Ids of the newest feed posts with activity (a new comment) since window_start."""
        found = {}
        pages = self._paged(self.page_id, "feed", self._args(fields=FEED_FIELDS, limit=PAGE_SIZE),
                            max_pages=MAX_FEED_PAGES, reading_page=True)
        for post in pages:
            updated = _parse_time(post.get("updated_time") or post.get("created_time"))
            if post.get("id") and (updated is None or updated >= window_start):
                found[str(post["id"])] = True
        return list(found)

    def _comments(self, post_id, window_start):
        args = self._args(filter="stream", order="chronological", since=int(window_start.timestamp()),
                          fields=COMMENT_FIELDS, limit=PAGE_SIZE)
        try:
            yield from self._paged(post_id, "comments", args)
        except ObjectMissing:
            return  # the post was deleted since the feed listed it

    def _paged(self, node, edge, args, *, max_pages=None, reading_page=False):
        """Every item of an edge, following `after` cursors ourselves.

        (facebook-sdk's get_all_connections breaks when paging.next carries no access token.)
        """
        pages = 0
        while True:
            page = self._call(lambda: self.graph.get_connections(node, edge, **args), reading_page=reading_page)
            if not isinstance(page, dict):
                raise TransientError(f"Facebook sent a malformed {edge} page")
            pages += 1
            yield from page.get("data") or []
            paging = page.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after or (max_pages and pages >= max_pages):
                return
            args = dict(args, after=after)

    def _item(self, comment, post_id):
        if not isinstance(comment, dict) or not comment.get("id"):
            return None
        author = comment.get("from") or None
        parent_id = (comment.get("parent") or {}).get("id")
        author_id = str(author["id"]) if author and author.get("id") else None
        return InboundItem(
            external_id=str(comment["id"]),
            text=comment.get("message") or "",
            created_at=_parse_time(comment.get("created_time")),
            author=InboundAuthor(
                external_id=author_id, name=author.get("name"), profile_url=f"https://facebook.com/{author_id}",
            ) if author_id else None,
            in_reply_to=str(parent_id) if parent_id else post_id,
            thread_id=str(parent_id or comment["id"]),  # Facebook threads one level deep
            from_brand=author_id is not None and author_id == self.page_id,
        )

    def _result(self, items, cursor, identity, *, complete=True, error=None):
        return FetchResult(
            list(items.values()), cursor, complete=complete, rate_limit=self._tightest_rate_limit(),
            identity=identity, error=error, requests=self._requests,
        )

    # --------------------------------------------------------------- reply

    def send_reply(self, in_reply_to, text):
        self._rate_limits, self._requests = [], 0
        result = self._call(
            lambda: self.graph.put_object(in_reply_to, "comments", **self._args(message=text)), sending=True
        )
        comment_id = result.get("id") if isinstance(result, dict) else None
        if not comment_id:
            raise TransientError("Facebook accepted the reply but sent back no comment id")
        return SentReply(str(comment_id), created_at=None, raw=dict(result))

    # ------------------------------------------------------------ plumbing

    def _call(self, request, *, sending=False, reading_page=False):
        """Run one Graph request, noting its usage headers and translating its failures."""
        self._requests += 1
        self.session.last_response = None
        try:
            return request()
        except Exception as exc:
            error = self._translate(exc, sending=sending, reading_page=reading_page)
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
            self._rate_limits.append(RateLimit(limit=100, remaining=max(0, int(100 - max(percents))), reset_at=None))

    def _tightest_rate_limit(self):
        return min(self._rate_limits, key=lambda r: r.remaining) if self._rate_limits else None

    def _translate(self, exc, *, sending, reading_page):
        secrets = list(self.credentials.values()) + [self._proof]
        if isinstance(exc, facebook.GraphAPIError):
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
            return RateLimited(f"Facebook rate limit reached: {message}", code=code)
        if code in TRANSIENT_CODES or error.get("is_transient"):
            return TransientError(f"Facebook is temporarily unavailable: {message}", code=code)
        if sending:
            return RejectedError(f"Facebook refused the reply: {message}", code=code)
        if code == 100 and subcode == 33:
            if reading_page:
                return AuthError(f"Facebook does not show this page to the token: {message}", code=code)
            return ObjectMissing(message)
        return TransientError(f"Facebook refused the request: {message}", code=code)


def _graph_version(configured):
    version = str(configured or DEFAULT_GRAPH_VERSION)
    return version if version.startswith("v") else f"v{version}"


def _parse_time(value):
    """Graph times look like 2024-01-15T10:30:00+0000."""
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").astimezone(timezone.utc)
    except (TypeError, ValueError):
        return None


def _usage_percents(header):
    """X-App-Usage / X-Page-Usage: {"call_count": pct, "total_cputime": pct, "total_time": pct}."""
    try:
        usage = json.loads(header) if header else {}
        return [float(v) for v in usage.values() if isinstance(v, (int, float))]
    except (ValueError, AttributeError):
        return []


def _business_usage_percents(header):
    """X-Business-Use-Case-Usage: {business_id: [{"call_count": pct, …}, …]}."""
    try:
        usage = json.loads(header) if header else {}
        entries = [entry for values in usage.values() for entry in values]
        return [float(entry[key]) for entry in entries for key in ("call_count", "total_cputime", "total_time")
                if isinstance(entry.get(key), (int, float))]
    except (ValueError, AttributeError, TypeError):
        return []
