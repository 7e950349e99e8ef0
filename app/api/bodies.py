"""Request bodies of the JSON API: JSON or nothing, checked once for every POST/PUT/PATCH route.

spectree reads a body with `get_json(silent=True) or {}`: a text/plain or broken body (or `[]`, `null`)
validates as `{}`, which every all-optional PATCH model accepts, so such a request "succeeded" and did
nothing. Here, before any view runs: a body that is not declared JSON is 415, JSON that does not parse is
400 invalid_json, JSON that is not an object is 422 (no route takes anything else). An empty body passes:
actions such as claim or retry take none.
"""
from flask import request
from werkzeug.exceptions import BadRequest
from flask_babel import lazy_gettext as _l

from app.errors import ApiError

BODY_METHODS = {"POST", "PUT", "PATCH"}


def has_body():
    # Chunked bodies carry a Content-Length by now (app/security/bodies.py reads them ahead).
    return bool(request.content_length)


def check_json_body():
    if request.method not in BODY_METHODS or not has_body():
        return
    if not request.is_json:
        raise ApiError(415, _l("Send the request body as JSON (Content-Type: application/json)."))
    try:
        body = request.get_json()  # cached: spectree and the view read the same parse
    except BadRequest:
        raise ApiError(400, _l("The request body is not valid JSON."), code="invalid_json") from None
    if not isinstance(body, dict):
        raise ApiError(422, _l("The request body must be a JSON object."), code="validation_error")
