"""Teams: everyone lists their own (managers every team); those with teams.manage create, change, delete."""
from flask import jsonify
from flask_login import current_user
from flask_babel import lazy_gettext as _l
from spectree import Response

from app.api import bp, require, spec
from app.api.schemas import ErrorOut
from app.api.team_schemas import TeamIn, TeamListOut, TeamOut, TeamPatch
from app.domain_errors import NotFound
from app.extensions import db
from app.teams import create_team, delete_team, get_team, list_teams, team_dict, update_team

MAX_ID = 2**31 - 1


def _id(team_id):
    if team_id > MAX_ID:
        raise NotFound(_l("There is no team %(id)s.", id=team_id))
    return team_id


@bp.get("/teams")
@require("read")
@spec.validate(resp=Response(HTTP_200=TeamListOut), tags=["teams"])
def get_teams():
    """My teams (managers and admins: every team), by name."""
    return jsonify({"items": [team_dict(t) for t in list_teams(db.session, current_user)]})


@bp.post("/teams")
@require("write")
@spec.validate(json=TeamIn, resp=Response(HTTP_201=TeamOut, HTTP_403=ErrorOut, HTTP_409=ErrorOut, HTTP_422=ErrorOut),
               tags=["teams"])
def post_team(json: TeamIn):
    """Create a team (permission teams.manage). Its accounts' and languages' new conversations become its own."""
    team = create_team(db.session, current_user, **json.model_dump())
    db.session.commit()
    return jsonify(team_dict(team)), 201


@bp.get("/teams/<int:team_id>")
@require("read")
@spec.validate(resp=Response(HTTP_200=TeamOut, HTTP_404=ErrorOut), tags=["teams"])
def get_one_team(team_id):
    """One team (an agent: only one of theirs)."""
    return jsonify(team_dict(get_team(db.session, current_user, _id(team_id))))


@bp.patch("/teams/<int:team_id>")
@require("write")
@spec.validate(json=TeamPatch, resp=Response(HTTP_200=TeamOut, HTTP_403=ErrorOut, HTTP_404=ErrorOut, HTTP_409=ErrorOut,
                                              HTTP_422=ErrorOut), tags=["teams"])
def patch_team(team_id, json: TeamPatch):
    """Change a team's name, members, accounts, languages or auto-assignment (permission teams.manage).
    Members added or removed hear its conversations, or stop hearing them, at once."""
    changes = json.model_dump(exclude_unset=True)
    for field in ("name", "member_ids", "account_ids", "languages"):
        if field in changes and changes[field] is None:
            changes.pop(field)  # null: unchanged (only auto_assign means something by null)
    team = update_team(db.session, current_user, _id(team_id), **changes)
    db.session.commit()
    return jsonify(team_dict(team))


@bp.delete("/teams/<int:team_id>")
@require("write")
@spec.validate(resp=Response(HTTP_204=None, HTTP_403=ErrorOut, HTTP_404=ErrorOut), tags=["teams"])
def remove_team(team_id):
    """Delete a team (permission teams.manage); its conversations become unrouted."""
    delete_team(db.session, current_user, _id(team_id))
    db.session.commit()
    return "", 204
