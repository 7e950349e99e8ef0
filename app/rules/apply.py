"""Applying the planned actions of recorded hits: to the ingest plan's rows (so published events carry them)
and to the database, batched. Network calls (hiding) are left to the worker after the commit."""

from app.batch_sql import update_rows
from app.models import Conversation
from app.rules import store
from app.rules.auto_reply import send_auto_replies
from app.rules.notify import notify_hits
from app.sla.policies import conversation_policy
from app.sla.rules import SlaState, under_new_policy
from app.sla.store import mirror, state_of

ROW_FIELDS = ("tags", "priority", "priority_reasons", "team_id", "assignee_id", "sla_policy_id", "sla_exempt",
              "is_spam", "status", "resolved_at")
SLA_ACTIONS = ("apply_sla_policy", "exclude_from_sla", "mark_spam")
MIRROR = ("sla_state", "sla_started_at", "sla_warn_at", "sla_breach_at")


def to_row(row, actions, now=None):
    """What `actions` do to a ConversationRow (app/ingest/plan.py), in place."""
    for action in actions:
        kind = action["type"]
        if kind == "tag":
            row.tags = list(row.tags or []) + [t for t in action["tags"] if t not in (row.tags or [])]
        elif kind == "set_priority":
            row.priority = action["priority"]
            row.priority_reasons = list(row.priority_reasons or []) + (
                [] if "rule" in (row.priority_reasons or []) else ["rule"])
        elif kind == "assign_team":
            row.team_id = action["team_id"]
        elif kind == "assign_agent":
            row.assignee_id = action["user_id"]
        elif kind == "apply_sla_policy":
            row.sla_policy_id = action["policy_id"]
        elif kind == "exclude_from_sla":
            row.sla_exempt = True
        elif kind == "mark_spam":
            row.is_spam, row.sla_exempt = True, True
            if row.status != "resolved":
                row.status, row.resolved_at = "resolved", now or row.last_inbound_at  # spam leaves the queue


def to_database(session, account, plan, hits, *, now):
    """Store what the recorded `hits` did: conversations (one batched UPDATE), messages to hide, notifications,
    automatic answers."""
    touched = {h["conversation_id"] for h in hits}
    rows = sorted((c.row for c in plan.conversations if c.row.id in touched), key=lambda r: r.id)
    store.update_conversations(session, [{"id": r.id, **{n: getattr(r, n) for n in ROW_FIELDS}} for r in rows])
    store.mark_pending_hide(session, {h["message_id"] for h in hits if _does(h, "hide")})
    notify_hits(session, [h for h in hits if _does(h, "notify")])
    send_auto_replies(session, account, [h for h in hits if _does(h, "auto_reply")], now=now)


def _does(hit, kind):
    return any(a["type"] == kind for a in hit["actions"])


def follow_sla_choices(session, plan, chosen_now=()):
    """Conversations of the plan that follow a policy a rule chose, or are out of SLA, keep their clocks so:
    the plan started or moved them under the account's policy (ingest knows nothing of rules). Only those
    whose clock this batch wrote, or whose choice a rule made now (`chosen_now`: conversation ids), change."""
    exempt, moves, rows = [], [], []
    for conv in sorted(plan.conversations, key=lambda c: c.row.id):
        row = conv.row
        running = state_of(row).running
        wrote_clock = conv.clocks is not None and not conv.clocks.empty
        if running is None or not (wrote_clock or row.id in chosen_now):
            continue
        if row.sla_exempt:
            exempt.append(row.id)
            _set_mirror(row, None)
        elif row.sla_policy_id is not None:
            after = under_new_policy(running, conversation_policy(session, row))
            moves.append({"conversation_id": row.id, "policy_id": after.policy_id, "warn_at": after.warn_at,
                          "breach_at": after.breach_at})
            _set_mirror(row, after)
        else:
            continue
        rows.append({"id": row.id, **{n: getattr(row, n) for n in MIRROR}})
    # Conversations before their clocks: the lock order of every path.
    update_rows(session, Conversation, rows)
    store.drop_running_clocks(session, exempt)
    store.move_running_clocks(session, moves)


def _set_mirror(row, clock):
    for name, value in mirror(SlaState(clock, row.last_outbound_at)).items():
        setattr(row, name, value)

