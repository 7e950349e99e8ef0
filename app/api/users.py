"""Staff users (admins): list, create, change role or name, reset password, deactivate."""
import sqlalchemy as sa
from flask import jsonify
from flask_login import current_user
from spectree import Response
from flask_babel import lazy_gettext as _l

from app.api import bp, require, spec
from app.api.integration_schemas import (
    UserCreatedOut,
    UserIn,
    UserListOut,
    UserOut,
    UserPasswordIn,
    UserPatchIn,
    UserQuery,
)
from app.api.paging import get_by_id
from app.api.schemas import ErrorOut
from app.errors import ApiError
from app.extensions import db
from app.models import User, isoformat
from app.users import (
    change_password,
    create_user,
    generate_password,
    update_user,
)


def user_dict(user):
    return {
        "id": user.id, "email": user.email, "name": user.name, "role": user.role, "is_active": user.is_active,
        "is_available": user.is_available, "created_at": isoformat(user.created_at),
        "last_login_at": isoformat(user.last_login_at),
    }


def _user_or_404(user_id):
    user = get_by_id(db.session, User, user_id)
    if user is None:
        raise ApiError(404, _l("There is no user %(id)s.", id=user_id))
    return user


@bp.get("/users")
@require("admin", "admin")
@spec.validate(query=UserQuery, resp=Response(HTTP_200=UserListOut), tags=["users"])
def list_users(query: UserQuery):
    """Every staff user, by name."""
    stmt = sa.select(User).order_by(User.name, User.id)
    if query.role:
        stmt = stmt.where(User.role == query.role)
    if query.active is not None:
        stmt = stmt.where(User.is_active.is_(query.active))
    return jsonify({"items": [user_dict(u) for u in db.session.scalars(stmt)], "next_cursor": None})


@bp.post("/users")
@require("admin", "admin")
@spec.validate(json=UserIn, resp=Response(HTTP_201=UserCreatedOut, HTTP_409=ErrorOut, HTTP_422=ErrorOut),
               tags=["users"])
def create_user_view(json: UserIn):
    """Create a user. Without a password, one is generated and returned once."""
    password = json.password or generate_password()
    user = create_user(db.session, email=json.email, role=json.role, name=json.name, password=password,
                       actor=current_user)
    db.session.commit()
    return jsonify({**user_dict(user), "password": None if json.password else password}), 201


@bp.get("/users/<int:user_id>")
@require("admin", "admin")
@spec.validate(resp=Response(HTTP_200=UserOut, HTTP_404=ErrorOut), tags=["users"])
def get_user(user_id):
    """One user."""
    return jsonify(user_dict(_user_or_404(user_id)))


@bp.patch("/users/<int:user_id>")
@require("admin", "admin")
@spec.validate(json=UserPatchIn, resp=Response(HTTP_200=UserOut, HTTP_404=ErrorOut, HTTP_409=ErrorOut,
                                               HTTP_422=ErrorOut), tags=["users"])
def patch_user(user_id, json: UserPatchIn):
    """Rename, change role, deactivate (`is_active: false`) or reactivate. The last active admin stays admin."""
    user = _user_or_404(user_id)
    update_user(db.session, user, name=json.name, role=json.role, is_active=json.is_active, actor=current_user)
    db.session.commit()
    return jsonify(user_dict(user))


@bp.post("/users/<int:user_id>/password")
@require("admin", "admin")
@spec.validate(json=UserPasswordIn, resp=Response(HTTP_200=UserCreatedOut, HTTP_404=ErrorOut, HTTP_422=ErrorOut),
               tags=["users"])
def reset_user_password(user_id, json: UserPasswordIn):
    """Set a new password (generated and returned once when none is given). Signs the user out everywhere."""
    user = _user_or_404(user_id)
    password = json.password or generate_password()
    keep = current_user.login_session if user.id == current_user.id else None  # your own browser stays signed in
    change_password(db.session, user, new_password=password, keep=keep, actor=current_user)
    db.session.commit()
    return jsonify({**user_dict(user), "password": None if json.password else password})
