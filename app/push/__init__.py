"""Pushes in: networks that call us (Facebook's Webhooks at /hooks/facebook).

Authenticated by the network's signature, not by a session. The views (views.py) only turn HTTP into
calls of the receivers (facebook.py), which check signatures, map each change with the connector's
own mapping (the one the poller uses) and store it through the one ingest path.
"""
from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("push", __name__, url_prefix="/hooks")
csrf.exempt(bp)  # signed by the network with the app secret; there is no browser session to protect

from app.push import views  # noqa: E402,F401  (routes)
