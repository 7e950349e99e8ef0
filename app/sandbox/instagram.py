"""Instagram in the sandbox: professional accounts linked to Facebook pages, their media and comments, other
people's media that mention them, and the rules Meta documents for the comment and mention APIs.

Rules (IG Comment Replies, IG User Mentions, IG Comment pages): only top-level comments take replies, and a reply
to a reply is added to the top-level comment; hidden comments and comments on a live video cannot be replied to;
a brand's new comment on a live video is refused too; a media with comments turned off takes no comments and
its mentions cannot be read or answered. Every comment on an account's own media (a customer's or the brand's)
is pushed as an `instagram` webhook (`comments`, or `live_comments` while live); a customer mentioning a brand
in a caption of their own media or in a comment on someone else's media is pushed as `mentions` (ids only).

This module knows no Flask request: instagram_api.py routes to it and turns Refusal into Graph errors.
"""
import hashlib
import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from app.sandbox.demo_accounts import DEMO_INSTAGRAM_MEDIA

MAX_COMMENT = 2200
KINDS = {  # what a media `kind` is on Instagram: (media_type, media_product_type)
    "image": ("IMAGE", "FEED"), "video": ("VIDEO", "FEED"), "reel": ("VIDEO", "REELS"),
    "carousel": ("CAROUSEL_ALBUM", "FEED"), "live": ("VIDEO", "LIVE"),
}
_SHORTCODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


class Refusal(Exception):
    """A refused Instagram write or read. `reason`: comment_deleted, comment_hidden, live_comment,
    comments_disabled, media_missing, too_long, not_mentioned."""

    def __init__(self, reason, object_id=None):
        super().__init__(reason)
        self.reason, self.object_id = reason, object_id


@dataclass
class IGAccount:
    id: str
    username: str
    name: str
    page_id: str
    followers_count: int = 3200
    follows_count: int = 180


@dataclass
class IGMedia:
    id: str
    owner: dict  # {"id", "username"}: the brand, or a customer whose media mentions it
    caption: str
    media_type: str
    product_type: str
    timestamp: datetime
    like_count: int = 0
    comments_enabled: bool = True
    live: bool = False  # a live video being broadcast now (LIVE media only)
    children: list = field(default_factory=list)  # carousel items' ids
    deleted: bool = False

    @property
    def shortcode(self):
        """Eleven URL-safe characters, like Instagram's, stable for a media id."""
        number, out = int.from_bytes(hashlib.sha1(self.id.encode()).digest()[:9], "big"), ""
        for _ in range(11):
            number, digit = divmod(number, 64)
            out += _SHORTCODE_ALPHABET[digit]
        return out

    @property
    def permalink(self):
        return f"https://www.instagram.com/p/{self.shortcode}/"


@dataclass
class IGComment:
    id: str
    media_id: str
    text: str
    author: dict  # {"id": IGSID (the brand: its IG user id), "username"}
    timestamp: datetime
    parent_id: str | None = None  # replies only: always a top-level comment
    hidden: bool = False
    deleted: bool = False
    like_count: int = 0
    via_api: bool = False  # the brand's comment posted through the Graph API (by Carebox)
    liked_by: set = field(default_factory=set)  # IG user ids (POST /{ig-user-id}/likes comment_id=)


def now_utc():
    return datetime.now(timezone.utc)


def instagram_user(handle):
    """A customer's Instagram identity from their handle: the same person always gets the same IGSID."""
    return {"id": str(6 * 10**15 + zlib.crc32(handle.encode())), "username": handle.lower()}


