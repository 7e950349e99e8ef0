"""The inbox list: filters, urgency sort and keyset (cursor) pagination.

Sorts and the indexes that serve them:
- `sla` (default): by priority tier first (urgent, high, normal, low: one query per tier, equality on
  priority), and within a tier conversations with a running clock by breach time, soonest first
  (ix_conversations_status_breach), then the rest by latest activity (ix_conversations_status_last).
- `newest` / `oldest`: by latest activity.
A cursor is the sort key of the last row served, so pages stay stable while new messages arrive.
"""
import base64
import json
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from flask_babel import lazy_gettext as _l

from app.conversations.moving import can_move_to_private
from app.conversations.replies import reply_limit
from app.conversations.windows import reply_window
from app.domain_errors import Invalid, Malformed
from app.extensions import db
from app.models import Contact, Conversation, Message, Post, fold, isoformat
from app.serialize import conversation_summary, message_dict, post_dict
from app.sla.state import paused_channels
from app.teams import visible_clause

SORTS = ("sla", "newest", "oldest")
TIERS = ("urgent", "high", "normal", "low")  # vocabulary.PRIORITIES, most pressing first: the `sla` sort's first key


def encode_cursor(data):
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(raw):
    try:
        padded = raw + "=" * (-len(raw) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(data, dict):
            raise ValueError
        return data
    except ValueError as exc:
        raise Malformed(_l("The cursor is not one this API gave out."), code="invalid_cursor") from exc


def _like(needle):
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filtered(filters, *, user, now=None):
    """A SELECT of conversations matching `filters` (a dict of the API's query parameters)."""
    now = now or datetime.now(timezone.utc)
    conditions = [visible_clause(user), _assignee_is(filters.get("assignee"), user), _text_matches(filters.get("q")),
                  _team_is(filters.get("team"))]
    if filters.get("status"):
        conditions.append(Conversation.status == filters["status"])
    if filters.get("account"):
        conditions.append(Conversation.account_id == int(filters["account"]))
    if filters.get("network"):
        conditions.append(Conversation.network == filters["network"])
    if filters.get("channel"):
        conditions.append(Conversation.channel == filters["channel"])
    if filters.get("language"):
        conditions.append(Conversation.language == filters["language"])
    if filters.get("sla"):
        conditions.append(sla_state_expression(now) == filters["sla"])
    if filters.get("spam") is not None:
        conditions.append(Conversation.is_spam.is_(bool(filters["spam"])))
    if filters.get("tag"):
        conditions.append(_has_tag(filters["tag"]))
    return sa.select(Conversation).where(*(c for c in conditions if c is not None))


def _assignee_is(assignee, user):
    if assignee == "me":
        return Conversation.assignee_id == user.id
    if assignee == "none":
        return Conversation.assignee_id.is_(None)
    if assignee in (None, "", "any", "all"):
        return None
    return Conversation.assignee_id == int(assignee)


def _team_is(team):
    if team in (None, ""):
        return None
    return Conversation.team_id.is_(None) if team == "none" else Conversation.team_id == int(team)


def _text_matches(q):
    """In a message of the conversation, or in the customer's name or handle."""
    q = (q or "").strip()
    if not q:
        return None
    pattern = _like(fold(q))
    in_messages = sa.select(Message.conversation_id).where(Message.search_text.like(pattern, escape="\\"))
    in_contact = sa.select(Contact.id).where(Contact.search_text.like(pattern, escape="\\"))
    return sa.or_(Conversation.id.in_(in_messages), Conversation.contact_id.in_(in_contact))


def sla_state_expression(now, columns=None):
    """The SLA state the inbox shows (app/sla/state.py), as SQL: stopped, breached, paused, warning or ok.

    A breach stands at any hour; otherwise a clock whose policy (the account's, for the conversation's
    channel) has its business hours closed is paused.
    """
    c = columns if columns is not None else Conversation.__table__.c
    paused = sorted(paused_channels(db.session, now))
    in_paused = sa.or_(sa.false(), *(sa.and_(c.account_id == account_id, c.channel == channel)
                                     for account_id, channel in paused))
    return sa.case(
        (c.sla_started_at.is_(None), "stopped"),
        (c.sla_breach_at <= now, "breached"),
        (in_paused, "paused"),
        (c.sla_warn_at <= now, "warning"),
        else_="ok",
    )


def _has_tag(tag):
    # Tags are a JSON list; a LIKE on its text form works on SQLite and PostgreSQL alike.
    return sa.cast(Conversation.tags, sa.Text).like(_like(json.dumps(tag)), escape="\\")


def list_conversations(filters, *, user, limit=50, cursor=None, sort="sla", now=None):
    """Returns (conversations, next_cursor)."""
    if sort not in SORTS:
        raise Invalid(_l("sort must be one of %(values)s.", values=", ".join(SORTS)), code="validation_error")
    base = filtered(filters, user=user, now=now).options(selectinload(Conversation.contact))
    position = decode_cursor(cursor) if cursor else {}
    rows = []
    if sort == "sla":
        rows = _page_sla(base, position, limit + 1)
    else:
        rows = _page_activity(base, position, limit + 1, sort == "newest")
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        tier = {"tier": last.priority} if sort == "sla" else {}
        if sort == "sla" and last.sla_breach_at is not None:
            next_cursor = encode_cursor({**tier, "phase": "due", "at": last.sla_breach_at.isoformat(), "id": last.id})
        else:
            at = last.last_message_at or last.created_at
            next_cursor = encode_cursor({**tier, "phase": "activity", "at": at.isoformat(), "id": last.id})
    return rows, next_cursor


def _parse_at(position):
    try:
        return datetime.fromisoformat(position["at"]), int(position["id"])
    except (KeyError, TypeError, ValueError) as exc:
        raise Malformed(_l("The cursor is not one this API gave out."), code="invalid_cursor") from exc


def _page_sla(base, position, limit):
    """Up to `limit` rows in the `sla` order: tier by tier (TIERS), each by breach time, then by activity."""
    first = position.get("tier", "normal") if position else TIERS[0]  # a cursor from before tiers: all normal
    if first not in TIERS:
        raise Malformed(_l("The cursor is not one this API gave out."), code="invalid_cursor")
    rows = []
    for tier in TIERS[TIERS.index(first):]:
        in_tier, undue = base.where(Conversation.priority == tier), Conversation.sla_breach_at.is_(None)
        if position.get("phase", "due") == "due":
            rows += _page_due(in_tier, position, limit - len(rows))
            if len(rows) < limit:
                rows += _page_activity(in_tier.where(undue), {}, limit - len(rows), True)
        else:
            rows += _page_activity(in_tier.where(undue), position, limit - len(rows), True)
        if len(rows) >= limit:
            break
        position = {}  # the next tier from its start
    return rows


def _page_due(base, position, limit):
    stmt = base.where(Conversation.sla_breach_at.is_not(None))
    if position:
        at, last_id = _parse_at(position)
        stmt = stmt.where(
            sa.or_(Conversation.sla_breach_at > at, sa.and_(Conversation.sla_breach_at == at, Conversation.id > last_id))
        )
    stmt = stmt.order_by(Conversation.sla_breach_at.asc(), Conversation.id.asc()).limit(limit)
    return list(db.session.scalars(stmt))


def _page_activity(base, position, limit, newest_first):
    col = Conversation.last_message_at
    stmt = base
    if position.get("phase") == "activity":
        at, last_id = _parse_at(position)
        if newest_first:
            stmt = stmt.where(sa.or_(col < at, sa.and_(col == at, Conversation.id < last_id)))
        else:
            stmt = stmt.where(sa.or_(col > at, sa.and_(col == at, Conversation.id > last_id)))
    order = (col.desc(), Conversation.id.desc()) if newest_first else (col.asc(), Conversation.id.asc())
    return list(db.session.scalars(stmt.order_by(*order).limit(limit)))


def counts(filters, *, user, now=None):
    """Counts per status, assignee and SLA state; each dimension counted with the other filters applied."""
    now = now or datetime.now(timezone.utc)

    def grouped(dimension, key):
        subset = filtered({**filters, dimension: None}, user=user, now=now).subquery()
        keyed = sa.select(key(subset).label("k")).subquery()  # group by a column: same SQL on both databases
        return dict(db.session.execute(sa.select(keyed.c.k, sa.func.count()).group_by(keyed.c.k)).all())

    by_status = grouped("status", lambda t: t.c.status)
    by_assignee = grouped("assignee", lambda t: sa.case(
        (t.c.assignee_id.is_(None), "none"), (t.c.assignee_id == user.id, "me"), else_="other"))
    by_sla = grouped("sla", lambda t: sla_state_expression(now, t.c))
    by_channel = grouped("channel", lambda t: t.c.channel)
    return {
        "status": {s: by_status.get(s, 0) for s in ("open", "pending", "resolved")},
        "assignee": {"me": by_assignee.get("me", 0), "none": by_assignee.get("none", 0),
                     "all": sum(by_assignee.values())},
        "sla": {s: by_sla.get(s, 0) for s in ("ok", "warning", "breached", "paused", "stopped")},
        "channel": {c: by_channel.get(c, 0) for c in ("public", "private")},
    }


def detail(conv, *, viewer, now=None):
    """GET /conversations/{id}: the conversation, its thread, and what the composer needs to know: the
    reply limit, the messaging window (private conversations), whether it can move to DM, the customer's
    related conversations on the account, and the posts its messages hang off (their context cards)."""
    now = now or datetime.now(timezone.utc)
    account = conv.account
    body = conversation_summary(conv)
    window = None
    if conv.channel == "private":
        window = reply_window(conv.network, conv.last_inbound_at, now,
                              human_agent_enabled=account.human_agent_enabled).to_json(isoformat)
    body.update(
        messages=[message_dict(m) for m in conv.messages],
        account={"id": account.id, "name": account.name, "network": account.network, "handle": account.handle},
        history=history(conv.contact_id, exclude_id=conv.id, viewer=viewer),
        reply_limit={"network": conv.network, **reply_limit(conv.network, conv.channel)},
        reply_window=window,
        can_move_to_private=can_move_to_private(db.session, conv, now).to_json(),
        related=related(conv, viewer=viewer),
        posts=posts_of(conv.network, conv.messages),
    )
    return body


def posts_of(network, messages):
    """{external id: post_dict} of the posts and media `messages` hang off (those Carebox has stored)."""
    ids = sorted({m.post_external_id for m in messages if m.post_external_id})
    if not ids:
        return {}
    rows = db.session.scalars(sa.select(Post).where(Post.network == network, Post.external_id.in_(ids)))
    return {post.external_id: post_dict(post) for post in rows}


def related(conv, *, viewer, limit=20):
    """The customer's other conversations on this account, public and private, newest first: the contact's,
    and the one a move to DM linked (either way), which may have another contact. Only those `viewer` sees."""
    linked = [Conversation.contact_id == conv.contact_id, Conversation.moved_to_id == conv.id]
    if conv.moved_to_id is not None:
        linked.append(Conversation.id == conv.moved_to_id)
    seen = visible_clause(viewer)
    rows = db.session.scalars(
        sa.select(Conversation).options(selectinload(Conversation.contact))
        .where(Conversation.account_id == conv.account_id, Conversation.id != conv.id, sa.or_(*linked),
               *(() if seen is None else (seen,)))
        .order_by(sa.func.coalesce(Conversation.last_message_at, Conversation.created_at).desc(), Conversation.id.desc())
        .limit(limit)
    ).all()
    return [conversation_summary(c, now=None, session=db.session) for c in rows]


def history(contact_id, *, exclude_id, viewer):
    """The contact's other conversations `viewer` sees, newest first, with how each ended."""
    seen = visible_clause(viewer)
    rows = db.session.scalars(
        sa.select(Conversation).where(Conversation.contact_id == contact_id, Conversation.id != exclude_id,
                                      *(() if seen is None else (seen,)))
        .order_by(Conversation.id.desc()).limit(20)
    ).all()
    return [
        {
            "id": c.id, "account_id": c.account_id, "status": c.status, "is_spam": c.is_spam,
            "created_at": isoformat(c.created_at), "resolved_at": isoformat(c.resolved_at),
            "message_count": c.message_count,
            "snippet": c.snippet, "outcome": _outcome(c),
        }
        for c in rows
    ]


def _outcome(conv):
    if conv.is_spam:
        return "spam"
    if conv.status != "resolved":
        return "open"
    return "answered" if conv.last_outbound_at is not None else "unanswered"
