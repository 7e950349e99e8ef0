"""The slice of the Facebook Graph API the Facebook connector uses, under any /v{N}.{M}/ prefix.

GET /{page-id} and /me, GET /{page-id}/feed, GET /{post-or-comment-id}/comments,
POST /{post-or-comment-id}/comments; moderation (hide, delete, like) in graph_moderation.py. The access token comes as a query or
form parameter; appsecret_proof is checked when given. Errors are always
JSON `{"error": {...}}` (facebook-sdk reads nothing else), and every
authenticated response carries X-App-Usage and X-Page-Usage (percentages of
the budgets) and, since page tokens fall under Business Use Case limits,
X-Business-Use-Case-Usage with `estimated_time_to_regain_access` (minutes)
(https://developers.facebook.com/docs/graph-api/overview/rate-limiting/).
"""
import hashlib
import hmac
import json
import math
import re
import time

from flask import Blueprint, g, jsonify, request

from app.sandbox import graph_moderation, instagram_api, messenger
from app.sandbox.entities import Comment, PagePost
from app.sandbox.graph_common import (  # noqa: F401 (re-exported: the Graph error makers live there)
    RATE_LIMIT_ERRORS,
    GraphError,
    _fields,
    _int_arg,
    _time_arg,
    app_limit_reached,
    cursor_page,
    expired_session,
    invalid_token,
    missing_object,
    page_limit_reached,
    temporarily_unavailable,
    unknown_error,
)
from app.sandbox.graph_objects import FieldError, comment_json, page_json, post_json, select
from app.sandbox.hooks import current_network, start_api_request
from app.sandbox.network import Refused
from app.sandbox.paging import encode_cursor

bp = Blueprint("graph_api", __name__)

VERSION = re.compile(r"^v\d+\.\d+$")
FEED_EDGES = ("feed", "posts", "published_posts")


@bp.errorhandler(GraphError)
def on_graph_error(error):
    return error.response()


@bp.errorhandler(messenger.MessengerError)
def on_messenger_error(error):
    return GraphError(error.message, error.code, subcode=error.subcode, status=error.status).response()


@bp.errorhandler(FieldError)
def on_field_error(error):
    return GraphError(str(error), 100).response()


# ------------------------------------------------------------- request hooks

def _rate_limited(fault):
    """A '429' fault. Plain: the page's whole budget is spent (every call fails until its window ends).
    Periodic or with retry_after: this call alone is refused, its headers saying when access comes back."""
    page = current_network().page_by_token(request.values.get("access_token"))
    account = g.get("ig_target")
    error = RATE_LIMIT_ERRORS[fault.code or (80002 if account else 32)]()
    if page is None:
        return error.response()
    if account is not None:
        instagram_api.record_usage(account, exhaust=not (fault.every or fault.retry_after is not None))
        if fault.every or fault.retry_after is not None:
            g.regain_seconds = fault.retry_after if fault.retry_after is not None else 60
        return error.response()
    if fault.every or fault.retry_after is not None:
        _record_usage(page)
        g.regain_seconds = fault.retry_after if fault.retry_after is not None else 60
    else:
        _record_usage(page, exhaust=True)
    return error.response()


FAULT_RESPONDERS = {
    "429": _rate_limited,
    "500": lambda _fault: unknown_error().response(),
    "503": lambda _fault: temporarily_unavailable().response(),
    "bad_token": lambda _fault: expired_session().response(),
}


