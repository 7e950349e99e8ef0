"""The traffic generator: customers writing to the brand at a configurable rate.

Posts arrive as a Poisson process (`rate` posts per minute), split between
the X account (mentions) and the Facebook Page (comments). Recurring
customers write in their own language; some posts continue a thread, often
answering the brand's reply, and the page now and then publishes a new post.
"""
import logging
import random
import threading
from datetime import datetime, timedelta, timezone

from app.sandbox.network import Refused
from app.sandbox.personas import PERSONAS, random_persona
from app.sandbox.phrases import EMOJI, LANGUAGE_WEIGHTS, PAGE_POSTS, PHRASES

log = logging.getLogger(__name__)

NEW_POST_KINDS = {"complaint": 45, "question": 35, "praise": 20}
THREAD_REPLY_SHARE = 0.3  # posts that continue an existing thread
PAGE_POST_SHARE = 0.04  # Facebook events that are a new page post instead of a comment

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
        return {"rate": self.rate, "enabled": self.enabled, "running": running, "generated": self.generated}

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
            except Exception:  # a bad draw must not kill the generator
                log.exception("sandbox traffic generator failed to post")

    # ---------------------------------------------------------- generation

    def generate_one(self, created_at=None):
        """Post one customer message (now, or backdated to `created_at`). Returns {"network", "id", "text"}."""
        makers = []
        if self.network.x_accounts:
            makers.append(self._tweet)
        if self.network.pages:
            makers.append(self._facebook_event)
        if not makers:
            return None
        created = self.rng.choice(makers)(created_at)
        self.generated += 1
        return created

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
        try:
            tweet = network.inject_tweet(brand.id, text, author=persona.x_user, created_at=created_at,
                                         in_reply_to=parent.id if parent else None, lang=persona.lang)
        except Refused:  # the parent was deleted meanwhile
            tweet = network.inject_tweet(brand.id, text, author=persona.x_user, lang=persona.lang, created_at=created_at)
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
