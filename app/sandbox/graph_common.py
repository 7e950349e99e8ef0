"""What every emulated Graph edge shares: Graph's error JSON, its rate-limit errors, arguments and cursor paging.

graph_api.py (pages, posts, comments, Messenger) and instagram_api.py (Instagram) both use it.
"""
import secrets
from datetime import datetime, timezone
from urllib.parse import urlencode

from flask import g, jsonify, request

from app.sandbox.graph_objects import parse_fields
from app.sandbox.hooks import current_network
from app.sandbox.paging import decode_cursor, encode_cursor

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
    80002: lambda: GraphError(
        "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again. For more "
        "info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.", 80002,
        status=400, subcode=2446079, transient=True),
    80001: lambda: GraphError(
        "(#80001) There have been too many calls to this Page account. Wait a bit and try again. For more info, "
        "please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.", 80001,
        status=400, subcode=2446079),
}


def temporarily_unavailable():
    return GraphError("(#2) Service temporarily unavailable", 2, status=503, transient=True)


def unknown_error():
    return GraphError("An unknown error has occurred.", 1, status=500, transient=True)



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
            network_name = "instagram" if g.get("ig_target") is not None else "facebook"
            repeat = current_network().faults.take(network_name, request.path, ("duplicate_page",))
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