@bp.before_request
def authenticate_and_limit():
    if not VERSION.match((request.view_args or {}).get("version", "")):
        raise GraphError(f"Unknown path components: {request.path}", 2500)
    network = current_network()
    page = network.page_by_token(request.values.get("access_token"))
    edge = (request.view_args or {}).get("edge") or "node"
    account = instagram_api.ig_target(network, page, (request.view_args or {}).get("object_id"), edge)
    g.ig_target = account
    if account is not None:  # Instagram calls: their own fault filter ("instagram"), stats and budget
        early = start_api_request("instagram", f"{request.method} /{edge}", account.id, FAULT_RESPONDERS)
    else:
        early = start_api_request("facebook", f"{request.method} /{edge}", page.id if page else None, FAULT_RESPONDERS)
    if early is not None:
        return early
    if page is None:
        raise invalid_token()
    proof = request.values.get("appsecret_proof")
    if proof is not None:
        expected = hmac.new(page.app_secret.encode(), page.access_token.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(proof, expected):
            raise GraphError("Invalid appsecret_proof provided in the API argument", 100,
                             error_type="GraphMethodException")
    g.page = page
    if account is not None:
        return instagram_api.spend_budget(account)
    app_budget, page_budget = _record_usage(page)
    if not app_budget.allowed:
        raise app_limit_reached()
    if not page_budget.allowed:
        raise page_limit_reached()
    return None


def _record_usage(page, exhaust=False):
    network = current_network()
    limits, window = network.settings["graph_rate_limits"], network.settings["graph_rate_limit_window"]
    spend = network.limiter.exhaust if exhaust else network.limiter.hit
    app_budget = network.limiter.hit(("graph-app", page.app_id), limits["app"], window)
    page_budget = spend(("graph-page", page.id), limits["page"], window)
    g.usage = (page.id, app_budget, page_budget)
    return app_budget, page_budget


def _percent(budget):
    return min(100, budget.used * 100 // max(budget.limit, 1))


def _usage_header(budget):
    percent = _percent(budget)
    return json.dumps({"call_count": percent, "total_cputime": percent // 2, "total_time": percent // 2})


def _business_usage_header(page_id, budget, regain_seconds):
    """X-Business-Use-Case-Usage for a page token: {page id: [{"type": "pages", percentages…,
    "estimated_time_to_regain_access": minutes}]} (0 minutes while access is not blocked)."""
    percent = 100 if regain_seconds else _percent(budget)
    if regain_seconds is None and not budget.allowed:
        regain_seconds = max(budget.reset - time.time(), 0)
    minutes = math.ceil(regain_seconds / 60) if regain_seconds else 0
    return json.dumps({page_id: [{"type": "pages", "call_count": percent, "total_cputime": percent // 2,
                                  "total_time": percent // 2, "estimated_time_to_regain_access": minutes}]})


@bp.after_request
def usage_headers(response):
    usage = g.pop("usage", None)
    if instagram_api.usage_headers(response, _percent, _usage_header):
        pass
    elif usage is not None:
        page_id, app_budget, page_budget = usage
        response.headers["X-App-Usage"] = _usage_header(app_budget)
        response.headers["X-Page-Usage"] = _usage_header(page_budget)
        response.headers["X-Business-Use-Case-Usage"] = _business_usage_header(
            page_id, page_budget, g.pop("regain_seconds", None))
    response.headers["facebook-api-version"] = (request.view_args or {}).get("version", "v21.0")
    return response


# ------------------------------------------------------------------ helpers

def _node(object_id):
    """The page, post or comment `object_id`, if the token's page may see it."""
    network = current_network()
    if object_id in ("me", g.page.id):
        return g.page
    obj, page = network.find_object(object_id)
    if obj is None or page is None or page.id != g.page.id:
        raise missing_object(object_id, request.method.lower())
    return obj


def _node_json(obj):
    network = current_network()
    if isinstance(obj, PagePost):
        return post_json(obj, g.page)
    if isinstance(obj, Comment):
        return comment_json(obj, network, g.page)
    return page_json(obj)


# ---------------------------------------------------------------- endpoints

@bp.route("/<version>/<object_id>", methods=["GET", "POST", "DELETE"])
def node(version, object_id):
    if g.get("ig_target") is not None and object_id not in ("me", g.page.id):
        return instagram_api.node(object_id)
    obj = _node(object_id)
    if request.method != "GET" and isinstance(obj, Comment):
        return graph_moderation.comment_node(obj)  # is_hidden, DELETE
    if request.method != "GET":
        raise missing_object(object_id, request.method.lower())
    full, wanted = _node_json(obj), _fields()
    if obj is g.page:
        full, wanted = instagram_api.page_with_instagram(obj, full, wanted)
    return jsonify(select(obj, full, wanted))


@bp.route("/<version>/<object_id>/<edge>", methods=["GET", "POST", "DELETE"])
def node_edge(version, object_id, edge):
    if request.method == "DELETE" and edge != "likes":  # only a like is taken back through an edge
        raise missing_object(object_id, "delete")
    if g.get("ig_target") is not None and current_network().instagram.knows(object_id):
        return instagram_api.edge(object_id, edge)
    conversation = current_network().messenger.conversations.get(object_id)
    if conversation is not None and conversation.page_id == getattr(g.page, "id", None) and edge == "messages":
        return conversation_messages(conversation) if request.method == "GET" else _unsupported_post(object_id)
    obj = _node(object_id)
    if edge == "messages" and obj is g.page:
        return jsonify(current_network().messenger.send(g.page, request.form or request.values))
    if edge == "conversations" and obj is g.page:
        return conversations(obj) if request.method == "GET" else _unsupported_post(object_id)
    if edge in FEED_EDGES and obj is g.page:
        return feed(obj) if request.method == "GET" else _unsupported_post(object_id)
    if edge == "likes" and isinstance(obj, (PagePost, Comment)):
        return graph_moderation.likes(obj)
    if edge == "comments" and isinstance(obj, (PagePost, Comment)):
        return list_comments(obj) if request.method == "GET" else create_comment(obj)
    node_type = {PagePost: "Post", Comment: "Comment"}.get(type(obj), "Page")
    raise GraphError(f"(#100) Tried accessing nonexisting field ({edge}) on node type ({node_type})", 100)


def _unsupported_post(object_id):
    raise missing_object(object_id, "post")


def feed(page):
    network = current_network()
    fields = _fields()
    since, until = _time_arg("since"), _time_arg("until")
    posts = [p for p in network.feed(page.id)
             if (since is None or p.created_time >= since) and (until is None or p.created_time <= until)]
    body = cursor_page(posts, descending=True)
    body["data"] = [select(p, post_json(p, page), fields) for p in body["data"]]
    return jsonify(body)


def list_comments(obj):
    network = current_network()
    fields = _fields()
    stream = request.args.get("filter", "toplevel")
    order = request.args.get("order", "chronological")
    if stream not in ("stream", "toplevel"):
        raise GraphError("(#100) Param filter must be one of {toplevel, stream}", 100)
    if order not in ("chronological", "reverse_chronological"):
        raise GraphError("(#100) Param order must be one of {chronological, reverse_chronological}", 100)
    since, until = _time_arg("since"), _time_arg("until")
    comments = [c for c in network.comments_of(obj, stream=stream == "stream")
                if (since is None or c.created_time >= since) and (until is None or c.created_time <= until)]
    descending = order == "reverse_chronological"
    if descending:
        comments.reverse()
    body = cursor_page(comments, descending=descending)
    network.stats.note_served("facebook", [c.id for c in body["data"]])
    body["data"] = [select(c, comment_json(c, network, g.page), fields) for c in body["data"]]
    if request.args.get("summary") in ("true", "1"):
        body["summary"] = {"order": order, "total_count": len(comments), "can_comment": True}
    return jsonify(body)


def create_comment(obj):
    message = request.values.get("message", "")
    if not message.strip() and not request.values.get("attachment_url"):
        raise GraphError("(#100) Missing message or attachment", 100)
    try:
        comment = current_network().post_page_comment(g.page.id, obj.id, message, via_api=True)
    except Refused:
        raise missing_object(obj.id, "post") from None
    return jsonify({"id": comment.id})


# ---------------------------------------------------------------- Messenger (app/sandbox/messenger.py)

def _conversations_api_call(page):
    """The Conversations API allows 2 calls per second per Page."""
    network = current_network()
    account = g.get("ig_target")  # Instagram: 2 calls/s per IG account
    key = ("conversations", account.id if account is not None else page.id)
    budget = network.limiter.hit(key, network.settings["messenger_conversations_per_second"], 1)
    if not budget.allowed:
        raise RATE_LIMIT_ERRORS[613]()


class _Keyed:
    """A conversation paged by its latest message (ids grow with time: newest activity first)."""

    def __init__(self, conversation):
        self.conversation = conversation
        self.id = f"{conversation.id}_{conversation.messages[-1].id[2:]}"


def conversations(page):
    _conversations_api_call(page)
    platform = request.args.get("platform", "messenger")
    if platform not in ("messenger", "instagram"):
        raise GraphError("(#100) Param platform must be one of {instagram, messenger}", 100)
    # No time-based pagination on this edge: `since` and `until` are ignored, as Graph does.
    book = current_network().messenger
    found = book.page_conversations(page.id, platform)
    body = cursor_page([_Keyed(c) for c in found], descending=True)
    wanted = _fields()
    body["data"] = [messenger.conversation_json(k.conversation, page, wanted, _nested_messages,
                                                book._brand(k.conversation)) for k in body["data"]]
    return jsonify(body)


def _nested_messages(items):
    """A conversation's `messages{...}` field: the first page, newest first."""
    page = items[:25]
    block = {"data": page}
    if page:
        block["paging"] = {"cursors": {"before": encode_cursor(page[0].id), "after": encode_cursor(page[-1].id)}}
    return block


def conversation_messages(conversation):
    _conversations_api_call(g.page)
    wanted = _fields()
    body = cursor_page(messenger.readable_messages(conversation), descending=True)
    body["data"] = [messenger.select_message(m, wanted) for m in body["data"]]
    return jsonify(body)
