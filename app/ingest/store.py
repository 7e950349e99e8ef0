"""The batch SQL under ingest: load what planning needs, then write the plan.

Everything a batch reads or writes is a handful of statements however many items it holds: each
query takes a list of keys (`= ANY(array)` on PostgreSQL, app/batch_sql.py) and each table gets one
INSERT or UPDATE for the whole batch, on plain Core rows (the ORM's unit of work cost more than the
rest of a batch).

Concurrency: the caller holds the account's row lock (app.accounts.lock_accounts; SQLite serialises
writers anyway). Whoever opens or reopens a conversation holds that lock, so two ingests of one account
(a push and a poll racing, two workers after a lease expired) run one after the other and the second
sees what the first stored. The conversations a batch touches are then locked in id order, then
their clocks: the lock order of replies and the sweep too, so none of them deadlock. The inserts
still say ON CONFLICT DO NOTHING, and any row they skip means someone broke that rule: the batch
fails with IngestConflict rather than count a message twice.
"""
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.batch_sql import any_of, insert_rows, prebuilt, update_rows
from app.domain_errors import IngestConflict
from app.ingest.plan import (
    AccountRef,
    ContactRow,
    ConversationRow,
    IngestState,
    POST_FIELDS,
    KnownMessage,
    UnconfirmedReply,
    contact_key,
    counterpart_key,
    is_brand_dm,
    search_text,
)
from app.models import Contact, Conversation, Message, Post
from app.sla import store as clock_store
from app.text import fold

MESSAGES, CONTACTS, CONVERSATIONS, POSTS = Message.__table__, Contact.__table__, Conversation.__table__, Post.__table__
CONVERSATION_COLUMNS = [CONVERSATIONS.c[name] for name in ConversationRow.__dataclass_fields__]
CONTACT_COLUMNS = [CONTACTS.c[name] for name in ContactRow.__dataclass_fields__]


# ------------------------------------------------------------------ loading

@prebuilt
def _messages_by_external_id(dialect):
    m = MESSAGES.c
    return sa.select(m.external_id, m.id, m.conversation_id, m.account_id).where(
        m.network == sa.bindparam("network"), any_of(dialect, m.external_id, "external_ids"))


@prebuilt
def _contacts_by_key(dialect):
    c = CONTACTS.c
    return sa.select(*CONTACT_COLUMNS).where(c.network == sa.bindparam("network"), any_of(dialect, c.external_id, "keys"))


@prebuilt
def _contacts_by_id(dialect):
    return sa.select(*CONTACT_COLUMNS).where(any_of(dialect, CONTACTS.c.id, "ids"))


@prebuilt
def _conversations_to_lock(dialect):
    """The customers' current conversations (unresolved, or resolved since the reopen window opened) and
    those the brand's posts answer, locked in id order."""
    c = CONVERSATIONS.c
    current = sa.and_(any_of(dialect, c.contact_id, "contact_ids"), sa.or_(
        c.status != "resolved", c.resolved_at >= sa.bindparam("resolved_since", type_=c.resolved_at.type)))
    return (sa.select(*CONVERSATION_COLUMNS)
            .where(c.account_id == sa.bindparam("account_id"), sa.or_(current, any_of(dialect, c.id, "ids")))
            .order_by(c.id).with_for_update())


@prebuilt
def _latest_resolved_private(dialect):
    """The latest resolved private conversation of each of these contacts on the account (where a DM the
    brand sent them natively goes when nothing is unresolved)."""
    c, later = CONVERSATIONS.c, CONVERSATIONS.alias("later").c
    newer = sa.select(later.id).where(
        later.account_id == c.account_id, later.contact_id == c.contact_id, later.channel == "private",
        later.status == "resolved", sa.or_(later.resolved_at > c.resolved_at,
                                           sa.and_(later.resolved_at == c.resolved_at, later.id > c.id)))
    return sa.select(c.id).where(
        c.account_id == sa.bindparam("account_id"), any_of(dialect, c.contact_id, "contact_ids"),
        c.channel == "private", c.status == "resolved", ~newer.exists())


