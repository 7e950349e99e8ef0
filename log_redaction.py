"""Secrets out of access logs: the values of secret-bearing query parameters, replaced in request lines and URLs.

Facebook's webhook handshake carries the verify token in the query string (`?hub.verify_token=…`), Graph
API URLs carry `access_token=…`; an access log line would keep them in plain text. Used by gunicorn's
logger (gunicorn.conf.py) and the embedded server's request handler (app/ops/logs.py).

A top-level module, outside the `app` package, because gunicorn's master imports it with its config:
importing `app` there would import Flask (and ssl) before the gevent worker monkey-patches.
"""
import re
from urllib.parse import unquote_plus

REDACTED = "[redacted]"
# Parameter names that carry a credential: hub.verify_token, access_token, token, client_secret, password,
# signature, api_key, … (matched on the decoded, lower-cased name).
SECRET_NAME = re.compile(r"token|secret|passw|pwd|signature|^sig$|api[-_.]?key|^key$|credential|^auth|^code$|session")
# A query parameter inside a request line, URL or bare query string: (separator)(name)=(value).
PARAMETER = re.compile(r"(^|[?&;])([^=&;#\s?]+)=([^&;#\s]*)")


def is_secret_name(name):
    return bool(SECRET_NAME.search(unquote_plus(name).lower()))


def redact(text):
    """`text` with the value of every secret-bearing query parameter replaced by [redacted]."""
    if not text or "=" not in text:
        return text
    head, mark, rest = text.partition("?")
    if not mark:  # a bare query string ("a=1&access_token=…")
        head, rest = "", text
    return head + mark + PARAMETER.sub(_hide, rest)


def _hide(match):
    sep, name, value = match.groups()
    if value and (is_secret_name(name) or _carries_secret(value)):
        return f"{sep}{name}={REDACTED}"
    return match.group(0)


def _carries_secret(value):
    """An encoded URL as a value (`next=/x%3Faccess_token%3D…`) with a secret of its own."""
    inner = unquote_plus(value)
    return inner != value and "=" in inner and redact(inner) != inner
