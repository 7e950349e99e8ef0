"""The traffic generator: customers writing to the brand at a configurable rate.

Events arrive as a Poisson process (`rate` per minute), split between the X
account (mentions) and the Facebook Page (comments). Recurring customers
write in their own language; some posts continue a thread, often answering
the brand's reply, and the page now and then publishes a new post.

The private half (shares in settings.py, `traffic_*`): customers who wrote
publicly move to direct messages and write there (X: a DM into their
one-to-one conversation with the brand, only those whose receives_your_dm
lets the brand answer; Facebook: Messenger, including the answer to a
Private Reply), others write only in private, and now and then the brand
answers a waiting DM natively, outside Carebox (X: a DM from the X app;
Messenger: a Page-inbox message, whose echo carries the Page inbox app id).

Instagram (traffic_instagram.py; `traffic_instagram_share` of public and of private events): comments and
replies on the brand's media, mentions elsewhere, DMs, and the brand's native answers.

Waves (traffic_waves.py; `traffic_wave_rate` an hour): a spam wave or a complaint burst now and then.
"""
import logging
import random
import threading
from datetime import datetime, timedelta, timezone

from app.sandbox.messenger import STANDARD_WINDOW
from app.sandbox.network import Refused
from app.sandbox.personas import PERSONAS, random_persona
from app.sandbox.traffic_instagram import InstagramTraffic
from app.sandbox.traffic_waves import TrafficWaves
from app.sandbox.phrases import (
    ADDRESSES,
    BRAND_PRIVATE_ANSWERS,
    EMOJI,
    LANGUAGE_WEIGHTS,
    PAGE_POSTS,
    PHRASES,
    PRIVATE_PHRASES,
)

log = logging.getLogger(__name__)

NEW_POST_KINDS = {"complaint": 45, "question": 35, "praise": 20}
THREAD_REPLY_SHARE = 0.3  # posts that continue an existing thread
PAGE_POST_SHARE = 0.04  # Facebook events that are a new page post instead of a comment
PRIVATE_FOLLOW_UP_SHARE = 0.4  # DMs (not from a customer moving to private) that continue a private conversation
ANSWER_PRIVATE_REPLY_SHARE = 0.7  # Messenger DMs that answer the page's Private Reply, when one waits

_BY_X_ID = {p.x_user["id"]: p for p in PERSONAS}
_BY_FACEBOOK_ID = {p.facebook_user["id"]: p for p in PERSONAS}


