"""The team as agents see it, my own profile and availability, my notifications, auto-assignment."""
import sqlalchemy as sa
from zoneinfo import available_timezones

from flask import jsonify
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from spectree import Response

from app.api import bp, require, spec
from app.api.schemas import (
    AutoAssignIO,
    MeOut,
    MePatchIn,
    NotificationListOut,
    NotificationQuery,
    NotificationReadIn,
    TeamOut,
)
from app.assignment import auto_assign_mode, set_auto_assign_mode
from app.errors import ApiError
from app.extensions import db
from app.i18n import LANGUAGES
from app.models import Conversation, Notification, User, utcnow
from app.serialize import notification_dict, user_dict
from app.teams import visible_clause
from app.users import update_preferences
from app.users import update_profile


@bp.get("/team")
@require("read")
@spec.validate(resp=Response(HTTP_200=TeamOut), tags=["team"])
def get_team():
    """Active staff, for assignment and @mention pickers."""
    users = db.session.scalars(sa.select(User).where(User.is_active.is_(True)).order_by(User.name)).all()
    return jsonify({"items": [user_dict(u) for u in users]})


def me_dict(user):
    return {**user_dict(user), "email": user.email, "locale": user.locale, "timezone": user.timezone}


@bp.get("/me")
@require("read")
@spec.validate(resp=Response(HTTP_200=MeOut), tags=["team"])
def get_me():
    """Who I am."""
    return jsonify(me_dict(current_user))


@bp.patch("/me")
@require("write")
@spec.validate(json=MePatchIn, resp=Response(HTTP_200=MeOut), tags=["team"])
def patch_me(json: MePatchIn):
    """Switch my availability for auto-assignment, change my display name, language or time zone
    (`locale` / `timezone` null: back to the browser's language / the workspace's default)."""
    user = db.session.get(User, current_user.id)
    given = json.model_fields_set
    if json.locale is not None and json.locale not in LANGUAGES:
        raise ApiError(422, _l("locale must be one of %(values)s.", values=", ".join(LANGUAGES)), code="validation_error")
    if json.timezone is not None and json.timezone not in available_timezones():
        raise ApiError(422, _l("timezone must be an IANA time zone such as Europe/Paris."), code="validation_error")
    update_profile(db.session, user, name=json.name, is_available=json.is_available)
    if given & {"locale", "timezone"}:
        update_preferences(db.session, user, locale=json.locale if "locale" in given else user.locale,
                           timezone=json.timezone if "timezone" in given else user.timezone)
    db.session.commit()
    return jsonify(me_dict(user))


@bp.get("/notifications")
@require("read")
@spec.validate(query=NotificationQuery, resp=Response(HTTP_200=NotificationListOut), tags=["team"])
def get_notifications(query: NotificationQuery):
    """My notifications (mentions, assignments, alerts), newest first."""
    return jsonify(_my_notifications(unread_only=query.unread, limit=query.limit))


def _my_notifications(*, unread_only=False, limit=50):
    mine = sa.select(Notification).where(Notification.user_id == current_user.id)
    seen = visible_clause(current_user)
    if seen is not None:  # none about a conversation that moved to a team of which I am not
        mine = mine.where(sa.or_(Notification.conversation_id.is_(None), Notification.conversation_id.in_(
            sa.select(Conversation.id).where(seen))))
    if unread_only:
        mine = mine.where(Notification.read_at.is_(None))
    rows = db.session.scalars(mine.order_by(Notification.id.desc()).limit(limit)).all()
    unread = db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == current_user.id, Notification.read_at.is_(None)))
    return {"items": [notification_dict(n) for n in rows], "unread": unread}


@bp.post("/notifications/read")
@require("write")
@spec.validate(json=NotificationReadIn, resp=Response(HTTP_200=NotificationListOut), tags=["team"])
def read_notifications(json: NotificationReadIn):
    """Mark some (or, with no ids, all) of my notifications read."""
    stmt = sa.update(Notification).where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
    if json.ids:
        stmt = stmt.where(Notification.id.in_(json.ids))
    db.session.execute(stmt.values(read_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()
    return jsonify(_my_notifications())


@bp.get("/settings/auto-assign")
@require("read")
@spec.validate(resp=Response(HTTP_200=AutoAssignIO), tags=["team"])
def get_auto_assign():
    """How new conversations are assigned: off, round_robin or least_loaded (among available agents)."""
    return jsonify({"mode": auto_assign_mode(db.session)})


@bp.put("/settings/auto-assign")
@require("write", role="manager")
@spec.validate(json=AutoAssignIO, resp=Response(HTTP_200=AutoAssignIO), tags=["team"])
def put_auto_assign(json: AutoAssignIO):
    """Managers choose the auto-assignment mode."""
    mode = set_auto_assign_mode(db.session, json.mode, actor=current_user)
    db.session.commit()
    return jsonify({"mode": mode})
