"""The one ingest path: pollers, Facebook push and POST /api/v1/messages all call `ingest()`.

Given items already mapped from a network's payload (see InboundItem), it
stores each exactly once (messages are unique by network and external id),
upserts the customer, attaches the message to the customer's unresolved
conversation on that account or opens one, runs the SLA clock and publishes
events. It works on a batch so a poller's page costs a handful of queries,
and it is safe against a concurrent ingest of the same items (push and poll
racing, two workers after a lease expired): inserts use ON CONFLICT DO
NOTHING and losers re-read what the winner stored.

It never commits: the caller commits, together with anything else that must
be atomic with the items (a poller's cursor).

Contacts and conversations are handled as plain rows (Core statements, not ORM
objects): a poller's page touches a hundred of each, and the ORM's unit of work
cost more than everything else a batch does. The conversations a batch touches
are read FOR UPDATE (in id order), so concurrent batches, replies and agents'
changes to one conversation queue up instead of overwriting each other; each
table then gets one UPDATE for the whole batch.
"""
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app import events
from app.conversations.assignment import auto_assign
from app.batch_sql import any_of, among, insert_rows, prebuilt, update_rows
from app.models import Contact, Conversation, Message, SlaClock, fold, utcnow
from app.ops.metrics import INGESTED
from app.serialize import conversation_summary, message_dict, snippet
from app.ingest.items import InboundAuthor, InboundItem  # noqa: F401  (InboundItem: re-exported)
from app.sla import effective_policy, start_clock, stop_clock
from app.sla.clock import running_clocks_preloaded


@dataclass
class IngestResult:
    external_id: str
    message_id: int | None  # None: a brand post that answers nothing we know, not stored
    conversation_id: int | None
    created: bool
    account_id: int | None = None
    message: dict | None = None  # the stored message as events carry it (message_dict), when created here


@dataclass
class _Batch:
    account: object
    now: datetime
    results: dict = field(default_factory=dict)


def ingest(session, account, items, *, received_at=None):
    """Store `items` (InboundItem) for `account`. Returns one IngestResult per distinct external id."""
    batch = _Batch(account, received_at or utcnow())
    items = [_storable(item) for item in items]
    unique = list({item.external_id: item for item in reversed(items)}.values())[::-1]
    if not unique:
        return []
    _find_existing(session, batch, [i.external_id for i in unique])
    fresh = [i for i in unique if i.external_id not in batch.results]
    fresh.sort(key=lambda i: (i.created_at or batch.now, i.external_id))
    customer = [i for i in fresh if not i.from_brand]
    brand = [i for i in fresh if i.from_brand]
    if customer:
        _store_customer_items(session, batch, customer)
    if brand:
        _store_brand_items(session, batch, brand)
    return [batch.results[i.external_id] for i in unique]


MESSAGES, CONTACTS, CONVERSATIONS = Message.__table__, Contact.__table__, Conversation.__table__


@prebuilt
def _messages_by_external_id(dialect):
    m = MESSAGES.c
    return sa.select(m.external_id, m.id, m.conversation_id, m.account_id).where(
        m.network == sa.bindparam("network"), any_of(dialect, m.external_id, "external_ids"))


@prebuilt
def _contacts_by_key(dialect):
    c = CONTACTS.c
    return sa.select(*CONTACTS.c).where(c.network == sa.bindparam("network"), any_of(dialect, c.external_id, "keys"))


@prebuilt
def _contacts_by_id(dialect):
    return sa.select(*CONTACTS.c).where(any_of(dialect, CONTACTS.c.id, "ids"))


@prebuilt
def _unresolved_of_contacts(dialect):
    c = CONVERSATIONS.c
    return _locked(sa.select(*CONVERSATIONS.c).where(
        c.account_id == sa.bindparam("account_id"), any_of(dialect, c.contact_id, "contact_ids"), c.status != "resolved"))


@prebuilt
def _conversations_by_id(dialect):
    return _locked(sa.select(*CONVERSATIONS.c).where(any_of(dialect, CONVERSATIONS.c.id, "ids")))


def _locked(select):
    """Conversations locked for this transaction in id order (one order everywhere: no deadlocks)."""
    return select.order_by(CONVERSATIONS.c.id).with_for_update()


def _find_messages(session, network, external_ids):
    return session.execute(_messages_by_external_id(session), {"network": network, "external_ids": sorted(external_ids)})


def _storable(item):
    """The item with NUL characters replaced by U+FFFD: PostgreSQL text cannot hold them, and a network
    that sends one must not make its whole page fail on every poll."""
    author = item.author and _without_nul(item.author, ("external_id", "handle", "name", "profile_url"))
    item = _without_nul(item, ("external_id", "text", "in_reply_to", "thread_id"))
    return item if author is item.author else replace(item, author=author)


