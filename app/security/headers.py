"""Security headers on every response (flask-talisman), a Content-Security-Policy, and no caching of data.

Pages load only our own scripts, styles and images (no inline script or style anywhere: templates and
static/js keep to that), talk only to their own origin (Socket.IO included, over ws:/wss: of the same host)
and cannot be framed. HSTS is sent on https responses only (gunicorn marks requests https from
FORWARDED_ALLOW_IPS proxies), so the embedded http default is not locked out.

Responses that do not say how to cache them (everything but static files) are `no-store`: API answers and
pages carry customer text and personal data, which must not stay in shared or browser caches.
"""
import re

from flask import current_app, request
from flask_talisman import Talisman

talisman = Talisman()

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    # Swagger UI's icons are data: URIs; Instagram's media thumbnails (the thread's post cards) come from its CDN.
    "img-src": "'self' data: https://*.cdninstagram.com https://*.fbcdn.net",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
PERMISSIONS_POLICY = {"browsing-topics": "()", "camera": "()", "microphone": "()", "geolocation": "()", "payment": "()"}
# Host header values fit to name in the policy (anything else: 'self' alone, which CSP 3 browsers match to ws: too).
PLAIN_HOST = re.compile(r"^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


# An origin fit to name in img-src (scheme, host, optional port): nothing else of a setting reaches the header.
IMAGE_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$|^https?://\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


def image_sources(setting):
    """The extra origins thumbnails may load from (CAREBOX_IMAGE_SOURCES, space-separated: the sandbox's
    address when its media live there); anything that is not a plain origin is left out."""
    return [origin.rstrip("/") for origin in (setting or "").split() if IMAGE_ORIGIN.match(origin.rstrip("/"))]


def content_security_policy(host, extra_images=()):
    connect = "'self'"
    if host and PLAIN_HOST.match(host):
        connect += f" ws://{host} wss://{host}"  # Socket.IO's websocket, for browsers where 'self' omits ws:
    policy = dict(CSP)
    if extra_images:
        policy["img-src"] = " ".join([CSP["img-src"], *extra_images])
    return "; ".join([*(f"{name} {value}" for name, value in policy.items()), f"connect-src {connect}"])


def add_headers(response):
    extra = image_sources(current_app.config.get("CAREBOX_IMAGE_SOURCES"))
    response.headers.setdefault("Content-Security-Policy", content_security_policy(request.host, extra))
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app):
    hsts_seconds = app.config.get("CAREBOX_HSTS_SECONDS") or 0
    talisman.init_app(
        app,
        force_https=False,  # TLS ends at the load balancer, or there is none (the embedded default)
        session_cookie_secure=False,  # SESSION_COOKIE_SECURE stays the deployment's choice (config.py)
        session_cookie_samesite=app.config.get("SESSION_COOKIE_SAMESITE"),
        frame_options="DENY",
        content_security_policy=None,  # per request, with the host: add_headers()
        referrer_policy="same-origin",
        permissions_policy=PERMISSIONS_POLICY,
        strict_transport_security=hsts_seconds > 0,
        strict_transport_security_max_age=hsts_seconds,
        strict_transport_security_include_subdomains=False,
    )
    app.after_request(add_headers)
