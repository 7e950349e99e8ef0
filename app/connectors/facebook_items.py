"""Facebook payloads as InboundItems: a comment the poller read, a `feed` change Facebook pushed.

One module for both, so a comment seen by push and by polling becomes the same item, field for
field (and ingest stores it once). Facebook threads one level deep: a reply to a reply belongs to
the top-level comment.
"""
from datetime import datetime, timezone

from app.ingest.items import InboundAuthor, InboundItem

PUSHED_VERBS = {"add", "edited"}  # an edit of a stored comment is a duplicate to ingest: ignored


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
