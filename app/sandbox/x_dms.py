"""X API v2 direct messages, on the X blueprint (same auth, faults and x-rate-limit-* headers).

GET  /2/dm_events, /2/dm_conversations/with/:participant_id/dm_events, /2/dm_conversations/:id/dm_events:
     user context only, newest first, the last 30 days; the three share one window (300 / 15 min per user).
POST /2/dm_conversations/with/:participant_id/messages, /2/dm_conversations/:id/messages: 201
     {"data": {"dm_conversation_id", "dm_event_id"}}; 200 / 15 min per user, and 1000 / 24 h per user plus
     15000 / 24 h per app (x-user-limit-24hour-* / x-app-limit-24hour-*): a 429 can come with
     x-rate-limit-remaining above 0.
"""
from datetime import timedelta

from flask import g, jsonify, request

from app.sandbox.hooks import current_network
from app.sandbox.network import Refused, now_utc, one_to_one_id
from app.sandbox.paging import decode_x_token
from app.sandbox.twitter_api import (
    TWEET_FIELDS,
    USER_FIELDS,
    InvalidRequest,
    bp,
    forbidden,
    max_results_param,
    page_response,
    requested,
    too_many_requests,
    users_includes,
    with_optional,
    x_time,
)

DM_REACH = timedelta(days=30)  # "Events from the last 30 days"
MAX_DM_LENGTH = 10000
DM_EVENT_FIELDS = ("id", "text", "event_type", "created_at", "dm_conversation_id", "sender_id", "participant_ids",
                   "referenced_tweets", "attachments", "entities")
EVENT_TYPES = ("MessageCreate", "ParticipantsJoin", "ParticipantsLeave")
DM_EXPANSIONS = ("attachments.media_keys", "referenced_tweets.id", "sender_id", "participant_ids")
MEDIA_FIELDS = ("alt_text", "duration_ms", "height", "media_key", "non_public_metrics", "organic_metrics",
                "preview_image_url", "promoted_metrics", "public_metrics", "type", "url", "variants", "width")
NOT_ACCEPTING = "You cannot send messages to this user."
BAD_MEDIA = "You are not permitted to attach this media to a DM event."


# ------------------------------------------------------------------ reading

def dm_event_json(event, fields):
    data = {"id": event.id, "event_type": event.event_type}
    if event.text is not None:
        data["text"] = event.text  # default for messages; join/leave events have none
    optional = {
        "created_at": lambda: x_time(event.created_at),
        "dm_conversation_id": lambda: event.dm_conversation_id,
        "sender_id": lambda: event.sender_id,
        "participant_ids": lambda: event.participant_ids or None,
    }
    return with_optional(data, fields, optional)


def _includes(events, expansions, user_fields):
    user_ids = []
    for event in events:
        if "sender_id" in expansions:
            user_ids.append(event.sender_id)
        if "participant_ids" in expansions:
            user_ids += event.participant_ids
    return users_includes(user_ids, user_fields)


def dm_events_response(conversation_id=None):
    """One newest-first page of the caller's DM events of the last 30 days (of one conversation)."""
    max_results = max_results_param(low=1, default="100")
    fields = requested("dm_event.fields", DM_EVENT_FIELDS)
    types = requested("event_types", EVENT_TYPES) or set(EVENT_TYPES)
    expansions = requested("expansions", DM_EXPANSIONS)
    user_fields = requested("user.fields", USER_FIELDS)
    requested("tweet.fields", TWEET_FIELDS)
    requested("media.fields", MEDIA_FIELDS)

    oldest = now_utc() - DM_REACH
    events = [e for e in current_network().dm_events_of(g.credential.account.user.id, conversation_id)
              if e.event_type in types and e.created_at >= oldest]
    start = 0
    token = request.args.get("pagination_token")
    if token:
        first_id = decode_x_token(token)
        if first_id is None:
            raise InvalidRequest("pagination_token", token,
                                 f"The `pagination_token` query parameter value [{token}] is not valid")
        start = next((i for i, e in enumerate(events) if int(e.id) <= first_id), len(events))
    page = events[start:start + max_results]

    return page_response(
        [dm_event_json(e, fields) for e in page], _includes(page, expansions, user_fields), {},
        events[start + max_results] if start + max_results < len(events) else None,
    )


