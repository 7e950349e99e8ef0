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
With user-context keys, direct messages too (twitter_dms.py, twitter_dm_cursor.py),
on their own budget: a DM rate limit or failure holds the DMs alone, a timeline
failure does not stop the DM read.

Moderation (user context only): `hide` through tweepy's hide_reply / unhide_reply (PUT /2/tweets/:id/hidden:
only replies in a conversation the brand started), `like` / `unlike` through tweepy's like / unlike (tweepy takes
the user id from the access token's `<id>-` prefix). X has no delete of someone else's tweet. A 403 on hiding
is not_hideable unless X's detail names the credentials or permission; a 403 on a like is not_permitted; a 404
is object_missing. Their budgets land in `last_rate_limits` ("hide_replies", "likes").

Budgets: `FetchResult.rate_limits` names each endpoint's ("mentions", "tweets",
"dm_lookup"), from the x-rate-limit-* headers of its last response. After a send,
`last_rate_limits` holds the send's ("reply" for a public reply; "dm_send" and the
24-hour "dm_send_24h_user" / "dm_send_24h_app" for a DM) for account health.
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
    ModerationResult,
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
from app.connectors.twitter_dm_cursor import DMCursor
from app.connectors.twitter_dms import (
    DM_EVENT_FIELDS,
    DM_EXPANSIONS,
    DM_USER_FIELDS,
    DirectMessagesHeld,
    read_direct_messages,
)
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
PACING_BUDGETS = ("mentions", "tweets")  # the budgets that pace polling (DMs pause on their own)
# A refused DM send whose body says this: the customer does not accept DMs from the brand (v1.1's code 349 wording).
NOT_ACCEPTING_DMS = "cannot send messages to this user"
# X problem types of a 403 that is about the credentials (app-only auth, a suspended or unauthorised app).
AUTH_PROBLEMS = ("unsupported-authentication", "client-forbidden", "not-authorized-for-resource")
DAILY_DM_HEADERS = (("dm_send_24h_user", "x-user-limit-24hour"), ("dm_send_24h_app", "x-app-limit-24hour"))


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
        self._rate_limits = []  # (budget name, RateLimit) of each response in the current operation
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
        self._rate_limits = []  # report the streams' budgets, not the one-off identity lookup's
        now = datetime.now(timezone.utc)
        window_start = (now - self.backfill).replace(microsecond=0)
        items, new_cursor, error = {}, dict(cursor), None
        for name, method_name, own_timeline in TIMELINES:
            timeline = TimelineCursor.load(cursor, name)
            read = partial(self._read_range, getattr(self.client, method_name), brand_id, items, own_timeline, name)
            error = _read_timeline(read, timeline, window_start)
            timeline.store(new_cursor, name)
            if error is not None:
                break  # the budget or the network is gone for now: the cursor says where to go on
        dm_error = self._read_dms(cursor, new_cursor, brand_id, items, window_start, now)
        if error is not None:  # the timelines' error paces the account, as before DMs were read
            if not items and new_cursor == cursor:
                raise error
            return self._result(items, new_cursor, identity, complete=False, error=error)
        if dm_error is not None:
            return self._result(items, new_cursor, identity, complete=False, error=dm_error)
        return self._result(items, new_cursor, identity)

    def _read_dms(self, cursor, new_cursor, brand_id, items, window_start, now):
        """Read the DMs (user context only: skipped without error for a bearer-only account) into `items`,
        their position into `new_cursor`. Returns a DirectMessagesHeld when they could not all be read."""
        if not self.has_user_context:
            return None
        dms = DMCursor.load(cursor)
        error = read_direct_messages(self._dm_page, dms, window_start, brand_id, items, now)
        dms.store(new_cursor)
        if error is None or isinstance(error, DirectMessagesHeld):
            return error
        return DirectMessagesHeld(f"X direct messages: {error.message}", reset_at=dms.paused_until, cause=error)

    def _dm_page(self, token):
        return self._call(lambda: self.client.get_direct_message_events(
            dm_event_fields=DM_EVENT_FIELDS, event_types="MessageCreate", expansions=DM_EXPANSIONS,
            user_fields=DM_USER_FIELDS, max_results=PAGE_SIZE, pagination_token=token, user_auth=True,
        ), budget="dm_lookup")

    def _read_range(self, method, brand_id, items, own_timeline, budget, span):
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
                response = self._call(lambda: method(brand_id, **params, pagination_token=token), budget=budget)
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
            rate_limits=self._budgets(), identity=identity, error=error, requests=self._requests,
        )

    # --------------------------------------------------------------- reply

    def send_reply(self, in_reply_to, text, *, target=None):
        if not self.has_user_context:
            raise AuthError("replying on X needs user-context credentials (consumer and access keys)")
        self._rate_limits, self._requests, self.last_rate_limits = [], 0, {}
        try:
            response = self._call(
                lambda: self.client.create_tweet(text=text, in_reply_to_tweet_id=in_reply_to, user_auth=True),
                sending=True, budget="reply",
            )
        finally:
            self.last_rate_limits = self._budgets()
        data = response.data if isinstance(response.data, dict) else {}
        if not data.get("id"):
            raise TransientError("X accepted the reply but sent back no tweet id")
        return SentReply(str(data["id"]), created_at=snowflake_time(data["id"]), raw=dict(data))

    def send_private(self, recipient_id, text, *, human_agent=False):
        """A DM into the one-to-one conversation with `recipient_id` (X has no messaging window, so no tag)."""
        if not self.has_user_context:
            raise AuthError("direct messages on X need user-context credentials (consumer and access keys)")
        self._rate_limits, self._requests, self.last_rate_limits = [], 0, {}
        try:
            response = self._call(
                lambda: self.client.create_direct_message(participant_id=recipient_id, text=text, user_auth=True),
                sending=True, private=True, budget="dm_send",
            )
        finally:
            self.last_rate_limits = self._budgets()
        data = response.data if isinstance(response.data, dict) else {}
        if not data.get("dm_event_id"):
            raise TransientError("X accepted the direct message but sent back no event id")
        return SentReply(str(data["dm_event_id"]), created_at=snowflake_time(data["dm_event_id"]), raw=dict(data))

    # ------------------------------------------------------------ moderation

    def hide(self, external_id, hidden=True):
        method = self.client.hide_reply if hidden else self.client.unhide_reply
        data = self._moderate(lambda: method(external_id, user_auth=True), "hide_replies", "hide")
        return ModerationResult(str(external_id), hidden=bool(data.get("hidden", hidden)))

    def like(self, external_id):
        data = self._moderate(lambda: self.client.like(external_id, user_auth=True), "likes", "like")
        return ModerationResult(str(external_id), liked=bool(data.get("liked", True)))

    def unlike(self, external_id):
        data = self._moderate(lambda: self.client.unlike(external_id, user_auth=True), "likes", "like")
        return ModerationResult(str(external_id), liked=bool(data.get("liked", False)))

    def _moderate(self, request, budget, action):
        """Run one moderation call with user context; its budget is kept in `last_rate_limits`."""
        if not self.has_user_context:
            raise AuthError("moderating on X needs user-context credentials (consumer and access keys)")
        self._rate_limits, self._requests, self.last_rate_limits = [], 0, {}
        try:
            response = self._call(request, moderating=action, budget=budget)
        finally:
            self.last_rate_limits = self._budgets()
        data = response.data if isinstance(response.data, dict) else None
        if data is None:
            raise TransientError("X accepted the moderation request but sent back no state")
        return data

    # ------------------------------------------------------------ plumbing

    def _call(self, request, *, sending=False, private=False, budget=None, moderating=None):
        """Run one tweepy request, noting its rate-limit headers under `budget` and translating its failures."""
        self._requests += 1
        self.session.last_response = None
        try:
            response = request()
        except Exception as exc:
            error = self._translate(exc, sending=sending, private=private, moderating=moderating)
            if error is None:
                raise
            raise error from None  # the original may carry request details; the message is enough
        finally:
            self._note_rate_limit(budget)
        return response

    def _note_rate_limit(self, budget):
        response = self.session.last_response
        if response is None:
            return
        headers = response.headers
        if "x-rate-limit-remaining" in headers:
            self._rate_limits.append((budget, _header_limit(headers, "x-rate-limit")))
        if budget == "dm_send":
            for name, prefix in DAILY_DM_HEADERS:
                if f"{prefix}-remaining" in headers:
                    self._rate_limits.append((name, _header_limit(headers, prefix)))

    def _budgets(self):
        """Each named budget as its latest response reported it."""
        return {name: limit for name, limit in self._rate_limits if name is not None}

    def _tightest_rate_limit(self):
        """The budget closest to running out among this fetch's timelines (mentions, tweets): it paces polling."""
        known = [r for name, r in self._rate_limits if r.remaining is not None and name in PACING_BUDGETS]
        return min(known, key=lambda r: r.remaining) if known else None

    def _translate(self, exc, *, sending, private=False, moderating=None):
        secrets = list(self.credentials.values())
        if isinstance(exc, tweepy.TooManyRequests):
            daily = _daily_limit_spent(exc.response.headers) if private else None
            if daily is not None:
                reset_at = daily.reset_at
                when = f"; it resets at {reset_at:%Y-%m-%d %H:%M:%S} UTC" if reset_at else ""
                return RateLimited(f"X 24-hour direct message limit reached{when}", reset_at=reset_at, status=429)
            reset_at = datetime.fromtimestamp(exc.reset_time, timezone.utc) if exc.reset_time else None
            when = f"; budget resets at {reset_at:%H:%M:%S} UTC" if reset_at else ""
            return RateLimited(f"X rate limit reached{when}", reset_at=reset_at, status=429)
        if isinstance(exc, tweepy.HTTPException):
            return self._translate_http(exc, secrets, sending=sending, private=private, moderating=moderating)
        return transport_error(exc, "X", self.timeout, secrets)

    def _translate_http(self, exc, secrets, *, sending, private, moderating):
        """An X error answer (4xx other than 429, 5xx) as the ConnectorError it means."""
        status = exc.response.status_code
        detail = redact("; ".join(map(str, exc.api_messages)) or str(exc.response.reason), secrets)
        if isinstance(exc, tweepy.Unauthorized):
            return AuthError(f"X refused the credentials: {detail}", status=status)
        if isinstance(exc, tweepy.Forbidden):
            problem = _problem(exc.response)
            detail = redact(problem.get("detail") or detail, secrets)
            if any(name in str(problem.get("type") or "") for name in AUTH_PROBLEMS):
                return AuthError(f"X refused the credentials for this: {detail}", status=status)
            if moderating:
                return _moderation_refusal(moderating, detail, status)
            if private:  # any other 403 on a DM send is final; only this wording means "does not accept DMs"
                refuses = NOT_ACCEPTING_DMS in detail.lower()
                return RejectedError(f"X refused the direct message: {detail}", status=status,
                                     reason="recipient_refuses_dms" if refuses else None)
            if sending:
                return RejectedError(f"X refused the reply: {detail}", status=status)
            return AuthError(f"X refused access: {detail}", status=status)
        if moderating and isinstance(exc, tweepy.NotFound):
            return RejectedError(f"X refused to {moderating} the post: {detail}", status=status,
                                 reason="object_missing")
        if isinstance(exc, (tweepy.BadRequest, tweepy.NotFound)):
            return RejectedError(f"X refused the request: {detail}", status=status)
        return TransientError(f"X answered {status}: {detail}", status=status)


