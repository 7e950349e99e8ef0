"""The X (Twitter) connector: mentions and the brand's own tweets in, replies out, over X API v2.

Built on tweepy.Client (4.17). tweepy hard-codes https://api.twitter.com and
sets no timeout, so the client gets a RewritingSession pointed at the
account's api_base_url (the sandbox, a proxy) with our timeout. Reads use
the app-only bearer token when there is one (a larger rate budget), else
OAuth 1.0a user context; replies always need user context. Never
wait_on_rate_limit: a poller must not sleep for 15 minutes inside a lease.

Credentials: bearer_token, consumer_key, consumer_secret, access_token,
access_token_secret, user_id (optional: found with get_me when missing).

Reading: the mentions and the brand's own timeline (its native replies). The
first poll of an account reads each back to the start of the backfill window
(`start_time`, as far as X serves: the newest 800 mentions, 3,200 tweets);
later polls read the gap a stopped read left, then what is newer than the
cursor (see twitter_cursor.py: the cursor always records exactly what was read).
"""
from datetime import datetime, timedelta, timezone
from functools import partial

import tweepy

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
from app.connectors.http import RewritingSession
from app.connectors.twitter_cursor import TimelineCursor
from app.ingest.items import InboundAuthor, InboundItem

PRODUCTION_BASE = "https://api.twitter.com"
PAGE_SIZE = 100  # the most X returns per page
TWEET_FIELDS = ["created_at", "author_id", "conversation_id", "in_reply_to_user_id", "referenced_tweets", "lang"]
USER_FIELDS = ["username", "name", "public_metrics"]
USER_CONTEXT_KEYS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
# The streams fetch() reads: the name of its cursor keys, tweepy method, whether it is the brand's own timeline.
TIMELINES = (
    ("mentions", "get_users_mentions", False),
    ("tweets", "get_users_tweets", True),  # replies the brand made natively, outside Carebox
)
TWITTER_EPOCH_MS = 1288834974657


