"""Push receivers: networks that call us (Facebook's Webhooks). Authenticated by signature, not by session."""
from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("hooks", __name__, url_prefix="/hooks")
csrf.exempt(bp)  # signed by the network with the app secret; there is no browser session to protect

from app.hooks import facebook  # noqa: E402,F401  (routes)