@prebuilt
def _replies_of_unknown_fate(dialect):
    """Our replies whose fate we do not know, among those answering these posts or (DMs, which answer no
    post) in these conversations; oldest first."""
    m = MESSAGES.c
    return sa.select(m.id, m.conversation_id, m.in_reply_to_external_id, m.text, m.author_user_id,
                     m.delivery_status).where(
        m.account_id == sa.bindparam("account_id"), m.direction == "outbound",
        m.delivery_status.in_(("sending", "unknown")),
        sa.or_(any_of(dialect, m.in_reply_to_external_id, "parents"),
               any_of(dialect, m.conversation_id, "conversation_ids")),
    ).order_by(m.id)


def find_messages(session, network, external_ids):
    """{external id: KnownMessage} of those already stored on `network`."""
    if not external_ids:
        return {}
    rows = session.execute(_messages_by_external_id(session),
                           {"network": network, "external_ids": sorted(external_ids)})
    return {r.external_id: KnownMessage(*r) for r in rows.all()}


def load(session, account, items, *, now, policies, reopen_window):
    """The IngestState for `items` (normalised) on `account` (a SocialAccount the caller loaded with its
    lock: app.accounts.lock_accounts). `policies`: channel -> the account's Policy for it, for the
    channels of the items."""
    ref = AccountRef(account.id, account.network, account.external_id, account.handle, account.name)
    brand = [i for i in items if i.from_brand]
    parents = {i.in_reply_to for i in brand if i.in_reply_to}
    known = find_messages(session, account.network, {i.external_id for i in items} | parents)
    fresh_dms = [i for i in brand if is_brand_dm(i) and i.external_id not in known and counterpart_key(i)]
    counterparts = {counterpart_key(i) for i in fresh_dms}
    keys = {contact_key(i) for i in items if not i.from_brand and i.external_id not in known} | counterparts
    contacts = _contacts(session, _contacts_by_key, {"network": account.network, "keys": sorted(keys)}) if keys else {}
    answered = {k.conversation_id for ext, k in known.items() if ext in parents and k.account_id == account.id}
    dm_contact_ids = sorted(contacts[k].id for k in counterparts if k in contacts)
    if dm_contact_ids:  # a resolved private conversation past the reopen window still takes the brand's DMs
        answered |= set(session.scalars(_latest_resolved_private(session), {
            "account_id": account.id, "contact_ids": dm_contact_ids}))
    conversations = {}
    if contacts or answered:
        window_start = now - reopen_window if reopen_window is not None else now + timedelta(days=1)
        rows = session.execute(_conversations_to_lock(session), {
            "account_id": account.id, "contact_ids": sorted(c.id for c in contacts.values()),
            "resolved_since": window_start, "ids": sorted(answered)})
        conversations = {r.id: ConversationRow(**r._mapping) for r in rows.all()}
    missing = {c.contact_id for c in conversations.values()} - {c.id for c in contacts.values()}
    if missing:
        contacts.update(_contacts(session, _contacts_by_id, {"ids": sorted(missing)}))
    dm_conversations = _private_conversations(fresh_dms, contacts, conversations)
    return IngestState(
        account=ref, now=now, policy=policies.get("public") or next(iter(policies.values())), policies=policies,
        reopen_window=reopen_window, known=known, contacts=contacts, conversations=conversations,
        customer_messages_after=_customer_messages_after_answers(session, brand, known, conversations,
                                                                 dm_conversations, now),
        unconfirmed=_unconfirmed(session, account.id, parents, {cid for cids in dm_conversations.values()
                                                                 for cid in cids}),
    )


def _private_conversations(dms, contacts, conversations):
    """{external id of a brand DM: ids of the loaded private conversations of its counterpart}: those it may
    join (the planner picks one)."""
    found = {}
    for item in dms:
        contact = contacts.get(counterpart_key(item))
        if contact is not None:
            found[item.external_id] = [c.id for c in conversations.values()
                                       if c.contact_id == contact.id and c.channel == "private"]
    return found


