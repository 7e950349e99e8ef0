"""The Instagram connector: comments on the account's media, mentions and DMs in, replies out (Graph API).

Built on facebook-sdk GraphAPI through the Graph plumbing Facebook uses (graph.py: version, RewritingSession,
timeout, appsecret_proof, usage headers, error translation, redaction), with the Page's token of the Page the
Instagram professional account is linked to.

Credentials: page_id, page_access_token, app_secret, graph_version, optional ig_user_id (else found through
the Page's instagram_business_account).

Reading (fetch): the account's media newest first with their comments_count, then the comments (top-level,
newest first, replies nested) of the media worth reading, within a per-poll call budget (instagram_cursor.py
says which and why); then the account's DMs through the Conversations API with platform=instagram
(facebook_messenger.MessengerReader, its cursor under "dms"). The two reads take turns going first. A rate
limit of the account's budget (80002, or any but 613) stops both; a 613 (2 calls/s per account on the
Conversations API) stops only the DMs. Everything read before an error is kept (complete=False).
FetchResult.rate_limits: "instagram" (BUC usage of the media and comment calls) and "conversations".

Mentions (ids only in webhooks) are read through the IG user's mentioned_comment / mentioned_media fields:
`read_mentioned_comment`, `read_mentioned_media`; `read_media` reads one of the account's own media.

Replies (send_reply with a ReplyTarget): a mention through POST /{ig-user-id}/mentions (media_id, and
comment_id unless the caption itself is answered); anything else as a reply to its top-level comment
(Instagram adds a reply to a reply to the top-level comment anyway). Refusals carry REPLY_REFUSALS reasons.
DMs and Private Replies go through the Page's Send API.

Moderation of comments on the account's media: `hide` POST /{ig-comment-id} hide=true|false, `delete` DELETE
/{ig-comment-id}, `like` / `unlike` POST / DELETE /{ig-user-id}/likes with comment_id (Meta's "User Likes"
reference, instagram_manage_engagement), on the account's BUC budget ("instagram" in last_rate_limits).
"""
from datetime import datetime, timedelta, timezone

from flask import current_app, has_app_context

from app.connectors.base import (
    AuthError,
    BrandIdentity,
    ConnectorError,
    FetchResult,
    ModerationResult,
    RateLimit,
    RateLimited,
    RejectedError,
    SentReply,
    TransientError,
)
from app.connectors.facebook_items import parse_graph_time
from app.connectors.facebook_messenger import PACER, MessengerCursor, MessengerReader
from app.connectors.graph import GraphConnector, ObjectMissing, ends_the_poll, gravest, next_after
from app.connectors.instagram_cursor import DEFAULT_CALLS_PER_POLL, InstagramCursor, calls_for_poll
from app.connectors.instagram_items import (
    caption_mention_item,
    comment_item,
    media_post,
    mentioned_comment_item,
    replies_of,
)
from app.ingest.items import InboundPost

MEDIA_FIELDS = ("id,caption,comments_count,like_count,media_type,media_product_type,permalink,thumbnail_url,"
                "media_url,timestamp,username")
REPLY_FIELDS = "id,text,timestamp,username,from{id,username},parent_id,hidden,like_count"
COMMENT_FIELDS = f"{REPLY_FIELDS},media{{id}},replies{{{REPLY_FIELDS}}}"
MENTIONED_COMMENT_FIELDS = ("id,text,timestamp,like_count,username,from{id,username},"
                            "media{id,caption,permalink,media_type,media_product_type,username,timestamp}")
MENTIONED_MEDIA_FIELDS = ("id,caption,media_type,media_product_type,permalink,timestamp,username,comments_count,"
                          "like_count,owner{id}")
MEDIA_PAGE_SIZE = 50
MAX_MEDIA_PAGES = 2  # the 100 newest media are listed; older ones stay on the ageing schedule
COMMENTS_PAGE_SIZE = 50
NESTED_REPLIES = 50  # replies nested in a comment; more come through /{comment-id}/replies
MAX_PAGES_PER_READ = 200


class BudgetSpent(Exception):
    """The poll's call budget is used up: the read under way keeps its place for the next poll."""


