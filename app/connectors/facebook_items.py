"""Facebook payloads as InboundItems: a comment the poller read, a `feed` change Facebook pushed, a
Messenger message the poller read (Conversations API) or Facebook pushed (a `messages` webhook event).

One module for both paths, so a comment or a message seen by push and by polling becomes the same item,
field for field (and ingest stores it once). Facebook threads one level deep: a reply to a reply belongs
to the top-level comment.

Messenger messages are private items whose external id is the message id (`mid`, the same on both
paths). A message of the Page (an echo, or `from` the Page in the Conversations API) is from_brand with
the customer as `counterpart`, whichever app sent it: the Page inbox app (a native answer) or ours (a
message Carebox sent, which ingest recognises by its mid). The two paths differ in one thing only: a
webhook names nobody, so a pushed item's customer has no name (ingest keeps a name it already has).
Times are the second of the message: webhook timestamps are milliseconds, Graph's created_time seconds.
A message without text (an attachment or a sticker alone) gets ATTACHMENT_TEXT, not nothing: the customer
still waits for an answer and the SLA clock must run; the agent opens it on Facebook.
"""
from datetime import datetime, timezone

from app.ingest.items import InboundAuthor, InboundItem

PUSHED_VERBS = {"add", "edited"}  # an edit of a stored comment is a duplicate to ingest: ignored
ATTACHMENT_TEXT = "📎"  # the text of a message that carries only attachments: readable in every language


def comment_item(comment, post_id, page_id):
    """The InboundItem for a comment of a post's `comments` stream, or None for a payload without an id."""
    if not isinstance(comment, dict) or not comment.get("id"):
        return None
    parent_id = (comment.get("parent") or {}).get("id")
    return _item(comment["id"], comment.get("message"), parse_graph_time(comment.get("created_time")),
                 comment.get("from"), parent_id, post_id, page_id)


def feed_change_item(change, page_id):
    """The InboundItem for one pushed `feed` change about a comment, or None (other fields, items and verbs)."""
    if not isinstance(change, dict) or change.get("field") != "feed":
        return None
    value = change.get("value")
    if not isinstance(value, dict) or value.get("item") != "comment" or value.get("verb") not in PUSHED_VERBS:
        return None
    comment_id, post_id = value.get("comment_id"), value.get("post_id")
    if not comment_id or not post_id:
        return None
    # Facebook sets parent_id to the post for a top-level comment, to the parent comment for a reply.
    parent_id = value["parent_id"] if value.get("parent_id") and str(value["parent_id"]) != str(post_id) else None
    return _item(comment_id, value.get("message"), _unix_time(value.get("created_time")), value.get("from"),
                 parent_id, post_id, page_id)


def _item(comment_id, message, created_at, author, parent_id, post_id, page_id):
    author = author if isinstance(author, dict) else None
    author_id = str(author["id"]) if author and author.get("id") else None
    return InboundItem(
        external_id=str(comment_id),
        text=message or "",
        created_at=created_at,
        author=InboundAuthor(
            external_id=author_id, name=author.get("name"), profile_url=f"https://facebook.com/{author_id}",
        ) if author_id else None,
        in_reply_to=str(parent_id) if parent_id else str(post_id),
        thread_id=str(parent_id or comment_id),
        from_brand=author_id is not None and author_id == str(page_id),
        network="facebook",
        channel="public",
    )


def messenger_message_item(message, page_id, network="facebook"):
    """The InboundItem for a message of the Conversations API ({id, message, from{id,name,email},
    to{data: [{id,name,email}]}, created_time}; on Instagram people are {id, username} and `page_id` is the
    IG user id), or None for a payload without an id or a customer."""
    if not isinstance(message, dict) or not message.get("id"):
        return None
    recipients = (message.get("to") or {}).get("data") if isinstance(message.get("to"), dict) else None
    recipient = recipients[0] if isinstance(recipients, list) and recipients else None
    sender = message.get("from")
    is_page = _person_id(sender) == str(page_id)
    return _private_item(message["id"], message.get("message"), parse_graph_time(message.get("created_time")),
                         customer=recipient if is_page else sender, from_brand=is_page, page_id=page_id,
                         network=network)


def messaging_event_item(event, page_id, network="facebook"):
    """The InboundItem for one `messaging` event of a pushed `messages` webhook (Instagram's DMs too, with
    `page_id` the IG user id), or None for what is not a message (delivery, read, postback, reaction events;
    a deleted message)."""
    if not isinstance(event, dict):
        return None
    message = event.get("message")
    if not isinstance(message, dict) or not message.get("mid") or message.get("is_deleted"):
        return None
    is_page = bool(message.get("is_echo")) or _person_id(event.get("sender")) == str(page_id)
    customer = event.get("recipient") if is_page else event.get("sender")
    return _private_item(message["mid"], message.get("text"), _millisecond_time(event.get("timestamp")),
                         customer=customer, from_brand=is_page, page_id=page_id, network=network)


def _private_item(mid, text, created_at, *, customer, from_brand, page_id, network="facebook"):
    customer_id = _person_id(customer)
    if customer_id is None or customer_id == str(page_id):
        return None  # a message with nobody to talk to
    person = person_author(customer, network)
    return InboundItem(
        external_id=str(mid),
        text=text or ATTACHMENT_TEXT,
        created_at=created_at,
        # The Page's messages name no author: ingest takes the account's own identity (webhooks do not name it).
        author=None if from_brand else person,
        from_brand=from_brand,
        network=network,
        channel="private",
        counterpart=person if from_brand else None,
    )


def person_author(person, network="facebook"):
    """The customer of a private message: Messenger names people ({id, name}); Instagram gives usernames
    ({id, username}), which are also their profile's address."""
    customer_id = _person_id(person)
    if network == "instagram":
        username = person.get("username") or None
        return InboundAuthor(external_id=customer_id, handle=username,
                             profile_url=f"https://www.instagram.com/{username}" if username else None)
    return InboundAuthor(external_id=customer_id, name=person.get("name") or None)


def _person_id(person):
    return str(person["id"]) if isinstance(person, dict) and person.get("id") else None


def _millisecond_time(value):
    """Webhook timestamps (unix milliseconds), to the second as Graph's created_time; None when unreadable."""
    try:
        return datetime.fromtimestamp(int(value) // 1000, timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def parse_graph_time(value):
    """Graph times look like 2024-01-15T10:30:00+0000."""
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").astimezone(timezone.utc)
    except (TypeError, ValueError):
        return None


def _unix_time(value):
    """Unix seconds (what feed notifications carry); None when absent or unreadable."""
    try:
        return datetime.fromtimestamp(int(value), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