def _without_nul(obj, names):
    """`obj` (a dataclass) with NUL in these text fields replaced; `obj` itself when they have none."""
    dirty = {n: v.replace("\x00", "\ufffd") for n in names if isinstance(v := getattr(obj, n), str) and "\x00" in v}
    return replace(obj, **dirty) if dirty else obj


def _find_existing(session, batch, external_ids):
    for ext, mid, cid, aid in _find_messages(session, batch.account.network, external_ids):
        batch.results[ext] = IngestResult(ext, mid, cid, created=False, account_id=aid)


def _contact_key(item):
    if item.author and item.author.external_id:
        return str(item.author.external_id)
    # No author from the network: group the thread under one anonymous customer.
    return f"anonymous:{item.thread_id or item.in_reply_to or item.external_id}"


def _upsert_contacts(session, batch, customer_items):
    """The contact (a row) of each item by key, created when missing; and the ids of those created here."""
    network = batch.account.network
    wanted = {}
    for item in customer_items:
        author = item.author or InboundAuthor(None)
        wanted[_contact_key(item)] = author  # the latest item's profile wins
    keys = list(wanted)

    def load(some_keys):
        return {row.external_id: row for row in _rows(session.execute(
            _contacts_by_key(session), {"network": network, "keys": sorted(some_keys)}))}

    rows = load(keys)
    missing = sorted(k for k in keys if k not in rows)  # one insertion order everywhere: no deadlocks
    created = set()
    if missing:
        inserted = _rows(insert_rows(
            session, Contact, [_contact_values(network, k, wanted[k], batch.now) for k in missing],
            conflict_columns=["network", "external_id"], returning=list(CONTACTS.c)))
        rows.update((c.external_id, c) for c in inserted)
        created = {c.id for c in inserted}
        lost = [k for k in missing if k not in rows]  # stored meanwhile by a concurrent ingest
        if lost:
            rows.update(load(lost))
    changed = [rows[key] for key, author in wanted.items() if _refresh_profile(rows[key], author)]
    update_rows(session, Contact, [
        {"id": c.id, "handle": c.handle, "name": c.name, "followers_count": c.followers_count,
         "profile_url": c.profile_url, "search_text": c.search_text, "updated_at": batch.now}
        for c in sorted(changed, key=lambda c: c.id)
    ])
    return rows, created


def _rows(result):
    """Plain mutable rows (attribute access, like the ORM objects the serializers also take)."""
    return [SimpleNamespace(**row._mapping) for row in result.all()]  # fetchall: cheaper than row by row


def _contact_values(network, key, author, now):
    return {
        "network": network, "external_id": key, "handle": author.handle, "name": author.name,
        "followers_count": author.followers_count, "profile_url": author.profile_url,
        "search_text": fold(f"{author.handle or ''} {author.name or ''}")[:400],
        "created_at": now, "updated_at": now,
    }


def _refresh_profile(contact, author):
    """Take the newer profile fields the network sent. Returns whether anything changed."""
    changed = False
    for attr in ("handle", "name", "followers_count", "profile_url"):
        value = getattr(author, attr)
        if value is not None and getattr(contact, attr) != value:
            setattr(contact, attr, value)
            changed = True
    if changed:
        contact.search_text = fold(f"{contact.handle or ''} {contact.name or ''}")[:400]
    return changed


def _unresolved_conversations(session, batch, contact_ids):
    """The unresolved conversation (a row, locked) of each of these contacts on this account that has one."""
    if not contact_ids:
        return {}
    rows = _rows(session.execute(
        _unresolved_of_contacts(session), {"account_id": batch.account.id, "contact_ids": sorted(contact_ids)}))
    return {c.contact_id: c for c in rows}


def _new_conversation(batch, contact_id):
    """A conversation not stored yet: ingest applies its first messages, then inserts it as it ends up."""
    return SimpleNamespace(
        id=None, account_id=batch.account.id, contact_id=contact_id, network=batch.account.network, status="open",
        assignee_id=None, priority="normal", tags=[], is_spam=False, snippet="", message_count=0,
        last_message_at=batch.now, last_inbound_at=None, last_outbound_at=None, sla_state="stopped",
        sla_started_at=None, sla_warn_at=None, sla_breach_at=None, created_at=batch.now, updated_at=batch.now,
        resolved_at=None,
    )


