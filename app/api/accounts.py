"""Accounts with their poller health."""
import sqlalchemy as sa
from flask import jsonify
from spectree import Response

from app.api import bp, require, spec
from app.api.schemas import AccountListOut
from app.extensions import db
from app.models import SocialAccount
from app.serialize import account_dict


@bp.get("/accounts")
@require("read")
@spec.validate(resp=Response(HTTP_200=AccountListOut), tags=["accounts"])
def get_accounts():
    """Connected accounts and the health of their pollers, with each endpoint's budget as the network's
    headers last said (`health.rate_limits`: mentions, dm_lookup, dm_send, conversations, send_api…).
    Credentials are never returned."""
    accounts = db.session.scalars(sa.select(SocialAccount).order_by(SocialAccount.id))
    return jsonify({"items": [account_dict(a) for a in accounts], "next_cursor": None})
