"""/hooks/facebook: Facebook's subscription handshake (GET) and Page notifications (POST): `feed` changes
and Messenger `messaging` events (messages and echoes), and Instagram's (`comments`, `live_comments`,
`mentions`, DMs and echoes) for the Instagram accounts linked to the app's Pages.

A missing or malformed signature is 401, one that no page's secret made (or a page we do not know)
is 403; both are logged and nothing is stored. What a notification means is app/push/facebook.py's.
"""
import logging

from flask import Response, abort, current_app, request

from app.auth.guard import public
from app.extensions import db
from app.push import bp, facebook, followups

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"


@bp.get("/facebook")
@public  # Facebook's handshake: authenticated by the verify token
def facebook_handshake():
    challenge = facebook.handshake_challenge(request.args, current_app.config.get("CAREBOX_FACEBOOK_VERIFY_TOKEN"))
    if challenge is None:
        log.warning("facebook push: handshake refused from %s", request.remote_addr)
        abort(403)
    return Response(challenge, mimetype="text/plain")


@bp.post("/facebook")
@public  # authenticated by the X-Hub-Signature-256 HMAC of the body, checked before anything is stored
def facebook_push():
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not facebook.well_formed_signature(signature):
        return _refuse(401, "missing or malformed signature")  # before reading a body nobody signed
    raw = request.get_data(cache=False)  # at most MAX_CONTENT_LENGTH, chunked or not (app/security/bodies.py)
    received = facebook.receive(db.session, raw, signature)
    if received.refused:
        db.session.rollback()
        return _refuse(403, received.refused)
    db.session.commit()
    if received.followups:  # ids-only webhooks (Instagram mentions): read them now, after the commit
        followups.resolve_in_background(current_app._get_current_object(), received.followups)
    if received.accepted < received.entries:
        log.warning("facebook push: %d of %d entries skipped (unknown page or other secret)",
                    received.entries - received.accepted, received.entries)
    log.info("facebook push: %d entries, %d new comments or messages", received.accepted, received.stored)
    return Response("EVENT_RECEIVED", mimetype="text/plain")


def _refuse(status, reason):
    log.warning("facebook push refused (%s): %s from %s", status, reason, request.remote_addr)
    return Response(reason, status=status, mimetype="text/plain")
