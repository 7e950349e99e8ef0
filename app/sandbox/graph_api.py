"""The slice of the Facebook Graph API the Facebook connector uses, under any /v{N}.{M}/ prefix.

GET /{page-id} and /me, GET /{page-id}/feed, GET /{post-or-comment-id}/comments,
POST /{post-or-comment-id}/comments. The access token comes as a query or
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
import secrets
import time
from datetime import datetime, timezone
from urllib.parse import urlencode

from flask import Blueprint, g, jsonify, request

from app.sandbox import messenger
from app.sandbox.entities import Comment, PagePost
from app.sandbox.graph_objects import FieldError, comment_json, page_json, parse_fields, post_json, select
from app.sandbox.hooks import current_network, start_api_request
from app.sandbox.network import Refused
from app.sandbox.paging import decode_cursor, encode_cursor

bp = Blueprint("graph_api", __name__)

VERSION = re.compile(r"^v\d+\.\d+$")
FEED_EDGES = ("feed", "posts", "published_posts")
MAX_LIMIT = 100


class GraphError(Exception):
    def __init__(self, message, code, *, status=400, error_type="OAuthException", subcode=None, transient=None):
        super().__init__(message)
        self.message, self.code, self.status = message, code, status
        self.error_type, self.subcode, self.transient = error_type, subcode, transient

    def response(self):
        error = {"message": self.message, "type": self.error_type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.transient is not None:
            error["is_transient"] = self.transient
        error["fbtrace_id"] = "A" + secrets.token_urlsafe(15)
        response = jsonify({"error": error})
        response.status_code = self.status
        return response


def invalid_token():
    return GraphError("Invalid OAuth access token - Cannot parse access token", 190)


def expired_session():
    return GraphError(
        "Error validating access token: The session has been invalidated because the user changed their "
        "password or Facebook has changed the session for security reasons.", 190, subcode=460,
    )


def missing_object(object_id, method="get"):
    return GraphError(
        f"Unsupported {method} request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
        "missing permissions, or does not support this operation. Please read the Graph API documentation at "
        "https://developers.facebook.com/docs/graph-api", 100, error_type="GraphMethodException", subcode=33,
    )


def page_limit_reached():
    return GraphError("(#32) Page request limit reached", 32, status=400)


def app_limit_reached():
    return GraphError("(#4) Application request limit reached", 4, status=403, transient=True)


# The rate-limit errors Graph answers with, by code (the messages real Graph sends).
RATE_LIMIT_ERRORS = {
    4: app_limit_reached,
    17: lambda: GraphError("(#17) User request limit reached", 17, status=403, transient=True, subcode=2446079),
    32: page_limit_reached,
    613: lambda: GraphError("(#613) Calls to this api have exceeded the rate limit.", 613, status=400),
    80001: lambda: GraphError(
        "(#80001) There have been too many calls to this Page account. Wait a bit and try again. For more info, "
        "please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.", 80001,
        status=400, subcode=2446079),
}


def temporarily_unavailable():
    return GraphError("(#2) Service temporarily unavailable", 2, status=503, transient=True)


def unknown_error():
    return GraphError("An unknown error has occurred.", 1, status=500, transient=True)


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
    error = RATE_LIMIT_ERRORS[fault.code or 32]()
    if page is None:
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
    if usage is not None:
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


def _fields():
    return parse_fields(request.args.get("fields", ""))


def _int_arg(name, default):
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.lstrip("-").isdigit():
        raise GraphError(f"(#100) The parameter {name} must be an integer", 100)
    return int(raw)


def _time_arg(name):
    """`since` / `until`: unix seconds or an ISO 8601 time."""
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        if raw.lstrip("-").replace(".", "", 1).isdigit():
            return datetime.fromtimestamp(float(raw), timezone.utc)
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError):
        raise GraphError(f"(#100) The parameter {name} is not a valid time: {raw}", 100) from None


def _order_key(object_id):
    return int(str(object_id).rsplit("_", 1)[-1])


def cursor_page(items, *, descending, default_limit=25):
    """One page of `items` (already in display order) with Graph's cursor paging block."""
    limit = min(max(_int_arg("limit", default_limit), 1), MAX_LIMIT)
    after, before = request.args.get("after"), request.args.get("before")
    start, end = 0, limit
    if after or before:
        cursor_id = decode_cursor(after or before)
        if cursor_id is None or not cursor_id.rsplit("_", 1)[-1].isdigit():
            raise GraphError("(#100) The after or before cursor is not valid", 100)
        key = _order_key(cursor_id)
        # Items placed before the cursor item in display order, and the cursor item itself.
        earlier = sum(1 for i in items if (_order_key(i.id) > key if descending else _order_key(i.id) < key))
        through = sum(1 for i in items if (_order_key(i.id) >= key if descending else _order_key(i.id) <= key))
        if after:
            repeat = current_network().faults.take("facebook", request.path, ("duplicate_page",))
            # A duplicate_page fault repeats the cursor item and the `overlap - 1` before it.
            start = max(earlier - repeat.overlap + 1, 0) if repeat else through
            end = start + limit
        else:
            start, end = max(earlier - limit, 0), earlier
    page = items[start:end]
    body = {"data": page}
    if page:
        paging = {"cursors": {"before": encode_cursor(page[0].id), "after": encode_cursor(page[-1].id)}}
        if end < len(items):
            paging["next"] = _page_url(after=encode_cursor(page[-1].id))
        if start > 0:
            paging["previous"] = _page_url(before=encode_cursor(page[0].id))
        body["paging"] = paging
    return body


def _page_url(**cursor):
    args = {k: v for k, v in request.args.items() if k not in ("after", "before")}
    args.update(cursor)
    return f"{request.base_url}?{urlencode(args)}"


# ---------------------------------------------------------------- endpoints

@bp.route("/<version>/<object_id>", methods=["GET", "POST"])
def node(version, object_id):
    obj = _node(object_id)
    if request.method == "POST":
        raise missing_object(object_id, "post")
    return jsonify(select(obj, _node_json(obj), _fields()))


@bp.route("/<version>/<object_id>/<edge>", methods=["GET", "POST"])
def node_edge(version, object_id, edge):
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
    budget = network.limiter.hit(("conversations", page.id), network.settings["messenger_conversations_per_second"], 1)
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
    found = [] if platform == "instagram" else current_network().messenger.page_conversations(page.id)
    body = cursor_page([_Keyed(c) for c in found], descending=True)
    wanted = _fields()
    body["data"] = [messenger.conversation_json(k.conversation, page, wanted, _nested_messages) for k in body["data"]]
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
    body = cursor_page(list(reversed(conversation.messages)), descending=True)
    body["data"] = [messenger.select_message(m, wanted) for m in body["data"]]
    return jsonify(body)
