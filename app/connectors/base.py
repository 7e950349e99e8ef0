"""The connector interface: fetch new items since a cursor; send a reply to a message.

Connectors are plain objects built from an AccountInfo snapshot: they never
touch the database, so the poller can close its transaction before any
network call. Every failure is raised as one of the ConnectorError classes
below, which tell the poller what to do next.
"""
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import requests
from urllib3.exceptions import NewConnectionError


@dataclass(frozen=True)
class AccountInfo:
    """What a connector needs to know about a SocialAccount (a detached copy)."""

    id: int
    network: str
    name: str
    external_id: str | None
    handle: str | None
    api_base_url: str | None
    credentials: dict


@dataclass
class RateLimit:
    limit: int | None
    remaining: int | None
    reset_at: datetime | None

    def to_json(self):
        return {"limit": self.limit, "remaining": self.remaining,
                "reset_at": self.reset_at.isoformat().replace("+00:00", "Z") if self.reset_at else None}


@dataclass
class BrandIdentity:
    external_id: str
    handle: str | None = None
    name: str | None = None


DEFAULT_BACKFILL = timedelta(hours=24)  # how far back the first poll of an account reads
MIN_BACKFILL = timedelta(minutes=1)  # X refuses a start_time less than 10 s before the request


@dataclass
class FetchResult:
    items: list  # InboundItem, any order, may repeat
    # The cursor to store with these items, in the same transaction: it records exactly what was read,
    # also when an error stopped the fetch part way (complete=False), so the next poll goes on from there.
    cursor: dict
    complete: bool = True
    rate_limit: RateLimit | None = None  # the budget that paces polling (the tightest of the main stream's)
    # Each endpoint's budget by name ("mentions", "dm_lookup", "conversations"…), shown in account health.
    rate_limits: dict = field(default_factory=dict)
    identity: BrandIdentity | None = None  # set when the connector had to look the brand up
    error: "ConnectorError | None" = None  # what stopped an incomplete fetch
    requests: int = 0
    # Posts and media read without a message to go with them (Instagram's media listing: caption, picture,
    # comments_count), stored with the items (app.ingest.items.InboundPost).
    posts: list = field(default_factory=list)


@dataclass(frozen=True)
class ReplyTarget:
    """The message a public reply answers, for networks whose reply call depends on what it is (Instagram:
    a comment on the brand's media is answered on its top-level comment; a mention through the mentions edge)."""

    external_id: str  # the message answered
    parent_id: str | None = None  # what that message itself answers (a reply's top-level comment, or the post)
    post_id: str | None = None  # the post or media it hangs off (messages.post_external_id)
    mention: bool = False  # on someone else's post or media, read because it mentions the brand


@dataclass(frozen=True)
class ModerationResult:
    """What the network reports after a moderation action on `external_id`: None where it said nothing
    about that state (X answers hidden or liked; Graph answers only success, so the accepted state is shown)."""

    external_id: str
    hidden: bool | None = None
    deleted: bool = False
    liked: bool | None = None


@dataclass
class SentReply:
    external_id: str
    created_at: datetime | None = None
    raw: dict = field(default_factory=dict)