class TwitterConnector(Connector):
    network = "twitter"

    def __init__(self, account, *, timeout, backfill=None):
        super().__init__(account, timeout=timeout, backfill=backfill)
        self.credentials = dict(account.credentials or {})
        self.session = RewritingSession(PRODUCTION_BASE, account.api_base_url, timeout)
        self.client = tweepy.Client(
            bearer_token=self.credentials.get("bearer_token") or None,
            **{key: self.credentials.get(key) or None for key in USER_CONTEXT_KEYS},
            wait_on_rate_limit=False,
        )
        self.client.session = self.session
        self._identity = None
        self._rate_limits = []  # RateLimit of each response in the current operation
        self._requests = 0

    @property
    def has_user_context(self):
        return all(self.credentials.get(key) for key in USER_CONTEXT_KEYS)

    @property
    def app_only(self):
        """Read with the bearer token when there is one: app-only budgets are larger."""
        return bool(self.credentials.get("bearer_token"))

    # ------------------------------------------------------------ identity

    def identify(self):
        if self.has_user_context:
            response = self._call(lambda: self.client.get_me(user_auth=True, user_fields=["username", "name"]))
        elif self.credentials.get("user_id") and self.app_only:
            user_id = self.credentials["user_id"]
            response = self._call(lambda: self.client.get_user(id=user_id, user_fields=["username", "name"]))
        else:
            raise AuthError("X credentials need the four user-context keys, or a bearer token and user_id")
        user = response.data
        if user is None:
            raise AuthError("X does not know this account: " + "; ".join(_messages(response.errors)))
        self._identity = BrandIdentity(str(user.id), handle=user.username, name=user.name)
        return self._identity

    def _brand_id(self):
        """The brand's user id, and the identity when it had to be looked up."""
        known = self.credentials.get("user_id") or self.account.external_id
        if known:
            return str(known), None
        identity = self._identity or self.identify()
        return identity.external_id, identity

    # --------------------------------------------------------------- fetch

    def fetch(self, cursor):
        cursor = dict(cursor or {})
        self._requests = 0
        brand_id, identity = self._brand_id()
        self._rate_limits = []  # report the timelines' budgets, not the one-off identity lookup's
        window_start = (datetime.now(timezone.utc) - self.backfill).replace(microsecond=0)
        items, new_cursor, error = {}, dict(cursor), None
        for name, method_name, own_timeline in TIMELINES:
            timeline = TimelineCursor.load(cursor, name)
            read = partial(self._read_range, getattr(self.client, method_name), brand_id, items, own_timeline)
            error = _read_timeline(read, timeline, window_start)
            timeline.store(new_cursor, name)
            if error is not None:
                break  # the budget or the network is gone for now: the cursor says where to go on
        if error is not None:
            if not items and new_cursor == cursor:
                raise error
            return self._result(items, new_cursor, identity, complete=False, error=error)
        return self._result(items, new_cursor, identity)

    def _read_range(self, method, brand_id, items, own_timeline, span):
        """Read `span` (a twitter_cursor.Range) newest first, page by page, into `items`.

        Returns (newest id, oldest id read, or None when nothing was; the ConnectorError that stopped
        the read, or None when it reached the end).
        """
        params = {
            "max_results": PAGE_SIZE, "expansions": ["author_id"], "tweet_fields": TWEET_FIELDS,
            "user_fields": USER_FIELDS, "user_auth": not self.app_only,
            "since_id": span.since_id, "until_id": span.until_id,
            "start_time": span.start_time if span.since_id is None else None,  # X: since_id takes precedence
        }
        newest = oldest = token = None
        while True:
            try:
                response = self._call(lambda: method(brand_id, **params, pagination_token=token))
            except ConnectorError as exc:
                return newest, oldest, exc
            users = {str(user.id): user for user in (response.includes or {}).get("users", [])}
            for tweet in response.data or []:
                item = _item(tweet, users, brand_id, own_timeline)
                items.setdefault(item.external_id, item)
                newest = max(newest or 0, int(tweet.id))
                oldest = min(oldest or int(tweet.id), int(tweet.id))
            token = (response.meta or {}).get("next_token")
            if not token:
                return newest, oldest, None

    def _result(self, items, cursor, identity, *, complete=True, error=None):
        return FetchResult(
            list(items.values()), cursor, complete=complete, rate_limit=self._tightest_rate_limit(),
            identity=identity, error=error, requests=self._requests,
        )

    # --------------------------------------------------------------- reply

    def send_reply(self, in_reply_to, text):
        if not self.has_user_context:
            raise AuthError("replying on X needs user-context credentials (consumer and access keys)")
        self._rate_limits, self._requests = [], 0
        response = self._call(
            lambda: self.client.create_tweet(text=text, in_reply_to_tweet_id=in_reply_to, user_auth=True),
            sending=True,
        )
        data = response.data if isinstance(response.data, dict) else {}
        if not data.get("id"):
            raise TransientError("X accepted the reply but sent back no tweet id")
        return SentReply(str(data["id"]), created_at=snowflake_time(data["id"]), raw=dict(data))

    def send_private(self, recipient_id, text, *, human_agent=False):
        """A DM into the one-to-one conversation with `recipient_id` (X has no messaging window, so no tag)."""
        if not self.has_user_context:
            raise AuthError("direct messages on X need user-context credentials (consumer and access keys)")
        self._rate_limits, self._requests = [], 0
        response = self._call(
            lambda: self.client.create_direct_message(participant_id=recipient_id, text=text, user_auth=True),
            sending=True, private=True,
        )
        data = response.data if isinstance(response.data, dict) else {}
        if not data.get("dm_event_id"):
            raise TransientError("X accepted the direct message but sent back no event id")
        return SentReply(str(data["dm_event_id"]), created_at=snowflake_time(data["dm_event_id"]), raw=dict(data))

    # ------------------------------------------------------------ plumbing

    def _call(self, request, *, sending=False, private=False):
        """Run one tweepy request, noting its rate-limit headers and translating its failures."""
        self._requests += 1
        self.session.last_response = None
        try:
            response = request()
        except Exception as exc:
            error = self._translate(exc, sending=sending, private=private)
            if error is None:
                raise
            raise error from None  # the original may carry request details; the message is enough
        finally:
            self._note_rate_limit()
        return response

    def _note_rate_limit(self):
        response = self.session.last_response
        if response is None or "x-rate-limit-remaining" not in response.headers:
            return
        headers = response.headers
        reset = headers.get("x-rate-limit-reset")
        self._rate_limits.append(RateLimit(
            limit=_int(headers.get("x-rate-limit-limit")), remaining=_int(headers.get("x-rate-limit-remaining")),
            reset_at=datetime.fromtimestamp(int(reset), timezone.utc) if _int(reset) is not None else None,
        ))

    def _tightest_rate_limit(self):
        """The budget closest to running out among this fetch's endpoints (mentions, tweets)."""
        known = [r for r in self._rate_limits if r.remaining is not None]
        return min(known, key=lambda r: r.remaining) if known else None

    def _translate(self, exc, *, sending, private=False):
        secrets = list(self.credentials.values())
        if isinstance(exc, tweepy.TooManyRequests):
            reset_at = datetime.fromtimestamp(exc.reset_time, timezone.utc) if exc.reset_time else None
            when = f"; budget resets at {reset_at:%H:%M:%S} UTC" if reset_at else ""
            return RateLimited(f"X rate limit reached{when}", reset_at=reset_at, status=429)
        if isinstance(exc, tweepy.HTTPException):
            status = exc.response.status_code
            detail = redact("; ".join(map(str, exc.api_messages)) or str(exc.response.reason), secrets)
            if isinstance(exc, tweepy.Unauthorized):
                return AuthError(f"X refused the credentials: {detail}", status=status)
            if isinstance(exc, tweepy.Forbidden):
                if private:  # X documents no body for "does not accept DMs": any 403 on a DM send is final
                    return RejectedError(f"X refused the direct message: {detail}", status=status,
                                         reason="recipient_refuses_dms")
                if sending:
                    return RejectedError(f"X refused the reply: {detail}", status=status)
                return AuthError(f"X refused access: {detail}", status=status)
            if isinstance(exc, (tweepy.BadRequest, tweepy.NotFound)):
                return RejectedError(f"X refused the request: {detail}", status=status)
            return TransientError(f"X answered {status}: {detail}", status=status)
        return transport_error(exc, "X", self.timeout, secrets)


