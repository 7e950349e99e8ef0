"""The slice of X API v2 the Twitter connector uses, with the real paths, JSON, statuses and headers.

Endpoints: GET /2/users/me, GET /2/users/:id, GET /2/users/:id/mentions,
GET /2/users/:id/tweets, POST /2/tweets. Auth is app-only (Bearer) or OAuth
1.0a user context (the consumer key and token must match a registered
account; signatures are not verified). Every authenticated response carries
x-rate-limit-* headers for its (endpoint, credential) window.
"""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote

from flask import Blueprint, g, jsonify, request
from twitter_text import parse_tweet

from app.sandbox.entities import XAccount
from app.sandbox.hooks import current_network, start_api_request
from app.sandbox.network import Refused
from app.sandbox.paging import decode_x_token, encode_x_token

bp = Blueprint("x_api", __name__, url_prefix="/2")

PROBLEMS = "https://api.twitter.com/2/problems/"
MAX_WEIGHTED_LENGTH = 280
MENTIONS_REACH = 800  # X serves only the newest 800 mentions…
USER_TWEETS_REACH = 3200  # …and the newest 3200 tweets of a timeline
EARLIEST_TIME = datetime(2010, 11, 6, tzinfo=timezone.utc)  # "Minimum allowable time is 2010-11-06T00:00:00Z"
# start_time / end_time "must be a minimum of 10 seconds prior to the request time"
TIME_BOUND_MARGIN = timedelta(seconds=10)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$")

TWEET_FIELDS = (
    "article", "attachments", "author_id", "card_uri", "community_id", "context_annotations", "conversation_id",
    "created_at", "display_text_range", "edit_controls", "edit_history_tweet_ids", "entities", "geo", "id",
    "in_reply_to_user_id", "lang", "media_metadata", "non_public_metrics", "note_tweet", "organic_metrics",
    "possibly_sensitive", "promoted_metrics", "public_metrics", "referenced_tweets", "reply_settings",
    "scopes", "source", "text", "withheld",
)
USER_FIELDS = (
    "affiliation", "connection_status", "created_at", "description", "entities", "id", "is_identity_verified",
    "location", "most_recent_tweet_id", "name", "parody", "pinned_tweet_id", "profile_banner_url",
    "profile_image_url", "protected", "public_metrics", "receives_your_dm", "subscription", "subscription_type",
    "url", "username", "verified", "verified_followers_count", "verified_type", "withheld",
)
EXPANSIONS = (
    "article.cover_media", "article.media_entities", "attachments.media_keys", "attachments.media_source_tweet",
    "attachments.poll_ids", "author_id", "edit_history_tweet_ids", "entities.mentions.username", "geo.place_id",
    "in_reply_to_user_id", "entities.note.mentions.username", "referenced_tweets.id",
    "referenced_tweets.id.attachments.media_keys", "referenced_tweets.id.author_id",
)

# request.endpoint -> the rate-limit family in settings["x_rate_limits"]
LIMIT_FAMILIES = {
    "x_api.users_me": "users_me",
    "x_api.user_lookup": "user_lookup",
    "x_api.user_mentions": "mentions",
    "x_api.user_tweets": "user_tweets",
    "x_api.create_tweet": "create_tweet",
    # app/sandbox/x_dms.py
    "x_api.dm_events": "dm_lookup",
    "x_api.dm_events_with": "dm_lookup",
    "x_api.dm_conversation_events": "dm_lookup",
    "x_api.dm_send_with": "dm_send",
    "x_api.dm_send_to_conversation": "dm_send",
}


@dataclass
class Credential:
    kind: str  # "app" (bearer) or "user" (OAuth 1.0a)
    key: str  # the token that identifies the caller; never echoed back
    account: XAccount | None


class InvalidRequest(Exception):
    """A query or body parameter X would reject with a 400 invalid-request problem."""

    def __init__(self, parameter, value, message):
        super().__init__(message)
        self.parameter, self.value, self.message = parameter, value, message


# ------------------------------------------------------------------ responses

def problem(http_status, title, detail, problem_type="about:blank", **extra):
    """An RFC 7807 problem document, X's error format."""
    body = {"title": title, "detail": detail, "type": problem_type}
    if problem_type == "about:blank":
        body["status"] = http_status
    body.update(extra)
    response = jsonify(body)
    response.status_code = http_status
    return response


def unauthorized():
    return problem(401, "Unauthorized", "Unauthorized")


def too_many_requests():
    return problem(429, "Too Many Requests", "Too Many Requests")


def service_unavailable():
    return problem(503, "Service Unavailable", "Service Unavailable")


