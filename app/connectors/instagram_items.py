"""Instagram payloads as InboundItems: one mapping per payload kind, used by the poller and the push receiver
alike, so a comment or a message seen both ways becomes the same item and ingest stores it once.

- `comment_item`: a comment or reply on the brand's media (Graph's comment fields, or a `comments` /
  `live_comments` webhook value, which carries the same id, text, from and parent_id, but no time: the
  entry's time stands in). Instagram threads one level deep: a reply's thread is its top-level comment.
  The brand's own comments (from.id = the IG user id) are from_brand: native answers that stop the clock.
- `mentioned_comment_item`: a comment on someone else's media that mentions the brand (mentioned_comment).
- `caption_mention_item`: someone else's media whose caption mentions the brand (mentioned_media); its
  external id is the media's own id and its text the caption.
- `media_post`: a media payload as the InboundPost the items hang off.
- DMs: facebook_items' private mappings with network "instagram" (`dm_message_item`, `dm_event_item`).

People are Instagram-scoped ids with usernames (no names): handle = username, profile on instagram.com.
"""
from datetime import datetime, timezone

from app.connectors.facebook_items import messaging_event_item, messenger_message_item, parse_graph_time
from app.ingest.items import InboundAuthor, InboundItem, InboundPost
from app.vocabulary import MEDIA_PRODUCT_TYPES, MEDIA_TYPES

NETWORK = "instagram"
COMMENT_FIELDS_PUSHED = ("comments", "live_comments")


def media_post(media, *, owned=True):
    """The InboundPost for a media payload ({id, caption, permalink, thumbnail_url, media_url, media_type,
    media_product_type, username, timestamp, comments_count}); fields absent stay None."""
    if not isinstance(media, dict) or not media.get("id"):
        return None
    media_type = media.get("media_type") if media.get("media_type") in MEDIA_TYPES else None
    product = media.get("media_product_type") if media.get("media_product_type") in MEDIA_PRODUCT_TYPES else None
    count = media.get("comments_count")
    return InboundPost(
        external_id=str(media["id"]),
        caption=media.get("caption"),
        permalink=media.get("permalink"),
        # Videos carry a thumbnail; images are their own picture.
        thumbnail_url=media.get("thumbnail_url") or (media.get("media_url") if media_type != "VIDEO" else None),
        media_type=media_type,
        product_type=product,
        owner_handle=media.get("username"),
        owned=owned,
        posted_at=parse_graph_time(media.get("timestamp")),
        comments_count=count if isinstance(count, int) else None,
    )


def comment_item(comment, post, brand_id, *, created_at=None):
    """The InboundItem for a comment or reply on the brand's media `post` (an InboundPost), or None for a
    payload without an id. `created_at` stands in when the payload has no timestamp (a webhook's)."""
    if not isinstance(comment, dict) or not comment.get("id") or post is None:
        return None
    parent_id = comment.get("parent_id")
    author = _author(comment)
    return InboundItem(
        external_id=str(comment["id"]),
        text=comment.get("text") or "",
        created_at=parse_graph_time(comment.get("timestamp")) or created_at,
        author=author,
        in_reply_to=str(parent_id) if parent_id else post.external_id,
        thread_id=str(parent_id or comment["id"]),
        from_brand=author is not None and author.external_id == str(brand_id),
        network=NETWORK,
        channel="public",
        post=post,
    )


def replies_of(comment):
    """The nested replies of a top-level comment payload, each with its parent_id set."""
    block = comment.get("replies") if isinstance(comment, dict) else None
    data = block.get("data") if isinstance(block, dict) else None
    return [dict(reply, parent_id=reply.get("parent_id") or comment["id"])
            for reply in data or [] if isinstance(reply, dict) and reply.get("id")]


def pushed_comment(change, entry_time=None):
    """(the comment payload, the media id, its product type) of a `comments` / `live_comments` change, or None."""
    if not isinstance(change, dict) or change.get("field") not in COMMENT_FIELDS_PUSHED:
        return None
    value = change.get("value")
    media = value.get("media") if isinstance(value, dict) else None
    if not isinstance(media, dict) or not media.get("id") or not value.get("id"):
        return None
    product = media.get("media_product_type")
    if change["field"] == "live_comments":
        product = "LIVE"
    return value, str(media["id"]), product


def pushed_comment_item(change, brand_id, post, entry_time=None):
    """The InboundItem of a pushed comment change on the brand's media `post` (the stored Post's details, or
    an InboundPost of just its id and product type), or None."""
    pushed = pushed_comment(change)
    if pushed is None:
        return None
    value, _, _ = pushed
    return comment_item(value, post, brand_id, created_at=unix_time(entry_time))


def mentioned_comment_item(comment, brand_id):
    """The InboundItem for a `mentioned_comment` payload (a comment on someone else's media that mentions the
    brand, its media nested), or None."""
    if not isinstance(comment, dict) or not comment.get("id"):
        return None
    post = media_post(comment.get("media"), owned=False)
    if post is None:
        return None
    return comment_item(dict(comment, parent_id=None), post, brand_id)


def caption_mention_item(media, brand_id):
    """The InboundItem for a `mentioned_media` payload: someone else's media whose caption mentions the brand.
    Its external id is the media id, its text the caption, its author the media's owner."""
    post = media_post(media, owned=False)
    if post is None:
        return None
    owner = media.get("owner") if isinstance(media.get("owner"), dict) else {}
    owner_id = str(owner["id"]) if owner.get("id") else None
    username = media.get("username")
    return InboundItem(
        external_id=post.external_id,
        text=media.get("caption") or "",
        created_at=post.posted_at,
        author=_person(owner_id, username) if owner_id or username else None,
        in_reply_to=None,
        thread_id=post.external_id,
        from_brand=owner_id is not None and owner_id == str(brand_id),
        network=NETWORK,
        channel="public",
        post=post,
    )


def dm_message_item(message, brand_id):
    """An Instagram DM read through the Conversations API (platform=instagram)."""
    return messenger_message_item(message, brand_id, NETWORK)


def dm_event_item(event, brand_id):
    """An Instagram DM or echo pushed as a `messaging` event."""
    return messaging_event_item(event, brand_id, NETWORK)


def _author(comment):
    person = comment.get("from") if isinstance(comment.get("from"), dict) else {}
    author_id = str(person["id"]) if person.get("id") else None
    username = person.get("username") or comment.get("username")
    return _person(author_id, username) if author_id or username else None


def _person(author_id, username):
    return InboundAuthor(external_id=author_id, handle=username or None,
                         profile_url=f"https://www.instagram.com/{username}" if username else None)


def unix_time(value):
    """Webhook entry times: unix seconds (comments) or milliseconds (messaging); None when unreadable."""
    try:
        number = int(value)
        if number > 10 ** 11:
            number //= 1000
        return datetime.fromtimestamp(number, timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
