"""SLA API: the live summary and workload (managers), policies, and an account's policy."""
from flask import jsonify
from pydantic import ValidationError
from spectree import Response
from flask_babel import lazy_gettext as _l

from app.api import bp, require, spec
from app.api.schemas import ErrorOut
from app.api.sla_schemas import (
    MAX_ID,
    AccountPolicyIn,
    AccountPolicyOut,
    PolicyIn,
    PolicyListOut,
    PolicyOut,
    PolicyPatch,
    SummaryOut,
    SummaryQuery,
    WorkloadOut,
    WorkloadQuery,
)
from app.errors import ApiError
from app.extensions import db
from app.models import SlaPolicy, SocialAccount
from app.reports.summary import summary
from app.reports.workload import workload
from app.sla import manage
from app.sla.policies import default_policy


@bp.get("/sla/summary")
@require("read", "manager")
@spec.validate(query=SummaryQuery, resp=Response(HTTP_200=SummaryOut), tags=["sla"])
def get_sla_summary(query: SummaryQuery):
    """Counts by SLA state now (totals, per account, per network), the clocks nearest to breach,
    poller health with stalled pollers, and attainment over the last `window_hours`."""
    return jsonify(summary(db.session, window_hours=query.window_hours, at_risk_limit=query.at_risk,
                           channel=query.channel))


@bp.get("/sla/workload")
@require("read", "manager")
@spec.validate(query=WorkloadQuery, resp=Response(HTTP_200=WorkloadOut), tags=["sla"])
def get_sla_workload(query: WorkloadQuery):
    """Per person: conversations assigned and open, answers today and their median response time."""
    return jsonify(workload(db.session, tz_name=query.tz))


# --- policies -----------------------------------------------------------------------------

def _policy_or_404(policy_id):
    policy = db.session.get(SlaPolicy, policy_id) if policy_id <= MAX_ID else None
    if policy is None:
        raise ApiError(404, _l("There is no SLA policy %(id)s.", id=policy_id))
    return policy


def _out(policy, recomputed=None):
    body = manage.policy_dict(policy, manage.accounts_using(db.session, policy.id))
    body["recomputed"] = recomputed
    return body


@bp.get("/sla/policies")
@require("read", "manager")
@spec.validate(resp=Response(HTTP_200=PolicyListOut), tags=["sla"])
def get_sla_policies():
    """Every policy with the accounts that follow it, and the policies accounts without their own follow
    (`default` for public conversations, `private_default` for private ones)."""
    items = [dict(manage.policy_dict(p, ids), recomputed=None) for p, ids in manage.list_policies(db.session)]
    return jsonify({"items": items, "default": default_policy(db.session, "public").ref(),
                    "private_default": default_policy(db.session, "private").ref(), "next_cursor": None})


@bp.post("/sla/policies")
@require("write", "manager")
@spec.validate(json=PolicyIn, resp=Response(HTTP_201=PolicyOut, HTTP_409=ErrorOut), tags=["sla"])
def post_sla_policy(json: PolicyIn):
    """Create a policy. Marking it default moves the running clocks of accounts without their own policy."""
    policy, moved = manage.create_policy(db.session, json.stored())
    db.session.commit()
    return jsonify(_out(policy, moved)), 201


@bp.get("/sla/policies/<int:policy_id>")
@require("read", "manager")
@spec.validate(resp=Response(HTTP_200=PolicyOut, HTTP_404=ErrorOut), tags=["sla"])
def get_sla_policy(policy_id):
    return jsonify(_out(_policy_or_404(policy_id)))


@bp.patch("/sla/policies/<int:policy_id>")
@require("write", "manager")
@spec.validate(json=PolicyPatch, resp=Response(HTTP_200=PolicyOut, HTTP_404=ErrorOut, HTTP_409=ErrorOut),
               tags=["sla"])
def patch_sla_policy(policy_id, json: PolicyPatch):
    """Change a policy; the running clocks it governs get new due times in the same transaction."""
    policy = _policy_or_404(policy_id)
    current = manage.policy_dict(policy)
    merged = {k: current[k] for k in manage.FIELDS} | json.model_dump(exclude_unset=True)
    try:
        data = PolicyIn.model_validate(merged).stored()
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "policy"
        raise ApiError(422, _l("%(field)s: %(problem)s", field=where, problem=first["msg"]), code="validation_error") from exc
    moved = manage.update_policy(db.session, policy, data)
    db.session.commit()
    return jsonify(_out(policy, moved))


@bp.delete("/sla/policies/<int:policy_id>")
@require("write", "manager")
@spec.validate(resp=Response("HTTP_204", HTTP_404=ErrorOut, HTTP_409=ErrorOut), tags=["sla"])
def delete_sla_policy(policy_id):
    """Delete a policy that no account follows (409 otherwise)."""
    policy = _policy_or_404(policy_id)
    manage.delete_policy(db.session, policy)
    db.session.commit()
    return "", 204


@bp.put("/accounts/<int:account_id>/sla-policy")
@require("write", "manager")
@spec.validate(json=AccountPolicyIn, resp=Response(HTTP_200=AccountPolicyOut, HTTP_404=ErrorOut), tags=["sla"])
def put_account_sla_policy(account_id, json: AccountPolicyIn):
    """Choose the policies an account follows, for its public conversations (`policy_id`) and its private
    ones (`private_policy_id`); null: the default. Its running clocks get new due times."""
    account = db.session.get(SocialAccount, account_id) if account_id <= MAX_ID else None
    if account is None:
        raise ApiError(404, _l("There is no account %(id)s.", id=account_id))
    moved = 0
    for field, channel in (("policy_id", "public"), ("private_policy_id", "private")):
        if field in json.model_fields_set:
            policy_id = getattr(json, field)
            policy = _policy_or_404(policy_id) if policy_id is not None else None
            moved += manage.assign_policy(db.session, account, policy, channel)
    db.session.commit()
    return jsonify({"account_id": account.id, "policy_id": account.sla_policy_id,
                    "private_policy_id": account.private_sla_policy_id, "recomputed": moved})
