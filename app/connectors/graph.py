"""The Graph API plumbing shared by the Facebook and Instagram connectors: one client, one call wrapper.

Both are built on facebook-sdk 3.1.0 GraphAPI. Its version whitelist stops at 3.1, so the client is built
without a version and `graph.version` is set afterwards; a RewritingSession points it at the account's
api_base_url with our timeout. Every call carries appsecret_proof when the app secret is known.

`GraphConnector._call` runs one request: it notes the usage headers of the answer under the budget being
spent (X-App-Usage, X-Page-Usage, X-Business-Use-Case-Usage: percentages, shown in account health) and
translates every failure into the ConnectorError the poller acts on (credentials, rate limits with the
usage header's estimate of when access comes back, transient failures), with tokens redacted.

The Send API (Messenger, and Instagram's DMs through the Page) has no facebook-sdk method: `_send_api` POSTs
to /{page-id}/messages through GraphAPI.request with post_args; post_args are form-encoded, so `recipient`
and `message` are json.dumps'd (requests would send only a dict's keys). Its refusals the composer explains
come back as RejectedError.reason (outside_window: code 10 with its message, whatever the subcode;
already_replied_privately: 10900; cannot_reply_privately: 10903/10901).

Moderation (`_moderate`): one Graph call per action, on the budget the network's writes spend (kept in
`last_rate_limits`), its refusals as MODERATION_REFUSALS: 100/33 object_missing; a permission error (10, 200-299:
the token lacks pages_manage_engagement or instagram_manage_comments) not_permitted rather than an AuthError, since
the account still polls; a refusal naming hiding (can_hide false) not_hideable. facebook-sdk's put_like and
delete_object send no arguments, so no appsecret_proof: the same requests go through put_object / request with
the proof.
"""
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone

import facebook

from app.connectors.base import (
    AuthError,
    Connector,
    RateLimit,
    RateLimited,
    RejectedError,
    SentReply,
    TransientError,
    redact,
    transport_error,
)
from app.connectors.http import RewritingSession

PRODUCTION_BASE = "https://graph.facebook.com"
DEFAULT_GRAPH_VERSION = "v21.0"

AUTH_CODES = {10, 102, 190}  # plus the 200-299 permission range
RATE_LIMIT_CODES = {4, 17, 32, 613}  # plus 80001 and up (business use case limits: Pages 80001, Instagram 80002)
TRANSIENT_CODES = {1, 2}
USAGE_HEADERS = ("x-app-usage", "x-page-usage", "x-ad-account-usage")
OUTSIDE_WINDOW_SUBCODES = {2018278, 2534022}  # Messenger, Instagram


class ObjectMissing(Exception):
    """Graph error 100/33: the object is gone (a post or comment deleted while we were reading)."""


class MessengerNotReadable(TransientError):
    """The token may not read the Page's Messenger conversations (a permission is missing): the feed still is."""


def ends_the_poll(error, *, progress):
    """Whether `error`, stopping one read of a poll (feed or media, conversations), also stops the other: a rate
    limit of the whole budget (every code but 613, the limit of one API such as the Conversations API's 2 calls/s),
    bad credentials, or a network failing before anything was read (do not hammer it). Messenger being
    unreadable for want of a permission never stops the other read."""
    if isinstance(error, MessengerNotReadable):
        return False
    if isinstance(error, RateLimited):
        return error.code != 613
    if isinstance(error, AuthError):
        return True
    return not progress


def gravest(errors):
    """The error to raise when nothing at all was read: credentials first, then rate limits."""
    for kind in (AuthError, RateLimited):
        for error in errors:
            if isinstance(error, kind):
                return error
    return errors[0]


