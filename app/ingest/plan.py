"""Planning a batch: what storing these items means, decided without the database.

`plan(state, items)` takes what the store loaded (`IngestState`) and the normalised items, and returns
an `IngestPlan`: the contacts to create or refresh, the conversations to open, reopen or update (each
with its bookkeeping and SLA clock writes), the messages to insert and our own replies the network
confirms. The store then writes the plan (app/ingest/store.py) and publishing turns it into events.

How a customer message finds its conversation: it joins the customer's unresolved conversation on
this account and channel; else, if the customer's last conversation there was resolved within the
reopen window (and was not spam), that one reopens; else a new one opens. A brand post made natively
on the network joins the conversation of the message it answers (and is not stored when it answers
nothing we hold); if it is one of our own replies whose fate we did not know, it confirms that reply.
A private brand message (a DM the brand sent natively, or the echo of one) answers no post: it joins the
private conversation of the customer it was sent to (`counterpart`): their unresolved one, else their
latest resolved one (as history: it does not reopen it), else one this batch opens for them; with none it
is not stored (the brand wrote first to someone who never wrote to us). Our own DMs of unknown fate are
recognised by their conversation and text, the oldest first.

The posts and media the items hang off (`InboundItem.post`) are merged into one per post for the store to
upsert; each new message keeps its post's external id.

Every conversation's new messages then apply in the order they were posted, so the SLA rules see
events in time order: a native answer stops the clock, a follow-up posted after it starts the next.
"""
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from app.ingest.items import InboundAuthor
from app.ingest.language import message_language
from app.sla import rules
from app.sla.ledger import ClockWrites
from app.text import fold, snippet

# ------------------------------------------------------------------ what the store loaded


@dataclass(frozen=True)
class AccountRef:
    id: int
    network: str
    external_id: str | None
    handle: str | None
    name: str | None


@dataclass(frozen=True)
class KnownMessage:
    external_id: str
    id: int
    conversation_id: int
    account_id: int


@dataclass(frozen=True)
class ContactRow:
    id: int
    external_id: str  # the contact's key: its id on the network (or an anonymous thread key)
    handle: str | None
    name: str | None
    followers_count: int | None
    profile_url: str | None
    accepts_dms: bool | None = None  # whether the customer accepts DMs (None: the network never said)


@dataclass
class ConversationRow:
    """A conversation as ingest reads and changes it (the columns ingest needs; `id` None until stored)."""

    id: int | None
    account_id: int
    network: str
    contact_id: int | None
    channel: str
    status: str
    assignee_id: int | None
    priority: str
    tags: list
    is_spam: bool
    message_count: int
    snippet: str
    last_message_at: datetime | None
    last_inbound_at: datetime | None
    last_outbound_at: datetime | None
    sla_state: str
    sla_started_at: datetime | None
    sla_warn_at: datetime | None
    sla_breach_at: datetime | None
    resolved_at: datetime | None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    language: str | None = None  # that of the latest customer message that had one
    team_id: int | None = None  # the team that owns it (app/teams routes new ones)
    priority_reasons: list = field(default_factory=list)  # why it ranks high (app/ranking)
    sla_policy_id: int | None = None  # a policy a rule chose (app/rules)
    sla_exempt: bool = False  # a rule took it out of SLA


@dataclass(frozen=True)
class UnconfirmedReply:
    """One of our replies whose fate we do not know ('sending' when its sender died, or 'unknown')."""

    id: int
    conversation_id: int
    in_reply_to: str | None
    text: str
    author_user_id: int | None
    delivery_status: str


@dataclass(frozen=True)
class IngestState:
    account: AccountRef
    now: datetime  # when Carebox received the batch
    policy: object  # the account's SLA policy (app.sla.policies.Policy), for channels `policies` lacks
    reopen_window: timedelta | None  # None: a resolved conversation never reopens
    known: dict  # external id -> KnownMessage, for the items and the posts they answer
    contacts: dict  # external id -> ContactRow: the items' customers already stored, and those of `conversations`
    conversations: dict  # id -> ConversationRow: the customers' current ones and those brand posts answer
    customer_messages_after: dict = field(default_factory=dict)  # conversation id -> [created_at], see loader
    unconfirmed: tuple = ()  # UnconfirmedReply of the conversations brand posts answer or DM into
    policies: dict = field(default_factory=dict)  # channel -> Policy of the account for that channel

    def policy_for(self, channel):
        return self.policies.get(channel, self.policy)


