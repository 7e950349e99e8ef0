"""Managing rules: list, create, change, delete and order them (managers with rules.manage), each change
audited. Definitions go through `validate` and what they refer to must exist."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import audit, permissions
from app.domain_errors import Invalid, NotFound
from app.models import CannedResponse, Rule, SlaPolicy, SocialAccount, Team, User, isoformat
from app.rules.definition import validate

MAX_RULES = 500


def rule_dict(rule):
    return {
        "id": rule.id, "name": rule.name, "position": rule.position, "enabled": bool(rule.enabled),
        "stop": bool(rule.stop), "conditions": list(rule.conditions or []), "actions": list(rule.actions or []),
        "hit_count": rule.hit_count or 0, "last_hit_at": isoformat(rule.last_hit_at),
        "created_by_id": rule.created_by_id, "created_at": isoformat(rule.created_at),
        "updated_at": isoformat(rule.updated_at),
    }


def list_rules(session, actor):
    permissions.check(session, actor, "rules.manage")
    return session.scalars(sa.select(Rule).order_by(Rule.position, Rule.id)).all()


def get_rule(session, actor, rule_id):
    permissions.check(session, actor, "rules.manage")
    rule = session.get(Rule, rule_id) if 0 < rule_id <= 2**31 - 1 else None
    if rule is None:
        raise NotFound(_l("There is no rule %(id)s.", id=rule_id))
    return rule


def checked_definition(session, conditions, actions, *, actor=None):
    """(conditions, actions) validated, with every account, team, user, policy and canned response they name
    existing; given an `actor`, as {"conditions", "actions"} once they may manage rules (an unsaved rule's dry
    run)."""
    if actor is not None:
        permissions.check(session, actor, "rules.manage")
        conditions, actions = checked_definition(session, conditions, actions)
        return {"conditions": conditions, "actions": actions}
    conditions, actions = validate(conditions, actions)
    wanted = {SocialAccount: set(), Team: set(), User: set(), SlaPolicy: set(), CannedResponse: set()}
    for condition in conditions:
        wanted[SocialAccount].update(condition.get("account_ids") or ())
    for action in actions:
        wanted[Team].update(filter(None, [action.get("team_id")]))
        wanted[User].update(action.get("user_ids") or ())
        wanted[User].update(filter(None, [action.get("user_id")]))
        wanted[SlaPolicy].update(filter(None, [action.get("policy_id")]))
        wanted[CannedResponse].update(filter(None, [action.get("canned_id")]))
    for model, ids in wanted.items():
        if ids:
            found = set(session.scalars(sa.select(model.id).where(model.id.in_(sorted(ids)))))
            if missing := sorted(ids - found):
                raise Invalid(_l("%(what)s %(id)s does not exist.", what=model.__tablename__, id=missing[0]),
                              code="unknown_reference")
    return conditions, actions


def create_rule(session, actor, *, name, conditions, actions, enabled=False, stop=False):
    permissions.check(session, actor, "rules.manage")
    conditions, actions = checked_definition(session, conditions, actions)
    if session.scalar(sa.select(sa.func.count()).select_from(Rule)) >= MAX_RULES:
        raise Invalid(_l("There can be at most %(n)s rules.", n=MAX_RULES), code="too_many_rules")
    last = session.scalar(sa.select(sa.func.max(Rule.position)))
    rule = Rule(name=name.strip(), conditions=conditions, actions=actions, enabled=bool(enabled), stop=bool(stop),
                position=(last or 0) + 1, created_by_id=getattr(actor, "id", None), hit_count=0)
    session.add(rule)
    session.flush()
    audit.record("rule.created", actor=actor, target=rule, data=_audited(rule))
    return rule


def update_rule(session, actor, rule, changes):
    """Apply `changes` (any of name, enabled, stop, conditions, actions) to `rule`."""
    permissions.check(session, actor, "rules.manage")
    if "conditions" in changes or "actions" in changes:
        rule.conditions, rule.actions = checked_definition(
            session, changes.get("conditions", rule.conditions), changes.get("actions", rule.actions))
    for name in ("enabled", "stop"):
        if changes.get(name) is not None:
            setattr(rule, name, bool(changes[name]))
    if changes.get("name") is not None:
        rule.name = changes["name"].strip()
    session.flush()
    audit.record("rule.updated", actor=actor, target=rule, data=_audited(rule) | {"changed": sorted(changes)})
    return rule


def delete_rule(session, actor, rule):
    permissions.check(session, actor, "rules.manage")
    audit.record("rule.deleted", actor=actor, target=rule, data=_audited(rule))
    session.delete(rule)
    session.flush()


def reorder(session, actor, ids):
    """Positions 1, 2, … in the order of `ids`, which must name every rule once."""
    permissions.check(session, actor, "rules.manage")
    rules = {r.id: r for r in session.scalars(sa.select(Rule).with_for_update())}
    if len(ids) != len(set(ids)) or set(ids) != set(rules):
        raise Invalid(_l("ids: give every rule's id once, in the new order."), code="invalid_order")
    for position, rule_id in enumerate(ids, start=1):
        rules[rule_id].position = position
    session.flush()
    audit.record("rule.reordered", actor=actor, data={"ids": list(ids)})
    return [rules[i] for i in ids]


def _audited(rule):
    return {"name": rule.name, "enabled": bool(rule.enabled), "stop": bool(rule.stop),
            "conditions": rule.conditions, "actions": rule.actions}
