"""`ingest()`: the stages every inbound item goes through, whoever brings it (poller, push, API).

1. normalise: the items, once each, in the order they were posted, without characters the database
   cannot hold or that would spoof what agents see;
2. load (store.py): what the batch touches, locked, in a handful of statements;
3. plan (plan.py): pure decisions: conversations, messages, counters, SLA clocks, the language of each
   customer message (the network's, else detected: language.py) and so of its conversation; then the
   sentiment and intent of each (triage.py: precomputed by the caller before the lock, else the baseline);
4. write (store.py): the plan, batched;
5. route: the owning team of each new conversation (app/teams), priority from reach and mood
   (app/ranking), then the managers' rules, once per new customer message (app/rules);
6. assign new conversations (auto-assignment, per team) and publish the events (publish.py).

It never commits: the caller commits, together with anything that must be atomic with the items
(a poller's cursor). Messages are unique by (network, external id), so storing a batch again, or a
push and a poll of the same post, stores each once.
"""
from dataclasses import dataclass, replace
from datetime import timedelta

from flask import current_app

from app import ranking, rules, teams
from app.assignment import auto_assign
from app.batch_sql import update_rows
from app.domain_errors import Invalid
from app.ingest import publish, store, triage
from app.ingest.items import CHANNELS
from app.ingest.plan import merged_posts
from app.ingest.plan import plan as make_plan
from app.metrics import INGESTED
from app.models import Conversation, utcnow
from app.serialize import message_dict
from app.sla.policies import effective_policy
from app.text_safety import neutralize_bidi


@dataclass
class IngestResult:
    external_id: str
    message_id: int | None  # None: a brand post that answers nothing we know, not stored
    conversation_id: int | None
    created: bool
    account_id: int | None = None
    message: dict | None = None  # the stored message as events carry it (message_dict), when created here


def ingest(session, account, items, *, received_at=None):
    """Store `items` (app.ingest.items.InboundItem) for `account`: a SocialAccount loaded with its row lock
    (app.accounts.lock_accounts; the poller's and the push receivers' transactions take it first).
    Returns one IngestResult per distinct external id, in the order the items came."""
    now = received_at or utcnow()
    items = normalised(account, items)
    if not items:
        return []
    hours = current_app.config["CAREBOX_REOPEN_WINDOW_HOURS"]
    in_time_order = sorted(items, key=lambda i: (i.created_at or now, i.external_id))
    policies = {channel: effective_policy(session, account.id, channel) for channel in {i.channel for i in items}}
    state = store.load(session, account, in_time_order, now=now, policies=policies,
                       reopen_window=timedelta(hours=hours) if hours > 0 else None)
    plan = make_plan(state, in_time_order)
    triage.label(plan)  # sentiment and intent of each new customer message (precomputed, else the baseline)
    store.write(session, account, plan, now=now)
    teams.route_opened(session, account, plan)
    ranking.rank(session, plan)
    rules.run_rules(session, account, plan)
    _auto_assign(session, plan)
    publish.publish(session, plan)
    if plan.messages:
        for direction in ("inbound", "outbound"):
            count = sum(1 for m in plan.messages if m.direction == direction)
            if count:
                INGESTED.labels(account.network, direction).inc(count)
    return _results(account, items, plan)


def record_posts(session, account, posts, *, received_at=None):
    """Store or refresh posts and media (app.ingest.items.InboundPost) of `account` with no message to go with
    them (a connector's media listing): one statement; fields the network did not send keep what is stored.
    It never commits."""
    store.write_posts(session, account, merged_posts(_clean_post(p) for p in posts), now=received_at or utcnow())


def normalised(account, items):
    """Each external id once (the first occurrence wins), cleaned; refuses items of another network."""
    unique = {}
    for item in items:
        if item.network not in (None, account.network):
            raise Invalid(f"an item from {item.network} cannot be stored for a {account.network} account",
                          code="wrong_network")
        if item.channel not in CHANNELS:
            raise Invalid(f"unknown channel {item.channel!r}", code="unknown_channel")
        unique.setdefault(item.external_id, item)
    return [_clean(item) for item in unique.values()]


def _clean(item):
    """NUL (PostgreSQL text cannot hold it: a network that sends one must not fail its page on every poll)
    becomes U+FFFD; bidi overrides in who wrote it (or whom a DM went to) cannot make a handle read as
    someone else's."""
    author, counterpart = _clean_author(item.author), _clean_author(item.counterpart)
    post = _clean_post(item.post) if item.post is not None else None
    fixed = {n: _no_nul(v) for n in ("external_id", "text", "in_reply_to", "thread_id")
             if isinstance(v := getattr(item, n), str) and "\x00" in v}
    if fixed or author is not item.author or counterpart is not item.counterpart or post is not item.post:
        item = replace(item, author=author, counterpart=counterpart, post=post, **fixed)
    return item


def _clean_post(post):
    """A post's texts as the database holds them; its owner's handle cannot spoof another's (bidi)."""
    fixed = {n: _no_nul(v) for n in ("external_id", "caption", "permalink", "thumbnail_url")
             if isinstance(v := getattr(post, n), str) and "\x00" in v}
    if isinstance(post.owner_handle, str) and (handle := neutralize_bidi(_no_nul(post.owner_handle))) != post.owner_handle:
        fixed["owner_handle"] = handle
    return replace(post, **fixed) if fixed else post


def _clean_author(author):
    if author is None:
        return None
    fixed = {n: _no_nul(v) for n in ("external_id", "profile_url") if isinstance(v := getattr(author, n), str)}
    fixed.update((n, neutralize_bidi(_no_nul(v))) for n in ("handle", "name")
                 if isinstance(v := getattr(author, n), str))
    if any(fixed[n] != getattr(author, n) for n in fixed):
        return replace(author, **fixed)
    return author


def _no_nul(text):
    return text.replace("\x00", "\ufffd")


def _auto_assign(session, plan):
    # A rule may have assigned one already, or marked it spam: nobody should be handed spam.
    opened = [c.row for c in sorted(plan.conversations, key=lambda c: c.id)
              if c.opened and c.row.assignee_id is None and not c.row.is_spam]
    if not opened:
        return
    assigned = auto_assign(session, opened)
    update_rows(session, Conversation, [{"id": cid, "assignee_id": user.id} for cid, user in sorted(assigned.items())])


def _results(account, items, plan):
    results = {}
    for external_id, known in plan.existing.items():
        results[external_id] = IngestResult(external_id, known.id, known.conversation_id, False, known.account_id)
    for external_id in plan.ignored:
        results[external_id] = IngestResult(external_id, None, None, False)
    for confirmed in plan.confirmed:
        results[confirmed.external_id] = IngestResult(confirmed.external_id, confirmed.reply.id,
                                                      confirmed.conversation.id, False, account.id)
    for message in plan.messages:
        results[message.external_id] = IngestResult(message.external_id, message.id, message.conversation.id, True,
                                                    account.id, message_dict(message))
    return [results[item.external_id] for item in items]