def _insert_conversations(session, conversations):
    """Insert new conversations as they are after their messages. Returns those inserted; the others
    were opened meanwhile by a concurrent ingest (the unique index on unresolved ones says so)."""
    by_contact = {c.contact_id: c for c in conversations}
    columns = [c.name for c in CONVERSATIONS.c if c.name != "id"]
    ids = insert_rows(
        session, Conversation, [{name: getattr(conv, name) for name in columns} for conv in conversations],
        conflict_columns=["account_id", "contact_id"], conflict_where=sa.text("status != 'resolved'"),
        returning=[CONVERSATIONS.c.id, CONVERSATIONS.c.contact_id],
    ).all()
    for conv_id, contact_id in ids:
        by_contact[contact_id].id = conv_id
    return [c for c in conversations if c.id is not None]


def _reopen_recently_resolved(session, batch, contact_ids):
    """A customer writing again soon after we resolved their conversation reopens it (not spam).

    Past the window (CAREBOX_REOPEN_WINDOW_HOURS; 0 turns reopening off) a new conversation opens.
    Returns whether anything was reopened.
    """
    hours = current_app.config["CAREBOX_REOPEN_WINDOW_HOURS"]
    if hours <= 0:
        return False
    since = batch.now - timedelta(hours=hours)
    latest = (
        sa.select(Conversation.contact_id, sa.func.max(Conversation.id).label("id"))
        .where(Conversation.account_id == batch.account.id, among(session, Conversation.contact_id, contact_ids))
        .group_by(Conversation.contact_id)
        .subquery()
    )
    ids = session.scalars(
        sa.select(Conversation.id).join(latest, Conversation.id == latest.c.id).where(
            Conversation.status == "resolved", Conversation.is_spam.is_(False), Conversation.resolved_at >= since
        )
    ).all()
    reopened = 0
    for conv_id in ids:
        # Conditional, so a concurrent ingest reopening the same one (or opening a new one) cannot clash.
        try:
            with session.begin_nested():
                reopened += session.execute(
                    sa.update(Conversation)
                    .where(Conversation.id == conv_id, Conversation.status == "resolved")
                    .values(status="open", resolved_at=None, updated_at=batch.now)
                    .execution_options(synchronize_session=False)
                ).rowcount
        except sa.exc.IntegrityError:
            pass  # another unresolved conversation appeared meanwhile: the message joins that one
    return reopened > 0


def _store_customer_items(session, batch, items):
    contacts, new_contact_ids = _upsert_contacts(session, batch, items)
    contacts_by_id = {c.id: c for c in contacts.values()}
    rows = [_message_values(batch, item, None, "inbound", item.author or InboundAuthor(None)) for item in items]
    rows_by_contact = {}  # contact id -> the rows of its new messages, oldest first
    for item, row in zip(items, rows):
        rows_by_contact.setdefault(contacts[_contact_key(item)].id, []).append(row)
    policy = effective_policy(session, batch.account.id)
    # Contacts created by this transaction have no conversation yet: nothing to look up for them.
    known = sorted(cid for cid in rows_by_contact if cid not in new_contact_ids)
    existing = _unresolved_conversations(session, batch, known)
    without = [cid for cid in known if cid not in existing]
    if without and _reopen_recently_resolved(session, batch, without):
        existing = _unresolved_conversations(session, batch, known)
    # New conversations are inserted as they are after this batch (no INSERT then UPDATE of one row).
    opening = [_new_conversation(batch, cid) for cid in sorted(rows_by_contact) if cid not in existing]
    for conv in opening:
        _apply_messages(session, batch, conv, rows_by_contact[conv.contact_id], policy)
    opened = _insert_conversations(session, opening) if opening else []
    if len(opened) < len(opening):  # a concurrent ingest opened some first: add to those instead
        existing = _unresolved_conversations(session, batch, sorted(rows_by_contact))
    conversations = {c.contact_id: c for c in opened}
    conversations.update((cid, conv) for cid, conv in existing.items() if cid not in conversations)
    for cid, its_rows in rows_by_contact.items():
        for row in its_rows:
            row["conversation_id"] = conversations[cid].id
    inserted = _insert_messages(session, batch, rows)

    by_id = {c.id: c for c in conversations.values()}
    for conv in by_id.values():
        conv.contact = contacts_by_id[conv.contact_id]
    created_ids = {c.id for c in opened}
    changed = [c for c in by_id.values() if c.id not in created_ids]
    inserted_by_conv = {}
    for row in inserted:
        inserted_by_conv.setdefault(row["conversation_id"], []).append(row)
    for conv in opened:
        if len(inserted_by_conv.get(conv.id, ())) < len(rows_by_contact[conv.contact_id]):
            # A concurrent ingest stored some of its messages first (race on the same posts): count only ours.
            _reset_new_conversation(batch, conv)
            changed.append(conv)
    for conv in changed:
        _apply_messages(session, batch, conv, inserted_by_conv.get(conv.id, []), policy)
    _store_new_clocks(session, by_id.values())
    update_rows(session, Conversation, [_bookkeeping(conv) for conv in sorted(changed, key=lambda c: c.id)])
    assigned = auto_assign(session, [by_id[i] for i in sorted(created_ids)]) if created_ids else {}
    update_rows(session, Conversation, [{"id": cid, "assignee_id": user.id} for cid, user in sorted(assigned.items())])
    _publish(session, batch, inserted, by_id, created_ids)


