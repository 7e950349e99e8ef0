"""Webhook endpoints (admins): CRUD, secret rotation, the delivery log, redeliver, send a test event."""
from datetime import timedelta

import sqlalchemy as sa
from flask import jsonify
from flask_login import current_user
from spectree import Response
from sqlalchemy.orm import selectinload
from flask_babel import lazy_gettext as _l

from app.api import bp, require, spec
from app.api.integration_schemas import (
    DeliveryDetailOut,
    DeliveryListOut,
    DeliveryOut,
    DeliveryQuery,
    EventTypeListOut,
    RotateIn,
    RotateOut,
    WebhookCreatedOut,
    WebhookIn,
    WebhookListOut,
    WebhookOut,
    WebhookPatchIn,
)
from app.api.paging import get_by_id, page_by_id
from app.api.schemas import ErrorOut
from app.errors import ApiError
from app.events.catalogue import WEBHOOK_TYPES
from app.extensions import db
from app.models import WebhookDelivery, WebhookEndpoint, isoformat
from app.webhooks import endpoints as hooks
from app.webhooks.shapes import delivery_dict, endpoint_dict

ERRORS = dict(HTTP_404=ErrorOut, HTTP_422=ErrorOut)


def _endpoint_or_404(endpoint_id):
    endpoint = get_by_id(db.session, WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise ApiError(404, _l("There is no webhook endpoint %(id)s.", id=endpoint_id))
    return endpoint


def _delivery_or_404(endpoint_id, delivery_id):
    delivery = hooks.get_delivery(db.session, endpoint_id, delivery_id)
    if delivery is None:
        raise ApiError(404, _l("Webhook endpoint %(endpoint)s has no delivery %(delivery)s.", endpoint=endpoint_id,
                                delivery=delivery_id))
    return delivery


@bp.get("/webhooks")
@require("admin", "admin")
@spec.validate(resp=Response(HTTP_200=WebhookListOut), tags=["webhooks"])
def list_webhooks():
    """Registered endpoints (secrets are never listed)."""
    rows = db.session.scalars(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id))
    return jsonify({"items": [endpoint_dict(e) for e in rows], "next_cursor": None})


@bp.get("/webhooks/event-types")
@require("admin", "admin")
@spec.validate(resp=Response(HTTP_200=EventTypeListOut), tags=["webhooks"])
def list_webhook_event_types():
    """The event catalogue; each type's body is documented in this document's `webhooks` section."""
    return jsonify({"items": [{"type": t.name, "description": t.description} for t in WEBHOOK_TYPES.values()]})


@bp.post("/webhooks")
@require("admin", "admin")
@spec.validate(json=WebhookIn, resp=Response(HTTP_201=WebhookCreatedOut, HTTP_422=ErrorOut), tags=["webhooks"])
def create_webhook(json: WebhookIn):
    """Register an endpoint. The response holds its `whsec_` signing secret once.

    URLs that resolve to loopback, private, link-local or reserved addresses are refused (422 url_refused)
    unless an admin allowed them.
    """
    endpoint, secret = hooks.create_endpoint(db.session, url=json.url, events=json.events,
                                             description=json.description, enabled=json.enabled, actor=current_user)
    db.session.commit()
    return jsonify({**endpoint_dict(endpoint), "secret": secret}), 201


@bp.get("/webhooks/<int:endpoint_id>")
@require("admin", "admin")
@spec.validate(resp=Response(HTTP_200=WebhookOut, HTTP_404=ErrorOut), tags=["webhooks"])
def get_webhook(endpoint_id):
    """One endpoint."""
    return jsonify(endpoint_dict(_endpoint_or_404(endpoint_id)))


@bp.patch("/webhooks/<int:endpoint_id>")
@require("admin", "admin")
@spec.validate(json=WebhookPatchIn, resp=Response(HTTP_200=WebhookOut, **ERRORS), tags=["webhooks"])
def patch_webhook(endpoint_id, json: WebhookPatchIn):
    """Change URL, event types, description or enabled. Enabling again clears the failure state."""
    endpoint = _endpoint_or_404(endpoint_id)
    hooks.update_endpoint(db.session, endpoint, url=json.url, events=json.events, description=json.description,
                          enabled=json.enabled, actor=current_user)
    db.session.commit()
    return jsonify(endpoint_dict(endpoint))