class ConnectorError(Exception):
    """Base class. `message` is safe to show to users and to log (never contains secrets)."""

    retryable = True

    def __init__(self, message, *, status=None, code=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class AuthError(ConnectorError):
    """The credentials are refused: stop polling this account until they are fixed."""

    retryable = False


class RateLimited(ConnectorError):
    """The network's budget is spent; try again at `reset_at`."""

    def __init__(self, message, *, reset_at=None, **kw):
        super().__init__(message, **kw)
        self.reset_at = reset_at


class TransientError(ConnectorError):
    """5xx, timeout, connection refused, malformed response: back off and try again.

    `reached_network` is False only when the request surely never arrived (the connection could
    not be opened). Otherwise a reply may have been posted even though we saw an error, so it
    must not be re-sent blindly.
    """

    def __init__(self, message, *, reached_network=True, **kw):
        super().__init__(message, **kw)
        self.reached_network = reached_network


class RejectedError(ConnectorError):
    """The network refused this request (too long, duplicate, deleted parent…). Retrying will not help.

    `reason` names the refusals Carebox explains to agents (REFUSALS); None for any other.
    """

    retryable = False

    def __init__(self, message, *, reason=None, **kw):
        super().__init__(message, **kw)
        self.reason = reason


# Refusals of private messages that the composer explains (RejectedError.reason).
REFUSALS = (
    "recipient_refuses_dms",  # X: the customer does not accept DMs from the brand (receives_your_dm false)
    "outside_window",  # Messenger: past the 24-hour window (or 7 days with HUMAN_AGENT)
    "already_replied_privately",  # Facebook: one Private Reply per comment (10900)
    "cannot_reply_privately",  # Facebook: the comment cannot get a Private Reply (too old, the Page's own…)
)
# Refusals of public replies that the composer explains (Instagram's comment rules).
REPLY_REFUSALS = (
    "comment_hidden",  # Instagram: a hidden comment cannot be answered
    "comment_deleted",  # the comment (or its media) is gone from the network
    "live_comment",  # Instagram: comments on a live video get no public reply (a Private Reply while live)
    "comments_disabled",  # Instagram: the media's owner turned comments off (a mention cannot be answered there)
)


# Refusals of moderation actions that agents see explained (RejectedError.reason of hide, delete, like, unlike).
MODERATION_REFUSALS = (
    "not_hideable",  # X: not a reply in a conversation the brand started; Facebook: can_hide false (the Page's own)
    "not_supported",  # the network has no such action (X: delete; a connector without moderation)
    "object_missing",  # the comment or post is gone from the network (or the token may not see it)
    "not_permitted",  # the token lacks the permission, or acts for another user (X likes: :id not the token's)
)


_SECRET_PARAMETERS = re.compile(
    r"((?:access_token|appsecret_proof|client_secret|oauth_token|oauth_signature)=)[^&\s'\"]+", re.IGNORECASE
)


def redact(text, secrets=()):
    """`text` without credentials: token-carrying URL parameters and any of `secrets` are masked.

    Client libraries put request URLs in their exception messages, and facebook-sdk sends the
    access token in the URL, so every message built from a library error goes through this.
    """
    text = _SECRET_PARAMETERS.sub(r"\1***", str(text))
    for secret in secrets:
        if secret and len(str(secret)) >= 4:
            text = text.replace(str(secret), "***")
    return text


def transport_error(exc, network_name, timeout, secrets=()):
    """A TransientError for a failure beneath the network's API, or None for anything else.

    Timeouts, refused or reset connections, and bodies the client library could not parse
    (tweepy and facebook-sdk parse without checks: broken JSON surfaces as ValueError,
    an unexpected shape or missing header as KeyError/TypeError/AttributeError).
    """
    if isinstance(exc, requests.ConnectTimeout):
        return TransientError(f"cannot reach {network_name} within {timeout:g} s", reached_network=False)
    if isinstance(exc, requests.Timeout):
        return TransientError(f"{network_name} did not answer within {timeout:g} s")
    if isinstance(exc, (requests.JSONDecodeError, ValueError, KeyError, TypeError, AttributeError)):
        return TransientError(f"{network_name} sent a malformed response ({type(exc).__name__})")
    if isinstance(exc, requests.RequestException):
        refused = isinstance(getattr(exc.args[0] if exc.args else None, "reason", None), NewConnectionError)
        return TransientError(f"cannot reach {network_name}: {redact(exc, secrets)}", reached_network=not refused)
    return None


class Connector:
    network = None

    def __init__(self, account: AccountInfo, *, timeout: float, backfill: timedelta | None = None):
        self.account = account
        self.timeout = timeout
        self.backfill = max(backfill if backfill is not None else DEFAULT_BACKFILL, MIN_BACKFILL)
        self.last_rate_limits = {}  # after a send: its budgets by name (name -> RateLimit), for account health

    def identify(self) -> BrandIdentity:
        raise NotImplementedError

    def fetch(self, cursor: dict) -> FetchResult:
        """Items since `cursor` ({} before the first poll: the backfill window). Raises a ConnectorError
        when nothing was read; returns a partial result (complete=False, error set) when something was."""
        raise NotImplementedError

    def send_reply(self, in_reply_to: str, text: str, *, target: ReplyTarget | None = None) -> SentReply:
        """Answer the public post `in_reply_to` (an external id) on the network. `target` says what that post is
        (sending passes it; connectors that need nothing more ignore it)."""
        raise NotImplementedError

    def send_private(self, recipient_id: str, text: str, *, human_agent: bool = False) -> SentReply:
        """A direct message to the customer `recipient_id` (their id on the network). `human_agent`: tag it
        HUMAN_AGENT (Messenger, past the 24-hour window). Refusals raise RejectedError with a `reason`."""
        raise RejectedError(f"{self.network} accounts cannot send direct messages from Carebox")

    def send_private_reply(self, comment_id: str, text: str) -> SentReply:
        """A Private Reply to the public comment `comment_id` (Facebook, Instagram): the first DM of a move to DM.
        SentReply.raw carries "recipient_id", the customer's id in Messenger."""
        raise RejectedError(f"{self.network} has no Private Replies")

    # ------------------------------------------------------------ moderation

    def hide(self, external_id: str, hidden: bool = True) -> ModerationResult:
        """Hide (or, with hidden=False, unhide) the public message `external_id` on the network. Refusals raise
        RejectedError with a MODERATION_REFUSALS reason; hiding what is hidden already succeeds."""
        raise RejectedError(f"{self.network} messages cannot be hidden from Carebox", reason="not_supported")

    def delete(self, external_id: str) -> ModerationResult:
        """Delete the public message `external_id` (a customer's comment on the brand's post) on the network."""
        raise RejectedError(f"{self.network} messages cannot be deleted from Carebox", reason="not_supported")

    def like(self, external_id: str) -> ModerationResult:
        """Like `external_id` as the brand. Liking what the brand likes already succeeds."""
        raise RejectedError(f"{self.network} messages cannot be liked from Carebox", reason="not_supported")

    def unlike(self, external_id: str) -> ModerationResult:
        """Take the brand's like of `external_id` back."""
        raise RejectedError(f"{self.network} likes cannot be taken back from Carebox", reason="not_supported")
