"""Admin → webhooks: endpoints, their delivery log, redeliver, send test, rotate secret, private addresses."""
from datetime import timedelta

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.admin import bp
from app.admin.forms import ActionForm, PrivateAddressesForm, RotateForm, WebhookForm
from app.api.paging import get_by_id
from app.auth.guard import role_required
from app.extensions import db
from app.models import WebhookDelivery, WebhookEndpoint
from app.webhooks import endpoints as hooks
from app.webhooks import ssrf

LOG_PAGE = 50


def _endpoint_or_404(endpoint_id):
    endpoint = get_by_id(db.session, WebhookEndpoint, endpoint_id)
    if endpoint is None:
        abort(404)
    return endpoint


def _list_page(form, secret=None, status=200):
    endpoints = db.session.scalars(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id))
    private = PrivateAddressesForm(formdata=None, allow_private=ssrf.allow_private(current_app, db.session))
    return render_template("admin/webhooks.html", form=form, endpoints=list(endpoints), secret=secret,
                           private=private, private_forced=bool(current_app.config.get("CAREBOX_WEBHOOK_ALLOW_PRIVATE")),
                           action=ActionForm()), status


def _detail_page(endpoint, form=None, secret=None, status=200):
    before = request.args.get("before", type=int)
    query = (sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
             .options(selectinload(WebhookDelivery.attempt_log)).order_by(WebhookDelivery.id.desc()).limit(LOG_PAGE + 1))
    if before:
        query = query.where(WebhookDelivery.id < before)
    deliveries = list(db.session.scalars(query))
    older = deliveries[LOG_PAGE - 1].id if len(deliveries) > LOG_PAGE else None
    form = form or WebhookForm(obj=endpoint)
    return render_template("admin/webhook.html", endpoint=endpoint, form=form, deliveries=deliveries[:LOG_PAGE],
                           older=older, secret=secret, rotate=RotateForm(), action=ActionForm()), status


@bp.get("/webhooks")
@role_required("admin")
def webhooks():
    return _list_page(WebhookForm(formdata=None))


@bp.post("/webhooks")
@role_required("admin")
def create_webhook():
    form = WebhookForm()
    if not form.validate_on_submit():
        return _list_page(form, status=400)
    try:
        endpoint, secret = hooks.create_endpoint(db.session, url=form.url.data, events=form.events.data,
                                                 description=form.description.data, enabled=form.enabled.data,
                                                 actor=current_user)
    except hooks.WebhookError as exc:
        form.url.errors.append(str(exc))
        return _list_page(form, status=400)
    db.session.commit()
    return _detail_page(endpoint, secret=secret, status=201)  # the secret is shown in this response only


@bp.post("/webhooks/private-addresses")
@role_required("admin")
def private_addresses():
    form = PrivateAddressesForm()
    if form.validate_on_submit():
        hooks.set_allow_private(db.session, form.allow_private.data, actor=current_user)
        db.session.commit()
        flash(_("Private addresses are now allowed.") if form.allow_private.data else _("Private addresses are now refused."),
              "info")
    return redirect(url_for("admin.webhooks"))


@bp.get("/webhooks/<int:endpoint_id>")
@role_required("admin")
def webhook(endpoint_id):
    return _detail_page(_endpoint_or_404(endpoint_id))


@bp.post("/webhooks/<int:endpoint_id>")
@role_required("admin")
def update_webhook(endpoint_id):
    endpoint = _endpoint_or_404(endpoint_id)
    form = WebhookForm()
    if not form.validate_on_submit():
        return _detail_page(endpoint, form=form, status=400)
    try:
        hooks.update_endpoint(db.session, endpoint, url=form.url.data, events=form.events.data,
                              description=form.description.data or "", enabled=form.enabled.data, actor=current_user)
    except hooks.WebhookError as exc:
        db.session.rollback()
        form.url.errors.append(str(exc))
        return _detail_page(_endpoint_or_404(endpoint_id), form=form, status=400)
    db.session.commit()
    flash(_("Endpoint saved."), "info")
    return redirect(url_for("admin.webhook", endpoint_id=endpoint.id))


@bp.post("/webhooks/<int:endpoint_id>/rotate")
@role_required("admin")
def rotate_secret(endpoint_id):
    endpoint = _endpoint_or_404(endpoint_id)
    form = RotateForm()
    if not form.validate_on_submit():
        return _detail_page(endpoint, status=400)
    secret = hooks.rotate_secret(db.session, endpoint, grace=timedelta(hours=form.grace_hours.data), actor=current_user)
    db.session.commit()
    return _detail_page(endpoint, secret=secret)


@bp.post("/webhooks/<int:endpoint_id>/test")
@role_required("admin")
def send_test(endpoint_id):
    endpoint = _endpoint_or_404(endpoint_id)
    if ActionForm().validate_on_submit():
        hooks.send_test_event(db.session, endpoint, actor=current_user)
        db.session.commit()
        flash(_("Test event queued: it appears in the log below within seconds."), "info")
    return redirect(url_for("admin.webhook", endpoint_id=endpoint.id))


@bp.post("/webhooks/<int:endpoint_id>/delete")
@role_required("admin")
def delete_webhook(endpoint_id):
    endpoint = _endpoint_or_404(endpoint_id)
    if ActionForm().validate_on_submit():
        hooks.delete_endpoint(db.session, endpoint, actor=current_user)
        db.session.commit()
        flash(_("Endpoint deleted."), "info")
    return redirect(url_for("admin.webhooks"))


@bp.post("/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver")
@role_required("admin")
def redeliver(endpoint_id, delivery_id):
    delivery = hooks.get_delivery(db.session, endpoint_id, delivery_id)
    if delivery is None:
        abort(404)
    if ActionForm().validate_on_submit():
        hooks.redeliver(db.session, delivery, actor=current_user)
        db.session.commit()
        flash(_("Delivery %(id)s queued again.", id=delivery.message_id), "info")
    return redirect(url_for("admin.webhook", endpoint_id=endpoint_id))