class InstagramBook:
    """Every Instagram account, media and comment. Changes happen under the network's lock."""

    def __init__(self, network):
        self.network = network
        self.accounts, self.media, self.comments = {}, {}, {}
        self.sent = []  # what the brands posted on Instagram through the API (replies, comments, mention answers)
        self.like_lockouts = {}  # IG user id -> when its likes are allowed again (instagram_likes.py's burst limit)

    # ---------------------------------------------------------------- state

    def add_account(self, config, seed_media=True):
        with self.network.lock:
            account = IGAccount(id=str(config["ig_user_id"]), username=config["username"], name=config["name"],
                                page_id=str(config["page_id"]))
            self.accounts[account.id] = account
            if seed_media:
                for age_hours, kind, caption in DEMO_INSTAGRAM_MEDIA:
                    self.add_media(account.id, caption, kind=kind,
                                   created_at=now_utc().replace(microsecond=0) - timedelta(hours=age_hours))
            return account

    def account_by_page(self, page_id):
        return next((a for a in self.accounts.values() if a.page_id == str(page_id)), None)

    def brand_identity(self, account):
        return {"id": account.id, "username": account.username}

    def add_media(self, owner, caption, *, kind="image", created_at=None, live=None, comments_enabled=True):
        """New media of a brand (`owner` = its IG user id) or of a customer (`owner` = {"id"?, "username"}).
        A "live" media is being broadcast unless live=False."""
        media_type, product_type = KINDS[kind]
        with self.network.lock:
            if isinstance(owner, dict):
                owner = {**instagram_user(owner["username"]), **{k: v for k, v in owner.items() if v}}
            else:
                owner = self.brand_identity(self.accounts[str(owner)])
            media = IGMedia(id=self._id(created_at), owner={"id": str(owner["id"]), "username": owner["username"]},
                            caption=caption, media_type=media_type, product_type=product_type,
                            timestamp=created_at or now_utc(), comments_enabled=comments_enabled,
                            live=(kind == "live") if live is None else bool(live and kind == "live"))
            if kind == "carousel":
                media.children = [self._id(created_at) for _ in range(3)]
            self.media[media.id] = media
            mentioned = self._mentioned_accounts(caption, exclude=media.owner["id"])
            for account in mentioned:
                self.network.push.instagram_change(account, "mentions", {"media_id": media.id})
            return media

    def _id(self, created_at=None):
        return str(self.network.ids.at(created_at) if created_at else self.network.ids.next())

    def owner_account(self, media):
        return self.accounts.get(media.owner["id"])

    def _mentioned_accounts(self, text, exclude):
        lowered = text.lower()
        return [a for a in self.accounts.values()
                if a.id != exclude and re.search(rf"@{re.escape(a.username.lower())}(?!\w|\.\w)", lowered)]

    def knows(self, object_id):
        """Whether `object_id` is an Instagram account, media or comment (deleted ones included)."""
        return object_id in self.accounts or object_id in self.media or object_id in self.comments

    def live_media(self, media_id):
        media = self.media.get(str(media_id))
        return media if media is not None and not media.deleted else None

    def live_comment(self, comment_id):
        comment = self.comments.get(str(comment_id))
        if comment is None or comment.deleted or self.live_media(comment.media_id) is None:
            return None
        return comment

    # -------------------------------------------------------------- comments

    def add_comment(self, media_id, text, author, *, parent_id=None, created_at=None, via_api=False):
        """A comment (or a reply: a reply to a reply joins its top-level comment) by `author` {"id"?, "username"};
        refused on a missing media or parent and when comments are off. Pushes the webhooks it causes."""
        with self.network.lock:
            media = self.live_media(media_id)
            if media is None:
                raise Refusal("media_missing", media_id)
            parent = None
            if parent_id is not None:
                parent = self.live_comment(parent_id)
                if parent is None or parent.media_id != media.id:
                    raise Refusal("comment_deleted", parent_id)
                parent = self.comments[parent.parent_id] if parent.parent_id else parent
            if not media.comments_enabled:
                raise Refusal("comments_disabled", media.id)
            if not author.get("id"):
                author = {**author, "id": instagram_user(author["username"])["id"]}
            comment = IGComment(id=self._id(created_at), media_id=media.id, text=text,
                                author={"id": str(author["id"]), "username": author["username"]},
                                timestamp=created_at or now_utc(), parent_id=parent.id if parent else None,
                                via_api=via_api)
            self.comments[comment.id] = comment
            self._push_comment(media, comment)
            return comment

    def _push_comment(self, media, comment):
        owner = self.owner_account(media)
        if owner is not None:
            value = {"id": comment.id, "from": dict(comment.author), "text": comment.text,
                     "media": {"id": media.id, "media_product_type": media.product_type}}
            if comment.parent_id:
                value["parent_id"] = comment.parent_id
            self.network.push.instagram_change(owner, "live_comments" if media.product_type == "LIVE" else "comments",
                                               value)
        for account in self._mentioned_accounts(comment.text, exclude=comment.author["id"]):
            if account is not owner:
                self.network.push.instagram_change(account, "mentions",
                                                   {"media_id": media.id, "comment_id": comment.id})

    def top_level(self, media):
        """The media's top-level comments, newest first (hidden ones included: the owner sees them)."""
        with self.network.lock:
            found = [c for c in self.comments.values()
                     if c.media_id == media.id and c.parent_id is None and not c.deleted]
        return sorted(found, key=lambda c: int(c.id), reverse=True)

    def replies_of(self, comment):
        """A top-level comment's replies, oldest first."""
        with self.network.lock:
            found = [c for c in self.comments.values() if c.parent_id == comment.id and not c.deleted]
        return sorted(found, key=lambda c: int(c.id))

    def comment_count(self, media):
        with self.network.lock:
            return sum(1 for c in self.comments.values() if c.media_id == media.id and not c.deleted)

    def media_of(self, account):
        """The account's own media, newest first."""
        with self.network.lock:
            found = [m for m in self.media.values() if m.owner["id"] == account.id and not m.deleted]
        return sorted(found, key=lambda m: int(m.id), reverse=True)

    # ------------------------------------------------------------ the brand

    def _check_text(self, text):
        if len(text) > MAX_COMMENT:
            raise Refusal("too_long")

    def reply(self, account, comment_id, text, *, via_api=False):
        """POST /{ig-comment-id}/replies by the brand: on the top-level comment of `comment_id`."""
        with self.network.lock:
            self._check_text(text)
            comment = self.live_comment(comment_id)
            if comment is None:
                raise Refusal("comment_deleted", comment_id)
            media = self.media[comment.media_id]
            top = self.comments[comment.parent_id] if comment.parent_id else comment
            if comment.hidden or top.hidden:
                raise Refusal("comment_hidden", comment_id)
            if media.product_type == "LIVE":
                raise Refusal("live_comment", comment_id)
            reply = self.add_comment(media.id, text, self.brand_identity(account), parent_id=top.id, via_api=via_api)
            if via_api:
                self._log(account, "reply", reply, in_reply_to=str(comment_id))
            return reply

    def comment_on_media(self, account, media_id, text, *, via_api=False):
        """POST /{ig-media-id}/comments by the brand: a new top-level comment (not on a live video)."""
        with self.network.lock:
            self._check_text(text)
            media = self.live_media(media_id)
            if media is None:
                raise Refusal("media_missing", media_id)
            if media.product_type == "LIVE":
                raise Refusal("live_comment", media_id)
            comment = self.add_comment(media.id, text, self.brand_identity(account), via_api=via_api)
            if via_api:
                self._log(account, "comment", comment, in_reply_to=media.id)
            return comment

    def answer_mention(self, account, media_id, text, comment_id=None):
        """POST /{ig-user-id}/mentions: a comment by the brand on the media that mentions it (a reply to the
        mentioning comment when `comment_id`)."""
        with self.network.lock:
            self._check_text(text)
            if comment_id:
                comment = self.mentioned_comment(account, comment_id)
                if comment.media_id != str(media_id):
                    raise Refusal("not_mentioned", comment_id)
                top = comment.parent_id or comment.id
                answer = self.add_comment(comment.media_id, text, self.brand_identity(account), parent_id=top,
                                          via_api=True)
            else:
                media = self.mentioned_media(account, media_id)
                answer = self.add_comment(media.id, text, self.brand_identity(account), via_api=True)
            self._log(account, "mention_reply", answer, in_reply_to=str(comment_id or media_id))
            return answer

    def mentioned_comment(self, account, comment_id):
        """A comment mentioning `account` (read through mentioned_comment); refused when comments are off."""
        with self.network.lock:
            comment = self.live_comment(comment_id)
            if comment is None or account not in self._mentioned_accounts(comment.text, exclude=comment.author["id"]):
                raise Refusal("not_mentioned", comment_id)
            if not self.media[comment.media_id].comments_enabled:
                raise Refusal("comments_disabled", comment.media_id)
            return comment

    def mentioned_media(self, account, media_id):
        with self.network.lock:
            media = self.live_media(media_id)
            if media is None or account not in self._mentioned_accounts(media.caption, exclude=media.owner["id"]):
                raise Refusal("not_mentioned", media_id)
            if not media.comments_enabled:
                raise Refusal("comments_disabled", media.id)
            return media

    def log_dm(self, recipient_id, message, comment_id=None):
        """A DM the brand sent through the Send API: a Private Reply when `comment_id`."""
        self.sent.append({"kind": "private_reply" if comment_id else "dm", "id": message.id, "text": message.text,
                          "recipient_id": recipient_id, "in_reply_to": comment_id})

    def _log(self, account, kind, comment, in_reply_to):
        self.sent.append({"kind": kind, "id": comment.id, "media_id": comment.media_id, "parent_id": comment.parent_id,
                          "text": comment.text, "in_reply_to": in_reply_to})
        self.network._log_api_reply("instagram", account.id, comment.id, comment.text, in_reply_to,
                                    comment.timestamp)

    # ------------------------------------------------------------ moderation

    def set_hidden(self, comment_id, hidden=True):
        with self.network.lock:
            comment = self.live_comment(comment_id)
            if comment is None:
                raise Refusal("comment_deleted", comment_id)
            comment.hidden = bool(hidden)
            return comment

    def hide_as_owner(self, account, comment_id, hidden):
        """The API's hide (POST /{ig-comment-id}?hide=): the account's own comments stay visible."""
        with self.network.lock:
            comment = self.live_comment(comment_id)
            if comment is None:
                raise Refusal("comment_deleted", comment_id)
            if str(comment.author.get("id")) == account.id:
                raise Refusal("not_hideable", comment_id)
            comment.hidden = bool(hidden)
            self.network.note_moderation("instagram", account.id, "hide" if hidden else "unhide", comment_id)
            return comment

    def like_comment(self, account, comment_id, liked=True):
        """The account likes (or unlikes) a comment on its media; liking twice has no further effect."""
        with self.network.lock:
            comment = self.live_comment(comment_id)
            if comment is None:
                raise Refusal("comment_deleted", comment_id)
            if liked and account.id not in comment.liked_by:
                comment.liked_by.add(account.id)
                comment.like_count += 1
            elif not liked and account.id in comment.liked_by:
                comment.liked_by.discard(account.id)
                comment.like_count -= 1
            self.network.note_moderation("instagram", account.id, "like" if liked else "unlike", comment_id)
            return comment

    def delete_comment(self, comment_id):
        with self.network.lock:
            comment = self.live_comment(comment_id)
            if comment is None:
                raise Refusal("comment_deleted", comment_id)
            comment.deleted = True
            return comment

    def set_comments_enabled(self, media_id, enabled):
        with self.network.lock:
            media = self.live_media(media_id)
            if media is None:
                raise Refusal("media_missing", media_id)
            media.comments_enabled = bool(enabled)
            return media

    def end_live(self, media_id):
        """The broadcast ends: Private Replies to its comments are no longer possible."""
        with self.network.lock:
            media = self.live_media(media_id)
            if media is None:
                raise Refusal("media_missing", media_id)
            media.live = False
            return media