class TrafficGenerator:
    def __init__(self, network, rate=0.0, seed=None):
        self.network = network
        self.rate = float(rate or 0)
        self.enabled = self.rate > 0
        self.generated = 0
        self.rng = random.Random(seed)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = None
        self.instagram = InstagramTraffic(self)
        self.waves = TrafficWaves(self)  # spam waves and complaint bursts now and then (traffic_waves.py)

    # ------------------------------------------------------------- control

    def start(self):
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="sandbox-traffic", daemon=True)
            self._thread.start()

    def stop(self):
        with self._lock:
            thread, self._thread = self._thread, None
        self._stopping.set()
        self._wake.set()
        if thread is not None:
            thread.join(timeout=5)

    def configure(self, rate=None, enabled=None):
        with self._lock:
            if rate is not None:
                self.rate = float(rate)
            if enabled is not None:
                self.enabled = bool(enabled)
        self._wake.set()  # let the loop draw its next wait with the new rate
        if self.enabled and self.rate > 0:
            self.start()

    def status(self):
        running = self._thread is not None and self._thread.is_alive()
        return {"rate": self.rate, "enabled": self.enabled, "running": running, "generated": self.generated,
                "wave_rate": self.network.settings["traffic_wave_rate"], "waves": self.waves.made}

    def _run(self):
        while not self._stopping.is_set():
            self._wake.clear()
            if not (self.enabled and self.rate > 0):
                self._wake.wait()
                continue
            if self._wake.wait(self.rng.expovariate(self.rate / 60.0)):
                continue  # reconfigured or stopping
            try:
                self.generate_one()
                self.waves.maybe()
            except Exception:  # a bad draw must not kill the generator
                log.exception("sandbox traffic generator failed to post")

    # ---------------------------------------------------------- generation

    def generate_one(self, created_at=None):
        """One event (now, or backdated to `created_at`): a customer's post or direct message, or the brand
        answering a direct message natively. Returns {"network", "channel", "id", "text", "kind"?}."""
        settings = self.network.settings
        draw = self.rng.random()
        native_share = settings["traffic_brand_native_share"]
        created = None
        if draw < native_share:
            created = self._brand_private_answer(created_at)
        elif draw < native_share + settings["traffic_private_share"]:
            created = self._private_message(created_at)
        if created is None:  # no DM waiting for an answer: a public post instead
            created = self._public_post(created_at)
        if created is not None:
            created.setdefault("channel", "public")
            self.generated += 1
        return created

    def _on_instagram(self):
        return self.network.instagram.accounts and self.rng.random() < self.network.settings["traffic_instagram_share"]

    def _public_post(self, created_at=None):
        if self._on_instagram():
            created = self.instagram.event(created_at)
            if created is not None:
                return created
        makers = []
        if self.network.x_accounts:
            makers.append(self._tweet)
        if self.network.pages:
            makers.append(self._facebook_event)
        if not makers:
            return None
        return self.rng.choice(makers)(created_at)

    def backlog(self, minutes_ago):
        """Customer posts written `minutes_ago` (a list) before now: a demo opens on a queue with history."""
        now = datetime.now(timezone.utc)
        return [self.generate_one(created_at=now - timedelta(minutes=m)) for m in sorted(minutes_ago, reverse=True)]

    def _text(self, lang, kind):
        text = self.rng.choice(PHRASES[lang][kind]).replace("{order}", str(self.rng.randint(100000, 999999)))
        if self.rng.random() < 0.6:
            text += " " + "".join(self.rng.choices(EMOJI[kind], k=self.rng.choice((1, 1, 2))))
        return text

    def _new_post_kind(self):
        return self.rng.choices(list(NEW_POST_KINDS), weights=list(NEW_POST_KINDS.values()))[0]

    def _tweet(self, created_at=None):
        network = self.network
        brand = self.rng.choice(list(network.x_accounts.values())).user
        parent = self._recent_x_thread_post(brand) if self.rng.random() < THREAD_REPLY_SHARE else None
        if parent is not None:
            persona, kind = self._x_customer_of(parent, brand), "follow_up"
        else:
            persona, kind = random_persona(self.rng), self._new_post_kind()
        text = f"@{brand.username} {self._text(persona.lang, kind)}"
        author = _x_author(persona)
        try:
            tweet = network.inject_tweet(brand.id, text, author=author, created_at=created_at,
                                         in_reply_to=parent.id if parent else None, lang=persona.lang)
        except Refused:  # the parent was deleted meanwhile
            tweet = network.inject_tweet(brand.id, text, author=author, lang=persona.lang, created_at=created_at)
        return {"network": "twitter", "id": tweet.id, "text": tweet.text}

    def _recent_x_thread_post(self, brand):
        """A recent tweet in one of the brand's conversations, preferring the brand's own replies."""
        recent = self.network.mentions(brand.id)[:15] + self.network.user_tweets(brand.id)[:10]
        brand_replies = [t for t in recent if t.author_id == brand.id and t.in_reply_to_tweet_id]
        if brand_replies and self.rng.random() < 0.6:
            return self.rng.choice(brand_replies)
        return self.rng.choice(recent) if recent else None

    def _x_customer_of(self, parent, brand):
        """Who follows up on `parent`: the customer it was written by or addressed to."""
        customer_id = parent.in_reply_to_user_id if parent.author_id == brand.id else parent.author_id
        persona = _BY_X_ID.get(customer_id)
        if persona is None or self.rng.random() < 0.15:  # now and then someone else joins in
            persona = random_persona(self.rng)
        return persona

    def _facebook_event(self, created_at=None):
        network = self.network
        page = self.rng.choice(list(network.pages.values()))
        posts = network.feed(page.id)[:3]
        if not posts or (created_at is None and self.rng.random() < PAGE_POST_SHARE):
            lang = self.rng.choices(list(LANGUAGE_WEIGHTS), weights=[5, 2, 1, 1])[0]
            post = network.publish_post(page.id, self.rng.choice(PAGE_POSTS[lang]))
            return {"network": "facebook", "id": post.id, "text": post.message, "page_post": True}
        parent = self._recent_comment(page, posts) if self.rng.random() < THREAD_REPLY_SHARE else None
        if parent is not None:
            persona, kind = self._facebook_customer_of(parent, page), "follow_up"
        else:
            persona, kind = random_persona(self.rng), self._new_post_kind()
        anonymous = self.rng.random() < network.settings["anonymous_comment_share"]
        author = None if anonymous else persona.facebook_user
        # Newer posts draw more comments.
        post = self.rng.choices(posts, weights=[6, 3, 1][:len(posts)])[0]
        try:
            comment = network.inject_comment(page.id, self._text(persona.lang, kind), post_id=post.id,
                                             parent_id=parent.id if parent else None, author=author, created_at=created_at)
        except Refused:
            comment = network.inject_comment(page.id, self._text(persona.lang, kind), post_id=post.id, author=author,
                                             created_at=created_at)
        return {"network": "facebook", "id": comment.id, "text": comment.message}

    def _recent_comment(self, page, posts):
        comments = [c for post in posts for c in self.network.comments_of(post, stream=True)][-20:]
        from_page = [c for c in comments if c.author and c.author["id"] == page.id]
        if from_page and self.rng.random() < 0.6:
            return self.rng.choice(from_page)
        return self.rng.choice(comments) if comments else None

    def _facebook_customer_of(self, parent, page):
        author = parent.author
        if author and author["id"] == page.id and parent.parent_id:
            author = (self.network.comments.get(parent.parent_id) or parent).author
        persona = _BY_FACEBOOK_ID.get((author or {}).get("id"))
        if persona is None or self.rng.random() < 0.15:
            persona = random_persona(self.rng)
        return persona

    # ------------------------------------------------------ private messages

    def _private_message(self, created_at=None):
        if self._on_instagram():
            return self.instagram.direct_message(created_at)
        makers = []
        if self.network.x_accounts:
            makers.append(self._x_dm)
        if self.network.pages:
            makers.append(self._messenger_message)
        if not makers:
            return None
        return self.rng.choice(makers)(created_at)

    def _private_text(self, lang, kind):
        address = self.rng.choice(ADDRESSES[lang]).replace("{n}", str(self.rng.randint(1, 120)))
        return (self.rng.choice(PRIVATE_PHRASES[lang][kind])
                .replace("{order}", str(self.rng.randint(100000, 999999))).replace("{address}", address))

    def _private_writer(self, public, private, can_write):
        """Who writes a DM, and which kind of DM: someone who wrote publicly moving to private ("moved"),
        someone continuing their private conversation ("private_follow_up"), or someone new who writes only
        in private ("private"). `public`, `private`: the personas seen in each; `can_write(persona)`."""
        movers = [p for p in public if p not in private and can_write(p)]
        if movers and self.rng.random() < self.network.settings["traffic_moved_share"]:
            return self.rng.choice(movers), "moved"
        private = [p for p in private if can_write(p)]
        if private and self.rng.random() < PRIVATE_FOLLOW_UP_SHARE:
            return self.rng.choice(private), "private_follow_up"
        persona = random_persona(self.rng)
        if not can_write(persona):
            persona = self.rng.choice([p for p in PERSONAS if p.lang == persona.lang and can_write(p)])
        return persona, "private"

    def _x_accepts_dms(self, persona):
        """Whether the brand may answer `persona` by DM: X's receives_your_dm (changed by PATCH x-users)."""
        user = self.network.x_users.get(persona.x_user["id"])
        return user.receives_your_dm if user is not None else persona.accepts_dms

    def _x_dm(self, created_at=None):
        """A customer's DM into their one-to-one conversation with the brand. Only customers the brand can answer
        by DM (receives_your_dm) write: the others stay public, where the composer explains why."""
        network = self.network
        brand = self.rng.choice(list(network.x_accounts.values())).user
        public = _unique(_BY_X_ID.get(t.author_id) for t in network.mentions(brand.id)[:30])
        private = _unique(_BY_X_ID.get(e.sender_id) for e in network.dm_events_of(brand.id)[:50]
                          if e.event_type == "MessageCreate")
        persona, kind = self._private_writer(public, private, self._x_accepts_dms)
        event = network.inject_dm(brand.id, self._private_text(persona.lang, kind), author=_x_author(persona),
                                  created_at=created_at)
        return {"network": "twitter", "channel": "private", "kind": kind, "id": event.id, "text": event.text}

    def _messenger_message(self, created_at=None):
        """A customer's Messenger message to the page: often the answer to the page's Private Reply."""
        network = self.network
        page = self.rng.choice(list(network.pages.values()))
        conversations = network.messenger.page_conversations(page.id)
        after_private_reply = [c for c in conversations if c.last_customer_time is None]
        if after_private_reply and self.rng.random() < ANSWER_PRIVATE_REPLY_SHARE:
            conversation = self.rng.choice(after_private_reply)
            persona = _BY_FACEBOOK_ID.get(conversation.customer["id"])
            sender, kind = dict(conversation.customer), "after_private_reply"
            text = self._private_text(persona.lang if persona else "en", "moved")
        else:
            commenters = [c.author["id"] for post in network.feed(page.id)[:3]
                          for c in network.comments_of(post, stream=True) if c.author]
            public = _unique(_BY_FACEBOOK_ID.get(author_id) for author_id in reversed(commenters))
            private = _unique(_BY_FACEBOOK_ID.get(c.customer["id"]) for c in conversations)
            persona, kind = self._private_writer(public, private, lambda persona: True)  # Messenger has no opt-out
            sender, text = persona.facebook_user, self._private_text(persona.lang, kind)
        message = network.messenger.customer_message(page.id, text, sender, created_at=created_at)
        return {"network": "facebook", "channel": "private", "kind": kind, "id": message.id, "text": message.text}

    def _brand_private_answer(self, created_at=None):
        """The brand answers a waiting DM natively, outside Carebox; None when no DM waits."""
        when = created_at or datetime.now(timezone.utc)
        waiting = self._x_waiting(when) + self._messenger_waiting(when) + self.instagram.waiting(when, STANDARD_WINDOW)
        if not waiting:
            return None
        network_name, owner_id, customer_id = self.rng.choice(waiting)
        if network_name == "instagram":  # from the Instagram app: the echo has is_echo
            sent = self.network.messenger.page_inbox_message(owner_id, customer_id,
                                                             self.instagram.answer_text(customer_id),
                                                             created_at=created_at)
            return {"network": "instagram", "channel": "private", "kind": "brand_native", "id": sent.id,
                    "text": sent.text}
        persona = (_BY_X_ID if network_name == "twitter" else _BY_FACEBOOK_ID).get(customer_id)
        text = self.rng.choice(BRAND_PRIVATE_ANSWERS[persona.lang if persona else "en"])
        if network_name == "twitter":
            try:
                sent = self.network.send_brand_dm(owner_id, text, participant_id=customer_id, created_at=created_at)
            except Refused:  # the customer stopped accepting DMs meanwhile
                return None
        else:
            sent = self.network.messenger.page_inbox_message(owner_id, customer_id, text, created_at=created_at)
        return {"network": network_name, "channel": "private", "kind": "brand_native", "id": sent.id,
                "text": sent.text}

    def _x_waiting(self, when):
        """(network, brand id, customer id) of X DM conversations whose last message is the customer's,
        written before `when`, that the brand may answer."""
        waiting = []
        for account in list(self.network.x_accounts.values()):
            brand_id, seen = account.user.id, set()
            for event in self.network.dm_events_of(brand_id):
                if event.event_type != "MessageCreate" or event.dm_conversation_id in seen:
                    continue
                seen.add(event.dm_conversation_id)
                customer = self.network.x_users.get(event.sender_id)
                if (event.sender_id != brand_id and event.created_at < when and customer is not None
                        and customer.receives_your_dm and "-" in event.dm_conversation_id):
                    waiting.append(("twitter", brand_id, event.sender_id))
        return waiting

    def _messenger_waiting(self, when):
        """(network, page id, PSID) of Messenger conversations whose last message is the customer's, inside
        the standard window at `when` (the page inbox would answer within it)."""
        waiting = []
        for page in list(self.network.pages.values()):
            for conversation in self.network.messenger.page_conversations(page.id):
                last = conversation.messages[-1]
                if not last.from_page and last.created_time < when <= last.created_time + STANDARD_WINDOW:
                    waiting.append(("facebook", page.id, conversation.customer["id"]))
        return waiting


def _x_author(persona):
    """The persona as the author of a generated post or DM; a new X user gets the persona's receives_your_dm."""
    return {**persona.x_user, "receives_your_dm": persona.accepts_dms}


def _unique(personas):
    """The personas (None: not a recurring customer, skipped), each once, in order."""
    return list(dict.fromkeys(p for p in personas if p is not None))
