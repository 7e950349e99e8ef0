"""The sandbox's in-memory world: X accounts and tweets, Facebook pages, posts and comments.

One `SandboxNetwork` is shared by the API blueprints, the control endpoints
and the traffic generator; every change happens under `self.lock`. The API
layers (twitter_api, graph_api) only read it and turn refusals (`Refused`)
into each network's own error format.
"""
import random
import threading
from datetime import datetime, timedelta, timezone

from app.sandbox import personas
from app.sandbox.demo_accounts import numbered_brand
from app.sandbox.entities import (
    Comment,
    DMEvent,
    FacebookPage,
    PagePost,
    Tweet,
    XAccount,
    XUser,
    guess_lang,
)
from app.sandbox.faults import Fault, FaultBook
from app.sandbox.ids import SnowflakeIds
from app.sandbox.instagram import InstagramBook
from app.sandbox.messenger import MessengerBook
from app.sandbox.push import FacebookPushSender
from app.sandbox.ratelimit import FixedWindowLimiter
from app.sandbox.settings import merge_settings
from app.sandbox.stats import RequestStats

RANDOM_AUTHOR = object()  # inject_comment(author=RANDOM_AUTHOR): pick a customer


class Refused(Exception):
    """The network refuses a write. `reason` is one of: duplicate, parent_missing."""

    def __init__(self, reason, object_id=None):
        super().__init__(reason)
        self.reason = reason
        self.object_id = object_id


def now_utc():
    return datetime.now(timezone.utc)


def one_to_one_id(user_a, user_b):
    """X's id of the one-to-one DM conversation of two users: `{smaller}-{larger}`."""
    low, high = sorted((str(user_a), str(user_b)), key=int)
    return f"{low}-{high}"


def _tweet_order(tweet):
    return int(tweet.id)


def _fb_order(obj):
    return int(obj.id.rsplit("_", 1)[1])