@bp.delete("/webhooks/<int:endpoint_id>")
@require("admin", "admin")
@spec.validate(resp=Response(HTTP_204=None, HTTP_404=ErrorOut), tags=["webhooks"])
def delete_webhook(endpoint_id):
    """Delete an endpoint with its delivery log."""
    hooks.delete_endpoint(db.session, _endpoint_or_404(endpoint_id), actor=current_user)
    db.session.commit()
    return "", 204


@bp.post("/webhooks/<int:endpoint_id>/rotate-secret")
@require("admin", "admin")
@spec.validate(json=RotateIn, resp=Response(HTTP_200=RotateOut, **ERRORS), tags=["webhooks"])
def rotate_webhook_secret(endpoint_id, json: RotateIn):
    """A new secret, returned once. The old one keeps signing beside it for `grace_seconds` (default a day)."""
    endpoint = _endpoint_or_404(endpoint_id)
    secret = hooks.rotate_secret(db.session, endpoint, grace=timedelta(seconds=json.grace_seconds), actor=current_user)
    db.session.commit()
    return jsonify({"secret": secret, "previous_secret_expires_at": isoformat(endpoint.previous_secret_expires_at)})


@bp.get("/webhooks/<int:endpoint_id>/deliveries")
@require("admin", "admin")
@spec.validate(query=DeliveryQuery, resp=Response(HTTP_200=DeliveryListOut, HTTP_404=ErrorOut), tags=["webhooks"])
def list_webhook_deliveries(endpoint_id, query: DeliveryQuery):
    """The delivery log of an endpoint, newest first, each with its attempts."""
    _endpoint_or_404(endpoint_id)
    stmt = (sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
            .options(selectinload(WebhookDelivery.attempt_log)))
    if query.status:
        stmt = stmt.where(WebhookDelivery.status == query.status)
    if query.event_type:
        stmt = stmt.where(WebhookDelivery.event_type == query.event_type)
    rows, next_cursor = page_by_id(db.session, stmt, WebhookDelivery.id, query.cursor, query.limit)
    return jsonify({"items": [delivery_dict(d) for d in rows], "next_cursor": next_cursor})


@bp.get("/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>")
@require("admin", "admin")
@spec.validate(resp=Response(HTTP_200=DeliveryDetailOut, HTTP_404=ErrorOut), tags=["webhooks"])
def get_webhook_delivery(endpoint_id, delivery_id):
    """One delivery with the body that is signed and sent, and its attempts."""
    return jsonify(delivery_dict(_delivery_or_404(endpoint_id, delivery_id), with_payload=True))


@bp.post("/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver")
@require("admin", "admin")
@spec.validate(resp=Response(HTTP_202=DeliveryOut, HTTP_404=ErrorOut), tags=["webhooks"])
def redeliver_webhook_delivery(endpoint_id, delivery_id):
    """Send a delivery again now, with the same webhook-id (receivers dedupe on it)."""
    delivery = hooks.redeliver(db.session, _delivery_or_404(endpoint_id, delivery_id), actor=current_user)
    db.session.commit()
    return jsonify(delivery_dict(delivery)), 202


@bp.post("/webhooks/<int:endpoint_id>/test")
@require("admin", "admin")
@spec.validate(resp=Response(HTTP_202=DeliveryOut, HTTP_404=ErrorOut), tags=["webhooks"])
def send_webhook_test(endpoint_id):
    """Queue a `webhook.test` event for this endpoint only; watch its delivery log for the result."""
    delivery = hooks.send_test_event(db.session, _endpoint_or_404(endpoint_id), actor=current_user)
    db.session.commit()
    return jsonify(delivery_dict(delivery)), 202