def _read_timeline(read, timeline, window_start):
    """Read the cursor's gap, then what is newer than it (the order is explained in twitter_cursor.py),
    moving `timeline` page by page. `read(range)` reads one range. Returns the error that stopped it, or None."""
    if timeline.gap is not None:
        _, oldest, error = read(timeline.gap)
        timeline.gap_read(oldest, finished=error is None)
        if error is not None:
            return error
    top = timeline.top(window_start)
    newest, oldest, error = read(top)
    timeline.top_read(top, newest, oldest, finished=error is None)
    return error


def _item(tweet, users, brand_id, own_timeline):
    """A tweepy Tweet as an InboundItem. Tolerates payloads with only id and text."""
    author_id = str(tweet.author_id) if tweet.author_id is not None else None
    author = None
    if author_id is not None:
        user = users.get(author_id)
        metrics = (user.public_metrics or {}) if user is not None else {}
        author = InboundAuthor(
            external_id=author_id,
            handle=user.username if user is not None else None,
            name=user.name if user is not None else None,
            followers_count=metrics.get("followers_count"),
            profile_url=f"https://x.com/{user.username}" if user is not None else None,
        )
    replied_to = next((str(ref.id) for ref in tweet.referenced_tweets or [] if ref.type == "replied_to"), None)
    return InboundItem(
        external_id=str(tweet.id),
        text=tweet.text or "",
        created_at=tweet.created_at,
        author=author,
        in_reply_to=replied_to,
        thread_id=str(tweet.conversation_id) if tweet.conversation_id is not None else None,
        # The brand's own timeline holds only its tweets, even when the payload omits author_id.
        from_brand=own_timeline or author_id == brand_id,
        network="twitter",
        channel="public",
        language=getattr(tweet, "lang", None),  # X's guess ("und" when it has none): ingest keeps the ones it knows
    )


def snowflake_time(tweet_id):
    """The creation time encoded in an X id (X sends none with a created tweet), or None."""
    try:
        ms = (int(tweet_id) >> 22) + TWITTER_EPOCH_MS
    except (TypeError, ValueError):
        return None
    when = datetime.fromtimestamp(ms / 1000, timezone.utc)
    plausible = datetime(2010, 11, 4, tzinfo=timezone.utc) < when < datetime.now(timezone.utc) + timedelta(days=1)
    return when if plausible else None


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _messages(errors):
    return [str(e.get("detail") or e.get("message") or e) for e in errors or []] or ["no user in the response"]
