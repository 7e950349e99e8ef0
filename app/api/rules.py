"""Rules API: managers (permission rules.manage) write, order, switch on and dry-run rules."""
from flask import jsonify
from flask_login import current_user
from spectree import Response

from app.api import bp, require, spec
from app.api.rules_schemas import (
    DefinitionDryRunIn,
    DryRunIn,
    DryRunOut,
    RuleBody,
    RuleIn,
    RuleListOut,
    RuleOrderIn,
    RulePatch,
)
from app.api.schemas import ErrorOut
from app.extensions import db
from app.models import utcnow
from app.rules import dry_run, manage

ERRORS = {"HTTP_403": ErrorOut, "HTTP_404": ErrorOut, "HTTP_422": ErrorOut}


def _definition(model, field):
    return [item.model_dump(by_alias=True, exclude_none=True) for item in getattr(model, field)]


@bp.get("/rules")
@require("read", "manager")
@spec.validate(resp=Response(HTTP_200=RuleListOut, HTTP_403=ErrorOut), tags=["rules"])
def list_rules():
    """Every rule in the order they run, with its hit count."""
    return jsonify({"items": [manage.rule_dict(r) for r in manage.list_rules(db.session, current_user)]})


@bp.post("/rules")
@require("write", "manager")
@spec.validate(json=RuleIn, resp=Response(HTTP_201=RuleBody, **ERRORS), tags=["rules"])
def create_rule(json: RuleIn):
    """Add a rule at the end of the order (off unless `enabled`)."""
    rule = manage.create_rule(db.session, current_user, name=json.name, enabled=json.enabled, stop=json.stop,
                              conditions=_definition(json, "conditions"), actions=_definition(json, "actions"))
    db.session.commit()
    return jsonify({"rule": manage.rule_dict(rule)}), 201


@bp.get("/rules/<int:rule_id>")
@require("read", "manager")
@spec.validate(resp=Response(HTTP_200=RuleBody, HTTP_403=ErrorOut, HTTP_404=ErrorOut), tags=["rules"])
def get_rule(rule_id):
    return jsonify({"rule": manage.rule_dict(manage.get_rule(db.session, current_user, rule_id))})


@bp.patch("/rules/<int:rule_id>")
@require("write", "manager")
@spec.validate(json=RulePatch, resp=Response(HTTP_200=RuleBody, **ERRORS), tags=["rules"])
def patch_rule(rule_id, json: RulePatch):
    """Change a rule: its name, conditions, actions, `enabled`, `stop`."""
    rule = manage.get_rule(db.session, current_user, rule_id)
    changes = {name: getattr(json, name) for name in ("name", "enabled", "stop") if name in json.model_fields_set}
    for name in ("conditions", "actions"):
        if name in json.model_fields_set and getattr(json, name) is not None:
            changes[name] = _definition(json, name)
    manage.update_rule(db.session, current_user, rule, changes)
    db.session.commit()
    return jsonify({"rule": manage.rule_dict(rule)})


@bp.delete("/rules/<int:rule_id>")
@require("write", "manager")
@spec.validate(resp=Response("HTTP_204", HTTP_403=ErrorOut, HTTP_404=ErrorOut), tags=["rules"])
def delete_rule(rule_id):
    manage.delete_rule(db.session, current_user, manage.get_rule(db.session, current_user, rule_id))
    db.session.commit()
    return "", 204


@bp.post("/rules/order")
@require("write", "manager")
@spec.validate(json=RuleOrderIn, resp=Response(HTTP_200=RuleListOut, HTTP_403=ErrorOut, HTTP_422=ErrorOut),
               tags=["rules"])
def order_rules(json: RuleOrderIn):
    """Set the order the rules run in: `ids` lists every rule once."""
    rules = manage.reorder(db.session, current_user, json.ids)
    db.session.commit()
    return jsonify({"items": [manage.rule_dict(r) for r in rules]})


@bp.post("/rules/<int:rule_id>/dry-run")
@require("read", "manager")
@spec.validate(json=DryRunIn, resp=Response(HTTP_200=DryRunOut, **ERRORS), tags=["rules"])
def dry_run_rule(rule_id, json: DryRunIn):
    """What the rule would have matched and done over the stored customer messages of the last `days` days
    (nothing is changed)."""
    rule = manage.get_rule(db.session, current_user, rule_id)
    return jsonify(dry_run.dry_run(db.session, rule, days=json.days, now=utcnow()))


@bp.post("/rules/dry-run")
@require("read", "manager")
@spec.validate(json=DefinitionDryRunIn, resp=Response(HTTP_200=DryRunOut, HTTP_403=ErrorOut, HTTP_422=ErrorOut),
               tags=["rules"])
def dry_run_definition(json: DefinitionDryRunIn):
    """A dry run of an unsaved rule's `conditions` and `actions`."""
    definition = manage.checked_definition(db.session, _definition(json, "conditions"), _definition(json, "actions"),
                                           actor=current_user)
    return jsonify(dry_run.dry_run(db.session, definition, days=json.days, now=utcnow()))
