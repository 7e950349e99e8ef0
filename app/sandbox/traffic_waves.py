"""Waves in the traffic generator: now and then many posts about one thing at once, as real brands see them.

A spam wave: a few throwaway accounts post near-identical promotional comments with a link within a
minute or two (X mentions, comments on the Page's or the Instagram account's latest posts). A complaint
burst: many different customers, in all four languages, complain about the same thing (an app outage, a
double charge, late deliveries) within a few minutes. Both go through the same network calls as the
rest of the traffic (inject_tweet, inject_comment, add_comment), so the APIs serve them and the
webhooks push them like any other post.

They come on their own at `traffic_wave_rate` waves an hour (0: never; settings.py) while the generator
runs, or on demand: POST /_sandbox/traffic/wave (control.py).
"""
import logging
from datetime import datetime, timedelta, timezone

from app.sandbox.instagram import Refusal
from app.sandbox.network import Refused
from app.sandbox.personas import PERSONAS, Persona
from app.sandbox.phrases import COMPLAINT_BURSTS, LANGUAGE_WEIGHTS, SPAM, SPAM_ACCOUNTS, SPAM_LINKS

log = logging.getLogger(__name__)

KINDS = ("spam", "complaints")
NETWORKS = ("twitter", "facebook", "instagram")
DEFAULT_COUNT = {"spam": 25, "complaints": 30}
MAX_COUNT = 200
SPREAD = {"spam": timedelta(seconds=90), "complaints": timedelta(minutes=4)}  # from the first post to the last
SPAM_EMOJI = ["", "", " 💰", " 🎁", " ✅", " 🔥🔥", " ‼️"]


class WaveRefused(ValueError):
    """A wave that cannot be made (unknown kind, a network without a brand account)."""


