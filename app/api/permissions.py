"""Role permissions (admins): per permission, the lowest role that has it. Admins always have them all."""
from typing import Annotated, Literal

from flask import jsonify
from flask_login import current_user
from pydantic import BaseModel, Field
from spectree import Response

from app import permissions
from app.api import bp, require, spec
from app.api.schemas import ErrorOut, Strict
from app.extensions import db

Role = Literal["agent", "manager", "admin"]
PermissionName = Annotated[str, Field(min_length=1, max_length=64)]


class PermissionOut(BaseModel):
    name: str = Field(description="e.g. moderation.delete")
    description: str = Field(description="What it lets one do, in the caller's language")
    default_role: Role
    lowest_role: Role = Field(description="The lowest role that has it now; every role above it has it too")


class PermissionListOut(BaseModel):
    items: list[PermissionOut]


class PermissionsIn(Strict):
    lowest_roles: dict[PermissionName, Role] = Field(
        max_length=len(permissions.PERMISSIONS) * 2,
        description="{permission: role} to change; permissions left out keep theirs. Unknown names: 422.")


def _listing():
    lowest = permissions.lowest_roles(db.session)
    return {"items": [{"name": name, "description": str(label), "default_role": default, "lowest_role": lowest[name]}
                      for name, (default, label) in permissions.PERMISSIONS.items()]}


@bp.get("/permissions")
@require("admin", "admin")
@spec.validate(resp=Response(HTTP_200=PermissionListOut), tags=["permissions"])
def get_permissions():
    """Every permission with its default and current lowest role."""
    return jsonify(_listing())


@bp.put("/permissions")
@require("admin", "admin")
@spec.validate(json=PermissionsIn, resp=Response(HTTP_200=PermissionListOut, HTTP_422=ErrorOut),
               tags=["permissions"])
def put_permissions(json: PermissionsIn):
    """Change the lowest role of some permissions (each change is audited with its old and new role).

    Unknown permissions are refused with 422 `unknown_permission`, and nothing is changed.
    """
    permissions.set_lowest_roles(db.session, dict(json.lowest_roles), actor=current_user)
    db.session.commit()
    return jsonify(_listing())
