"""The Instagram slice of the Graph API (Instagram API with Facebook Login, page token), routed by graph_api.py.

GET  /{page-id}?fields=instagram_business_account{id,username,name}
GET  /{ig-user-id}?fields=id,username,…,mentioned_comment.comment_id(ID){…},mentioned_media.media_id(ID){…}
GET  /{ig-user-id}/media                 the account's media, newest first (/live_media: live videos on air)
GET  /{ig-media-id}  POST /{ig-media-id}?comment_enabled=  GET|POST /{ig-media-id}/comments
GET  /{ig-comment-id}  POST /{ig-comment-id}?hide=  DELETE /{ig-comment-id}  GET|POST /{ig-comment-id}/replies
POST /{ig-user-id}/mentions              media_id, message, comment_id? (answering a mention)
POST|DELETE /{ig-user-id}/likes          comment_id: the account likes (unlikes) a comment (Meta's User Likes;
                                         more than `instagram_like_burst` calls in its window: a 1-hour lockout)

Every Instagram response carries X-Business-Use-Case-Usage of type "instagram" keyed by the IG user id:
the Business Use Case budget is 4800 calls x impressions per 24 h (settings), 80002 when spent.
"""
import json
import math
import time

from app.sandbox import instagram_likes
from flask import g, jsonify, request

from app.sandbox import messenger
from app.sandbox.graph_common import RATE_LIMIT_ERRORS, GraphError, _fields, cursor_page, missing_object
from app.sandbox.hooks import current_network
from app.sandbox.instagram import Refusal
from app.sandbox.instagram_objects import (
    NESTED_REPLIES,
    comment_json,
    drop_mention_at,
    media_json,
    mention_modifiers,
    pick,
    user_json,
)
from app.sandbox.paging import encode_cursor

USER_FIELDS_OPTIONAL = ("mentioned_comment", "mentioned_media")
MEDIA_OPTIONAL = ("thumbnail_url", "children", "comments")
COMMENT_OPTIONAL = ("parent_id", "replies", "user")


# ------------------------------------------------------------- which account

def ig_target(network, page, object_id, edge):
    """The IG account a Graph request works on (its budget, its usage header), or None for a Facebook call."""
    book = network.instagram
    if object_id in book.accounts:  # another page's account: a Facebook-style 100/33, on no one's budget
        account = book.accounts[object_id]
        return account if page is None or account.page_id == page.id else None
    linked = book.account_by_page(page.id) if page is not None else None
    if linked is None:
        return None
    if object_id in book.media or object_id in book.comments:
        return linked
    if object_id in ("me", page.id):
        if edge == "conversations" and request.args.get("platform") == "instagram":
            return linked
        if edge == "messages" and request.method == "POST" and network.messenger.is_instagram_send(page, request.values):
            return linked
        return None
    conversation = network.messenger.conversations.get(object_id)
    if conversation is not None and conversation.platform == "instagram":
        return linked
    if network.messenger.instagram_message(object_id) is not None:
        return linked
    return None


def record_usage(account, exhaust=False):
    """Spend one call of the account's BUC budget (and of its app's); False when the budget is spent."""
    network = current_network()
    settings = network.settings
    page = network.pages[account.page_id]
    app_budget = network.limiter.hit(("graph-app", page.app_id), settings["graph_rate_limits"]["app"],
                                     settings["graph_rate_limit_window"])
    limit = int(settings["instagram_calls_per_impression"]) * max(int(settings["instagram_impressions"]), 1)
    spend = network.limiter.exhaust if exhaust else network.limiter.hit
    budget = spend(("instagram-buc", account.id), limit, settings["instagram_rate_limit_window"])
    g.ig_usage = (account.id, app_budget, budget)
    return app_budget, budget


def spend_budget(account):
    """Before an Instagram call: spend its calls, refused once the app's or the account's budget is gone."""
    app_budget, budget = record_usage(account)
    if not app_budget.allowed:
        raise RATE_LIMIT_ERRORS[4]()
    if not budget.allowed:
        raise RATE_LIMIT_ERRORS[80002]()


def usage_headers(response, percent_of, app_header):
    usage = g.pop("ig_usage", None)
    if usage is None:
        return False
    account_id, app_budget, budget = usage
    regain = g.pop("regain_seconds", None)
    percent = 100 if regain else percent_of(budget)
    if regain is None and not budget.allowed:
        regain = max(budget.reset - time.time(), 0)
    response.headers["X-App-Usage"] = app_header(app_budget)
    response.headers["X-Business-Use-Case-Usage"] = json.dumps({account_id: [{
        "type": "instagram", "call_count": percent, "total_cputime": percent // 2, "total_time": percent // 2,
        "estimated_time_to_regain_access": math.ceil(regain / 60) if regain else 0,
    }]})
    return True


# ------------------------------------------------------------------ errors