def _reset_new_conversation(batch, conv):
    fresh = _new_conversation(batch, conv.contact_id)
    for name in _BOOKKEEPING:
        setattr(conv, name, getattr(fresh, name))
    conv.new_clocks = []


def _store_brand_items(session, batch, items):
    """Brand posts made natively: stored as sent replies in the conversation they answer; they stop its clock."""
    parents = {i.in_reply_to for i in items if i.in_reply_to}
    known = {row.external_id: row.conversation_id
             for row in _find_messages(session, batch.account.network, parents)} if parents else {}
    rows = []
    unconfirmed = _unconfirmed_replies(session, batch, parents)
    confirmed = False
    for item in items:
        if _confirm_our_reply(session, batch, item, unconfirmed):
            confirmed = True
            continue
        conv_id = known.get(item.in_reply_to)
        if conv_id is None:
            # Answers nothing we hold (or nothing at all): not part of any customer conversation.
            batch.results[item.external_id] = IngestResult(item.external_id, None, None, created=False)
            continue
        author = item.author or InboundAuthor(batch.account.external_id, batch.account.handle, batch.account.name)
        rows.append(_message_values(batch, item, None, "outbound", author, conversation_id=conv_id))
        known[item.external_id] = conv_id  # a brand reply to a brand reply in the same page
    if not rows:
        return
    inserted = _insert_messages(session, batch, rows)
    if confirmed:
        session.flush()  # our own replies confirmed above changed their conversations through the ORM
    conv_ids = {r["conversation_id"] for r in inserted}
    conversations = {c.id: c for c in _rows(session.execute(
        _conversations_by_id(session), {"ids": sorted(conv_ids)}))}
    contacts = {c.id: c for c in _rows(session.execute(
        _contacts_by_id(session), {"ids": sorted({c.contact_id for c in conversations.values()})}))}
    for conv in conversations.values():
        conv.contact = contacts[conv.contact_id]
    answered = [conv.id for conv in conversations.values() if conv.sla_started_at is not None]
    with running_clocks_preloaded(session, answered):  # stopping them needs them: one query, not one each
        for row in sorted(inserted, key=lambda r: (r["created_at"], r["id"])):
            _apply_message(session, batch, row, conversations[row["conversation_id"]], None, [])
    update_rows(session, Conversation, [_bookkeeping(conv) for conv in sorted(conversations.values(), key=lambda c: c.id)])
    _publish(session, batch, inserted, conversations, created_ids=())


def _unconfirmed_replies(session, batch, parents):
    """Our replies to these posts whose fate we do not know ('sending' when the process died, or 'unknown'),
    oldest first, by (the post they answer, their text)."""
    found = {}
    if parents:
        # Ids first, as plain columns: there are seldom any, and then the ORM objects (mark_sent takes them).
        ids = session.scalars(_replies_of_unknown_fate(session),
                              {"account_id": batch.account.id, "parents": sorted(parents)}).all()
        for message in (session.get(Message, message_id) for message_id in ids):
            found.setdefault((message.in_reply_to_external_id, message.text), []).append(message)
    return found


@prebuilt
def _replies_of_unknown_fate(dialect):
    m = MESSAGES.c
    return sa.select(m.id).where(
        m.account_id == sa.bindparam("account_id"), m.direction == "outbound",
        m.delivery_status.in_(("sending", "unknown")), any_of(dialect, m.in_reply_to_external_id, "parents"),
    ).order_by(m.id)


def _confirm_our_reply(session, batch, item, unconfirmed):
    """A brand post that is one of our own replies of unknown fate: the network has it, so it was sent.
    Record that instead of storing a copy."""
    candidates = unconfirmed.get((item.in_reply_to, item.text)) if item.in_reply_to else None
    if not candidates:
        return False
    ours = candidates.pop(0)
    from app.conversations.delivery import mark_sent

    mark_sent(session, ours, item.external_id, item.created_at or batch.now)
    batch.results[item.external_id] = IngestResult(item.external_id, ours.id, ours.conversation_id, created=False,
                                                   account_id=batch.account.id)
    return True


