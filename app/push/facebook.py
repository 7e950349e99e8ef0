"""Receiving Facebook's Page webhooks: the handshake, the signature check, the changes stored.

POST bodies are {"object": "page", "entry": [{"id": page id, "time", "changes": [{"field": "feed",
"value": {...}}]}]} for the `feed` field, and {"object": "page", "entry": [{"id": page id, "time",
"messaging": [{"sender": {"id"}, "recipient": {"id"}, "timestamp": ms, "message": {"mid", "text", …}}]}]}
for `messages` and `message_echoes` (an echo has sender = the Page, recipient = the customer and
`message.is_echo`). Both are signed with X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256 of the raw
body keyed with the app secret. The secret is the `app_secret` of the Facebook account whose page id is
the entry's id, so each entry is only accepted under its own account's secret.

Changes and messaging events become InboundItems through the connector's own mappings
(app/connectors/facebook_items.py, the poller's too) and go through the one ingest path, so a comment or
a message seen by push and by polling is stored once. Messaging events that are not messages (deliveries,
reads, postbacks, reactions) are acknowledged and ignored. Callers commit.
"""
import hashlib
import hmac
import json
from dataclasses import dataclass

import sqlalchemy as sa

from app.accounts import lock_accounts
from app.connectors.facebook_items import feed_change_item, messaging_event_item
from app.domain_errors import Malformed
from app.ingest.pipeline import ingest
from app.models import SocialAccount

MAX_CHALLENGE = 200


@dataclass(frozen=True)
class Received:
    entries: int  # entries in the notification
    accepted: int  # entries signed by their page's own secret
    stored: int  # new messages
    refused: str | None = None  # why nothing was accepted


def handshake_challenge(args, verify_token):
    """The challenge to echo for a valid subscription handshake; None when the verify token does not match.
    Raises Malformed for a missing or oversized challenge."""
    given, challenge = args.get("hub.verify_token", ""), args.get("hub.challenge", "")
    if args.get("hub.mode") != "subscribe" or not verify_token:
        return None
    if not hmac.compare_digest(given.encode(), verify_token.encode()):
        return None
    if not challenge or len(challenge) > MAX_CHALLENGE:
        raise Malformed(f"hub.challenge must be 1 to {MAX_CHALLENGE} characters")
    return challenge


def well_formed_signature(signature):
    return signature.startswith("sha256=") and len(signature) == len("sha256=") + 64


def receive(session, raw, signature):
    """Store the changes of a notification whose signature header was well formed. Returns Received."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return Received(0, 0, 0, refused="body is not JSON")  # we cannot even find whose secret signed it
    entries = _entries(body)
    signed = {account.id: account for account in _accounts_for(session, entries).values()
              if _signed_by(raw, signature, account)}
    if not signed:
        return Received(len(entries), 0, 0,
                        refused="signature does not match the app secret of any page in the notification")
    locked = {a.external_id: a for a in lock_accounts(session, signed).values()}  # as the poller holds it
    stored = accepted = 0
    for entry in entries:
        account = locked.get(str(entry["id"]))
        if account is None:
            continue
        accepted += 1
        items = entry_items(entry, account.external_id)
        if items:
            stored += sum(r.created for r in ingest(session, account, items))
    return Received(len(entries), accepted, stored)


def entry_items(entry, page_id):
    """The InboundItems of one notification entry: its `feed` changes and its Messenger messages."""
    changes = entry.get("changes") if isinstance(entry.get("changes"), list) else []
    messaging = entry.get("messaging") if isinstance(entry.get("messaging"), list) else []
    return ([item for change in changes if (item := feed_change_item(change, page_id)) is not None]
            + [item for event in messaging if (item := messaging_event_item(event, page_id)) is not None])


def _entries(body):
    if not isinstance(body, dict) or body.get("object") != "page" or not isinstance(body.get("entry"), list):
        return []
    return [e for e in body["entry"] if isinstance(e, dict) and e.get("id")]


def _accounts_for(session, entries):
    page_ids = {str(e["id"]) for e in entries}
    if not page_ids:
        return {}
    rows = session.scalars(sa.select(SocialAccount).where(
        SocialAccount.network == "facebook", SocialAccount.enabled.is_(True), SocialAccount.external_id.in_(page_ids)))
    return {a.external_id: a for a in rows}


def _signed_by(raw, signature, account):
    secret = (account.credentials or {}).get("app_secret")
    if not secret:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.lower().encode())
