"""X direct messages in: DM event lookup (GET /2/dm_events) read with a cursor, events mapped as private items.

DMs are user context only (OAuth 1.0a user keys), so TwitterConnector reads them only for accounts
that have those keys. Their lookup has its own budget (300 requests / 15 min per user, shared by
the three DM GETs): a DM rate limit or failure pauses the DMs alone (twitter_dm_cursor.py records
where they stand and until when they wait), and mentions go on, as DMs do when mentions fail.

Which events become items:
- MessageCreate events with text (join/leave events carry none; X is asked for MessageCreate only).
- One-to-one conversations only (ids "{smaller user id}-{larger user id}", one of them the brand):
  a Carebox private conversation is one customer's, and replies go to that customer's one-to-one
  conversation (send_private), so a group message answered there would leak into the wrong place.
  Group events are still read past (the cursor moves over them), never stored.
- The customer's message: author = the sender. The brand's own (sent natively on X, or by Carebox):
  from_brand, and `counterpart` = the customer on the other side of the conversation, with what the
  includes say of them (at least their id, from the conversation id).
"""
from datetime import timedelta

from app.connectors.base import ConnectorError, RateLimited, RejectedError
from app.connectors.twitter_dm_cursor import RangeRead
from app.ingest.items import InboundAuthor, InboundItem

DM_EVENT_FIELDS = ["id", "text", "event_type", "created_at", "dm_conversation_id", "sender_id", "participant_ids",
                   "referenced_tweets", "attachments"]
DM_EXPANSIONS = ["sender_id", "participant_ids"]
DM_USER_FIELDS = ["username", "name", "public_metrics", "receives_your_dm"]
# How long DMs wait after a refusal that names no reset time (an auth refusal of DMs alone, a 429 without headers).
DEFAULT_PAUSE = timedelta(minutes=15)


class DirectMessagesHeld(ConnectorError):
    """DMs could not be read in this poll (paused for their budget, or failing) while the rest of the account
    was: the poll is partial, but it is not the account's rate limit nor its credentials (the poller must not
    wait for the DM budget, nor stop the mentions). `reset_at`: when DMs are read again (None: next poll)."""

    def __init__(self, message, *, reset_at=None, cause=None):
        super().__init__(message, status=getattr(cause, "status", None))
        self.reset_at = reset_at
        self.cause = cause


def read_direct_messages(list_page, dms, window_start, brand_id, items, now):
    """Read the DM events the cursor `dms` (a DMCursor) has not read yet into `items` (external id → item),
    moving `dms` page by page. `list_page(token)` fetches one page. Returns the ConnectorError that
    stopped the read (the cursor then says where to go on, and until when to wait), or None."""
    if dms.paused(now):
        return DirectMessagesHeld(
            f"X direct messages wait until {dms.paused_until:%H:%M:%S} UTC (their budget was spent or their read refused)",
            reset_at=dms.paused_until)
    dms.paused_until = None
    if dms.gap is not None:
        read, error = _read_range(list_page, dms.gap, brand_id, items)
        dms.gap_read(read)
        if error is not None:
            return _hold(dms, error, now)
    top = dms.top(window_start)
    read, error = _read_range(list_page, top, brand_id, items)
    dms.top_read(top, read)
    return _hold(dms, error, now) if error is not None else None


def _hold(dms, error, now):
    """Record in the cursor how long DMs wait after `error`: a spent budget until its reset, a refusal of the
    credentials for DMs (no dm.read scope…) a while; anything else not at all (the next poll tries again)."""
    if isinstance(error, RateLimited):
        dms.paused_until = error.reset_at if error.reset_at and error.reset_at > now else now + DEFAULT_PAUSE
    elif not error.retryable:
        dms.paused_until = now + DEFAULT_PAUSE
    return error


def _read_range(list_page, span, brand_id, items):
    """Read `span` (a DMRange) newest first from its pagination token. Returns (RangeRead, error or None)."""
    read = RangeRead()
    token = span.pagination_token
    while True:
        try:
            response = list_page(token)
        except ConnectorError as exc:
            if isinstance(exc, RejectedError) and token is not None and token == span.pagination_token:
                # X no longer takes the stored token: from the newest event again, skipping what was read.
                token = span.pagination_token = None
                continue
            read.next_token = token
            return read, exc
        users = {str(user.id): user for user in (response.includes or {}).get("users", [])}
        reached_end = False
        for event in response.data or []:
            event_id = int(event.id)
            if span.below(event_id, event.created_at):
                reached_end = True
            elif span.holds(event_id, event.created_at):
                read.took(event_id)
                item = dm_item(event, users, brand_id)
                if item is not None:
                    items.setdefault(item.external_id, item)
        token = (response.meta or {}).get("next_token")
        if reached_end or not token:
            read.finished = True
            return read, None


def one_to_one_partner(conversation_id, brand_id):
    """The other user of a one-to-one conversation id "{smaller}-{larger}" with the brand, else None (a group)."""
    first, dash, second = str(conversation_id or "").partition("-")
    if not (dash and first.isdigit() and second.isdigit()) or int(first) >= int(second):
        return None
    if brand_id not in (first, second):
        return None
    return second if first == brand_id else first


def dm_item(event, users, brand_id):
    """A tweepy DirectMessageEvent as a private InboundItem, or None for what Carebox does not store."""
    if event.event_type != "MessageCreate" or not event.text:
        return None
    partner_id = one_to_one_partner(event.dm_conversation_id, brand_id)
    if partner_id is None:
        return None
    sender_id = str(event.sender_id) if event.sender_id is not None else None
    from_brand = sender_id == brand_id
    return InboundItem(
        external_id=str(event.id),
        text=event.text,
        created_at=event.created_at,
        author=_author(sender_id, users) if sender_id is not None else None,
        in_reply_to=None,
        thread_id=str(event.dm_conversation_id),
        from_brand=from_brand,
        network="twitter",
        channel="private",
        counterpart=_author(partner_id, users) if from_brand else None,
    )


def _author(user_id, users):
    user = users.get(user_id)
    if user is None:
        return InboundAuthor(external_id=user_id)
    metrics = user.public_metrics or {}
    receives = user.data.get("receives_your_dm")
    return InboundAuthor(
        external_id=user_id,
        handle=user.username,
        name=user.name,
        followers_count=metrics.get("followers_count"),
        profile_url=f"https://x.com/{user.username}" if user.username else None,
        accepts_dms=receives if isinstance(receives, bool) else None,
    )
