"""Receiving Facebook's Page webhooks: the handshake, the signature check, the changes stored.

POST bodies are {"object": "page", "entry": [{"id": page id, "time", "changes": [{"field": "feed",
"value": {...}}]}]} for the `feed` field, and {"object": "page", "entry": [{"id": page id, "time",
"messaging": [{"sender": {"id"}, "recipient": {"id"}, "timestamp": ms, "message": {"mid", "text", …}}]}]}
for `messages` and `message_echoes` (an echo has sender = the Page, recipient = the customer and
`message.is_echo`). Both are signed with X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256 of the raw
body keyed with the app secret. The secret is the `app_secret` of the Facebook account whose page id is
the entry's id, so each entry is only accepted under its own account's secret.

Instagram's webhooks come the same way with {"object": "instagram"} and the IG user id as the entry id
(its account: network "instagram", external_id = that id; the secret: that account's app_secret, the app of
its Page): `comments` and `live_comments` changes and `messaging` events (DMs, echoes with is_echo) are
stored at once; `mentions` carry ids only, and a comment on a media Carebox has no Post for brings no caption
or picture, so those leave push_followups rows in the same transaction, for app/push/followups.py to read
through the connector (right after the commit, else at the next poll).

Changes and messaging events become InboundItems through the connector's own mappings
(app/connectors/facebook_items.py, instagram_items.py, the poller's too) and go through the one ingest path,
so a comment or a message seen by push and by polling is stored once. Messaging events that are not messages
(deliveries, reads, postbacks, reactions) are acknowledged and ignored. Callers commit.
"""
import hashlib
import hmac
import json
from dataclasses import dataclass

import sqlalchemy as sa

from app.accounts import lock_accounts
from app.connectors.facebook_items import feed_change_item, messaging_event_item
from app.connectors.instagram_items import dm_event_item, pushed_comment, pushed_comment_item
from app.database import insert_for
from app.domain_errors import Malformed
from app.ingest.items import InboundPost
from app.ingest.pipeline import ingest
from app.ingest.triage import asks_a_model, precompute
from app.models import Post, PushFollowup, SocialAccount, utcnow

MAX_CHALLENGE = 200


@dataclass(frozen=True)
class Received:
    entries: int  # entries in the notification
    accepted: int  # entries signed by their page's own secret
    stored: int  # new messages
    refused: str | None = None  # why nothing was accepted
    followups: tuple = ()  # ids of the accounts left with reads to do (push_followups rows)


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
    network = OBJECTS.get(body.get("object")) if isinstance(body, dict) else None
    entries = _entries(body) if network else []
    signed = {account.id: account for account in _accounts_for(session, entries, network).values()
              if _signed_by(raw, signature, account)}
    if not signed:
        return Received(len(entries), 0, 0,
                        refused="signature does not match the app secret of any page in the notification")
    by_page = {a.external_id: a for a in signed.values()}
    read = [(by_page[str(entry["id"])].id, *_entry_contents(session, network, entry, by_page[str(entry["id"])]))
            for entry in entries if str(entry["id"]) in by_page]
    if asks_a_model():
        session.commit()  # nothing held while a remote triage model labels the items, before the lock
        read = _with_signals(read)
    locked = lock_accounts(session, signed)  # as the poller holds it
    stored = accepted = 0
    followups = set()
    for account_id, items, reads in read:
        account = locked.get(account_id)
        if account is None:
            continue
        accepted += 1
        if reads:
            _leave_followups(session, account, reads)
            followups.add(account.id)
        if items:
            stored += sum(r.created for r in ingest(session, account, items))
    return Received(len(entries), accepted, stored, followups=tuple(sorted(followups)))


def _entry_contents(session, network, entry, account):
    """(the InboundItems, the reads left to do) of one entry of a page signed by its own secret."""
    if network == "instagram":
        return instagram_entry(session, entry, account)
    return entry_items(entry, account.external_id), []


def _with_signals(read):
    """`read` with its items through app.ingest.triage.precompute, all entries' in one call."""
    labelled = iter(precompute([item for _, items, _ in read for item in items]))
    return [(account_id, [next(labelled) for _ in items], reads) for account_id, items, reads in read]


OBJECTS = {"page": "facebook", "instagram": "instagram"}  # webhook object -> the network of its accounts


def entry_items(entry, page_id):
    """The InboundItems of one notification entry: its `feed` changes and its Messenger messages."""
    changes = entry.get("changes") if isinstance(entry.get("changes"), list) else []
    messaging = entry.get("messaging") if isinstance(entry.get("messaging"), list) else []
    return ([item for change in changes if (item := feed_change_item(change, page_id)) is not None]
            + [item for event in messaging if (item := messaging_event_item(event, page_id)) is not None])


def instagram_entry(session, entry, account):
    """(the InboundItems, the reads left to do as (kind, external id, media id)) of one `instagram` entry."""
    ig_user_id = account.external_id
    changes = [c for c in entry.get("changes") or [] if isinstance(c, dict)] \
        if isinstance(entry.get("changes"), list) else []
    messaging = entry.get("messaging") if isinstance(entry.get("messaging"), list) else []
    items = [item for event in messaging if (item := dm_event_item(event, ig_user_id)) is not None]
    reads = []
    comments = [(change, found) for change in changes if (found := pushed_comment(change)) is not None]
    known = _stored_media(session, {media_id for _, (_, media_id, _) in comments})
    for change, (_, media_id, product) in comments:
        item = pushed_comment_item(change, ig_user_id, InboundPost(media_id, product_type=product),
                                   entry_time=entry.get("time"))
        if item is not None:
            items.append(item)
            if media_id not in known:
                reads.append(("media", media_id, None))  # its caption and picture, for the context card
    for change in changes:
        value = change.get("value") if isinstance(change.get("value"), dict) else {}
        if change.get("field") != "mentions" or not value.get("media_id"):
            continue
        if value.get("comment_id"):
            reads.append(("mentioned_comment", str(value["comment_id"]), str(value["media_id"])))
        else:
            reads.append(("mentioned_media", str(value["media_id"]), None))
    return items, reads


def _stored_media(session, media_ids):
    if not media_ids:
        return set()
    return set(session.scalars(sa.select(Post.external_id).where(
        Post.network == "instagram", Post.external_id.in_(sorted(media_ids)))))


def _leave_followups(session, account, reads):
    """push_followups rows for reads a webhook's ids call for; one per (account, kind, id) however often pushed."""
    now = utcnow()
    rows = [{"account_id": account.id, "kind": kind, "external_id": external_id, "media_id": media_id,
             "attempts": 0, "created_at": now, "next_attempt_at": now}
            for kind, external_id, media_id in dict.fromkeys(reads)]
    session.execute(insert_for(session, PushFollowup).on_conflict_do_nothing(
        index_elements=["account_id", "kind", "external_id"]), rows)


def _entries(body):
    if not isinstance(body, dict) or not isinstance(body.get("entry"), list):
        return []
    return [e for e in body["entry"] if isinstance(e, dict) and e.get("id")]


def _accounts_for(session, entries, network):
    page_ids = {str(e["id"]) for e in entries}
    if not page_ids:
        return {}
    rows = session.scalars(sa.select(SocialAccount).where(
        SocialAccount.network == network, SocialAccount.enabled.is_(True), SocialAccount.external_id.in_(page_ids)))
    return {a.external_id: a for a in rows}


def _signed_by(raw, signature, account):
    secret = (account.credentials or {}).get("app_secret")
    if not secret:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.lower().encode())