def internal_error():
    return problem(500, "Internal Server Error", "Internal Server Error")


def unsupported_authentication():
    return problem(
        403, "Unsupported Authentication",
        "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported authentication "
        "types are [OAuth 1.0a User Context, OAuth 2.0 User Context].",
        PROBLEMS + "unsupported-authentication", status=403,
    )


def forbidden(detail):
    return problem(403, "Forbidden", detail)


def invalid_request(error):
    body = {
        "errors": [{"parameters": {error.parameter: [error.value]}, "message": error.message}],
        "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
        "type": PROBLEMS + "invalid-request",
    }
    response = jsonify(body)
    response.status_code = 400
    return response


def not_found_error(user_id):
    return {
        "value": user_id, "detail": f"Could not find user with id: [{user_id}].", "title": "Not Found Error",
        "resource_type": "user", "parameter": "id", "resource_id": user_id, "type": PROBLEMS + "resource-not-found",
    }


# ------------------------------------------------------------- request hooks

def read_credential():
    header = request.headers.get("Authorization", "")
    network = current_network()
    if header.startswith("Bearer "):
        token = header[len("Bearer "):].strip()
        return Credential("app", token, network.x_account_by_bearer(token))
    if header.startswith("OAuth "):
        params = {k: unquote(v) for k, v in re.findall(r'(\w+)="([^"]*)"', header)}
        token = params.get("oauth_token", "")
        return Credential("user", token, network.x_account_by_oauth(params.get("oauth_consumer_key"), token))
    return Credential("none", "", None)


def _exhausted_budget(_fault=None):
    """For a '429' fault: spend the caller's window so the headers agree with the refusal."""
    family = LIMIT_FAMILIES.get(request.endpoint)
    if family and g.credential.account is not None:
        network = current_network()
        g.budget = network.limiter.exhaust(
            ("x", family, g.credential.kind, g.credential.key), _limit(family, g.credential.kind),
            network.settings["x_rate_limit_window"],
        )
    return too_many_requests()


FAULT_RESPONDERS = {
    "429": _exhausted_budget,
    "500": lambda _fault: internal_error(),
    "503": lambda _fault: service_unavailable(),
    "bad_token": lambda _fault: unauthorized(),
}


def _limit(family, kind):
    return current_network().settings["x_rate_limits"][family].get(kind, 0)


@bp.before_request
def authenticate_and_limit():
    g.credential = credential = read_credential()
    account_key = credential.account.user.id if credential.account else None
    endpoint = f"{request.method} {request.url_rule.rule if request.url_rule else request.path}"
    early = start_api_request("twitter", endpoint, account_key, FAULT_RESPONDERS)
    if early is not None:
        return early
    if credential.account is None:
        return unauthorized()
    family = LIMIT_FAMILIES.get(request.endpoint)
    if family is None:
        return None
    limit = _limit(family, credential.kind)
    if not limit:
        return unsupported_authentication()
    network = current_network()
    g.budget = network.limiter.hit(
        ("x", family, credential.kind, credential.key), limit, network.settings["x_rate_limit_window"]
    )
    if not g.budget.allowed:
        return too_many_requests()
    return None


@bp.after_request
def rate_limit_headers(response):
    budget = g.pop("budget", None)
    if budget is not None:
        response.headers["x-rate-limit-limit"] = str(budget.limit)
        response.headers["x-rate-limit-remaining"] = str(budget.remaining)
        response.headers["x-rate-limit-reset"] = str(budget.reset)
    return response


@bp.errorhandler(InvalidRequest)
def on_invalid_request(error):
    return invalid_request(error)


# ------------------------------------------------------------- serialization

