"""One conversation's SLA as the agents' actions change it: an answer sent, resolving, reopening.

These take a loaded Conversation (ORM object), decide with the rules (app/sla/rules.py), write the clock
rows (app/sla/store.py) and set the conversation's mirror of its running clock. Ingest applies the same
rules to whole batches itself (app/ingest). Callers hold the conversation's row lock and commit.
"""
from app.sla import rules, store
from app.sla.ledger import ClockWrites
from app.sla.policies import conversation_policy


def on_answer(session, conv, answered_at, *, by_user_id=None, native=False):
    """Our answer reached the customer at `answered_at` (sent from Carebox, or native on the network)."""
    state = store.state_of(conv)
    outcome = rules.answered(
        state, answered_at, policy=_policy(session, conv), native=native, by_user_id=by_user_id,
        waiting_since=store.waiting_since(session, conv, answered_at), waits_for_answer=_waits(conv))
    return _apply(session, conv, state, outcome)


def on_resolve(session, conv, at):
    state = store.state_of(conv)
    return _apply(session, conv, state, rules.resolved(state, at, policy=_policy(session, conv)))


def on_reopen(session, conv, at):
    """Call after the status went back to open."""
    state = store.state_of(conv)
    waiting = conv.last_inbound_at is not None and (conv.last_outbound_at is None
                                                    or conv.last_inbound_at > conv.last_outbound_at)
    outcome = rules.reopened(state, at, policy=_policy(session, conv),
                             customer_waiting=waiting and _waits(conv))
    return _apply(session, conv, state, outcome)


def _policy(session, conv):
    return conversation_policy(session, conv)


def _waits(conv):
    return conv.status != "resolved" and not conv.is_spam and not getattr(conv, "sla_exempt", False)


def _apply(session, conv, before, outcome):
    if outcome.changed:
        session.flush()  # the conversation row first: the lock order of every path
        writes = ClockWrites(stored_running=before.running is not None).add(outcome)
        store.write_clocks(session, [(conv.id, conv.account_id, writes)])
    store.set_mirror(conv, outcome.state)
    return outcome
