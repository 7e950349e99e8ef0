"""What the sandbox network stores: X users, tweets and DMs, Facebook pages, posts and comments."""
import re
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class XUser:
    id: str
    username: str
    name: str
    followers_count: int = 0
    following_count: int = 0
    tweet_count: int = 0
    verified: bool = False
    description: str = ""
    created_at: datetime | None = None
    receives_your_dm: bool = True  # False: the brands may not DM this user (X's user.fields receives_your_dm)


@dataclass
class XAccount:
    """A brand account registered as an X developer app: the user plus its credentials."""

    user: XUser
    bearer_token: str
    consumer_key: str
    consumer_secret: str
    access_token: str
    access_token_secret: str


@dataclass
class Tweet:
    id: str
    text: str
    author_id: str | None
    created_at: datetime
    conversation_id: str
    lang: str = "en"
    in_reply_to_tweet_id: str | None = None
    in_reply_to_user_id: str | None = None
    mention_ids: set = field(default_factory=set)
    minimal: bool = False  # served with id and text only, like a stripped-down payload
    via_api: bool = False  # the brand's reply posted through POST /2/tweets (by Carebox)
    deleted: bool = False
    like_count: int = 0
    hidden: bool = False  # hidden by the conversation's author (PUT /2/tweets/:id/hidden)
    liked_by: set = field(default_factory=set)  # user ids (POST /2/users/:id/likes)


@dataclass
class DMEvent:
    """An X direct-message event: MessageCreate (with text), ParticipantsJoin or ParticipantsLeave (without)."""

    id: str
    event_type: str
    dm_conversation_id: str
    sender_id: str  # the author of a message; who added or removed participants
    created_at: datetime
    text: str | None = None
    participant_ids: list = field(default_factory=list)  # join/leave events only
    via_api: bool = False  # the brand's DM sent through the API (by Carebox)


@dataclass
class FacebookPage:
    id: str
    name: str
    access_token: str
    app_id: str
    app_secret: str
    fan_count: int = 0


@dataclass
class PagePost:
    id: str
    page_id: str
    message: str
    created_time: datetime
    updated_time: datetime
    deleted: bool = False
    liked_by: set = field(default_factory=set)  # page ids (POST /{post-id}/likes as the page)

    @property
    def number(self):
        """The part after the page id: comment ids start with it."""
        return self.id.split("_", 1)[1]


@dataclass
class Comment:
    id: str
    post_id: str
    message: str
    author: dict | None  # {"id", "name"}; None: Facebook withholds `from`
    created_time: datetime
    parent_id: str | None = None  # replies only (Facebook threads one level deep)
    via_api: bool = False  # the page's reply posted through the Graph API (by Carebox)
    deleted: bool = False
    like_count: int = 0
    hidden: bool = False  # is_hidden (POST /{comment-id}?is_hidden=true)
    liked_by: set = field(default_factory=set)  # page ids (POST /{comment-id}/likes as the page)


_ARABIC = re.compile(r"[\u0600-\u06FF]")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_BELARUSIAN_ONLY = re.compile(r"[ўЎіІ]")


def guess_lang(text):
    """A rough BCP 47 tag for a post (X reports one per tweet)."""
    if _ARABIC.search(text):
        return "ar"
    if _CYRILLIC.search(text):
        return "be" if _BELARUSIAN_ONLY.search(text) else "ru"
    return "en"