class SandboxNetwork:
    def __init__(self, settings=None):
        self.base_settings = merge_settings(settings)
        self.lock = threading.RLock()
        self.limiter = FixedWindowLimiter()
        self.faults = FaultBook()
        self.stats = RequestStats()
        self.push = FacebookPushSender(self)  # Facebook webhooks to subscribed callbacks
        self.random = random.Random(self.base_settings.get("traffic_seed"))
        self.generation = 0  # bumped by reset(): requests started before it stop writing
        self.messenger = self.instagram = None
        self.reset()

    # ----------------------------------------------------------------- state

    def reset(self, settings=None):
        """Back to the seeded state; `settings` overrides the app's settings until the next reset."""
        with self.lock:
            self.settings = merge_settings(settings, self.base_settings)
            self.generation += 1
            # A fresh id clock too: ids follow real time again even if a test travelled into the future.
            self.ids = SnowflakeIds()
            self.x_users, self.x_accounts, self.tweets = {}, {}, {}
            self.pages, self.posts, self.comments = {}, {}, {}
            self.dm_events, self.dm_conversations = {}, {}  # id -> DMEvent; conversation id -> participant ids
            self.api_replies = []
            self.moderation_log = []  # what the brands did through the APIs' moderation calls (note_moderation)
            self.messenger = MessengerBook(self)  # Messenger and Instagram conversations, Send API rules
            self.instagram = InstagramBook(self)  # Instagram accounts, media, comments, mentions
            self.limiter.clear()
            self.faults.clear()
            self.stats.clear()
            for credentials in self.settings["x_accounts"]:
                self.add_x_account(credentials)
            for page in self.settings["facebook_pages"]:
                self.add_page(page)
            for account in self.settings["instagram_accounts"]:
                if str(account["page_id"]) in self.pages:  # linked to a seeded page, or not there at all
                    self.add_instagram_account(account)
            self.push.reset(self.settings["facebook_push_subscriptions"])

    def add_x_account(self, credentials):
        with self.lock:
            user = XUser(
                id=str(credentials["user_id"]), username=credentials["username"], name=credentials["name"],
                followers_count=credentials.get("followers_count", 12800), following_count=210,
                tweet_count=4200, verified=True, description="Official support account (sandbox).",
                created_at=datetime(2022, 3, 1, 9, 0, tzinfo=timezone.utc),
            )
            self.x_users[user.id] = user
            account = XAccount(
                user, credentials["bearer_token"], credentials["consumer_key"], credentials["consumer_secret"],
                credentials["access_token"], credentials["access_token_secret"],
            )
            self.x_accounts[user.id] = account
            return account

    def add_page(self, config):
        with self.lock:
            page = FacebookPage(
                id=str(config["page_id"]), name=config["name"], access_token=config["page_access_token"],
                app_id=str(config.get("app_id", "sandbox-app")), app_secret=config["app_secret"], fan_count=5400,
            )
            self.pages[page.id] = page
            posts = self.settings.get("page_posts") or []
            for age, message in zip(range(len(posts), 0, -1), posts):
                self.publish_post(page.id, message, created_time=now_utc() - timedelta(hours=age))
            return page

    def add_instagram_account(self, config, seed_media=True):
        """An Instagram professional account linked to page `config["page_id"]` (registered first if new)."""
        with self.lock:
            if str(config["page_id"]) not in self.pages:
                self.add_page({**config, "name": f"{config['name']} Page"})
            return self.instagram.add_account(config, seed_media=seed_media)

    def add_brands(self, network, count, first=1):
        """Register numbered brands `first`..`first + count - 1` on "twitter", "facebook" or "instagram"
        (demo_accounts.numbered_brand); returns their credentials. Registered ones are kept as they are."""
        brands = [numbered_brand(network, number) for number in range(first, first + count)]
        with self.lock:
            for brand in brands:
                if network == "twitter" and brand["user_id"] not in self.x_accounts:
                    self.add_x_account(brand)
                elif network == "facebook" and brand["page_id"] not in self.pages:
                    self.add_page(brand)
                elif network == "instagram" and brand["ig_user_id"] not in self.instagram.accounts:
                    self.add_instagram_account(brand)
        return brands

    # ------------------------------------------------------------ credentials

    def x_account_by_bearer(self, token):
        return next((a for a in self.x_accounts.values() if token and a.bearer_token == token), None)

    def x_account_by_oauth(self, consumer_key, access_token):
        return next(
            (a for a in self.x_accounts.values() if a.consumer_key == consumer_key and a.access_token == access_token),
            None,
        )

    def page_by_token(self, token):
        return next((p for p in self.pages.values() if token and p.access_token == token), None)

    # ---------------------------------------------------------------------- X

    def customer(self, author=None):
        """The X user described by `author` (created or refreshed), or a random recurring customer."""
        with self.lock:
            if not author:
                author = personas.random_x_customer(self.random)
            user_id = str(author.get("id") or self.ids.next())
            user = self.x_users.get(user_id)
            if user is None:
                user = XUser(id=user_id, username=author.get("username") or f"user{user_id[-6:]}",
                             name=author.get("name") or author.get("username") or "X user",
                             created_at=datetime(2019, 6, 1, tzinfo=timezone.utc),
                             receives_your_dm=author.get("receives_your_dm", True))  # later: PATCH x-users
                self.x_users[user_id] = user
            for attr in ("username", "name", "followers_count"):
                if author.get(attr) is not None:
                    setattr(user, attr, author[attr])
            return user

    def inject_tweet(self, account, text, *, author=None, in_reply_to=None, created_at=None, minimal=False, lang=None):
        """A customer tweet mentioning the brand `account` (or answering `in_reply_to`)."""
        with self.lock:
            brand = self.x_accounts[str(account)].user
            parent = self._live_tweet(in_reply_to) if in_reply_to else None
            if in_reply_to and parent is None:
                raise Refused("parent_missing", in_reply_to)
            user = self.customer(author)
            return self._add_tweet(user, text, parent, created_at, minimal=minimal, lang=lang, mention=brand.id)

    def post_brand_tweet(self, account, text, *, in_reply_to=None, via_api=False, created_at=None):
        """The brand tweets (a reply when `in_reply_to`): through the API (Carebox) or natively (then it may
        be backdated to `created_at`)."""
        with self.lock:
            brand = self.x_accounts[str(account)].user
            parent = self._live_tweet(in_reply_to) if in_reply_to else None
            if in_reply_to and parent is None:
                raise Refused("parent_missing", in_reply_to)
            if any(t.author_id == brand.id and t.text == text and not t.deleted for t in self.tweets.values()):
                raise Refused("duplicate")
            tweet = self._add_tweet(brand, text, parent, None if via_api else created_at, via_api=via_api)
            if via_api:
                self._log_api_reply("twitter", brand.id, tweet.id, text, in_reply_to, tweet.created_at)
            return tweet

    def _live_tweet(self, tweet_id):
        tweet = self.tweets.get(str(tweet_id))
        return tweet if tweet and not tweet.deleted else None

    def _add_tweet(self, author, text, parent, created_at, *, minimal=False, lang=None, mention=None, via_api=False):
        tweet_id = str(self.ids.at(created_at) if created_at else self.ids.next())
        mentions = {u.id for u in self.x_users.values() if f"@{u.username}".lower() in text.lower()}
        if mention:
            mentions.add(mention)
        if parent is not None and parent.author_id:
            mentions.add(parent.author_id)
        mentions.discard(author.id)
        tweet = Tweet(
            id=tweet_id, text=text, author_id=author.id, created_at=created_at or now_utc(),
            conversation_id=parent.conversation_id if parent else tweet_id, lang=lang or guess_lang(text),
            in_reply_to_tweet_id=parent.id if parent else None,
            in_reply_to_user_id=parent.author_id if parent else None,
            mention_ids=mentions, minimal=minimal, via_api=via_api,
        )
        self.tweets[tweet_id] = tweet
        author.tweet_count += 1
        return tweet

    def mentions(self, user_id):
        """Live tweets mentioning `user_id` by others, newest first."""
        with self.lock:
            found = [t for t in self.tweets.values() if not t.deleted and user_id in t.mention_ids]
        return sorted(found, key=_tweet_order, reverse=True)

    def user_tweets(self, user_id):
        with self.lock:
            found = [t for t in self.tweets.values() if not t.deleted and t.author_id == user_id]
        return sorted(found, key=_tweet_order, reverse=True)

    def reply_count(self, tweet_id):
        with self.lock:
            return sum(1 for t in self.tweets.values() if t.in_reply_to_tweet_id == tweet_id and not t.deleted)

    # ------------------------------------------------------------------ X DMs

    def inject_dm(self, account, text, *, author=None, created_at=None):
        """A customer (`author`, or a random one) sends the brand `account` a direct message."""
        with self.lock:
            brand = self.x_accounts[str(account)].user
            user = self.customer(author)
            return self._add_dm(one_to_one_id(brand.id, user.id), user.id, text, created_at)

    def send_brand_dm(self, account, text, *, participant_id=None, conversation_id=None, via_api=False,
                      created_at=None):
        """The brand DMs `participant_id` (the 1-1 conversation, created or reused) or adds to `conversation_id`:
        through the API (Carebox) or natively (then it may be backdated to `created_at`).

        Refused reasons: recipient_missing, conversation_missing, not_accepting (receives_your_dm is False).
        """
        with self.lock:
            brand = self.x_accounts[str(account)].user
            if conversation_id is None:
                recipient = self.x_users.get(str(participant_id))
                if recipient is None or recipient.id == brand.id:
                    raise Refused("recipient_missing", participant_id)
                conversation_id = one_to_one_id(brand.id, recipient.id)
            participants = self.dm_participants(conversation_id)
            if brand.id not in participants:
                raise Refused("conversation_missing", conversation_id)
            if any(not self.x_users[uid].receives_your_dm for uid in participants - {brand.id} if uid in self.x_users):
                raise Refused("not_accepting", conversation_id)
            event = self._add_dm(conversation_id, brand.id, text, None if via_api else created_at, via_api=via_api)
            if via_api:
                self._log_api_reply("twitter", brand.id, event.id, text, None, event.created_at)
            return event

    def dm_membership(self, conversation_id, sender_id, participant_id, *, joined=True, created_at=None):
        """`sender_id` adds (or removes) `participant_id` in a group conversation, created if new."""
        with self.lock:
            participants = self.dm_conversations.setdefault(str(conversation_id), {str(sender_id)})
            (participants.add if joined else participants.discard)(str(participant_id))
            event = DMEvent(
                id=str(self.ids.at(created_at) if created_at else self.ids.next()),
                event_type="ParticipantsJoin" if joined else "ParticipantsLeave",
                dm_conversation_id=str(conversation_id), sender_id=str(sender_id),
                created_at=created_at or now_utc(), participant_ids=[str(participant_id)],
            )
            self.dm_events[event.id] = event
            return event

    def dm_participants(self, conversation_id):
        """Who is in a conversation: a 1-1 id names its two users; group members come from join/leave events."""
        with self.lock:
            if conversation_id in self.dm_conversations:
                return set(self.dm_conversations[conversation_id])
        first, dash, second = str(conversation_id).partition("-")
        if dash and first.isdigit() and second.isdigit() and int(first) < int(second):
            return {first, second}
        return set()

    def dm_events_of(self, user_id, conversation_id=None):
        """The DM events of conversations `user_id` is in (or of one of them), newest first."""
        with self.lock:
            found = [e for e in self.dm_events.values()
                     if (conversation_id is None or e.dm_conversation_id == conversation_id)
                     and user_id in self.dm_participants(e.dm_conversation_id)]
        return sorted(found, key=_tweet_order, reverse=True)

    def _add_dm(self, conversation_id, sender_id, text, created_at, *, via_api=False):
        event = DMEvent(
            id=str(self.ids.at(created_at) if created_at else self.ids.next()), event_type="MessageCreate",
            dm_conversation_id=conversation_id, sender_id=sender_id, created_at=created_at or now_utc(),
            text=text, via_api=via_api,
        )
        self.dm_events[event.id] = event
        return event

    # --------------------------------------------------------------- Facebook

    def publish_post(self, page_id, message, *, created_time=None):
        with self.lock:
            page = self.pages[str(page_id)]
            when = created_time or now_utc()
            post = PagePost(id=f"{page.id}_{self.ids.at(when)}", page_id=page.id, message=message,
                            created_time=when, updated_time=when)
            self.posts[post.id] = post
            return post

    def latest_post(self, page_id):
        return next(iter(self.feed(page_id)), None)

    def inject_comment(self, page_id, text, *, post_id=None, parent_id=None, author=RANDOM_AUTHOR, created_at=None):
        """A customer comment on a page post (or a reply to comment `parent_id`). author=None: no `from`."""
        with self.lock:
            page = self.pages[str(page_id)]
            if author is RANDOM_AUTHOR:
                author = personas.random_facebook_customer(self.random, self.settings["anonymous_comment_share"])
            target_id = parent_id or post_id or getattr(self.latest_post(page.id), "id", None)
            target = self._live_object(target_id, page.id)
            if target is None:
                raise Refused("parent_missing", target_id)
            author = {"id": str(author["id"]), "name": author.get("name")} if author else None
            return self._add_comment(target, text, author, created_at)

    def post_page_comment(self, page_id, object_id, message, *, via_api=False):
        """The page comments on a post or replies to a comment: through the API (Carebox) or natively."""
        with self.lock:
            page = self.pages[str(page_id)]
            target = self._live_object(object_id, page.id)
            if target is None:
                raise Refused("parent_missing", object_id)
            comment = self._add_comment(target, message, {"id": page.id, "name": page.name}, None, via_api=via_api)
            if via_api:
                self._log_api_reply("facebook", page.id, comment.id, message, object_id, comment.created_time)
            return comment

    def _live_object(self, object_id, page_id):
        """A live post or comment belonging to `page_id`."""
        obj = self.posts.get(str(object_id)) or self.comments.get(str(object_id))
        if obj is None or obj.deleted:
            return None
        post = obj if isinstance(obj, PagePost) else self.posts.get(obj.post_id)
        return obj if post is not None and post.page_id == page_id and not post.deleted else None

    def _add_comment(self, target, message, author, created_at, *, via_api=False):
        if isinstance(target, PagePost):
            post, parent_id = target, None
        else:
            # Facebook threads one level deep: a reply to a reply joins the top-level comment.
            post, parent_id = self.posts[target.post_id], target.parent_id or target.id
        comment = Comment(
            id=f"{post.number}_{self.ids.at(created_at) if created_at else self.ids.next()}", post_id=post.id,
            message=message, author=author, created_time=created_at or now_utc(), parent_id=parent_id, via_api=via_api,
        )
        self.comments[comment.id] = comment
        post.updated_time = max(post.updated_time, comment.created_time)  # what Graph's updated_time shows
        self.push.comment_added(self.pages[post.page_id], post, comment)
        return comment

    def feed(self, page_id):
        """The page's live posts, newest first."""
        with self.lock:
            found = [p for p in self.posts.values() if p.page_id == page_id and not p.deleted]
        return sorted(found, key=_fb_order, reverse=True)

    def comments_of(self, obj, *, stream=False):
        """Live comments under a post (top-level only unless `stream`) or replies to a comment, oldest first."""
        with self.lock:
            if isinstance(obj, PagePost):
                found = [c for c in self.comments.values()
                         if c.post_id == obj.id and (stream or c.parent_id is None)]
            else:
                found = [c for c in self.comments.values() if c.parent_id == obj.id]
        return sorted((c for c in found if not c.deleted), key=_fb_order)

    def find_object(self, object_id):
        """A live post or comment by id, with the page it belongs to."""
        with self.lock:
            obj = self.posts.get(object_id) or self.comments.get(object_id)
            if obj is None or obj.deleted:
                return None, None
            post = obj if isinstance(obj, PagePost) else self.posts.get(obj.post_id)
            if post is None or post.deleted:
                return None, None
            return obj, self.pages.get(post.page_id)

    # --------------------------------------------------------------- shared

    def delete(self, object_id):
        """Delete a tweet, page post or comment. Returns what it was, or None if unknown."""
        with self.lock:
            for kind, table in (("tweet", self.tweets), ("post", self.posts), ("comment", self.comments)):
                obj = table.get(str(object_id))
                if obj is not None and not obj.deleted:
                    obj.deleted = True
                    return kind
        return None

    def _log_api_reply(self, network, account, reply_id, text, in_reply_to, created_at):
        self.api_replies.append({
            "network": network, "account": account, "id": reply_id, "text": text,
            "in_reply_to": str(in_reply_to) if in_reply_to else None, "created_at": created_at.isoformat(),
        })

    def note_moderation(self, network, account, action, object_id):
        """Record a moderation call that changed or confirmed a state (hide, unhide, delete, like, unlike)."""
        with self.lock:
            self.moderation_log.append({"network": network, "account": str(account), "action": action,
                                        "id": str(object_id), "at": now_utc().isoformat()})

    def moderation_state(self, object_id):
        """The moderation state of a tweet, Facebook comment or post, or Instagram comment, or None if unknown."""
        with self.lock:
            object_id = str(object_id)
            for network, table in (("twitter", self.tweets), ("facebook", self.comments), ("facebook", self.posts),
                                   ("instagram", self.instagram.comments)):
                obj = table.get(object_id)
                if obj is not None:
                    return {"id": object_id, "network": network, "hidden": bool(getattr(obj, "hidden", False)),
                            "deleted": obj.deleted, "liked_by": sorted(getattr(obj, "liked_by", ())),
                            "like_count": getattr(obj, "like_count", 0)}
        return None

    def replies(self, network=None, account=None):
        """Replies the brands sent through the API (what Carebox sent), newest first."""
        with self.lock:
            found = [r for r in self.api_replies
                     if network in (None, r["network"]) and account in (None, r["account"])]
        return list(reversed(found))

    def add_fault(self, kind, *, count=1, network=None, path_contains=None, delay=None, skip=0, every=None,
                  duration=None, code=None, status=None, overlap=1, retry_after=None):
        """Make the next `count` matching requests (after `skip` of them) fail, or every `every`-th one
        (count=None: until `duration` seconds have passed, or for good); see app/sandbox/faults.py."""
        number = lambda value, kind=float: None if value is None else kind(value)  # noqa: E731
        return self.faults.add(Fault(
            str(kind), number(count, int), network, path_contains, number(delay), int(skip), number(every, int),
            number(duration), number(code, int), number(status, int), int(overlap), number(retry_after),
        ))

    def clear_faults(self):
        self.faults.clear()
