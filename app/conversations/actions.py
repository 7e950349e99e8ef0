"""What agents do to a conversation: status, priority, tags, assignee, spam; one at a time or in bulk.

Every change is audited and published once as `conversation.updated` with what changed.
Resolving (or marking as spam) stops the SLA clock. An agent acts only on conversations they see
(app/teams: others answer 404), and is assigned only conversations of their teams (or unrouted ones).
"""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import events
from app.accounts import lock_accounts
from app.assignment import notify_assigned
from app.audit import record
from app.domain_errors import Conflict, DomainError, Invalid, NotFound
from app.models import PRIORITIES, STATUSES, Conversation, Team, User, utcnow
from app.permissions import check
from app.serialize import conversation_summary
from app.sla.conversation import on_reopen, on_resolve
from app.teams import can_see, visible_clause

UNSET = object()
MAX_TAGS = 20
BULK_ACTIONS = ("assign", "unassign", "tag", "untag", "resolve", "reopen", "spam", "priority")


def get_or_404(session, conversation_id, *, viewer):
    """The conversation, when it exists and `viewer` may see it; NotFound otherwise (either way)."""
    conv = session.get(Conversation, conversation_id)
    if conv is None or not can_see(session, viewer, conv):
        raise NotFound(_l("There is no conversation %(id)s.", id=conversation_id))
    return conv


def clean_tags(tags):
    out = []
    for tag in tags:
        tag = " ".join(str(tag).split()).lower()[:40]
        if tag and tag not in out:
            out.append(tag)
    if len(out) > MAX_TAGS:
        raise Invalid(_l("At most %(num)s tags per conversation.", num=MAX_TAGS), code="too_many_tags")
    return out


def update_conversation(session, conv, *, actor, status=UNSET, priority=UNSET, tags=UNSET, assignee_id=UNSET,
                        is_spam=UNSET, team_id=UNSET):
    """Apply the given changes. Returns {field: {"from", "to"}} (empty when nothing changed)."""
    changes = {}

    def change(field, value):
        old = getattr(conv, field)
        if old != value:
            changes[field] = {"from": old, "to": value}
            setattr(conv, field, value)

    if team_id is not UNSET:
        _change_team(session, conv, team_id, change, actor, keep_assignee=assignee_id is not UNSET)
    if assignee_id is not UNSET:
        _change_assignee(session, conv, assignee_id, change, actor)
    if priority is not UNSET:
        _change_priority(conv, priority, change, changes)
    if tags is not UNSET:
        _change_tags(conv, tags, changes)
    if is_spam is not UNSET:
        change("is_spam", bool(is_spam))
        status = "resolved" if is_spam and status is UNSET else status  # spam leaves the queue
    if status is not UNSET:
        _change_status(session, conv, status, change)
    if changes:
        _announce(session, conv, changes, actor)
    return changes


def _announce(session, conv, changes, actor):
    conv.updated_at = utcnow()
    session.flush()
    events.publish(session, "conversation.updated", {"conversation": conversation_summary(conv),
                                                     "changes": _jsonable(changes)})
    record("conversation.updated", actor=actor, target=conv, data=_jsonable(changes))


def _change_priority(conv, priority, change, changes):
    change("priority", _valid_priority(priority))
    if "priority" in changes:
        conv.priority_reasons = ["manual"]  # set by hand: ranking leaves it alone from now on (app/ranking.py)


def _valid_priority(priority):
    if priority not in PRIORITIES:
        raise Invalid(_l("priority must be one of %(values)s.", values=", ".join(PRIORITIES)), code="validation_error")
    return priority


def _change_tags(conv, tags, changes):
    cleaned = clean_tags(tags)
    if cleaned != list(conv.tags or []):
        changes["tags"] = {"from": list(conv.tags or []), "to": cleaned}
        conv.tags = cleaned


def _change_team(session, conv, team_id, change, actor, *, keep_assignee):
    """Managers move a conversation to another team (None: unrouted). An assignee who would no longer see
    it is unassigned, unless the same change names the assignee."""
    if team_id == conv.team_id:
        return
    check(session, actor, "teams.manage")
    if team_id is not None and session.get(Team, team_id) is None:
        raise Invalid(_l("There is no team %(id)s.", id=team_id), code="unknown_team")
    change("team_id", team_id)
    if not keep_assignee and conv.assignee_id is not None:
        assignee = session.get(User, conv.assignee_id)
        if assignee is not None and not can_see(session, assignee, conv):
            change("assignee_id", None)


