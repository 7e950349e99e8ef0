"""API tokens (admins): create (the value is shown once), list with last use, revoke."""
import sqlalchemy as sa
from flask import jsonify
from flask_login import current_user
from spectree import Response
from flask_babel import lazy_gettext as _l

from app.api import bp, require, spec
from app.api.integration_schemas import TokenCreatedOut, TokenIn, TokenListOut, TokenOut
from app.api.paging import get_by_id
from app.api.schemas import ErrorOut
from app.errors import ApiError
from app.extensions import db
from app.models import ApiToken, User, isoformat
from app.tokens import issue_token, revoke_token


def token_dict(token):
    return {
        "id": token.id, "name": token.name, "prefix": token.prefix, "scopes": list(token.scopes),
        "user_id": token.user_id, "user_email": token.user.email, "created_at": isoformat(token.created_at),
        "last_used_at": isoformat(token.last_used_at), "revoked_at": isoformat(token.revoked_at),
        "active": token.is_active,
    }


@bp.get("/tokens")
@require("admin", "admin")
@spec.validate(resp=Response(HTTP_200=TokenListOut), tags=["tokens"])
def list_tokens():
    """Every API token, newest first (revoked ones included, marked inactive). Values are never shown again."""
    tokens = db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id.desc()))
    return jsonify({"items": [token_dict(t) for t in tokens], "next_cursor": None})


@bp.post("/tokens")
@require("admin", "admin")
@spec.validate(json=TokenIn, resp=Response(HTTP_201=TokenCreatedOut, HTTP_404=ErrorOut, HTTP_422=ErrorOut),
               tags=["tokens"])
def create_token(json: TokenIn):
    """Create a token for yourself or another user. The response holds the token once; store it then."""
    user = current_user if json.user_id is None else get_by_id(db.session, User, json.user_id)
    if user is None:
        raise ApiError(404, _l("There is no user %(id)s.", id=json.user_id))
    token, raw = issue_token(db.session, user=user, name=json.name, scopes=json.scopes, actor=current_user)
    db.session.commit()
    return jsonify({**token_dict(token), "token": raw}), 201


@bp.delete("/tokens/<int:token_id>")
@require("admin", "admin")
@spec.validate(resp=Response(HTTP_200=TokenOut, HTTP_404=ErrorOut), tags=["tokens"])
def delete_token(token_id):
    """Revoke a token (idempotent). It stops working at once."""
    token = get_by_id(db.session, ApiToken, token_id)
    if token is None:
        raise ApiError(404, _l("There is no token %(id)s.", id=token_id))
    revoke_token(db.session, token, actor=current_user)
    db.session.commit()
    return jsonify(token_dict(token))
