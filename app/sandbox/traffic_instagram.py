"""The traffic generator's Instagram customers (traffic.py calls these): comments on the brand's media and
replies in its threads, mentions of the brand in their own captions and in comments on other people's media,
DMs to the account (often after a Private Reply), and the brand answering natively from the Instagram app
now and then (a comment by the IG user itself, a DM whose echo carries is_echo).

Shares: settings traffic_instagram_mention_share and traffic_instagram_native_share (of Instagram events);
which events are Instagram ones at all is traffic_instagram_share (traffic.py).
"""
from app.sandbox.instagram import Refusal
from app.sandbox.personas import PERSONAS, random_persona
from app.sandbox.phrases import BRAND_PRIVATE_ANSWERS, LANGUAGE_WEIGHTS, PAGE_POSTS

NEW_MEDIA_SHARE = 0.04  # Instagram events that are a new media of the brand
THREAD_REPLY_SHARE = 0.3
NEW_MEDIA_KINDS = {"image": 5, "reel": 3, "carousel": 2}
FOREIGN_CAPTIONS = ["Unboxing day ✨", "Weekend haul 🛍️", "Finally arrived!", "Дастаўка прыйшла 📦",
                    "Моя посылка 📦", "وصل طلبي اليوم 📦"]
BRAND_COMMENT_ANSWERS = {
    "en": ["Thanks for reaching out! We've sent you a DM 💬", "So glad you like it! 💛",
           "Sorry about that, please DM us your order number."],
    "ru": ["Спасибо! Написали вам в директ 💬", "Извините, пришлите номер заказа в директ."],
    "be": ["Дзякуй! Напісалі вам у дырэкт 💬"],
    "ar": ["شكرًا لتواصلك! أرسلنا لك رسالة خاصة 💬"],
}

_BY_IGSID = {p.instagram_user["id"]: p for p in PERSONAS}