class TrafficWaves:
    def __init__(self, generator):
        self.generator = generator
        self.made = 0

    @property
    def network(self):
        return self.generator.network

    @property
    def rng(self):
        return self.generator.rng

    def maybe(self):
        """Called after each generated event: a wave now and then, so that about traffic_wave_rate come an hour."""
        per_hour, rate = self.network.settings["traffic_wave_rate"], self.generator.rate
        if per_hour <= 0 or rate <= 0 or self.rng.random() >= min(1.0, per_hour / (60.0 * rate)):
            return None
        kind = self.rng.choice(KINDS)
        # Big enough to stand out from the generator's own pace: an account gets about rate x 5 posts in
        # 15 minutes, and a spike alert needs three times its usual.
        count = max(DEFAULT_COUNT[kind], int(rate * 15))
        try:
            made = self.wave(kind, count=count)
        except WaveRefused:  # no brand account on any network
            return None
        log.info("sandbox traffic: a %s wave of %d posts on %s", made["kind"], made["count"], made["network"])
        return made

    def wave(self, kind, *, network=None, count=None, language=None, topic=None, now=None):
        """Post one wave now (its posts spread over the last minute or few). Returns what was posted."""
        if kind not in KINDS:
            raise WaveRefused("kind must be " + " or ".join(f'"{k}"' for k in KINDS))
        network = network or self._any_network()
        post = {"twitter": self._tweet, "facebook": self._facebook_comment, "instagram": self._instagram_comment}.get(network)
        if post is None:
            raise WaveRefused("network must be " + ", ".join(f'"{n}"' for n in NETWORKS))
        target = self._target(network)
        count = max(1, min(int(count or DEFAULT_COUNT[kind]), MAX_COUNT))
        if kind == "spam":
            language = language if language in SPAM else self._language()
            writers, texts, about = self._spam(count, language)
        else:
            topic = topic if topic in COMPLAINT_BURSTS else self.rng.choice(list(COMPLAINT_BURSTS))
            writers, texts, about = self._complaints(count, topic, language)
        now = now or datetime.now(timezone.utc)
        start, step = now - SPREAD[kind], SPREAD[kind] / count
        posts = []
        for n, (persona, text) in enumerate(zip(writers, texts)):
            created = post(target, persona, text, start + step * (n + 1))
            created["author"] = persona.handle
            posts.append(created)
        self.made += 1
        return {"kind": kind, "network": network, "count": len(posts), **about, "posts": posts}

    # --------------------------------------------------------------- who says what

    def _language(self):
        return self.rng.choices(list(LANGUAGE_WEIGHTS), weights=list(LANGUAGE_WEIGHTS.values()))[0]

    def _spam(self, count, language):
        """A few throwaway accounts repeating one message with a link, each copy a little different."""
        template, link = self.rng.choice(SPAM[language]), self.rng.choice(SPAM_LINKS)
        accounts = [Persona(language, handle, name)
                    for handle, name in self.rng.sample(SPAM_ACCOUNTS, self.rng.randint(3, 5))]
        writers = [self.rng.choice(accounts) for _ in range(count)]
        texts = [template.replace("{link}", link.replace("{code}", self._code())) + self.rng.choice(SPAM_EMOJI)
                 for _ in range(count)]
        return writers, texts, {"language": language}

    def _code(self):
        return "".join(self.rng.choices("abcdefghjkmnpqrstuvwxyz23456789", k=6))

    def _complaints(self, count, topic, language=None):
        """`count` different customers, each in their own language, about `topic`."""
        writers = self._customers(count, language)
        texts = [self.rng.choice(COMPLAINT_BURSTS[topic][p.lang]).replace("{order}", str(self.rng.randint(100000, 999999)))
                 for p in writers]
        return writers, texts, {"topic": topic}

    def _customers(self, count, language=None):
        """Distinct people: the recurring customers first, then new ones (a recurring one's name, a new handle)."""
        pool = list(PERSONAS)
        self.rng.shuffle(pool)
        seen, chosen = set(), []
        while len(chosen) < count:
            lang = language if language in LANGUAGE_WEIGHTS else self._language()
            persona = next((p for p in pool if p.lang == lang and p.handle not in seen), None)
            if persona is None:
                like = self.rng.choice([p for p in PERSONAS if p.lang == lang])
                persona = Persona(lang, f"{like.handle}{self.rng.randint(10, 99999)}", like.name)
            if persona.handle not in seen:
                seen.add(persona.handle)
                chosen.append(persona)
        return chosen

    # ------------------------------------------------------------------ where

    def _any_network(self):
        present = [name for name in NETWORKS if self._has(name)]
        if not present:
            raise WaveRefused("no brand account to post to")
        return self.rng.choice(present)

    def _has(self, name):
        return bool({"twitter": self.network.x_accounts, "facebook": self.network.pages,
                     "instagram": self.network.instagram.accounts}[name])

    def _target(self, name):
        """The brand the wave is about: an X account, a Page's latest post, an Instagram account's latest media."""
        if not self._has(name):
            raise WaveRefused(f"no {name} brand account in the sandbox")
        if name == "twitter":
            return self.rng.choice(list(self.network.x_accounts.values())).user
        if name == "facebook":
            page = self.rng.choice(list(self.network.pages.values()))
            posts = self.network.feed(page.id)
            return posts[0] if posts else self.network.publish_post(page.id, "🛍️")
        book = self.network.instagram
        account = self.rng.choice(list(book.accounts.values()))
        media = [m for m in book.media_of(account) if m.comments_enabled and m.product_type != "LIVE"]
        return media[0] if media else book.add_media(account.id, "🛍️")

    def _tweet(self, brand, persona, text, when):
        author = {**persona.x_user, "receives_your_dm": persona.accepts_dms}
        tweet = self.network.inject_tweet(brand.id, f"@{brand.username} {text}", author=author, created_at=when,
                                          lang=persona.lang)
        return {"network": "twitter", "id": tweet.id, "text": tweet.text}

    def _facebook_comment(self, post, persona, text, when):
        try:
            comment = self.network.inject_comment(post.page_id, text, post_id=post.id, author=persona.facebook_user,
                                                  created_at=when)
        except Refused:  # the post was deleted meanwhile: the page's newest one
            comment = self.network.inject_comment(post.page_id, text, author=persona.facebook_user, created_at=when)
        return {"network": "facebook", "id": comment.id, "text": comment.message}

    def _instagram_comment(self, media, persona, text, when):
        try:
            comment = self.network.instagram.add_comment(media.id, text, persona.instagram_user, created_at=when)
        except Refusal as refusal:  # the media was deleted or its comments turned off meanwhile
            raise WaveRefused(f"the Instagram media {media.id} takes no comments") from refusal
        return {"network": "instagram", "id": comment.id, "text": comment.text}