# ------------------------------------------------------------------ the plan


@dataclass
class NewContact:
    external_id: str
    handle: str | None
    name: str | None
    followers_count: int | None
    profile_url: str | None
    id: int | None = None  # set by the store
    accepts_dms: bool | None = None


@dataclass(frozen=True)
class ContactUpdate:
    contact_id: int
    handle: str | None
    name: str | None
    followers_count: int | None
    profile_url: str | None
    accepts_dms: bool | None = None


@dataclass
class ConversationPlan:
    row: ConversationRow  # as it ends up after the batch
    contact: object  # ContactRow or NewContact
    opened: bool  # new: inserted by the store
    reopened: bool = False
    clocks: ClockWrites = None
    messages: list = field(default_factory=list)  # NewMessage, in the order they were posted

    @property
    def id(self):
        return self.row.id


@dataclass
class NewMessage:
    conversation: ConversationPlan
    external_id: str
    direction: str  # "inbound" (the customer) or "outbound" (the brand, natively)
    text: str
    author: InboundAuthor
    in_reply_to: str | None
    created_at: datetime
    received_at: datetime
    language: str | None = None  # customer messages: the network's or the detected one
    post_external_id: str | None = None  # the post or media it hangs off (InboundItem.post)
    sentiment: str | None = None  # customer messages: triage (app/triage)
    intent: str | None = None
    id: int | None = None  # set by the store

    # Read like a stored Message by the serialisers (app/serialize.py message_dict).
    author_user_id = None
    delivery_error = None
    mentions = ()
    moderation = "visible"
    liked = False
    moderation_error_code = None
    automatic_rule_id = None

    @property
    def conversation_id(self):
        return self.conversation.row.id

    @property
    def author_external_id(self):
        return self.author.external_id

    @property
    def author_handle(self):
        return self.author.handle

    @property
    def author_name(self):
        return self.author.name

    @property
    def in_reply_to_external_id(self):
        return self.in_reply_to

    @property
    def is_native(self):
        return self.direction == "outbound"

    @property
    def delivery_status(self):
        return "sent" if self.is_native else None


@dataclass(frozen=True)
class ConfirmedReply:
    reply: UnconfirmedReply
    conversation: ConversationPlan
    external_id: str
    sent_at: datetime


@dataclass
class IngestPlan:
    new_contacts: list = field(default_factory=list)
    contact_updates: list = field(default_factory=list)
    conversations: list = field(default_factory=list)  # ConversationPlan of every conversation the batch changes
    messages: list = field(default_factory=list)  # NewMessage in insert order
    confirmed: list = field(default_factory=list)  # ConfirmedReply
    existing: dict = field(default_factory=dict)  # external id -> KnownMessage already stored
    ignored: list = field(default_factory=list)  # external ids of brand posts that answer nothing we hold
    # (or private brand messages to someone with no private conversation)
    posts: list = field(default_factory=list)  # InboundPost of the batch's items, one per post, to upsert


def contact_key(item):
    if item.author and item.author.external_id:
        return str(item.author.external_id)
    # No author from the network: group the thread under one anonymous customer.
    return f"anonymous:{item.thread_id or item.in_reply_to or item.external_id}"


def is_brand_dm(item):
    """A private message the brand sent (natively, or our own echoed): found by its counterpart."""
    return item.from_brand and item.channel == "private"


def counterpart_key(item):
    """The contact key of the customer a private brand message was sent to (None: the network did not say)."""
    if item.counterpart is not None and item.counterpart.external_id:
        return str(item.counterpart.external_id)
    return None


def posted_at(item, now):
    return item.created_at or now


# ------------------------------------------------------------------ planning


def plan(state, items):
    """The IngestPlan for `items` (normalised: unique external ids, sorted by time) given `state`."""
    result = IngestPlan()
    planner = _Planner(state, result)
    fresh = []
    for item in items:
        known = state.known.get(item.external_id)
        if known is not None:
            result.existing[item.external_id] = known
        else:
            fresh.append(item)
    for item in fresh:
        if not item.from_brand:
            planner.customer_message(item)
    for item in fresh:
        if item.from_brand:
            planner.brand_post(item)
    planner.apply_in_time_order()
    result.posts = merged_posts(item.post for item in items if item.post is not None)
    return result