def refusal_error(refusal):
    """Graph's answer to an Instagram refusal (wording: see docs/network-api-facts.md, the sandbox's guesses)."""
    reason, object_id = refusal.reason, refusal.object_id
    if reason in ("comment_deleted", "media_missing", "not_mentioned"):
        return missing_object(object_id, request.method.lower())
    messages = {
        "comment_hidden": "(#100) You cannot reply to a hidden comment.",
        "not_hideable": "(#100) Comments made by the media owner cannot be hidden.",
        "live_comment": "(#100) You cannot reply to a comment on a live video.",
        "comments_disabled": "(#100) Comments are disabled for this media.",
        "too_long": "(#100) The comment is too long: at most 2200 characters.",
    }
    return GraphError(messages[reason], 100, error_type="IGApiException" if reason != "too_long" else "OAuthException")


def _book():
    return current_network().instagram


def _linked():
    return _book().account_by_page(g.page.id)


def _own_account(object_id):
    account = _book().accounts.get(object_id)
    if account is None or account.page_id != g.page.id:
        raise missing_object(object_id, request.method.lower())
    return account


def _own_media(media_id):
    """The linked account's own media (someone else's media: not readable as a node)."""
    media = _book().live_media(media_id)
    linked = _linked()
    if media is None or linked is None or media.owner["id"] != linked.id:
        raise missing_object(media_id, request.method.lower())
    return media


def _own_comment(comment_id):
    comment = _book().live_comment(comment_id)
    linked = _linked()
    if comment is None or linked is None or _book().media[comment.media_id].owner["id"] != linked.id:
        raise missing_object(comment_id, request.method.lower())
    return comment


def _message():
    message = request.values.get("message", "")
    if not message.strip():
        raise GraphError("(#100) The parameter message is required", 100)
    return message


# ------------------------------------------------------------------ JSON

def _media(media, wanted):
    out = pick(media_json(media, _book(), request.host_url), wanted, "Media", MEDIA_OPTIONAL)
    if wanted and "comments" in wanted:
        comments = _book().top_level(media)[:25]
        out["comments"] = {"data": [_comment(c, wanted["comments"]) for c in comments]}
    return out


def _comment(comment, wanted):
    out = pick(comment_json(comment, _book()), wanted, "Comment", COMMENT_OPTIONAL)
    if wanted and "replies" in wanted and comment.parent_id is None:
        replies = _book().replies_of(comment)
        shown = replies[:NESTED_REPLIES]
        block = {"data": [_comment(r, wanted["replies"] or {}) for r in shown]}
        if shown:
            block["paging"] = {"cursors": {"before": encode_cursor(shown[0].id), "after": encode_cursor(shown[-1].id)}}
            if len(replies) > len(shown):
                block["paging"]["next"] = (f"{request.host_url}{request.view_args['version']}/{comment.id}/replies"
                                           f"?limit={NESTED_REPLIES}&after={encode_cursor(shown[-1].id)}")
        out["replies"] = block
    return out


def page_with_instagram(page, full, wanted):
    """GET /{page-id}: the linked account under instagram_business_account (only its id unless `{...}`)."""
    if wanted and "instagram_business_account" in wanted:
        account = current_network().instagram.account_by_page(page.id)
        if account is not None:
            nested = wanted["instagram_business_account"]
            full["instagram_business_account"] = pick(user_json(account, current_network().instagram),
                                                      nested or {"id": None}, "User", USER_FIELDS_OPTIONAL)
        wanted = {k: v for k, v in wanted.items() if k != "instagram_business_account" or account is not None}
        wanted.setdefault("id", None)  # Graph always answers the node's id
    return full, wanted


def _user(account):
    spec = request.args.get("fields", "")
    wanted = _fields()
    out = pick(user_json(account, _book()), wanted, "User", USER_FIELDS_OPTIONAL)
    modifiers = mention_modifiers(spec)
    for name in USER_FIELDS_OPTIONAL:
        if wanted and name in wanted:
            if not modifiers.get(name):
                raise GraphError(f"(#100) The {name} field requires "
                                 f"{'comment_id' if name == 'mentioned_comment' else 'media_id'}", 100)
            out[name] = _mentioned(account, name, modifiers[name], wanted[name])
    return out


def _mentioned(account, name, object_id, nested):
    book = _book()
    try:
        if name == "mentioned_comment":
            comment = book.mentioned_comment(account, object_id)
            full = comment_json(comment, book)
            full["text"] = drop_mention_at(comment.text, account)
            media = book.media[comment.media_id]
            media_full = media_json(media, book, request.host_url)
            media_full["caption"] = drop_mention_at(media.caption, account)
            full["media"] = media_full
            media_nested = (nested or {}).get("media")
            out = pick(full, nested, "Comment", COMMENT_OPTIONAL)
            if "media" in out:
                out["media"] = pick(media_full, media_nested or {"id": None}, "Media", MEDIA_OPTIONAL)
            return out
        media = book.mentioned_media(account, object_id)
        full = media_json(media, book, request.host_url)
        full["caption"] = drop_mention_at(media.caption, account)
        return pick(full, nested, "Media", MEDIA_OPTIONAL)
    except Refusal as refusal:
        raise refusal_error(refusal) from None


