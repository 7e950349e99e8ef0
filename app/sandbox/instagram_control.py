"""Control endpoints for Instagram under /_sandbox/instagram/ (see control.py for the others), and the
placeholder image every media's media_url / thumbnail_url points at.

GET  /_sandbox/instagram/media/<id>.svg    a placeholder picture (nothing is fetched from outside)
POST   /_sandbox/instagram/media              the brand's media, or someone else's (owner) mentioning it
PATCH  /_sandbox/instagram/media/<id>         {"comments_enabled"}, {"live": false}
POST   /_sandbox/instagram/comments           a customer's comment or reply
POST   /_sandbox/instagram/brand-comments     the brand comments natively (Instagram app)
POST   /_sandbox/instagram/mentions           a customer mentions the brand in a caption or a comment
PATCH  /_sandbox/instagram/comments/<id>      {"hidden"}; DELETE deletes it
POST   /_sandbox/instagram/messages           a customer DMs the brand; /account-messages: the brand answers natively
GET    /_sandbox/instagram/sent               what Carebox posted through the API (replies, mention answers, DMs)
"""
import zlib

from flask import Response, jsonify, request

from app.sandbox.control import ControlError, _body, _created, _text, _time, bp
from app.sandbox.hooks import current_network
from app.sandbox.instagram import KINDS, Refusal, instagram_user
from app.sandbox.personas import random_persona

_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="320" height="320" viewBox="0 0 320 320">'
        '<rect width="320" height="320" fill="hsl({hue},55%,62%)"/>'
        '<circle cx="160" cy="140" r="54" fill="none" stroke="#fff" stroke-width="14"/>'
        '<rect x="70" y="70" width="180" height="180" rx="44" fill="none" stroke="#fff" stroke-width="14"/>'
        '<text x="160" y="290" font-family="sans-serif" font-size="18" fill="#fff" text-anchor="middle">'
        'sandbox media</text></svg>')


