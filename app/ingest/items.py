"""The connector-neutral items ingest takes: what a network said, before Carebox decides anything.

Connectors (pollers and push receivers) and the API map their payloads into these and
import nothing else from the ingest package.
"""
from dataclasses import dataclass
from datetime import datetime

from app.vocabulary import CHANNELS  # noqa: F401  (re-exported for connectors)


@dataclass(frozen=True)
class InboundAuthor:
    external_id: str | None
    handle: str | None = None
    name: str | None = None
    followers_count: int | None = None
    profile_url: str | None = None
    accepts_dms: bool | None = None  # X's receives_your_dm; None: the network did not say


@dataclass(frozen=True)
class InboundPost:
    """The post or media a public message hangs off (an Instagram media, a Facebook post), shown as context
    above its thread. Fields the network did not send are None and never overwrite what Carebox knows."""

    external_id: str
    caption: str | None = None
    permalink: str | None = None
    thumbnail_url: str | None = None  # a picture of it (Instagram: thumbnail_url for videos, else media_url)
    media_type: str | None = None  # vocabulary.MEDIA_TYPES
    product_type: str | None = None  # vocabulary.MEDIA_PRODUCT_TYPES
    owner_handle: str | None = None  # who published it (someone else's, for a mention)
    owned: bool = True  # the brand's own; False: someone else's, read because it mentions the brand
    posted_at: datetime | None = None
    comments_count: int | None = None


@dataclass(frozen=True)
class InboundItem:
    """A post or message from the network."""

    external_id: str
    text: str
    created_at: datetime | None = None  # platform time; receipt time when the network gives none
    author: InboundAuthor | None = None
    in_reply_to: str | None = None  # external id of the post this one answers
    thread_id: str | None = None  # external id of the thread's first post (groups anonymous authors)
    from_brand: bool = False  # the brand's own post, made natively on the network
    network: str | None = None  # the network it came from (None: the account's)
    channel: str = "public"  # "public" (mentions, comments, replies) or "private" (direct messages)
    language: str | None = None  # the network's language tag (X's `lang`); ingest detects it otherwise
    # Private brand messages (from_brand, channel "private"): the customer it was sent to. Its conversation
    # is that customer's private conversation on the account.
    counterpart: InboundAuthor | None = None
    # Public items: the post or media the message hangs off (Instagram, Facebook); None: not known or none.
    # An Instagram caption that mentions the brand is an item whose external id is the media's own.
    post: InboundPost | None = None
    # Customer items: (sentiment, intent) a remote triage provider gave before the account's lock was taken
    # (app.ingest.triage.precompute); None: ingest labels the message with the offline baseline.
    signals: tuple[str, str] | None = None