class GraphConnector(Connector):
    """A connector speaking the Graph API with a Page's token. Subclasses set `network` and `label` (the
    name in messages shown to people) and read what their network has."""

    label = "Facebook"

    def __init__(self, account, *, timeout, backfill=None):
        super().__init__(account, timeout=timeout, backfill=backfill)
        self.credentials = dict(account.credentials or {})
        self.page_id = str(self.credentials.get("page_id") or "") or None
        self.session = RewritingSession(PRODUCTION_BASE, account.api_base_url, timeout)
        token = self.credentials.get("page_access_token")
        self.graph = facebook.GraphAPI(access_token=token, timeout=timeout, session=self.session)
        self.graph.version = graph_version(self.credentials.get("graph_version"))
        app_secret = self.credentials.get("app_secret")
        self._proof = (
            hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest() if app_secret and token else None
        )
        self._rate_limits = {}  # budget name -> [RateLimit, …] of this operation
        self._budget = None  # the budget the calls made now spend
        self._requests = 0
        self.usage_percent = None  # the highest usage percentage the last answer's headers showed

    def _start(self, budget):
        self._rate_limits, self._requests, self._budget = {}, 0, budget

    def _args(self, **args):
        if self._proof:
            args["appsecret_proof"] = self._proof
        return args

    # ------------------------------------------------------------ calls

    def _call(self, request, *, sending=False, reading_page=False, private=False, moderating=None):
        """Run one Graph request, noting its usage headers and translating its failures."""
        self._requests += 1
        self.session.last_response = None
        try:
            return request()
        except Exception as exc:
            error = self._translate(exc, sending=sending, reading_page=reading_page, private=private,
                                    moderating=moderating)
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
            percents += usage_percents(response.headers.get(name))
        percents += business_usage_percents(response.headers.get("x-business-use-case-usage"))
        if percents:
            self.usage_percent = max(percents)
            self._rate_limits.setdefault(self._budget, []).append(RateLimit(
                limit=100, remaining=max(0, int(100 - max(percents))), reset_at=regain_at(response.headers)))

    def _budgets(self):
        """Each budget's tightest RateLimit seen since the operation began."""
        return {name: min(limits, key=lambda r: r.remaining) for name, limits in self._rate_limits.items() if limits}

    def _tightest_rate_limit(self):
        budgets = self._budgets()
        return min(budgets.values(), key=lambda r: r.remaining) if budgets else None

    # ------------------------------------------------------------ errors

    def _secrets(self):
        return list(self.credentials.values()) + [self._proof]

    def _translate(self, exc, *, sending, reading_page, private=False, moderating=None):
        secrets = self._secrets()
        if isinstance(exc, facebook.GraphAPIError):
            message = redact(exc.message, secrets)
            if moderating and (refusal := moderation_refusal(exc, message, self.label, moderating)) is not None:
                return refusal
            if private and (refusal := messaging_refusal(exc, message, self.label)) is not None:
                return refusal
            return self._translate_graph_error(exc, message, sending, reading_page)
        return transport_error(exc, self.label, self.timeout, secrets)

    def _translate_graph_error(self, exc, message, sending, reading_page):
        error = graph_error(exc)
        if exc.code is None:  # not a Graph error body at all (HTML from a proxy, …)
            return TransientError(f"{self.label} sent an unexpected response: {message}")
        code = int(exc.code)
        subcode = error.get("error_subcode")
        if code in AUTH_CODES or 200 <= code <= 299 or "appsecret_proof" in message:
            return AuthError(f"{self.label} refused the page credentials: {message}", code=code)
        if code in RATE_LIMIT_CODES or code >= 80001:
            # Graph sends no reset time; the usage headers estimate when access comes back (else the poller's default).
            response = self.session.last_response
            reset_at = regain_at(response.headers) if response is not None else None
            when = f"; access expected back at {reset_at:%H:%M:%S} UTC" if reset_at else ""
            return RateLimited(f"{self.label} rate limit reached: {message}{when}", code=code, reset_at=reset_at)
        if code in TRANSIENT_CODES or error.get("is_transient"):
            return TransientError(f"{self.label} is temporarily unavailable: {message}", code=code)
        if sending:
            return self._refused_send(code, subcode, message)
        if code == 100 and subcode == 33:
            if reading_page:
                return AuthError(f"{self.label} does not show this page to the token: {message}", code=code)
            return ObjectMissing(message)
        return TransientError(f"{self.label} refused the request: {message}", code=code)

    def _refused_send(self, code, subcode, message):
        """The error for a refused public reply (Instagram names the refusals the composer explains)."""
        return RejectedError(f"{self.label} refused the reply: {message}", code=code)

    # ------------------------------------------------------------ moderation

    def _moderate(self, budget, action, request):
        """Run one moderation request (`action`: hide, delete, like, unlike) on `budget`; its usage is kept in
        `last_rate_limits`. Graph answers {"success": true}: anything else is not taken for success."""
        self._start(budget)
        try:
            result = self._call(request, moderating=action)
        finally:
            self.last_rate_limits = self._budgets()
        if not (isinstance(result, dict) and result.get("success") is True):
            raise TransientError(f"{self.label} did not confirm the {action}")
        return result

    def _node_request(self, object_id, method, **args):
        """POST or DELETE /{object_id} with `args` and the appsecret_proof (facebook-sdk has no helper for a node
        POST, and its delete_object sends no arguments)."""
        path = f"{self.graph.version}/{object_id}"
        if method == "POST":
            return lambda: self.graph.request(path, post_args=self._args(**args))
        return lambda: self.graph.request(path, args=self._args(**args), method=method)

    # ------------------------------------------------------------ Send API

    def _send_api(self, recipient, text, kind):
        """POST /{page-id}/messages: a Messenger or Instagram DM, or a Private Reply. Its usage is kept in
        `last_rate_limits["send_api"]`."""
        self._start("send_api")
        page_id = self._messaging_page_id()
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
            raise TransientError(f"{self.label} accepted the message but sent back no message id")
        return SentReply(str(message_id), created_at=None, raw=dict(result))

    def _messaging_page_id(self):
        """The Page whose Send API carries this account's messages."""
        raise NotImplementedError

    @staticmethod
    def _message_kind(human_agent):
        return {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"} if human_agent else {"messaging_type": "RESPONSE"}


def graph_error(exc):
    """The `error` object of a GraphAPIError's body ({} when there is none)."""
    error = exc.result.get("error") if isinstance(exc.result, dict) else None
    return error if isinstance(error, dict) else {}


def messaging_refusal(exc, message, label="Facebook"):
    """The Send API's refusals the composer explains, or None. Code 10 is also a permission error, so the
    window is recognised by its message too (Instagram uses another subcode than Messenger's 2018278)."""
    subcode = graph_error(exc).get("error_subcode")
    code = int(exc.code) if exc.code is not None else None
    if code == 10 and (subcode in OUTSIDE_WINDOW_SUBCODES or "outside of allowed window" in message):
        return RejectedError(f"{label} refused the message: {message}", code=code, reason="outside_window")
    if code == 10900:
        return RejectedError(f"{label} refused the Private Reply: {message}", code=code,
                             reason="already_replied_privately")
    if code in (10903, 10901):
        return RejectedError(f"{label} refused the Private Reply: {message}", code=code,
                             reason="cannot_reply_privately")
    return None


def moderation_refusal(exc, message, label, action):
    """A refused moderation action as a RejectedError with its MODERATION_REFUSALS reason, or None for the
    failures every call shares (credentials, rate limits, outages)."""
    error = graph_error(exc)
    code = int(exc.code) if exc.code is not None else None
    if code is None or code in TRANSIENT_CODES or code in RATE_LIMIT_CODES or code >= 80001 or error.get("is_transient"):
        return None
    if code in (102, 190) or "appsecret_proof" in message:
        return None  # the token itself is refused: an AuthError, the account stops polling
    subcode = error.get("error_subcode")
    lowered = message.lower()
    if code == 100 and subcode == 33:
        reason = "object_missing"
    elif code == 10 or 200 <= code <= 299:
        reason = "not_permitted"
    elif "hid" in lowered and action == "hide":
        reason = "not_hideable"
    elif "not supported" in lowered or "unsupported" in lowered:
        reason = "not_supported"
    else:
        reason = None
    return RejectedError(f"{label} refused to {action} it: {message}", code=code, reason=reason)


def graph_version(configured):
    version = str(configured or DEFAULT_GRAPH_VERSION)
    return version if version.startswith("v") else f"v{version}"


def usage_percents(header):
    """X-App-Usage / X-Page-Usage: {"call_count": pct, "total_cputime": pct, "total_time": pct}."""
    try:
        usage = json.loads(header) if header else {}
        return [float(v) for v in usage.values() if isinstance(v, (int, float))]
    except (ValueError, AttributeError):
        return []


def regain_at(headers):
    """When X-Business-Use-Case-Usage expects access back (its estimated_time_to_regain_access, in minutes),
    or None when it is 0 or absent (not blocked, or no estimate)."""
    try:
        usage = json.loads(headers.get("x-business-use-case-usage") or "{}")
        minutes = max((float(entry.get("estimated_time_to_regain_access") or 0)
                       for values in usage.values() for entry in values), default=0)
    except (ValueError, AttributeError, TypeError):
        return None
    return datetime.now(timezone.utc) + timedelta(minutes=minutes) if minutes > 0 else None


def business_usage_percents(header):
    """X-Business-Use-Case-Usage: {business or IG user id: [{"call_count": pct, …}, …]}."""
    try:
        usage = json.loads(header) if header else {}
        entries = [entry for values in usage.values() for entry in values]
        return [float(entry[key]) for entry in entries for key in ("call_count", "total_cputime", "total_time")
                if isinstance(entry.get(key), (int, float))]
    except (ValueError, AttributeError, TypeError):
        return []


def next_after(page):
    """A page's `after` cursor when Graph says more follow (paging.next), else None."""
    paging = page.get("paging") if isinstance(page, dict) else None
    if not isinstance(paging, dict):
        return None
    after = (paging.get("cursors") or {}).get("after")
    return after if paging.get("next") and after else None