# ---------------------------------------------------------------- routing

def node(object_id):
    """GET, POST (moderation) or DELETE an Instagram node."""
    book = _book()
    found = current_network().messenger.instagram_message(object_id)
    if found is not None:
        return _dm(*found)
    try:
        if object_id in book.accounts:
            account = _own_account(object_id)
            if request.method != "GET":
                raise missing_object(object_id, request.method.lower())
            return jsonify(_user(account))
        if object_id in book.media:
            media = _own_media(object_id)
            if request.method == "POST" and "comment_enabled" in request.values:
                book.set_comments_enabled(media.id, request.values["comment_enabled"].lower() == "true")
                return jsonify({"success": True})
            if request.method != "GET":
                raise missing_object(object_id, request.method.lower())
            return jsonify(_media(media, _fields()))
        return _comment_node(_own_comment(object_id))
    except Refusal as refusal:
        raise refusal_error(refusal) from None


def _comment_node(comment):
    """GET a comment; POST hide=true|false hides or unhides it; DELETE deletes it (Meta's moderation calls)."""
    if request.method == "DELETE":
        _book().delete_comment(comment.id)
        current_network().note_moderation("instagram", _linked().id, "delete", comment.id)
        return jsonify({"success": True})
    if request.method == "POST":
        raw = request.values.get("hide")
        if raw is None:
            raise GraphError("(#100) The parameter hide is required", 100)
        if raw.lower() not in ("true", "false"):
            raise GraphError("(#100) Param hide must be a boolean", 100)
        _book().hide_as_owner(_linked(), comment.id, raw.lower() == "true")
        return jsonify({"success": True})
    return jsonify(_comment(comment, _fields()))


def _dm(conversation, message):
    """GET /{message-id} of an Instagram DM: older than the conversation's 20 newest, it reads as deleted."""
    if conversation.page_id != g.page.id or request.method != "GET":
        raise missing_object(message.id, request.method.lower())
    if message not in messenger.readable_messages(conversation):
        raise GraphError("(#100) This message has been deleted.", 100, error_type="OAuthException")
    return jsonify(messenger.select_message(message, _fields()))


def edge(object_id, edge_name):
    book = _book()
    try:
        if object_id in book.accounts:
            answer = _account_edge(_own_account(object_id), edge_name)
            if answer is not None:
                return answer
            node_type = "User"
        elif object_id in book.media:
            media = _own_media(object_id)
            if edge_name == "comments":
                if request.method == "GET":
                    return _list_comments(media)
                return jsonify({"id": book.comment_on_media(_linked(), media.id, _message(), via_api=True).id})
            node_type = "Media"
        else:
            comment = _own_comment(object_id)
            if edge_name == "replies":
                if request.method == "GET":
                    return _list_replies(comment)
                return jsonify({"id": book.reply(_linked(), comment.id, _message(), via_api=True).id})
            node_type = "Comment"
    except Refusal as refusal:
        raise refusal_error(refusal) from None
    raise GraphError(f"(#100) Tried accessing nonexisting field ({edge_name}) on node type (IG{node_type})", 100)


def _account_edge(account, edge_name):
    """An IG user's edge: its media, answering a mention, liking a comment; None for anything else."""
    if edge_name == "likes" and request.method != "GET":
        return instagram_likes.like(account)
    if edge_name in ("media", "live_media") and request.method == "GET":
        return _list_media(account, live_only=edge_name == "live_media")
    if edge_name == "mentions" and request.method == "POST":
        return _answer_mention(account)
    return None


def _list_media(account, live_only=False):
    """/media: every media of the account, live videos included (a guess); /live_media: only those being
    broadcast now (Meta's IG User Live Media page)."""
    wanted = _fields()
    media = [m for m in _book().media_of(account) if m.live or not live_only]
    body = cursor_page(media, descending=True)
    body["data"] = [_media(m, wanted) for m in body["data"]]
    return jsonify(body)


def _list_comments(media):
    """Top-level comments, newest first; `since` is ignored (no time paging is documented on this edge)."""
    wanted = _fields()
    body = cursor_page(_book().top_level(media), descending=True)
    current_network().stats.note_served("instagram", [c.id for c in body["data"]])
    body["data"] = [_comment(c, wanted) for c in body["data"]]
    return jsonify(body)


def _list_replies(comment):
    wanted = _fields()
    top = _book().comments[comment.parent_id] if comment.parent_id else comment
    replies = _book().replies_of(top) if comment.parent_id is None else []
    body = cursor_page(replies, descending=False)
    current_network().stats.note_served("instagram", [c.id for c in body["data"]])
    body["data"] = [_comment(c, wanted) for c in body["data"]]
    return jsonify(body)


def _answer_mention(account):
    media_id = request.values.get("media_id")
    if not media_id:
        raise GraphError("(#100) The parameter media_id is required", 100)
    answer = _book().answer_mention(account, media_id, _message(), request.values.get("comment_id") or None)
    return jsonify({"id": answer.id})
