"""Audit trail: one call records who did what. Callers commit."""
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