def _contacts(session, statement, params):
    return {row.external_id: ContactRow(*row) for row in session.execute(statement(session), params).all()}


def _customer_messages_after_answers(session, brand, known, conversations, dm_conversations, now):
    """For conversations the brand's posts answer (or its DMs may join): their stored customer messages
    posted after the earliest of those answers (a customer still waiting after our answer starts the next
    clock)."""
    answers = {}
    for item in brand:
        parent = known.get(item.in_reply_to)
        targets = [parent.conversation_id] if parent is not None else dm_conversations.get(item.external_id, ())
        for cid in targets:
            if cid in conversations:
                at = item.created_at or now
                answers[cid] = min(at, answers.get(cid, at))
    waiting = [cid for cid, at in answers.items()
               if (conversations[cid].last_inbound_at or at) > at]
    if not waiting:
        return {}
    return clock_store.customer_messages_after(session, waiting, min(answers[cid] for cid in waiting))


def _unconfirmed(session, account_id, parents, conversation_ids):
    if not parents and not conversation_ids:
        return ()
    rows = session.execute(_replies_of_unknown_fate(session), {
        "account_id": account_id, "parents": sorted(parents), "conversation_ids": sorted(conversation_ids)})
    return tuple(UnconfirmedReply(*row) for row in rows.all())


# ------------------------------------------------------------------ writing

def write(session, account, plan, *, now):
    """Store `plan`; fills in the ids of what it creates. Contacts, then conversations, then messages,
    then clocks (conversations before their clocks: the lock order everywhere)."""
    write_posts(session, account, plan.posts, now=now)
    _insert_contacts(session, account.network, plan.new_contacts, now)
    update_rows(session, Contact, [_contact_update(u, now) for u in sorted(
        plan.contact_updates, key=lambda u: u.contact_id)])
    opened = [c for c in plan.conversations if c.opened]
    if opened:
        _insert_conversations(session, account, opened)
    _insert_messages(session, account, plan.messages)
    for confirmed in plan.confirmed:
        _confirm_reply(session, confirmed)
    clock_store.write_clocks(session, [(c.row.id, account.id, c.clocks) for c in plan.conversations
                                       if not c.clocks.empty])
    changed = sorted((c for c in plan.conversations if not c.opened), key=lambda c: c.row.id)
    update_rows(session, Conversation, [_bookkeeping(c.row) for c in changed])


def _insert_contacts(session, network, new_contacts, now):
    if not new_contacts:
        return
    new_contacts = sorted(new_contacts, key=lambda c: c.external_id)  # one insertion order everywhere: no deadlocks
    rows = [{"network": network, "external_id": c.external_id, "handle": c.handle, "name": c.name,
             "followers_count": c.followers_count, "profile_url": c.profile_url, "accepts_dms": c.accepts_dms,
             "search_text": search_text(c), "created_at": now, "updated_at": now}
            for c in new_contacts]
    ids = dict(insert_rows(session, Contact, rows, conflict_columns=["network", "external_id"],
                           returning=[CONTACTS.c.external_id, CONTACTS.c.id]).all())
    lost = [c.external_id for c in new_contacts if c.external_id not in ids]
    if lost:  # created meanwhile by an ingest of another account on the same network
        ids.update((k, c.id) for k, c in _contacts(
            session, _contacts_by_key, {"network": network, "keys": sorted(lost)}).items())
    for contact in new_contacts:
        contact.id = ids[contact.external_id]


def _contact_update(update, now):
    return {"id": update.contact_id, "handle": update.handle, "name": update.name,
            "followers_count": update.followers_count, "profile_url": update.profile_url,
            "accepts_dms": update.accepts_dms, "search_text": search_text(update), "updated_at": now}