def x_time(dt):
    """X's timestamp format; tweepy's parser needs the milliseconds."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def requested(parameter, allowed):
    raw = request.args.get(parameter, "")
    values = [v.strip() for v in raw.split(",") if v.strip()]
    for value in values:
        if value not in allowed:
            raise InvalidRequest(
                parameter, value,
                f"The `{parameter}` query parameter value [{value}] is not one of [{', '.join(allowed)}]",
            )
    return set(values)


def tweet_json(tweet, fields):
    data = {"id": tweet.id, "text": tweet.text, "edit_history_tweet_ids": [tweet.id]}
    if tweet.minimal:
        return data
    network = current_network()
    optional = {
        "created_at": lambda: x_time(tweet.created_at),
        "author_id": lambda: tweet.author_id,
        "conversation_id": lambda: tweet.conversation_id,
        "in_reply_to_user_id": lambda: tweet.in_reply_to_user_id,
        "referenced_tweets": lambda: (
            [{"type": "replied_to", "id": tweet.in_reply_to_tweet_id}] if tweet.in_reply_to_tweet_id else None
        ),
        "lang": lambda: tweet.lang,
        "reply_settings": lambda: "everyone",
        "possibly_sensitive": lambda: False,
        "entities": lambda: _mention_entities(tweet.text),
        "public_metrics": lambda: {
            "retweet_count": 0, "reply_count": network.reply_count(tweet.id), "like_count": tweet.like_count,
            "quote_count": 0, "bookmark_count": 0, "impression_count": 17 * (tweet.like_count + 3),
        },
    }
    return with_optional(data, fields, optional)


def _mention_entities(text):
    network = current_network()
    mentions = []
    for match in re.finditer(r"@(\w{1,15})", text):
        user = next((u for u in network.x_users.values() if u.username.lower() == match.group(1).lower()), None)
        if user is not None:
            mentions.append({"start": match.start(), "end": match.end(), "username": user.username, "id": user.id})
    return {"mentions": mentions} if mentions else None


def user_json(user, fields):
    data = {"id": user.id, "name": user.name, "username": user.username}
    optional = {
        "created_at": lambda: x_time(user.created_at) if user.created_at else None,
        "description": lambda: user.description,
        "protected": lambda: False,
        "verified": lambda: user.verified,
        "verified_type": lambda: "business" if user.verified else "none",
        "profile_image_url": lambda: f"https://pbs.twimg.com/profile_images/{user.id}/avatar_normal.jpg",
        "url": lambda: "",
        "receives_your_dm": lambda: user.receives_your_dm,
        "public_metrics": lambda: {
            "followers_count": user.followers_count, "following_count": user.following_count,
            "tweet_count": user.tweet_count, "listed_count": user.followers_count // 100, "like_count": 0,
        },
    }
    return with_optional(data, fields, optional)


def with_optional(data, fields, optional):
    """Add the requested optional fields that have a value (X omits empty ones)."""
    for name in fields:
        value = optional[name]() if name in optional else None
        if value is not None:
            data[name] = value
    return data


def _includes(tweets, expansions, user_fields):
    user_ids = []
    for tweet in tweets:
        if tweet.minimal:
            continue
        if "author_id" in expansions and tweet.author_id:
            user_ids.append(tweet.author_id)
        if "in_reply_to_user_id" in expansions and tweet.in_reply_to_user_id:
            user_ids.append(tweet.in_reply_to_user_id)
    return users_includes(user_ids, user_fields)


def users_includes(user_ids, user_fields):
    """`includes` with the known users among `user_ids` (each once, in order), or {} if none."""
    network = current_network()
    users = [network.x_users[uid] for uid in dict.fromkeys(user_ids) if uid in network.x_users]
    return {"users": [user_json(u, user_fields) for u in users]} if users else {}


# ------------------------------------------------------------------ listing

def _id_param(name):
    value = request.args.get(name)
    if value is None:
        return None
    if not value.isdigit():
        raise InvalidRequest(name, value, f"The `{name}` query parameter value [{value}] is not valid")
    return int(value)


def max_results_param(low=5, default="10"):
    raw = request.args.get("max_results", default)
    if not raw.isdigit() or not low <= int(raw) <= 100:
        raise InvalidRequest(
            "max_results", raw, f"The `max_results` query parameter value [{raw}] is not between {low} and 100"
        )
    return int(raw)


def _time_param(name):
    """`start_time` / `end_time`: an RFC 3339 time at least 10 s in the past (X's validation)."""
    raw = request.args.get(name)
    if raw is None:
        return None
    when = None
    if RFC3339.match(raw):
        try:
            when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            when = None
    if when is None:
        raise InvalidRequest(name, raw, f"The `{name}` query parameter value [{raw}] is not a valid RFC 3339 date-time "
                                        "(YYYY-MM-DDTHH:mm:ssZ)")
    if when < EARLIEST_TIME:
        raise InvalidRequest(name, raw, f"Invalid '{name}':'{raw}'. '{name}' must be on or after 2010-11-06T00:00Z")
    if when > datetime.now(timezone.utc) - TIME_BOUND_MARGIN:
        raise InvalidRequest(name, raw, f"Invalid '{name}':'{raw}'. '{name}' must be a minimum of 10 seconds prior "
                                        "to the request time.")
    return when.replace(microsecond=0)  # second granularity


def _window():
    """(since_id, until_id, start_time, end_time) as X applies them: ids take precedence over times."""
    since_id, until_id = _id_param("since_id"), _id_param("until_id")
    start_time, end_time = _time_param("start_time"), _time_param("end_time")
    if start_time and end_time and end_time <= start_time:
        raw = request.args["end_time"]
        raise InvalidRequest("end_time", raw, f"Invalid 'end_time':'{raw}'. 'end_time' must be after 'start_time'")
    start_time = None if since_id is not None else start_time
    end_time = None if until_id is not None else end_time
    return since_id, until_id, start_time, end_time


def _in_window(tweet, since_id, until_id, start_time, end_time):
    number = int(tweet.id)
    created = tweet.created_at.replace(microsecond=0)
    return ((since_id is None or number > since_id) and (until_id is None or number < until_id)
            and (start_time is None or created >= start_time) and (end_time is None or created <= end_time))


def timeline_response(tweets, reach):
    """One page of a newest-first tweet list (only its `reach` newest are served), as X pages timelines."""
    max_results = max_results_param()
    window = _window()
    token = request.args.get("pagination_token")
    expansions = requested("expansions", EXPANSIONS)
    tweet_fields = requested("tweet.fields", TWEET_FIELDS)
    user_fields = requested("user.fields", USER_FIELDS)

    tweets = [t for t in tweets[:reach] if _in_window(t, *window)]
    start = 0
    if token:
        first_id = decode_x_token(token)
        if first_id is None:
            raise InvalidRequest("pagination_token", token, f"The `pagination_token` query parameter value [{token}] is not valid")
        start = next((i for i, t in enumerate(tweets) if int(t.id) <= first_id), len(tweets))
        repeat = current_network().faults.take("twitter", request.path, ("duplicate_page",)) if start > 0 else None
        if repeat is not None:
            start = max(start - repeat.overlap, 0)  # repeat the previous page's last tweets, as a flaky backend would
    page = tweets[start:start + max_results]
    current_network().stats.note_served("twitter", [t.id for t in page])

    extra = {"newest_id": page[0].id, "oldest_id": page[-1].id} if page else {}
    return page_response(
        [tweet_json(t, tweet_fields) for t in page], _includes(page, expansions, user_fields), extra,
        tweets[start + max_results] if start + max_results < len(tweets) else None,
    )


def page_response(data, includes, meta, next_item):
    """A list page as X sends it: data and includes only when not empty, meta with result_count first."""
    body = {"data": data} if data else {}
    if data and includes:
        body["includes"] = includes
    body["meta"] = {"result_count": len(data), **meta}
    if next_item is not None:
        body["meta"]["next_token"] = encode_x_token(next_item.id)
    return jsonify(body)


# ---------------------------------------------------------------- endpoints

@bp.get("/users/me")
def users_me():
    return jsonify({"data": user_json(g.credential.account.user, requested("user.fields", USER_FIELDS))})


@bp.get("/users/<user_id>")
def user_lookup(user_id):
    user = current_network().x_users.get(user_id)
    if user is None:
        return jsonify({"errors": [not_found_error(user_id)]})
    return jsonify({"data": user_json(user, requested("user.fields", USER_FIELDS))})


@bp.get("/users/<user_id>/mentions")
def user_mentions(user_id):
    if user_id not in current_network().x_users:
        return jsonify({"errors": [not_found_error(user_id)]})
    return timeline_response(current_network().mentions(user_id), MENTIONS_REACH)


@bp.get("/users/<user_id>/tweets")
def user_tweets(user_id):
    if user_id not in current_network().x_users:
        return jsonify({"errors": [not_found_error(user_id)]})
    return timeline_response(current_network().user_tweets(user_id), USER_TWEETS_REACH)


@bp.post("/tweets")
def create_tweet():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidRequest("body", request.get_data(as_text=True)[:100], "Request body is not valid JSON.")
    text = body.get("text") or ""
    reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
    if not text.strip():
        raise InvalidRequest("text", text, "Invalid Request: One of text, media, poll, quote_tweet_id, card_uri "
                                           "or direct_message_deep_link must be provided.")
    if parse_tweet(text).weightedLength > MAX_WEIGHTED_LENGTH:
        return forbidden("Your Tweet text is too long. For more information on how X determines text length "
                         "see https://github.com/twitter/twitter-text.")
    try:
        tweet = current_network().post_brand_tweet(
            g.credential.account.user.id, text, in_reply_to=reply_to, via_api=True
        )
    except Refused as refused:
        if refused.reason == "duplicate":
            return forbidden("You are not allowed to create a Tweet with duplicate content.")
        return forbidden("You attempted to reply to a Tweet that is deleted or not visible to you.")
    response = jsonify({"data": {"id": tweet.id, "text": tweet.text, "edit_history_tweet_ids": [tweet.id]}})
    response.status_code = 201
    return response