class InstagramConnector(GraphConnector):
    network = "instagram"
    label = "Instagram"

    def __init__(self, account, *, timeout, backfill=None):
        super().__init__(account, timeout=timeout, backfill=backfill)
        self.ig_user_id = str(self.credentials.get("ig_user_id") or account.external_id or "") or None
        self._budget = "instagram"
        self.pacer = PACER  # Conversations API calls per Instagram account (2/s, shared in this process)
        configured = current_app.config.get("CAREBOX_INSTAGRAM_CALLS_PER_POLL") if has_app_context() else None
        self.calls_per_poll = int(configured or DEFAULT_CALLS_PER_POLL)
        self._allowed = None  # calls this fetch may make (None: no limit, outside a fetch)

    # ------------------------------------------------------------ identity

    def identify(self):
        if self.ig_user_id:
            user = self._call(lambda: self.graph.get_object(self.ig_user_id, **self._args(
                fields="id,username,name")), reading_page=True)
        else:
            node = self.page_id or "me"
            page = self._call(lambda: self.graph.get_object(node, **self._args(
                fields="instagram_business_account{id,username,name}")), reading_page=True)
            user = page.get("instagram_business_account") if isinstance(page, dict) else None
            if not isinstance(user, dict):
                raise AuthError("The Facebook Page is linked to no Instagram professional account")
        if not isinstance(user, dict) or not user.get("id"):
            raise TransientError("Instagram sent an account without an id")
        self.ig_user_id = str(user["id"])
        return BrandIdentity(self.ig_user_id, handle=user.get("username"), name=user.get("name"))

    # --------------------------------------------------------------- fetch

    def fetch(self, cursor):
        cursor = dict(cursor or {})
        self._start("instagram")
        identity = None if self.ig_user_id else self.identify()
        now = datetime.now(timezone.utc)
        state = InstagramCursor.load(cursor, now, self.backfill)
        dms = MessengerCursor.load(cursor, state.window_start, key="dms")
        self._allowed = self._requests + calls_for_poll(self.calls_per_poll, state.usage)
        items = {}
        posts = {}  # media id -> InboundPost, as the listing showed them
        reads = {"instagram": lambda: self._read_media_comments(state, items, posts, now),
                 "conversations": lambda: self._read_dms(dms, items)}
        dms_first = cursor.get("dms_first") is True
        order = ["conversations", "instagram"] if dms_first else ["instagram", "conversations"]
        errors = {}
        try:
            for name in order:
                errors[name] = error = reads[name]()
                if error is not None and ends_the_poll(error, progress=bool(items) or state.moved or dms.moved):
                    break
        finally:
            self._allowed = None
        found = [e for e in errors.values() if e is not None]
        if found and not items and not state.moved and not dms.moved:
            raise gravest(found)
        budgets = self._budgets()
        if "instagram" in budgets:
            state.usage = 100 - budgets["instagram"].remaining
        error = errors.get("instagram") or errors.get("conversations") or (
            None if len(errors) == len(reads) else TransientError("Instagram polling stopped part way"))
        new_cursor = {**state.dump(), "dms": dms.dump()}
        if not dms_first:
            new_cursor["dms_first"] = True
        return FetchResult(
            list(items.values()), new_cursor, complete=error is None, rate_limit=self._tightest_rate_limit(),
            rate_limits=budgets, identity=identity, error=error, requests=self._requests, posts=list(posts.values()),
        )

    def _read_media_comments(self, state, items, posts, now):
        """Comments of the media worth reading into `items`, within the budget. The error that stopped it, or None."""
        self._budget = "instagram"
        done = set()
        try:
            # Work the cursor knows of comes first (the ageing slot, reads under way), so every poll moves
            # something on even when the network fails every other call; then the listing shows what is new.
            for media_id in state.known_work(now):
                done.add(media_id)
                self._read_media(state, media_id, posts, items, now)
            self._list_media(state, posts)
            for media_id in state.plan(now):
                if media_id not in done:
                    done.add(media_id)
                    self._read_media(state, media_id, posts, items, now)
        except BudgetSpent:
            return None
        except ConnectorError as exc:
            return exc
        return None

    def _list_media(self, state, posts):
        args = self._args(fields=MEDIA_FIELDS, limit=MEDIA_PAGE_SIZE)
        for _ in range(MAX_MEDIA_PAGES):
            page = self._get(self.ig_user_id, "media", args)
            for media in page.get("data") or []:
                post = media_post(media)
                if post is None:
                    continue
                posts[post.external_id] = post
                posted = int(post.posted_at.timestamp()) if post.posted_at else None
                state.saw_media(post.external_id, post.comments_count, posted)
            after = next_after(page)
            if after is None or self._allowed is not None and self._requests >= self._allowed - 1:
                return
            args = dict(args, after=after)

    def _read_media(self, state, media_id, posts, items, now):
        """Read `media_id`'s comments as its ReadPlan says, page by page, moving the cursor after each page."""
        if self._allowed is not None and self._requests >= self._allowed:
            raise BudgetSpent()
        post = posts.get(media_id) or InboundPost(media_id)
        plan = state.start_read(media_id)
        args = self._args(fields=COMMENT_FIELDS, limit=COMMENTS_PAGE_SIZE)
        if plan.after:
            args["after"] = plan.after
        for _ in range(MAX_PAGES_PER_READ):
            try:
                page = self._get(media_id, "comments", args)
            except ObjectMissing:
                state.forget(media_id)  # the media was deleted
                return
            except ConnectorError as exc:
                if args.get("after") and exc.code == 100 and not isinstance(exc, (RateLimited, AuthError)):
                    state.restart(media_id)  # Graph no longer takes that cursor
                raise
            found, newest, reached = self._take_page(state, media_id, plan, post, page, items)
            after = next_after(page)
            state.read_page(media_id, found=found, newest=newest, next_after=after)
            if reached or after is None:
                if state.finished(media_id, now):
                    return
                plan = state.start_read(media_id)  # the count is not explained: the whole media again
                args = self._args(fields=COMMENT_FIELDS, limit=COMMENTS_PAGE_SIZE)
                continue
            args = dict(args, after=after)
        raise TransientError("Instagram listed more comments than one read follows")

    def _take_page(self, state, media_id, plan, post, page, items):
        """Add a comments page's comments and replies to `items`. Returns (how many are newer than what earlier
        reads saw, the newest one's time, whether the page reached comments read before)."""
        found, newest, reached = 0, None, False
        # Down to what earlier reads saw (a new reply on an older comment included); a whole re-read, everything
        # within the backfill window (ingest knows what it has).
        emit_since = plan.emit_since if plan.full else max(plan.stop_before, plan.emit_since)
        for comment in page.get("data") or []:
            if not isinstance(comment, dict) or not comment.get("id"):
                continue
            for payload in [comment, *self._replies(comment)]:
                item = comment_item(payload, post, self.ig_user_id)
                at = _unix(payload.get("timestamp"))
                if item is not None and (at is None or at >= emit_since):
                    items.setdefault(item.external_id, item)
                if at is not None:
                    newest = max(newest or 0, at)
                    found += state.seen_comment(media_id, at)
            created = _unix(comment.get("timestamp"))
            if not plan.full and created is not None and created < plan.stop_before:
                reached = True  # newest first: everything further down was read before
        return found, newest, reached

    def _replies(self, comment):
        """A top-level comment's replies: the nested ones, and the rest through /{comment-id}/replies."""
        replies = replies_of(comment)
        block = comment.get("replies") if isinstance(comment.get("replies"), dict) else {}
        after = next_after(block)
        if after is None and len(replies) < NESTED_REPLIES:
            return replies
        args = self._args(fields=REPLY_FIELDS, limit=NESTED_REPLIES)
        if after:
            args["after"] = after
            seen = {r["id"] for r in replies}
        else:
            replies, seen = [], set()  # a full nested block without a cursor: read them all again
        for _ in range(MAX_PAGES_PER_READ):
            page = self._get(str(comment["id"]), "replies", args)
            for reply in page.get("data") or []:
                if isinstance(reply, dict) and reply.get("id") and reply["id"] not in seen:
                    seen.add(reply["id"])
                    replies.append(dict(reply, parent_id=reply.get("parent_id") or comment["id"]))
            after = next_after(page)
            if after is None:
                return replies
            args = dict(args, after=after)
        return replies

    def _read_dms(self, state, items):
        """The account's Instagram DMs into `items`, moving `state`. Returns the error that stopped it, or None."""
        if not self.page_id:
            return None  # no Page: no Conversations API (comments are still read)
        self._budget = "conversations"
        reader = MessengerReader(self.graph, self.page_id, call=self._call, args=self._args, missing=ObjectMissing,
                                 state=state, items=items, pacer=self.pacer, platform="instagram",
                                 brand_id=self.ig_user_id)
        try:
            reader.read()
        except ConnectorError as exc:
            if isinstance(exc, RateLimited) and exc.reset_at is None and exc.code == 613:
                exc.reset_at = datetime.now(timezone.utc) + timedelta(seconds=1)  # calls per second
            if isinstance(exc, RateLimited):
                self._rate_limits.setdefault("conversations", []).append(
                    RateLimit(limit=100, remaining=0, reset_at=exc.reset_at))
            return exc
        return None

    def _get(self, node, edge, args):
        """One page of an edge, within the fetch's budget."""
        if self._allowed is not None and self._requests >= self._allowed:
            raise BudgetSpent()
        page = self._call(lambda: self.graph.get_connections(node, edge, **args))
        if not isinstance(page, dict):
            raise TransientError(f"Instagram sent a malformed {edge} page")
        return page

    # ------------------------------------------------------------ follow-ups (push)

    def read_mentioned_comment(self, comment_id, media_id=None):
        """The item for a comment that mentions the brand (a `mentions` webhook's comment_id), or None."""
        self._start("instagram")
        user = self._user_field(f"mentioned_comment.comment_id({comment_id}){{{MENTIONED_COMMENT_FIELDS}}}")
        comment = user.get("mentioned_comment")
        if isinstance(comment, dict) and media_id and not comment.get("media"):
            comment = dict(comment, media={"id": media_id})
        return mentioned_comment_item(comment, self.ig_user_id)

    def read_mentioned_media(self, media_id):
        """The item for someone else's media whose caption mentions the brand, or None."""
        self._start("instagram")
        user = self._user_field(f"mentioned_media.media_id({media_id}){{{MENTIONED_MEDIA_FIELDS}}}")
        return caption_mention_item(user.get("mentioned_media"), self.ig_user_id)

    def read_media(self, media_id):
        """The InboundPost of one of the account's own media, or None when it is gone."""
        self._start("instagram")
        try:
            media = self._call(lambda: self.graph.get_object(media_id, **self._args(fields=MEDIA_FIELDS)))
        except ObjectMissing:
            return None
        return media_post(media)

    def _user_field(self, fields):
        if not self.ig_user_id:
            self.identify()
        try:
            user = self._call(lambda: self.graph.get_object(self.ig_user_id, **self._args(fields=fields)))
        except ObjectMissing:
            return {}
        return user if isinstance(user, dict) else {}

    # --------------------------------------------------------------- reply

    def send_reply(self, in_reply_to, text, *, target=None):
        self._start("instagram")
        if not self.ig_user_id:
            self.identify()
        if target is not None and target.mention:
            media_id = target.post_id or in_reply_to
            args = {"media_id": media_id, "message": text}
            if str(target.external_id) != str(media_id):
                args["comment_id"] = target.external_id  # not the caption itself
            request = lambda: self.graph.put_object(self.ig_user_id, "mentions", **self._args(**args))  # noqa: E731
        else:
            node = in_reply_to
            if target is not None and target.parent_id and target.parent_id != target.post_id:
                node = target.parent_id  # a reply to a reply goes on its top-level comment
            request = lambda: self.graph.put_object(node, "replies", **self._args(message=text))  # noqa: E731
        try:
            result = self._call(request, sending=True)
        finally:
            self.last_rate_limits = self._budgets()
        comment_id = result.get("id") if isinstance(result, dict) else None
        if not comment_id:
            raise TransientError("Instagram accepted the reply but sent back no comment id")
        return SentReply(str(comment_id), created_at=None, raw=dict(result))

    def _refused_send(self, code, subcode, message):
        lowered = message.lower()
        reason = None
        if code == 100 and subcode == 33 or "does not exist" in lowered or "deleted" in lowered:
            reason = "comment_deleted"
        elif "hidden" in lowered:
            reason = "comment_hidden"
        elif "live" in lowered:
            reason = "live_comment"
        elif "comment" in lowered and ("disabled" in lowered or "turned off" in lowered or " off" in lowered):
            reason = "comments_disabled"
        return RejectedError(f"Instagram refused the reply: {message}", code=code, reason=reason)

    # ------------------------------------------------------------ moderation

    def hide(self, external_id, hidden=True):
        self._moderate("instagram", "hide", self._node_request(external_id, "POST", hide="true" if hidden else "false"))
        return ModerationResult(str(external_id), hidden=bool(hidden))

    def delete(self, external_id):
        self._moderate("instagram", "delete", self._node_request(external_id, "DELETE"))
        return ModerationResult(str(external_id), deleted=True)

    def like(self, external_id):
        """A like by the brand's Instagram account (POST /{ig-user-id}/likes comment_id=; no effect when liked)."""
        self._moderate("instagram", "like", self._node_request(
            f"{self._ig_user()}/likes", "POST", comment_id=str(external_id)))
        return ModerationResult(str(external_id), liked=True)

    def unlike(self, external_id):
        self._moderate("instagram", "unlike", self._node_request(
            f"{self._ig_user()}/likes", "DELETE", comment_id=str(external_id)))
        return ModerationResult(str(external_id), liked=False)

    def _ig_user(self):
        return self.ig_user_id or self.identify().external_id

    # ------------------------------------------------------------ DMs

    def send_private(self, recipient_id, text, *, human_agent=False):
        """An Instagram DM through the Page's Send API."""
        return self._send_api({"id": str(recipient_id)}, text, self._message_kind(human_agent))

    def send_private_reply(self, comment_id, text):
        """A Private Reply to a comment: a DM to its author (once per comment; it does not open the window)."""
        return self._send_api({"comment_id": str(comment_id)}, text, {"messaging_type": "RESPONSE"})

    def _messaging_page_id(self):
        if not self.page_id:
            raise RejectedError("Instagram DMs need the page_id of the Facebook Page the account is linked to")
        return self.page_id


def _unix(value):
    at = parse_graph_time(value)
    return int(at.timestamp()) if at is not None else None
