"""POST|DELETE /{ig-user-id}/likes: the Instagram account likes or unlikes a comment (Meta's "User Likes").

`comment_id` or `media_id` (not both) as a query or body parameter; only comment likes are emulated (Carebox
likes customers' comments). Liking twice has no further effect; the answer is {"success": true}. Meta's burst
limit: more than `instagram_like_burst` calls in `instagram_like_burst_window` seconds lock the account's
likes out for an hour (the error and its code are the sandbox's guess: Graph's #17 user request limit, with
X-Business-Use-Case-Usage saying when access comes back).
"""
import time

from flask import g, jsonify, request

from app.sandbox.graph_common import GraphError, missing_object
from app.sandbox.hooks import current_network
from app.sandbox.instagram import Refusal

LOCKOUT_SECONDS = 3600


def burst_limit_reached():
    return GraphError("(#17) User request limit reached: too many likes in a short time. The account's likes are "
                      "blocked for an hour.", 17, status=403, transient=True, subcode=2446079)


def like(account):
    network = current_network()
    _spend_burst(network, account)
    comment_id, media_id = request.values.get("comment_id"), request.values.get("media_id")
    if comment_id and media_id:
        raise GraphError("(#100) Supply either media_id or comment_id, not both", 100)
    if not comment_id:
        if media_id:
            raise GraphError("(#100) The sandbox emulates likes of comments only", 100)
        raise GraphError("(#100) The parameter comment_id or media_id is required", 100)
    try:
        network.instagram.like_comment(account, comment_id, liked=request.method == "POST")
    except Refusal:
        raise missing_object(comment_id, request.method.lower()) from None
    return jsonify({"success": True})


def _spend_burst(network, account):
    """Count the call in the burst window; past the limit, refuse every like call for LOCKOUT_SECONDS."""
    book = network.instagram
    now = time.time()
    locked_until = book.like_lockouts.get(account.id, 0)
    if now < locked_until:
        g.regain_seconds = locked_until - now
        raise burst_limit_reached()
    settings = network.settings
    budget = network.limiter.hit(("instagram-like-burst", account.id), int(settings["instagram_like_burst"]),
                                 float(settings["instagram_like_burst_window"]))
    if not budget.allowed:
        book.like_lockouts[account.id] = now + LOCKOUT_SECONDS
        g.regain_seconds = LOCKOUT_SECONDS
        raise burst_limit_reached()
