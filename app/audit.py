"""Audit trail: one call records who did what (callers commit); admins read it page by page."""
import sqlalchemy as sa
from flask import g, has_request_context, request
from flask_login import current_user

from app.extensions import db
from app.models import AuditEvent


def record(action, *, actor=None, target=None, data=None):
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    token = g.get("api_token") if has_request_context() else None
    event = AuditEvent(
        actor_user_id=getattr(actor, "id", None),
        actor_token_id=getattr(token, "id", None),
        action=action,
        target_type=type(target).__name__ if target is not None else None,
        target_id=str(target.id) if target is not None else None,
        data=data or {},
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def events_page(session, *, action=None, actor_id=None, before=None, limit=50):
    """The newest audit events (older than event id `before`), at most `limit`, and the id to page on from.

    `action` matches one action ("user.updated") or a family of them ("user" or "user."); `actor_id` is a user.
    """
    query = sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit + 1)
    if action:
        family = action.rstrip(".")
        query = query.where(sa.or_(AuditEvent.action == family,
                                   AuditEvent.action.startswith(family + ".", autoescape=True)))
    if actor_id:
        query = query.where(AuditEvent.actor_user_id == actor_id)
    if before:
        query = query.where(AuditEvent.id < before)
    events = list(session.scalars(query))
    older = events[limit - 1].id if len(events) > limit else None
    return events[:limit], older
