"""Facebook comment moderation in the Graph API, routed by graph_api.py for the token's page.

POST   /{comment-id}?is_hidden=true|false   hide or unhide; the Page's own comments have can_hide false
DELETE /{comment-id}                        delete a comment on the Page's posts
POST   /{object-id}/likes                   the Page likes a post or comment; DELETE takes the like back

Each answers {"success": true}; repeating one (hiding a hidden comment, liking twice) succeeds and changes
nothing. A page listed in settings["facebook_pages_without_engagement"] gets Graph's #200 permission error,
as a token without pages_manage_engagement does. Wording of the refusals: docs/network-api-facts.md.
"""
from flask import g, jsonify, request

from app.sandbox.entities import Comment
from app.sandbox.graph_common import GraphError, missing_object
from app.sandbox.hooks import current_network

BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def no_engagement_permission():
    return GraphError("(#200) Requires pages_manage_engagement permission to manage the object", 200,
                      status=403)


def cannot_hide():
    return GraphError("(#100) This comment cannot be hidden (can_hide is false: the Page's own comments stay "
                      "visible)", 100, error_type="GraphMethodException")


def _check_permission():
    if g.page.id in current_network().settings["facebook_pages_without_engagement"]:
        raise no_engagement_permission()


def comment_node(comment):
    """POST /{comment-id} with is_hidden, or DELETE /{comment-id}; any other write is refused as Graph does."""
    network = current_network()
    if request.method == "DELETE":
        _check_permission()
        network.delete(comment.id)
        network.note_moderation("facebook", g.page.id, "delete", comment.id)
        return jsonify({"success": True})
    raw = request.values.get("is_hidden")
    if raw is None:
        raise missing_object(comment.id, "post")
    if raw.lower() not in BOOLEANS:
        raise GraphError("(#100) Param is_hidden must be a boolean", 100)
    _check_permission()
    if not can_hide(comment, g.page):
        raise cannot_hide()
    hidden = BOOLEANS[raw.lower()]
    with network.lock:
        comment.hidden = hidden
    network.note_moderation("facebook", g.page.id, "hide" if hidden else "unhide", comment.id)
    return jsonify({"success": True})


def likes(obj):
    """POST (like) or DELETE (unlike) /{object-id}/likes as the token's page."""
    if request.method == "GET":
        raise GraphError("(#100) The sandbox does not list likes", 100)
    _check_permission()
    network = current_network()
    liked = request.method == "POST"
    with network.lock:
        if liked and g.page.id not in obj.liked_by:
            obj.liked_by.add(g.page.id)
            _count(obj, 1)
        elif not liked and g.page.id in obj.liked_by:
            obj.liked_by.discard(g.page.id)
            _count(obj, -1)
    network.note_moderation("facebook", g.page.id, "like" if liked else "unlike", obj.id)
    return jsonify({"success": True})


def can_hide(comment, page):
    """Graph's can_hide: a page hides others' comments on its posts, never its own."""
    return not (comment.author and str(comment.author.get("id")) == page.id)


def _count(obj, step):
    if isinstance(obj, Comment):
        obj.like_count = max(obj.like_count + step, 0)
