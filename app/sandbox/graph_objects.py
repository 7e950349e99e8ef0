"""Graph API nodes as JSON: the `fields` parameter and what pages, posts and comments look like."""
from app.sandbox.entities import Comment, FacebookPage, PagePost


class FieldError(Exception):
    """A `fields` value Graph would refuse with error code 100."""


def fb_time(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S+0000")


def parse_fields(spec):
    """'id,from{id,name},parent{id}' -> {"id": None, "from": {"id": None, "name": None}, "parent": {"id": None}}."""
    fields, rest = _parse_level(spec or "", 0)
    if rest != len(spec or ""):
        raise FieldError("Syntax error \"Expected end of string instead of \"}\".\" at character %d: %s" % (rest, spec))
    return fields


def _parse_level(spec, i):
    fields, name = {}, ""
    while i < len(spec):
        char = spec[i]
        if char == ",":
            _add(fields, name, None)
            name, i = "", i + 1
        elif char == "{":
            nested, i = _parse_level(spec, i + 1)
            _add(fields, name, nested)
            name = ""
        elif char == "}":
            _add(fields, name, None)
            return fields, i + 1
        else:
            name, i = name + char, i + 1
    _add(fields, name, None)
    return fields, i


def _add(fields, name, nested):
    name = name.strip().split(".", 1)[0]  # drop modifiers such as comments.limit(5)
    if name:
        fields[name] = nested


NODE_TYPES = {FacebookPage: "Page", PagePost: "Post", Comment: "Comment"}
DEFAULT_FIELDS = {
    "Page": ["id", "name"],
    "Post": ["created_time", "message", "id"],
    "Comment": ["created_time", "from", "message", "id"],
}


def page_json(page):
    return {
        "id": page.id, "name": page.name, "category": "Shopping & retail", "fan_count": page.fan_count,
        "followers_count": page.fan_count + 312, "link": f"https://www.facebook.com/{page.id}",
        "about": "Customer care sandbox page.",
    }


def post_json(post, page):
    return {
        "id": post.id, "message": post.message, "created_time": fb_time(post.created_time),
        "updated_time": fb_time(post.updated_time), "from": {"id": page.id, "name": page.name},
        "permalink_url": f"https://www.facebook.com/{page.id}/posts/{post.number}",
        "is_published": True, "status_type": "mobile_status_update",
    }


def comment_json(comment, network, page):
    data = {
        "id": comment.id, "message": comment.message, "created_time": fb_time(comment.created_time),
        "like_count": comment.like_count, "comment_count": len(network.comments_of(comment)),
        "can_comment": comment.parent_id is None, "can_remove": True,
        "can_hide": not (comment.author and str(comment.author.get("id")) == page.id), "can_like": True,
        "is_hidden": comment.hidden, "user_likes": page.id in comment.liked_by, "message_tags": [],
        "can_reply_privately": network.messenger.can_reply_privately(comment),
        "permalink_url": f"https://www.facebook.com/{page.id}/posts/{comment.id.split('_')[0]}"
                         f"?comment_id={comment.id.split('_')[1]}",
    }
    if comment.author:
        data["from"] = dict(comment.author)
    parent = network.comments.get(comment.parent_id) if comment.parent_id else None
    if parent is not None:
        data["parent"] = comment_json(parent, network, page)
    return data


def select(node, full, wanted):
    """Keep the fields asked for (or the node type's defaults); unknown names raise FieldError."""
    node_type = NODE_TYPES[type(node)]
    return _select(full, wanted, node_type)


def _select(full, wanted, node_type):
    if not wanted:
        return {name: full[name] for name in DEFAULT_FIELDS[node_type] if name in full}
    known = set(full) | _OPTIONAL_FIELDS.get(node_type, set())
    out = {}
    for name, nested in wanted.items():
        if name not in known:
            raise FieldError(f"(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})")
        if name not in full:
            continue  # e.g. `from` withheld, `parent` of a top-level comment
        value = full[name]
        if name == "parent":
            value = _select(value, nested, "Comment")
        elif isinstance(value, dict) and nested:
            value = {k: v for k, v in value.items() if k in nested}
        out[name] = value
    return out


# Fields that exist on a node type but are absent on some nodes.
_OPTIONAL_FIELDS = {"Comment": {"from", "parent", "attachment"}, "Post": {"full_picture", "attachments"}}