def _insert_conversations(session, account, opened):
    for conversation in opened:
        conversation.row.contact_id = conversation.contact.id
    opened = sorted(opened, key=lambda c: (c.row.contact_id, c.row.channel))
    rows = [_conversation_values(c.row) for c in opened]
    inserted = insert_rows(
        session, Conversation, rows, conflict_columns=["account_id", "contact_id", "channel"],
        conflict_where=sa.text("status != 'resolved'"),
        returning=[CONVERSATIONS.c.contact_id, CONVERSATIONS.c.channel, CONVERSATIONS.c.id]).all()
    ids = {(contact_id, channel): cid for contact_id, channel, cid in inserted}
    for conversation in opened:
        conversation.row.id = ids.get((conversation.row.contact_id, conversation.row.channel))
    if len(ids) < len(opened):
        raise IngestConflict("a conversation was opened by someone not holding its account's lock")


def _conversation_values(row):
    return {name: getattr(row, name) for name in ConversationRow.__dataclass_fields__ if name != "id"}


def _insert_messages(session, account, messages):
    if not messages:
        return
    rows = [_message_values(account, m) for m in messages]
    ids = dict(insert_rows(session, Message, rows, conflict_columns=["network", "external_id"],
                           returning=[MESSAGES.c.external_id, MESSAGES.c.id]).all())
    for message in messages:
        message.id = ids.get(message.external_id)
    if len(ids) < len(messages):
        raise IngestConflict("a message was stored meanwhile under another account")


def _message_values(account, message):
    outbound = message.direction == "outbound"
    return {
        "conversation_id": message.conversation.row.id, "account_id": account.id, "network": account.network,
        "external_id": message.external_id, "direction": message.direction, "text": message.text,
        "search_text": fold(message.text), "author_external_id": message.author.external_id,
        "author_handle": message.author.handle, "author_name": message.author.name,
        "in_reply_to_external_id": message.in_reply_to, "created_at": message.created_at,
        "received_at": message.received_at, "delivery_attempts": 0, "is_native": outbound, "mentions": [],
        "delivery_status": "sent" if outbound else None, "sent_at": message.created_at if outbound else None,
        "language": message.language, "post_external_id": message.post_external_id,
        "sentiment": message.sentiment, "intent": message.intent, "moderation": "visible", "liked": False,
    }


@prebuilt
def _upsert_posts(dialect):
    """Insert posts, or refresh stored ones: a field the network did not send (None) keeps the stored value.
    `owned` and `account_id` stay as first stored (a post is the brand's own or not once and for all)."""
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(POSTS)
    kept = {name: sa.func.coalesce(insert.excluded[name], POSTS.c[name]) for name in POST_FIELDS}
    return insert.on_conflict_do_update(index_elements=["network", "external_id"],
                                        set_={**kept, "updated_at": insert.excluded.updated_at})


def write_posts(session, account, posts, *, now):
    """Upsert `posts` (InboundPost, one per external id, sorted by it: plan.merged_posts) for `account`, in one
    statement whatever their number."""
    if not posts:
        return
    rows = [{"account_id": account.id, "network": account.network, "external_id": post.external_id,
             "owned": bool(post.owned), "created_at": now, "updated_at": now,
             **{name: getattr(post, name) for name in POST_FIELDS}} for post in posts]
    session.execute(_upsert_posts(session), rows)


@prebuilt
def _mark_sent(_dialect):
    m = MESSAGES.c
    return sa.update(MESSAGES).where(m.id == sa.bindparam("b_id"), m.delivery_status.in_(("sending", "unknown"))).values(
        delivery_status="sent", delivery_error=None, external_id=sa.bindparam("b_external_id"),
        sent_at=sa.bindparam("b_sent_at"))


def _confirm_reply(session, confirmed):
    result = session.execute(_mark_sent(session), {"b_id": confirmed.reply.id, "b_external_id": confirmed.external_id,
                                                   "b_sent_at": confirmed.sent_at})
    if result.rowcount != 1:
        raise IngestConflict(f"reply {confirmed.reply.id} changed while the network confirmed it")


BOOKKEEPING = ("status", "resolved_at", "message_count", "last_message_at", "snippet", "last_inbound_at",
               "last_outbound_at", "sla_state", "sla_started_at", "sla_warn_at", "sla_breach_at", "updated_at", "language")


def _bookkeeping(row):
    return {"id": row.id, **{name: getattr(row, name) for name in BOOKKEEPING}}