def _change_assignee(session, conv, assignee_id, change, actor):
    assignee = None
    if assignee_id is not None:
        assignee = session.get(User, assignee_id)
        if assignee is None or not assignee.is_active:
            raise Invalid(_l("There is no active user %(id)s to assign.", id=assignee_id), code="unknown_assignee")
        if not can_see(session, assignee, conv):
            raise Invalid(_l("%(name)s is not in this conversation's team.", name=assignee.name),
                          code="not_in_team")
    if conv.assignee_id == assignee_id:
        return
    change("assignee_id", assignee_id)
    if assignee is not None and assignee.id != actor.id:
        notify_assigned(session, conv, assignee, by=actor)


def _change_status(session, conv, status, change):
    if status not in STATUSES:
        raise Invalid(_l("status must be one of %(values)s.", values=", ".join(STATUSES)), code="validation_error")
    if status == conv.status:
        return
    previous, now = conv.status, utcnow()
    if status == "resolved":
        on_resolve(session, conv, now)
        conv.resolved_at = now
    elif conv.status == "resolved":
        lock_accounts(session, [conv.account_id])
        other = session.scalar(
            sa.select(Conversation.id).where(
                Conversation.account_id == conv.account_id, Conversation.contact_id == conv.contact_id,
                Conversation.channel == conv.channel, Conversation.status != "resolved", Conversation.id != conv.id,
            )
        )
        if other is not None:
            raise Conflict(_l("This customer already has an open conversation (#%(id)s) on this account; continue there.",
                              id=other), code="other_conversation_open", conversation_id=other)
        conv.resolved_at = None
    change("status", status)
    if previous == "resolved":
        on_reopen(session, conv, now)


def _jsonable(changes):
    return {k: {"from": v["from"], "to": v["to"]} for k, v in changes.items()}


def claim(session, conv, *, actor):
    """Assign to me, unless a colleague already holds it (then 409: reassigning is an explicit act)."""
    if conv.assignee_id not in (None, actor.id):
        holder = session.get(User, conv.assignee_id)
        message = (_l("%(name)s already has this conversation.", name=holder.name) if holder
                   else _l("A colleague already has this conversation."))
        raise Conflict(message, code="already_assigned", assignee_id=conv.assignee_id)
    return update_conversation(session, conv, actor=actor, assignee_id=actor.id)


def bulk_update(session, ids, action, value, *, actor):
    """Apply one action to many conversations. Returns (updated ids, [{"id", "message"}])."""
    if action not in BULK_ACTIONS:
        raise Invalid(_l("action must be one of %(values)s.", values=", ".join(BULK_ACTIONS)), code="validation_error")
    kwargs_for = {
        "assign": lambda c: {"assignee_id": int(value) if value not in (None, "me") else actor.id},
        "unassign": lambda c: {"assignee_id": None},
        "tag": lambda c: {"tags": list(c.tags or []) + [_required(value, "tag")]},
        "untag": lambda c: {"tags": [t for t in (c.tags or []) if t != str(_required(value, "tag")).lower()]},
        "resolve": lambda c: {"status": "resolved"},
        "reopen": lambda c: {"status": "open"},
        "spam": lambda c: {"is_spam": True},
        "priority": lambda c: {"priority": _required(value, "priority")},
    }[action]
    updated, errors = [], []
    seen = visible_clause(actor)
    conversations = {c.id: c for c in session.scalars(sa.select(Conversation).where(
        Conversation.id.in_(ids), *(() if seen is None else (seen,))))}
    if action == "reopen":  # before any conversation is changed: accounts are locked first everywhere
        lock_accounts(session, {c.account_id for c in conversations.values()})
    for conv_id in ids:
        conv = conversations.get(conv_id)
        if conv is None:
            errors.append({"id": conv_id, "message": "no such conversation"})
            continue
        try:
            with session.begin_nested():
                update_conversation(session, conv, actor=actor, **kwargs_for(conv))
            updated.append(conv_id)
        except DomainError as exc:
            errors.append({"id": conv_id, "message": exc.message})
    return updated, errors


def _required(value, what):
    if value in (None, ""):
        raise Invalid(_l("This bulk action needs a %(field)s value.", field=what), code="validation_error")
    return value
