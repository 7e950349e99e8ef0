"""Spike alerts (app/alerts): managers list them and acknowledge them."""
from flask import jsonify
from flask_login import current_user
from pydantic import BaseModel, Field
from spectree import Response

from app import alerts
from app.api import bp, require, spec
from app.api.schemas import AccountOut, DbId, ErrorOut, Query, UserRefOut
from app.extensions import db
from app.shapes import AlertOut


class AlertQuery(Query):
    state: str | None = Field(default=None, pattern=r"^(open|ended)$", description="open or ended")
    account: DbId | None = None
    limit: int = Field(default=50, ge=1, le=200)


class AlertItemOut(BaseModel):
    alert: AlertOut
    account: AccountOut
    acknowledged_by: UserRefOut | None = Field(description="Who acknowledged it; null: no one yet.")


class AlertListOut(BaseModel):
    items: list[AlertItemOut]
    next_cursor: str | None = None


@bp.get("/alerts")
@require("read", "manager")
@spec.validate(query=AlertQuery, resp=Response(HTTP_200=AlertListOut), tags=["alerts"])
def list_alerts(query: AlertQuery):
    """Spike alerts: the open ones first (newest first), then the most recent ended ones (`state` and
    `account` narrow the list)."""
    found = alerts.list_alerts(db.session, state=query.state, account_id=query.account, limit=query.limit)
    return jsonify({"items": alerts.alert_items(db.session, found), "next_cursor": None})


@bp.post("/alerts/<int:alert_id>/acknowledge")
@require("write")  # who may: the alerts.acknowledge permission decides (managers by default; admins may change it)
@spec.validate(resp=Response(HTTP_200=AlertItemOut, HTTP_403=ErrorOut, HTTP_404=ErrorOut), tags=["alerts"])
def acknowledge_alert(alert_id: int):
    """Say that you have seen the alert (permission alerts.acknowledge); it stays open until the spike is over."""
    alert = alerts.acknowledge(db.session, alert_id, current_user)
    db.session.commit()
    return jsonify(alerts.alert_item(db.session, alert))