class InstagramTraffic:
    def __init__(self, generator):
        self.generator = generator

    @property
    def network(self):
        return self.generator.network

    @property
    def rng(self):
        return self.generator.rng

    # ---------------------------------------------------------------- public

    def event(self, created_at=None):
        """One public Instagram event; None when no Instagram account is registered."""
        book = self.network.instagram
        if not book.accounts:
            return None
        account = self.rng.choice(list(book.accounts.values()))
        media = [m for m in book.media_of(account) if m.comments_enabled and m.product_type != "LIVE"][:4]
        settings = self.network.settings
        draw = self.rng.random()
        if not media or (created_at is None and draw < NEW_MEDIA_SHARE):
            return self._new_media(account, created_at)
        draw = self.rng.random()
        if draw < settings["traffic_instagram_mention_share"]:
            return self._mention(account, created_at)
        if draw < settings["traffic_instagram_mention_share"] + settings["traffic_instagram_native_share"]:
            answered = self._brand_comment(account, media, created_at)
            if answered is not None:
                return answered
        return self._comment(media, created_at)

    def _new_media(self, account, created_at):
        lang = self.rng.choices(list(LANGUAGE_WEIGHTS), weights=[5, 2, 1, 1])[0]
        kind = self.rng.choices(list(NEW_MEDIA_KINDS), weights=list(NEW_MEDIA_KINDS.values()))[0]
        media = self.network.instagram.add_media(account.id, self.rng.choice(PAGE_POSTS[lang]), kind=kind,
                                                 created_at=created_at)
        return {"network": "instagram", "kind": "media", "id": media.id, "text": media.caption}

    def _comment(self, media, created_at):
        book = self.network.instagram
        parent = self._recent_comment(media) if self.rng.random() < THREAD_REPLY_SHARE else None
        if parent is not None:
            persona, kind = self._customer_of(parent), "follow_up"
        else:
            persona, kind = random_persona(self.rng), self.generator._new_post_kind()
        target = book.media[parent.media_id] if parent else self.rng.choices(media, weights=[6, 3, 2, 1][:len(media)])[0]
        text = self.generator._text(persona.lang, kind)
        try:
            comment = book.add_comment(target.id, text, persona.instagram_user, created_at=created_at,
                                       parent_id=parent.id if parent else None)
        except Refusal:  # the parent was deleted or comments were turned off meanwhile
            return None
        return {"network": "instagram", "kind": "reply" if parent else "comment", "id": comment.id,
                "text": comment.text}

    def _recent_comment(self, media):
        book = self.network.instagram
        comments = sorted((c for m in media for c in book.comments.values() if c.media_id == m.id and not c.deleted),
                          key=lambda c: int(c.id))[-20:]
        return self.rng.choice(comments) if comments else None

    def _customer_of(self, comment):
        book = self.network.instagram
        author = comment.author
        if author["id"] in book.accounts and comment.parent_id:
            author = book.comments[comment.parent_id].author
        persona = _BY_IGSID.get(author["id"])
        if persona is None or self.rng.random() < 0.15:
            persona = random_persona(self.rng)
        return persona

    def _mention(self, account, created_at):
        """A customer mentions the brand: in the caption of their own media, or in a comment on another's."""
        book = self.network.instagram
        persona = random_persona(self.rng)
        text = f"@{account.username} {self.generator._text(persona.lang, self.generator._new_post_kind())}"
        if self.rng.random() < 0.5:
            media = book.add_media(persona.instagram_user, text, created_at=created_at)
            return {"network": "instagram", "kind": "caption_mention", "id": media.id, "text": media.caption}
        host = random_persona(self.rng)
        media = book.add_media(host.instagram_user, self.rng.choice(FOREIGN_CAPTIONS), created_at=created_at)
        comment = book.add_comment(media.id, text, persona.instagram_user, created_at=created_at)
        return {"network": "instagram", "kind": "comment_mention", "id": comment.id, "text": comment.text}

    def _brand_comment(self, account, media, created_at):
        """The brand answers a customer's comment natively from the Instagram app (not through Carebox)."""
        book = self.network.instagram
        waiting = [c for m in media for c in book.top_level(m)[:10]
                   if not c.hidden and c.author["id"] != account.id and (created_at is None or c.timestamp < created_at)]
        if not waiting:
            return None
        comment = self.rng.choice(waiting)
        persona = _BY_IGSID.get(comment.author["id"])
        text = self.rng.choice(BRAND_COMMENT_ANSWERS[persona.lang if persona else "en"])
        try:
            reply = book.add_comment(comment.media_id, text, book.brand_identity(account), parent_id=comment.id,
                                     created_at=created_at)
        except Refusal:
            return None
        return {"network": "instagram", "kind": "brand_native", "id": reply.id, "text": reply.text}

    # ---------------------------------------------------------------- DMs

    def direct_message(self, created_at=None):
        """A customer's Instagram DM: someone who commented moving to private, an answer to a Private Reply,
        a private follow-up, or someone new."""
        network = self.network
        book = network.instagram
        if not book.accounts:
            return None
        account = self.rng.choice(list(book.accounts.values()))
        conversations = network.messenger.page_conversations(account.page_id, "instagram")
        after_private_reply = [c for c in conversations if c.last_customer_time is None]
        if after_private_reply and self.rng.random() < 0.7:
            conversation = self.rng.choice(after_private_reply)
            persona = _BY_IGSID.get(conversation.customer["id"])
            sender, kind = dict(conversation.customer), "after_private_reply"
            text = self.generator._private_text(persona.lang if persona else "en", "moved")
        else:
            commenters = [c.author["id"] for m in book.media_of(account)[:4] for c in book.top_level(m)]
            public = _unique(_BY_IGSID.get(i) for i in commenters)
            private = _unique(_BY_IGSID.get(c.customer["id"]) for c in conversations)
            persona, kind = self.generator._private_writer(public, private, lambda persona: True)
            sender, text = persona.instagram_user, self.generator._private_text(persona.lang, kind)
        message = network.messenger.customer_message(account.page_id, text, sender, created_at=created_at,
                                                     platform="instagram")
        return {"network": "instagram", "channel": "private", "kind": kind, "id": message.id, "text": message.text}

    def waiting(self, when, window):
        """(network, page id, IGSID) of Instagram conversations whose last message is the customer's, inside
        the window at `when` (the brand would answer from the Instagram app within it)."""
        found = []
        for account in list(self.network.instagram.accounts.values()):
            for conversation in self.network.messenger.page_conversations(account.page_id, "instagram"):
                last = conversation.messages[-1]
                if not last.from_page and last.created_time < when <= last.created_time + window:
                    found.append(("instagram", account.page_id, conversation.customer["id"]))
        return found

    def answer_text(self, customer_id):
        persona = _BY_IGSID.get(customer_id)
        return self.rng.choice(BRAND_PRIVATE_ANSWERS[persona.lang if persona else "en"])


def _unique(personas):
    return list(dict.fromkeys(p for p in personas if p is not None))