@bp.get("/instagram/media/<object_id>.svg")
def media_placeholder(object_id):
    hue = zlib.crc32(object_id.encode()) % 360
    return Response(_SVG.format(hue=hue), mimetype="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


# ------------------------------------------------------------------ helpers

def _book():
    return current_network().instagram


def _account(body):
    book = _book()
    account_id = str(body.get("account") or next(iter(book.accounts), ""))
    if account_id not in book.accounts:
        raise ControlError(f"unknown Instagram account {account_id!r}", 404)
    return book.accounts[account_id]


def _person(value, what="author"):
    """{"username", "id"?} or a random recurring customer when absent."""
    if value is None:
        return instagram_user(random_persona(current_network().random).handle)
    if not isinstance(value, dict) or not value.get("username"):
        raise ControlError(f"{what} must be {{username, id?}}")
    return {"username": str(value["username"]), "id": str(value["id"]) if value.get("id") else None}


def _refused(refusal):
    status = 404 if refusal.reason in ("media_missing", "comment_deleted", "not_mentioned") else 409
    return ControlError(f"refused: {refusal.reason} ({refusal.object_id})", status)


def _comment_created(comment):
    return _created(comment.id, media_id=comment.media_id, parent_id=comment.parent_id, author=comment.author)


# ------------------------------------------------------------------ media

@bp.post("/instagram/media")
def add_media():
    """{"account"?, "caption", "kind": image|video|reel|carousel|live, "owner"? {"username", "id"?} (someone
    else's media: a caption mentioning the brand is pushed as `mentions`), "created_at"?, "comments_enabled"?}"""
    body = _body()
    kind = body.get("kind", "image")
    if kind not in KINDS:
        raise ControlError(f"kind must be one of {', '.join(KINDS)}")
    caption = body.get("caption", "")
    if not isinstance(caption, str):
        raise ControlError("caption must be a string")
    owner = _person(body["owner"], "owner") if body.get("owner") else _account(body).id
    media = _book().add_media(owner, caption, kind=kind, created_at=_time(body.get("created_at")),
                              comments_enabled=body.get("comments_enabled", True) is not False)
    return _created(media.id, permalink=media.permalink, owner=media.owner, media_type=media.media_type,
                    media_product_type=media.product_type)


@bp.patch("/instagram/media/<media_id>")
def update_media(media_id):
    """{"comments_enabled": bool} turns comments on or off; {"live": false} ends a live broadcast."""
    body = _body()
    try:
        if "comments_enabled" in body:
            _book().set_comments_enabled(media_id, bool(body["comments_enabled"]))
        if body.get("live") is False:
            _book().end_live(media_id)
    except Refusal as refusal:
        raise _refused(refusal) from None
    media = _book().media[media_id]
    return jsonify({"id": media.id, "comments_enabled": media.comments_enabled, "live": media.live})


# ------------------------------------------------------------------ comments

@bp.post("/instagram/comments")
def add_comment():
    """A customer's comment on a media, or reply (`parent_id`): {"media_id", "text", "author"?, "parent_id"?,
    "created_at"?}. On the brand's media it is pushed as `comments` (`live_comments` on a live video)."""
    body = _body()
    try:
        comment = _book().add_comment(str(body.get("media_id") or ""), _text(body), _person(body.get("author")),
                                      parent_id=body.get("parent_id"), created_at=_time(body.get("created_at")))
    except Refusal as refusal:
        raise _refused(refusal) from None
    return _comment_created(comment)


@bp.post("/instagram/brand-comments")
def brand_comment():
    """The brand comments natively from the Instagram app: {"account"?, "text", "media_id" | "in_reply_to"}."""
    body = _body()
    account = _account(body)
    book = _book()
    try:
        if body.get("in_reply_to"):
            comment = book.reply(account, str(body["in_reply_to"]), _text(body))
        else:
            comment = book.comment_on_media(account, str(body.get("media_id") or ""), _text(body))
    except Refusal as refusal:
        raise _refused(refusal) from None
    return _comment_created(comment)


@bp.post("/instagram/mentions")
def add_mention():
    """A customer mentions the brand: {"account"?, "text", "author"?, "in": "caption" | "comment",
    "media_id"? (for a comment: someone else's media; a new one by another person when absent)}. The text
    gets "@<brand username>" in front unless it already mentions the brand."""
    body = _body()
    account = _account(body)
    text = _text(body)
    if f"@{account.username}".lower() not in text.lower():
        text = f"@{account.username} {text}"
    author = _person(body.get("author"))
    book = _book()
    try:
        if body.get("in", "comment") == "caption":
            media = book.add_media(author, text, kind=body.get("kind", "image"),
                                   created_at=_time(body.get("created_at")))
            return _created(media.id, media_id=media.id, permalink=media.permalink, owner=media.owner)
        media_id = body.get("media_id")
        if not media_id:
            host = instagram_user(random_persona(current_network().random).handle)
            media_id = book.add_media(host, "Look what came in the mail today ✨").id
        comment = book.add_comment(str(media_id), text, author, created_at=_time(body.get("created_at")))
    except Refusal as refusal:
        raise _refused(refusal) from None
    return _comment_created(comment)


@bp.patch("/instagram/comments/<comment_id>")
def update_comment(comment_id):
    """{"hidden": bool}: hide or unhide a comment (hidden comments cannot be replied to)."""
    body = _body()
    if not isinstance(body.get("hidden"), bool):
        raise ControlError("hidden must be true or false")
    try:
        comment = _book().set_hidden(comment_id, body["hidden"])
    except Refusal as refusal:
        raise _refused(refusal) from None
    return jsonify({"id": comment.id, "hidden": comment.hidden})


@bp.delete("/instagram/comments/<comment_id>")
def delete_comment(comment_id):
    try:
        _book().delete_comment(comment_id)
    except Refusal as refusal:
        raise _refused(refusal) from None
    return jsonify({"id": comment_id, "deleted": True})


# ------------------------------------------------------------------ DMs

@bp.post("/instagram/messages")
def customer_dm():
    """A customer DMs the brand on Instagram: {"account"?, "text", "sender"? {"username", "id"?}, "created_at"?}."""
    body = _body()
    account = _account(body)
    sender = _person(body.get("sender"), "sender")
    sender["id"] = sender["id"] or instagram_user(sender["username"])["id"]
    message = current_network().messenger.customer_message(
        account.page_id, _text(body), sender, created_at=_time(body.get("created_at")), platform="instagram")
    return _created(message.id, conversation_id=message.conversation_id, sender_id=sender["id"])


@bp.post("/instagram/account-messages")
def brand_dm():
    """The brand answers from the Instagram app (echoed with is_echo): {"account"?, "recipient_id", "text"}."""
    body = _body()
    account = _account(body)
    try:
        message = current_network().messenger.page_inbox_message(
            account.page_id, str(body.get("recipient_id") or ""), _text(body))
    except KeyError:
        raise ControlError(f"no conversation with {body.get('recipient_id')!r}", 404) from None
    return _created(message.id, conversation_id=message.conversation_id)


@bp.get("/instagram/sent")
def sent():
    """What the brands posted on Instagram through the API, oldest first: kind reply | comment |
    mention_reply (comments: id, media_id, parent_id, in_reply_to) or dm | private_reply (recipient_id)."""
    kind = request.args.get("kind")
    return jsonify({"sent": [s for s in _book().sent if kind in (None, s["kind"])]})
