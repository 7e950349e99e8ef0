"""Recurring customers built from phrases.CUSTOMERS, with stable ids across restarts."""
import zlib
from dataclasses import dataclass

from app.sandbox.instagram import instagram_user
from app.sandbox.phrases import CUSTOMERS, LANGUAGE_WEIGHTS


@dataclass(frozen=True)
class Persona:
    lang: str
    handle: str
    name: str

    @property
    def _hash(self):
        return zlib.crc32(self.handle.encode())

    @property
    def x_user(self):
        """The author dict `SandboxNetwork.customer()` takes; the same person always gets the same id."""
        return {"id": str(10**15 + self._hash), "username": self.handle, "name": self.name,
                "followers_count": 40 + self._hash % 3000}

    @property
    def accepts_dms(self):
        """X's receives_your_dm in generated traffic (traffic.py): a few customers do not accept the brands'
        direct messages."""
        return self._hash % 7 != 0

    @property
    def instagram_user(self):
        """{"id": IGSID, "username"}: the same IGSID in the person's comments and DMs."""
        return instagram_user(self.handle)

    @property
    def facebook_user(self):
        return {"id": str(10**16 + self._hash), "name": self.name}


PERSONAS = [Persona(lang, handle, name) for lang, people in CUSTOMERS.items() for handle, name in people]


def random_persona(rng, lang=None):
    if lang is None:
        langs = list(LANGUAGE_WEIGHTS)
        lang = rng.choices(langs, weights=[LANGUAGE_WEIGHTS[name] for name in langs])[0]
    return rng.choice([p for p in PERSONAS if p.lang == lang])


def random_x_customer(rng):
    return random_persona(rng).x_user


def random_facebook_customer(rng, anonymous_share=0.0):
    """A customer's `from`, or None for the share of comments Facebook shows without an author."""
    return None if rng.random() < anonymous_share else random_persona(rng).facebook_user
