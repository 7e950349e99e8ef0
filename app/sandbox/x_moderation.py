"""X API v2 moderation: hiding replies and liking, with the rules, budgets and errors X has.

PUT    /2/tweets/:id/hidden          {"hidden": bool} -> {"data": {"hidden": bool}}
POST   /2/users/:id/likes            {"tweet_id"} -> {"data": {"liked": true}}
DELETE /2/users/:id/likes/:tweet_id  -> {"data": {"liked": false}}

User context only (the families' app budget is 0: app-only gets X's unsupported-authentication 403), 50 calls
per 15-minute window per user each (x-rate-limit-* headers, twitter_api's hooks). Only a reply in a
conversation the authenticated user started can be hidden: not the conversation's first post, not the user's
own replies (X's hide-replies FAQ), and at most `x_hidden_per_conversation` posts per conversation. Hiding what
is hidden already succeeds; so do liking twice and unliking what is not liked. `:id` must be the authenticated
user. The refusals' wording is the sandbox's guess (docs/network-api-facts.md); their shapes are X's problem JSON.
"""
from flask import g, jsonify, request

from app.sandbox.hooks import current_network
from app.sandbox.twitter_api import LIMIT_FAMILIES, PROBLEMS, InvalidRequest, bp, forbidden, problem

LIMIT_FAMILIES.update({
    "x_api.hide_reply": "hide_replies",
    "x_api.like_tweet": "likes",
    "x_api.unlike_tweet": "unlikes",
})

NOT_HIDEABLE = "You cannot hide or unhide this post: it is not a reply in a conversation you started."
NOT_PERMITTED = "You are not permitted to like or unlike posts on behalf of another user."
HIDDEN_LIMIT = "You cannot hide more posts in this conversation."


class Unhideable(Exception):
    """The post is not a reply in a conversation the user started (or the conversation's limit is reached)."""

    def __init__(self, detail):
        super().__init__(detail)
        self.detail = detail


def tweet_not_found(tweet_id):
    return problem(404, "Not Found Error", f"Could not find tweet with id: [{tweet_id}].",
                   PROBLEMS + "resource-not-found", status=404, resource_type="tweet", resource_id=tweet_id,
                   parameter="id", value=tweet_id)


def _json_body():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidRequest("body", request.get_data(as_text=True)[:100], "Request body is not valid JSON.")
    return body


# ------------------------------------------------------------------ rules

def set_hidden(network, user_id, tweet_id, hidden):
    """Hide or unhide `tweet_id` for the conversation's author `user_id`. None when the tweet is gone."""
    with network.lock:
        tweet = network.tweets.get(str(tweet_id))
        if tweet is None or tweet.deleted:
            return None
        root = network.tweets.get(tweet.conversation_id)
        starter = root.author_id if root is not None else None
        if starter != user_id or tweet.id == tweet.conversation_id or tweet.author_id == user_id:
            raise Unhideable(NOT_HIDEABLE)
        if hidden and not tweet.hidden:
            already = sum(1 for t in network.tweets.values() if t.conversation_id == tweet.conversation_id and t.hidden)
            if already >= int(network.settings["x_hidden_per_conversation"]):
                raise Unhideable(HIDDEN_LIMIT)
        tweet.hidden = bool(hidden)
        network.note_moderation("twitter", user_id, "hide" if hidden else "unhide", tweet.id)
        return tweet


def set_liked(network, user_id, tweet_id, liked):
    """`user_id` likes (or unlikes) `tweet_id`; repeating either changes nothing. None when the tweet is gone."""
    with network.lock:
        tweet = network.tweets.get(str(tweet_id))
        if tweet is None or tweet.deleted:
            return None
        if liked and user_id not in tweet.liked_by:
            tweet.liked_by.add(user_id)
            tweet.like_count += 1
        elif not liked and user_id in tweet.liked_by:
            tweet.liked_by.discard(user_id)
            tweet.like_count -= 1
        network.note_moderation("twitter", user_id, "like" if liked else "unlike", tweet.id)
        return tweet


# ---------------------------------------------------------------- endpoints

@bp.put("/tweets/<tweet_id>/hidden")
def hide_reply(tweet_id):
    hidden = _json_body().get("hidden")
    if not isinstance(hidden, bool):
        raise InvalidRequest("hidden", str(hidden), "The `hidden` field must be true or false.")
    try:
        tweet = set_hidden(current_network(), g.credential.account.user.id, tweet_id, hidden)
    except Unhideable as refusal:
        return forbidden(refusal.detail)
    if tweet is None:
        return tweet_not_found(tweet_id)
    return jsonify({"data": {"hidden": tweet.hidden}})


@bp.post("/users/<user_id>/likes")
def like_tweet(user_id):
    if user_id != g.credential.account.user.id:
        return forbidden(NOT_PERMITTED)
    tweet_id = _json_body().get("tweet_id")
    if not isinstance(tweet_id, str) or not tweet_id.isdigit():
        raise InvalidRequest("tweet_id", str(tweet_id), f"The `tweet_id` field value [{tweet_id}] is not valid.")
    if set_liked(current_network(), user_id, tweet_id, True) is None:
        return tweet_not_found(tweet_id)
    return jsonify({"data": {"liked": True}})


@bp.delete("/users/<user_id>/likes/<tweet_id>")
def unlike_tweet(user_id, tweet_id):
    if user_id != g.credential.account.user.id:
        return forbidden(NOT_PERMITTED)
    set_liked(current_network(), user_id, tweet_id, False)  # a gone tweet is not liked either
    return jsonify({"data": {"liked": False}})