@bp.get("/dm_events")
def dm_events():
    return dm_events_response()


@bp.get("/dm_conversations/with/<participant_id>/dm_events")
def dm_events_with(participant_id):
    if not participant_id.isdigit():
        raise InvalidRequest("participant_id", participant_id,
                             f"The `participant_id` path parameter value [{participant_id}] is not valid")
    return dm_events_response(one_to_one_id(g.credential.account.user.id, participant_id))


@bp.get("/dm_conversations/<dm_conversation_id>/dm_events")
def dm_conversation_events(dm_conversation_id):
    return dm_events_response(dm_conversation_id)


# ------------------------------------------------------------------ sending

def _daily_budgets():
    """Spend one send of the brand's and its app's 24 h budgets: (user budget, app budget)."""
    network = current_network()
    account = g.credential.account
    limits, window = network.settings["x_dm_daily_limits"], network.settings["x_dm_daily_window"]
    user = network.limiter.hit(("x", "dm_send_24h", "user", account.access_token), limits["user"], window)
    app = network.limiter.hit(("x", "dm_send_24h", "app", account.consumer_key), limits["app"], window)
    return user, app


def _with_daily_headers(response, user, app):
    for prefix, budget in (("x-user-limit-24hour", user), ("x-app-limit-24hour", app)):
        response.headers[f"{prefix}-limit"] = str(budget.limit)
        response.headers[f"{prefix}-remaining"] = str(budget.remaining)
        response.headers[f"{prefix}-reset"] = str(budget.reset)
    return response


def _message_text():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidRequest("body", request.get_data(as_text=True)[:100], "Request body is not valid JSON.")
    text, attachments = body.get("text"), body.get("attachments")
    if not text and not attachments:
        raise InvalidRequest("text", text or "", "Invalid Request: One of text or attachments must be provided.")
    if text is not None and (not isinstance(text, str) or len(text) > MAX_DM_LENGTH):
        raise InvalidRequest("text", str(text)[:100], f"text must be a string of at most {MAX_DM_LENGTH} characters")
    return text, attachments


def send_response(participant_id=None, conversation_id=None):
    text, attachments = _message_text()
    user, app = _daily_budgets()
    if not (user.allowed and app.allowed):
        return _with_daily_headers(too_many_requests(), user, app)
    if attachments:
        return _with_daily_headers(forbidden(BAD_MEDIA), user, app)  # the sandbox has no media uploads
    try:
        event = current_network().send_brand_dm(
            g.credential.account.user.id, text, participant_id=participant_id, conversation_id=conversation_id,
            via_api=True,
        )
    except Refused as refused:
        if refused.reason == "not_accepting":
            return _with_daily_headers(forbidden(NOT_ACCEPTING), user, app)
        parameter = "participant_id" if participant_id is not None else "dm_conversation_id"
        value = participant_id if participant_id is not None else conversation_id
        raise InvalidRequest(parameter, value, f"The `{parameter}` path parameter value [{value}] is not valid") \
            from None
    response = jsonify({"data": {"dm_conversation_id": event.dm_conversation_id, "dm_event_id": event.id}})
    response.status_code = 201
    return _with_daily_headers(response, user, app)


@bp.post("/dm_conversations/with/<participant_id>/messages")
def dm_send_with(participant_id):
    return send_response(participant_id=participant_id)


@bp.post("/dm_conversations/<dm_conversation_id>/messages")
def dm_send_to_conversation(dm_conversation_id):
    return send_response(conversation_id=dm_conversation_id)