POST_FIELDS = ("caption", "permalink", "thumbnail_url", "media_type", "product_type", "owner_handle", "posted_at",
               "comments_count")


def merged_posts(posts):
    """One InboundPost per external id, sorted by it (one write order everywhere: no deadlocks): the later
    one's fields win where it has them (the items come in time order), and a field it lacks (None) keeps the
    earlier one's, as the store never lets None overwrite what it holds."""
    merged = {}
    for post in posts:
        earlier = merged.get(post.external_id)
        if earlier is not None:
            post = replace(post, **{name: getattr(earlier, name) for name in POST_FIELDS
                                    if getattr(post, name) is None and getattr(earlier, name) is not None})
        merged[post.external_id] = post
    return [merged[key] for key in sorted(merged)]


class _Planner:
    def __init__(self, state, result):
        self.state = state
        self.result = result
        self.contacts = {}  # key -> ContactRow | NewContact, as this batch leaves them
        self.by_contact = {}  # (contact key, channel) -> ConversationPlan
        self.by_id = {}  # conversation id -> ConversationPlan
        self.batch_parents = {}  # external id of a message this batch adds -> its ConversationPlan
        self.events = []  # (ConversationPlan, time, order, kind, payload): applied in time order
        self.contact_by_id = {c.id: c for c in state.contacts.values()}
        self.unconfirmed = list(state.unconfirmed)  # oldest first (the store reads them by id)

    # --- customers

    def customer_message(self, item):
        key = contact_key(item)
        contact = self._contact(key, item.author or InboundAuthor(None))
        conversation = self._conversation_of_customer(key, contact, item.channel)
        self._add_message(conversation, item, "inbound", item.author or InboundAuthor(None))

    def _contact(self, key, author):
        if key in self.contacts:
            contact = self.contacts[key]
        else:
            contact = self.state.contacts.get(key)
            if contact is None:
                contact = NewContact(key, None, None, None, None)
                self.result.new_contacts.append(contact)
            self.contacts[key] = contact
        refreshed = _with_profile(contact, author)  # the latest item's profile wins
        if refreshed is not contact:
            self.contacts[key] = refreshed
            if isinstance(refreshed, ContactRow):
                self._note_contact_update(refreshed)
            contact = refreshed
        return contact

    def _note_contact_update(self, contact):
        updates = [u for u in self.result.contact_updates if u.contact_id != contact.id]
        updates.append(ContactUpdate(contact.id, contact.handle, contact.name, contact.followers_count,
                                     contact.profile_url, contact.accepts_dms))
        self.result.contact_updates = updates

    def _conversation_of_customer(self, key, contact, channel):
        found = self.by_contact.get((key, channel))
        if found is not None:
            return found
        current = self._current_conversation(contact, channel)
        if current is not None:
            conversation = self._changed(current)
            if current.status == "resolved":
                conversation.reopened = True
                conversation.row.status = "open"
                conversation.row.resolved_at = None
        else:
            conversation = self._open(contact, channel)
        self.by_contact[(key, channel)] = conversation
        return conversation

    def _current_conversation(self, contact, channel):
        """The customer's unresolved conversation on this channel, else the one to reopen, else None."""
        if isinstance(contact, NewContact):
            return None
        theirs = [c for c in self.state.conversations.values() if c.contact_id == contact.id and c.channel == channel]
        unresolved = [c for c in theirs if c.status != "resolved"]
        if unresolved:
            return unresolved[0]
        window = self.state.reopen_window
        resolved = [c for c in theirs if c.resolved_at is not None]
        if window is None or not resolved:
            return None
        latest = max(resolved, key=lambda c: (c.resolved_at, c.id))
        if latest.is_spam or latest.resolved_at < self.state.now - window:
            return None
        return latest

    def _open(self, contact, channel):
        now, account = self.state.now, self.state.account
        row = ConversationRow(
            id=None, account_id=account.id, network=account.network, contact_id=getattr(contact, "id", None),
            channel=channel, status="open", assignee_id=None, priority="normal", tags=[], is_spam=False,
            message_count=0, snippet="", last_message_at=None, last_inbound_at=None, last_outbound_at=None,
            sla_state="stopped", sla_started_at=None, sla_warn_at=None, sla_breach_at=None, resolved_at=None,
            created_at=now, updated_at=now)
        conversation = ConversationPlan(row, contact, opened=True, clocks=ClockWrites(stored_running=False))
        self.result.conversations.append(conversation)
        return conversation

    def _changed(self, row):
        """The plan of a stored conversation (one per conversation, however many items touch it)."""
        found = self.by_id.get(row.id)
        if found is None:
            # A copy: planning changes it, and must leave what the store loaded as it was.
            found = ConversationPlan(replace(row, tags=list(row.tags or [])), self.contact_by_id.get(row.contact_id),
                                     opened=False,
                                     clocks=ClockWrites(stored_running=row.sla_started_at is not None))
            self.by_id[row.id] = found
            self.result.conversations.append(found)
        return found

    # --- the brand

    def brand_post(self, item):
        conversation = self._conversation_answered(item.in_reply_to)
        if conversation is None and is_brand_dm(item):
            conversation = self._private_conversation_of(item)
        if conversation is None:
            self.result.ignored.append(item.external_id)  # answers nothing we hold (or nothing at all)
            return
        reply = self._our_reply(conversation, item)
        if reply is not None:
            sent_at = posted_at(item, self.state.now)
            self.result.confirmed.append(ConfirmedReply(reply, conversation, item.external_id, sent_at))
            self.events.append((conversation, sent_at, 1, "reply", reply))
            return
        account = self.state.account
        author = item.author or InboundAuthor(account.external_id, account.handle, account.name)
        self._add_message(conversation, item, "outbound", author)

    def _conversation_answered(self, parent):
        if not parent:
            return None
        if parent in self.batch_parents:  # a brand reply to something in this same batch
            return self.batch_parents[parent]
        known = self.state.known.get(parent)
        if known is None or known.account_id != self.state.account.id:
            return None
        row = self.state.conversations.get(known.conversation_id)
        return self._changed(row) if row is not None else None

    def _private_conversation_of(self, item):
        """The counterpart's private conversation: the one this batch's customer messages lead to, else
        their unresolved one, else their latest resolved one (left resolved), else None."""
        key = counterpart_key(item)
        if key is None:
            return None
        if (key, "private") in self.by_contact:
            return self.by_contact[(key, "private")]
        contact = self.contacts.get(key) or self.state.contacts.get(key)
        if contact is None or isinstance(contact, NewContact):
            return None
        theirs = [c for c in self.state.conversations.values()
                  if c.contact_id == contact.id and c.channel == "private" and c.account_id == self.state.account.id]
        unresolved = [c for c in theirs if c.status != "resolved"]
        if unresolved:
            found = min(unresolved, key=lambda c: c.id)
        else:
            resolved = [c for c in theirs if c.resolved_at is not None]
            if not resolved:
                return None
            found = max(resolved, key=lambda c: (c.resolved_at, c.id))
        self._contact(key, item.counterpart)  # what the network says of the customer now (accepts_dms…)
        conversation = self._changed(found)
        self.by_contact[(key, "private")] = conversation
        return conversation

    def _our_reply(self, conversation, item):
        """Our reply of unknown fate that `item` is (the oldest that matches), taken off the list; else None.
        Public replies match by the post they answer and their text; DMs answer no post: by text alone."""
        for reply in self.unconfirmed:
            if reply.conversation_id != conversation.id or reply.text != item.text:
                continue
            if is_brand_dm(item) or reply.in_reply_to == item.in_reply_to:
                self.unconfirmed.remove(reply)
                return reply
        return None

    # --- messages and their effects

    def _add_message(self, conversation, item, direction, author):
        now = self.state.now
        language = message_language(item.text, item.language) if direction == "inbound" else None
        sentiment, intent = item.signals if direction == "inbound" and item.signals else (None, None)
        message = NewMessage(conversation, item.external_id, direction, item.text or "", author, item.in_reply_to,
                             posted_at(item, now), now, language,
                             post_external_id=item.post.external_id if item.post is not None else None,
                             sentiment=sentiment, intent=intent)
        conversation.messages.append(message)
        self.result.messages.append(message)
        self.batch_parents[item.external_id] = conversation
        self.events.append((conversation, message.created_at, 0, direction, message))

    def apply_in_time_order(self):
        for conversation, at, _order, kind, payload in sorted(
                self.events, key=lambda e: (e[1], e[2], getattr(e[4], "external_id", "") or "")):
            if kind == "reply":
                self._answered(conversation, at, native=False, by_user_id=payload.author_user_id)
            else:
                self._count(conversation, payload)
            conversation.row.updated_at = self.state.now
        for conversation in self.result.conversations:
            conversation.messages.sort(key=lambda m: (m.created_at, m.external_id))
            # The contact as the batch leaves it (a later item may have refreshed the profile).
            contact = conversation.contact
            if isinstance(contact, ContactRow):
                conversation.contact = self.contacts.get(contact.external_id, contact)

    def _count(self, conversation, message):
        row = conversation.row
        first = not row.message_count
        row.message_count += 1
        if first or row.last_message_at is None or message.created_at >= row.last_message_at:
            row.last_message_at = message.created_at
            row.snippet = snippet(message.text)
        if message.direction == "inbound":
            if message.language and (row.language is None or row.last_inbound_at is None
                                     or message.created_at >= row.last_inbound_at):
                row.language = message.language  # the latest customer message that has one
            row.last_inbound_at = max(filter(None, (row.last_inbound_at, message.created_at)))
            if row.status == "pending":
                row.status = "open"  # the customer wrote back
            self._apply(conversation, rules.customer_wrote(
                self._sla(conversation), message.created_at, policy=self._policy(conversation),
                waits_for_answer=_waits(row)))
        else:
            self._answered(conversation, message.created_at, native=True)

    def _answered(self, conversation, at, *, native, by_user_id=None):
        row = conversation.row
        waiting = self._stored_customer_message_after(row, at)
        self._apply(conversation, rules.answered(
            self._sla(conversation), at, policy=self._policy(conversation), native=native, by_user_id=by_user_id,
            waiting_since=waiting, waits_for_answer=_waits(row)))

    def _policy(self, conversation):
        return self.state.policy_for(conversation.row.channel)

    def _stored_customer_message_after(self, row, at):
        """The oldest stored customer message posted after `at` (this batch's own follow-ups start their
        clock when they apply, later in time order)."""
        if row.id is None or row.last_inbound_at is None or row.last_inbound_at <= at:
            return None
        later = [t for t in self.state.customer_messages_after.get(row.id, ()) if t > at]
        return min(later) if later else None

    def _sla(self, conversation):
        row, running = conversation.row, None
        pending = conversation.clocks.new[-1] if conversation.clocks.new else None
        if pending is not None and pending[1] is None:
            running = pending[0]  # started in this batch: keeps its kind and policy when a later message moves it
        elif row.sla_started_at is not None:
            running = rules.Clock(None, None, row.sla_started_at, row.sla_warn_at, row.sla_breach_at,
                                  row.sla_state if row.sla_state in rules.LEVELS else "ok")
        return rules.SlaState(running, row.last_outbound_at)

    def _apply(self, conversation, outcome):
        conversation.clocks.add(outcome)
        row, clock = conversation.row, outcome.state.running
        row.last_outbound_at = outcome.state.last_answer_at
        if clock is None:
            row.sla_state, row.sla_started_at, row.sla_warn_at, row.sla_breach_at = "stopped", None, None, None
        else:
            row.sla_state, row.sla_started_at, row.sla_warn_at, row.sla_breach_at = (
                clock.level, clock.started_at, clock.warn_at, clock.breach_at)


def _waits(row):
    """Whether the customer expects an answer here: a clock may run."""
    return row.status != "resolved" and not row.is_spam


PROFILE_FIELDS = ("handle", "name", "followers_count", "profile_url", "accepts_dms")


def _with_profile(contact, author):
    """`contact` with the newer profile fields the network sent (itself when nothing changed). A field the
    network left out (None) never erases what we know."""
    fields = {name: getattr(author, name) for name in PROFILE_FIELDS
              if getattr(author, name) is not None and getattr(contact, name) != getattr(author, name)}
    if not fields:
        return contact
    if isinstance(contact, NewContact):
        for name, value in fields.items():
            setattr(contact, name, value)
        return contact
    return ContactRow(**{**contact.__dict__, **fields})


def search_text(contact):
    return fold(f"{contact.handle or ''} {contact.name or ''}")[:400]
