"""Push follow-ups from the web process: the reads an Instagram push left (mentions, ids only; a media with no
stored Post) done right after the push's commit, in a background task as replies are sent.

`resolve_followups` (app/worker/followups.py, re-exported here) is the one function the poller calls too.
"""
import logging

from flask import current_app

from app.connectors import connector_for
from app.extensions import db, socketio
from app.models import SocialAccount
from app.worker.followups import account_info, resolve_followups

log = logging.getLogger(__name__)

__all__ = ["resolve_followups", "resolve_in_background"]


def resolve_in_background(app, account_ids):
    """After a push's commit: resolve the follow-ups it left, in a background task (as replies are sent)."""
    for account_id in account_ids:
        socketio.start_background_task(_resolve_with_context, app, account_id)


def _resolve_with_context(app, account_id):
    with app.app_context():
        try:
            account = db.session.get(SocialAccount, account_id)
            if account is None or not account.enabled:
                return
            info = account_info(account)
            db.session.commit()
            connector = connector_for(info, timeout=current_app.config["CAREBOX_HTTP_TIMEOUT"])
            resolve_followups(db.session, account_id, connector)
        except Exception:
            log.exception("resolving the push follow-ups of account %s crashed", account_id)
            db.session.rollback()
        finally:
            db.session.remove()