def _message_values(batch, item, conv, direction, author, conversation_id=None):
    text = item.text or ""
    values = {
        "conversation_id": conversation_id if conversation_id is not None else conv and conv.id,
        "account_id": batch.account.id, "network": batch.account.network, "external_id": item.external_id,
        "direction": direction, "text": text, "search_text": fold(text),
        "author_external_id": author.external_id, "author_handle": author.handle, "author_name": author.name,
        "in_reply_to_external_id": item.in_reply_to, "created_at": item.created_at or batch.now,
        "received_at": batch.now, "delivery_attempts": 0, "is_native": direction == "outbound", "mentions": [],
    }
    if direction == "outbound":
        values.update(delivery_status="sent", sent_at=values["created_at"])
    return values


def _insert_messages(session, batch, rows):
    """Insert; rows another transaction stored first are reported as existing, not inserted."""
    result = insert_rows(session, Message, rows, conflict_columns=["network", "external_id"],
                         returning=[MESSAGES.c.id, MESSAGES.c.external_id])
    ids = dict((ext, mid) for mid, ext in result)
    inserted = []
    lost = []
    for row in rows:
        mid = ids.get(row["external_id"])
        if mid is None:
            lost.append(row["external_id"])
            continue
        row = dict(row, id=mid)
        inserted.append(row)
        batch.results[row["external_id"]] = IngestResult(
            row["external_id"], mid, row["conversation_id"], created=True, account_id=batch.account.id,
            message=message_dict(SimpleNamespace(**row)),
        )
    if lost:
        _find_existing(session, batch, lost)
    if inserted:
        INGESTED.labels(batch.account.network, inserted[0]["direction"]).inc(len(inserted))
    return inserted


# What ingest changes on a conversation: written back in one UPDATE per batch.
_BOOKKEEPING = ("message_count", "last_message_at", "snippet", "last_inbound_at", "last_outbound_at", "status",
                "sla_state", "sla_started_at", "sla_warn_at", "sla_breach_at", "updated_at")


def _bookkeeping(conv):
    return {"id": conv.id, **{name: getattr(conv, name) for name in _BOOKKEEPING}}


def _apply_messages(session, batch, conv, rows, policy):
    """Counters, snippet, status and SLA clock of `conv` after its new message `rows` (oldest first).
    New clocks wait in conv.new_clocks for _store_new_clocks."""
    conv.__dict__.setdefault("new_clocks", [])
    for row in rows:
        _apply_message(session, batch, row, conv, policy, conv.new_clocks)


def _store_new_clocks(session, conversations):
    clocks = []
    for conv in conversations:
        for values in getattr(conv, "new_clocks", ()):
            values["conversation_id"] = conv.id  # a new conversation had no id yet when its clock started
            clocks.append(values)
    if clocks:
        insert_rows(session, SlaClock, clocks)


def _apply_message(session, batch, row, conv, policy, new_clocks):
    first = not conv.message_count
    conv.message_count = (conv.message_count or 0) + 1
    if first or row["created_at"] >= conv.last_message_at:
        conv.last_message_at = row["created_at"]
        conv.snippet = snippet(row["text"])
    if row["direction"] == "inbound":
        conv.last_inbound_at = max(filter(None, (conv.last_inbound_at, row["created_at"])))
        if conv.status == "pending":
            conv.status = "open"  # the customer wrote back
        if conv.status == "open" and not conv.is_spam:
            kind = "next" if conv.last_outbound_at else "first"
            start_clock(session, conv, row["created_at"], policy=policy, kind=kind, collect=new_clocks)
    else:
        conv.last_outbound_at = max(filter(None, (conv.last_outbound_at, row["created_at"])))
        stop_clock(session, conv, row["created_at"], "native_reply")
    conv.updated_at = batch.now


def _publish(session, batch, inserted, conversations_by_id, created_ids):
    summaries = {}  # every event of a conversation carries its state after the whole batch: build it once
    now = utcnow()

    def summary(conv_id):
        if conv_id not in summaries:
            summaries[conv_id] = conversation_summary(conversations_by_id[conv_id], now=now, session=session)
        return summaries[conv_id]

    for conv_id in sorted(created_ids):
        conv = conversations_by_id.get(conv_id)
        if conv is not None and conv.message_count:
            events.publish(session, "conversation.created", {"conversation": summary(conv_id)})
    for row in inserted:
        events.publish(
            session, "message.created",
            {"conversation": summary(row["conversation_id"]), "message": batch.results[row["external_id"]].message},
        )
