"""Accounts with their poller health."""
import sqlalchemy as sa
from flask import jsonify
from flask_login import current_user
from pydantic import BaseModel, ConfigDict
from spectree import Response

from app.accounts import set_human_agent
from app.api import bp, require, spec
from app.api.schemas import AccountListOut, ErrorOut
from app.domain_errors import NotFound
from app.extensions import db
from flask_babel import lazy_gettext as _l
from app.models import SocialAccount
from app.serialize import account_dict
from app.shapes import AccountOut


class AccountPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    human_agent_enabled: bool


@bp.get("/accounts")
@require("read")
@spec.validate(resp=Response(HTTP_200=AccountListOut), tags=["accounts"])
def get_accounts():
    """Connected accounts and the health of their pollers, with each endpoint's budget as the network's
    headers last said (`health.rate_limits`: mentions, dm_lookup, dm_send, conversations, send_api,
    instagram…) and the network's documented per-account budget (`health.budget`, Instagram's Business Use
    Case). Credentials are never returned."""
    accounts = db.session.scalars(sa.select(SocialAccount).order_by(SocialAccount.id))
    return jsonify({"items": [account_dict(a) for a in accounts], "next_cursor": None})


@bp.patch("/accounts/<int:account_id>")
@require("admin", "admin")
@spec.validate(json=AccountPatch, resp=Response(HTTP_200=AccountOut, HTTP_404=ErrorOut, HTTP_422=ErrorOut),
               tags=["accounts"])
def patch_account(account_id, json: AccountPatch):
    """Turn the human-agent tag on or off for a Facebook or Instagram account (once Meta granted the
    permission); other networks answer 422."""
    account = db.session.get(SocialAccount, account_id)
    if account is None:
        raise NotFound(_l("There is no account %(id)s.", id=account_id))
    set_human_agent(db.session, account, json.human_agent_enabled, actor=current_user)
    db.session.commit()
    return jsonify(account_dict(account))
