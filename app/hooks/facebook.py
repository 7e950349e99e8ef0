"""Facebook push: /hooks/facebook receives Page `feed` change notifications (Graph API Webhooks).

GET answers the subscription handshake: hub.mode=subscribe with the verify
token configured in CAREBOX_FACEBOOK_VERIFY_TOKEN echoes hub.challenge.

POST carries {"object": "page", "entry": [{"id": page id, "time", "changes":
[{"field": "feed", "value": {...}}]}]} signed with X-Hub-Signature-256:
"sha256=" + hex HMAC-SHA256 of the raw body keyed with the app secret. The
secret is the `app_secret` in the credentials of the Facebook account whose
page id is the entry's id, so each entry is only accepted under its own
account's secret. A missing signature is 401, a wrong one (or a page we do not
know) 403; both are logged and nothing is stored.

Comments become InboundItems exactly as the poller maps them (one mapping
module for both: app/connectors/facebook_items.py) and go through
app.ingest.ingest(), the one ingest path: a comment seen by push and by
polling is stored once.
"""
import hashlib
import hmac
import json
import logging

import sqlalchemy as sa
from flask import Response, abort, current_app, request

from app.auth.guard import public
from app.connectors.facebook_items import feed_change_item
from app.extensions import db
from app.hooks import bp
from app.ingest.pipeline import ingest
from app.models import SocialAccount

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"


@bp.get("/facebook")
@public  # Facebook's handshake: authenticated by the verify token
def facebook_handshake():
    expected = current_app.config.get("CAREBOX_FACEBOOK_VERIFY_TOKEN") or ""
    given = request.args.get("hub.verify_token", "")
    challenge = request.args.get("hub.challenge", "")
    if request.args.get("hub.mode") != "subscribe" or not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        log.warning("facebook push: handshake refused from %s", request.remote_addr)
        abort(403)
    if not challenge or len(challenge) > 200:
        abort(400)
    return Response(challenge, mimetype="text/plain")


@bp.post("/facebook")
@public  # authenticated by the X-Hub-Signature-256 HMAC of the body, checked below before anything is stored
def facebook_push():
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature.startswith("sha256=") or len(signature) != len("sha256=") + 64:
        return _refuse(401, "missing or malformed signature")  # before reading a body nobody signed
    raw = request.get_data(cache=False)  # at most MAX_CONTENT_LENGTH, chunked or not (app/security/bodies.py)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return _refuse(403, "body is not JSON")  # we cannot even find whose secret should have signed it
    entries = _entries(body)
    accounts = _accounts_for(entries)
    accepted = [(entry, accounts[str(entry.get("id"))]) for entry in entries
                if str(entry.get("id")) in accounts and _signed_by(raw, signature, accounts[str(entry.get("id"))])]
    if not accepted:
        return _refuse(403, "signature does not match the app secret of any page in the notification")
    if len(accepted) < len(entries):
        log.warning("facebook push: %d of %d entries skipped (unknown page or other secret)",
                    len(entries) - len(accepted), len(entries))
    stored = 0
    for entry, account in accepted:
        items = [item for change in entry.get("changes") or []
                 if (item := feed_change_item(change, account.external_id)) is not None]
        if items:
            stored += sum(r.created for r in ingest(db.session, account, items))
    db.session.commit()
    log.info("facebook push: %d entries, %d new comments", len(accepted), stored)
    return Response("EVENT_RECEIVED", mimetype="text/plain")


def _refuse(status, reason):
    log.warning("facebook push refused (%s): %s from %s", status, reason, request.remote_addr)
    return Response(reason, status=status, mimetype="text/plain")


def _entries(body):
    if not isinstance(body, dict) or body.get("object") != "page" or not isinstance(body.get("entry"), list):
        return []
    return [e for e in body["entry"] if isinstance(e, dict) and e.get("id")]


def _accounts_for(entries):
    page_ids = {str(e["id"]) for e in entries}
    if not page_ids:
        return {}
    rows = db.session.scalars(sa.select(SocialAccount).where(
        SocialAccount.network == "facebook", SocialAccount.enabled.is_(True), SocialAccount.external_id.in_(page_ids)))
    return {a.external_id: a for a in rows}


def _signed_by(raw, signature, account):
    secret = (account.credentials or {}).get("app_secret")
    if not secret:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.lower().encode())
