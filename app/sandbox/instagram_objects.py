"""Instagram Graph nodes as JSON: IG users, media and comments, and the `fields` selection over them.

Images carry `media_url`, videos (reels, live) `thumbnail_url` too; both point at the sandbox's own
placeholder image (GET /_sandbox/instagram/media/<id>.svg), so nothing is fetched from outside.
"""
import re

from app.sandbox.graph_objects import FieldError, fb_time

DEFAULT_FIELDS = {"User": ("id",), "Media": ("id",), "Comment": ("timestamp", "text", "id")}
NESTED_REPLIES = 50  # replies shown inside a comment's `replies{...}`; more through /{comment-id}/replies
_MODIFIER = re.compile(r"(mentioned_comment|mentioned_media)\.(comment_id|media_id)\(([^)]*)\)")


def placeholder_url(base_url, object_id):
    return f"{base_url.rstrip('/')}/_sandbox/instagram/media/{object_id}.svg"


def user_json(account, book):
    return {
        "id": account.id, "ig_id": int(account.id[-10:]), "username": account.username, "name": account.name,
        "biography": "Customer care sandbox account.", "website": "https://example.com/",
        "followers_count": account.followers_count, "follows_count": account.follows_count,
        "media_count": len(book.media_of(account)), "profile_picture_url": None,
    }


def media_json(media, book, base_url):
    data = {
        "id": media.id, "caption": media.caption, "comments_count": book.comment_count(media),
        "like_count": media.like_count, "media_type": media.media_type, "media_product_type": media.product_type,
        "permalink": media.permalink, "shortcode": media.shortcode, "timestamp": fb_time(media.timestamp),
        "username": media.owner["username"], "owner": {"id": media.owner["id"]},
        "is_comment_enabled": media.comments_enabled,
        "media_url": placeholder_url(base_url, media.children[0] if media.children else media.id),
    }
    if media.media_type == "VIDEO":
        data["thumbnail_url"] = placeholder_url(base_url, media.id)
    if media.children:
        data["children"] = {"data": [{"id": child} for child in media.children]}
    return data


def comment_json(comment, book):
    media = book.media[comment.media_id]
    data = {
        "id": comment.id, "text": comment.text, "timestamp": fb_time(comment.timestamp),
        "username": comment.author["username"], "from": dict(comment.author), "hidden": comment.hidden,
        "like_count": comment.like_count, "media": {"id": media.id, "media_product_type": media.product_type},
        "legacy_instagram_comment_id": comment.id,
    }
    if comment.parent_id:
        data["parent_id"] = comment.parent_id
    return data


def drop_mention_at(text, account):
    """Captions and comment texts of other people's media come without the "@" of the mention (Meta's
    mentioned_media / mentioned_comment pages)."""
    return re.sub(rf"@({re.escape(account.username)})(?!\w|\.\w)", r"\1", text, flags=re.IGNORECASE)


def mention_modifiers(spec):
    """{"mentioned_comment": id, "mentioned_media": id} from a fields spec such as
    'mentioned_comment.comment_id(17890){id,text}' (parse_fields drops modifiers)."""
    return {name: value.strip() for name, _, value in _MODIFIER.findall(spec or "")}


def pick(full, wanted, node_type, optional=()):
    """The fields asked for (or the node type's defaults); unknown names raise FieldError. A nested
    `{...}` on an object field keeps those keys; edges (replies, children) are filled in by the caller."""
    if not wanted:
        return {name: full[name] for name in DEFAULT_FIELDS[node_type] if name in full}
    out = {}
    for name, nested in wanted.items():
        if name not in full and name not in optional:
            raise FieldError(f"(#100) Tried accessing nonexisting field ({name}) on node type (IG{node_type})")
        if name not in full:
            continue
        value = full[name]
        if nested and isinstance(value, dict) and "data" not in value:
            value = {k: v for k, v in value.items() if k in nested}
        elif nested and isinstance(value, dict):
            value = {"data": [{k: v for k, v in item.items() if k in nested} for item in value["data"]]}
        out[name] = value
    if "id" in full and "id" not in out:
        out["id"] = full["id"]  # Graph always answers the node's id
    return out