def _moderation_refusal(action, detail, status):
    """A refused hide or like (403): X's detail says why. Hiding is refused for posts that are not a reply in a
    conversation the brand started (not_hideable) unless the detail is about permission; a refused like is a
    permission matter (the :id is not the token's user, a protected or blocked author)."""
    lowered = detail.lower()
    about_permission = "permit" in lowered or "allowed" in lowered or "scope" in lowered
    reason = "not_hideable" if action == "hide" and not about_permission else "not_permitted"
    return RejectedError(f"X refused to {action} the post: {detail}", status=status, reason=reason)


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


def _header_limit(headers, prefix):
    """The RateLimit in the `prefix`-limit / -remaining / -reset headers (reset: epoch seconds)."""
    reset = _int(headers.get(f"{prefix}-reset"))
    return RateLimit(
        limit=_int(headers.get(f"{prefix}-limit")), remaining=_int(headers.get(f"{prefix}-remaining")),
        reset_at=datetime.fromtimestamp(reset, timezone.utc) if reset is not None else None,
    )


def _daily_limit_spent(headers):
    """The spent 24-hour DM budget (user's or app's; the later reset when both are), or None."""
    spent = [_header_limit(headers, prefix) for _, prefix in DAILY_DM_HEADERS
             if headers.get(f"{prefix}-remaining") == "0"]
    if not spent:
        return None
    return max(spent, key=lambda limit: limit.reset_at or datetime.min.replace(tzinfo=timezone.utc))


def _problem(response):
    """The RFC 7807 body of an X error response, or {} (a proxy's page, no JSON)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _messages(errors):
    return [str(e.get("detail") or e.get("message") or e) for e in errors or []] or ["no user in the response"]
