"""The JSON shapes of docs/design.md ("Shapes to keep"), shared by the REST API, Socket.IO events and webhooks."""
from app.models import isoformat
from app.sla.state import clock_view


def contact_dict(contact):
    return {
        "id": contact.id,
        "external_id": contact.external_id,
        "handle": contact.handle,
        "name": contact.name,
        "followers_count": contact.followers_count,
        "profile_url": contact.profile_url,
        "accepts_dms": getattr(contact, "accepts_dms", None),
        "tags": list(getattr(contact, "tags", None) or []),
    }


def sla_dict(conv, now=None, session=None):
    """The conversation's SLA clock: docs/design.md's fields plus level, pause and policy (app/sla/state.py)."""
    return clock_view(conv, now, session)


def conversation_summary(conv, *, contact=None, now=None, session=None):
    """`conv` is a Conversation or a row with its columns (then give its `contact`); `now` and `session`
    (whose policies apply) save the lookups when many are built at once."""
    return {
        "id": conv.id,
        "status": conv.status,
        "account_id": conv.account_id,
        "network": conv.network,
        "channel": conv.channel,
        "contact": contact_dict(contact if contact is not None else conv.contact),
        "assignee_id": conv.assignee_id,
        "priority": conv.priority,
        "tags": list(conv.tags or []),
        "is_spam": bool(conv.is_spam),
        "snippet": conv.snippet,
        "message_count": conv.message_count,
        "sla": sla_dict(conv, now, session),
        "last_message_at": isoformat(conv.last_message_at),
        "last_inbound_at": isoformat(conv.last_inbound_at),
        "language": getattr(conv, "language", None),
        "created_at": isoformat(conv.created_at),
        "updated_at": isoformat(conv.updated_at),
        "moved_to_id": getattr(conv, "moved_to_id", None),
        "team_id": getattr(conv, "team_id", None),
        "priority_reasons": list(getattr(conv, "priority_reasons", None) or []),
        "sla_exempt": bool(getattr(conv, "sla_exempt", False)),
    }


def message_dict(msg):
    author = {
        "external_id": getattr(msg, "author_external_id", None),
        "handle": getattr(msg, "author_handle", None),
        "name": getattr(msg, "author_name", None),
        "user_id": getattr(msg, "author_user_id", None),
    }
    return {
        "id": msg.id,
        "conversation_id": msg.conversation_id,
        "direction": msg.direction,
        "external_id": msg.external_id,
        "text": msg.text,
        "author": author,
        "in_reply_to": getattr(msg, "in_reply_to_external_id", None),
        "created_at": isoformat(msg.created_at),
        "received_at": isoformat(msg.received_at),
        "delivery_status": getattr(msg, "delivery_status", None),
        "delivery_error": getattr(msg, "delivery_error", None),
        "delivery_error_code": getattr(msg, "delivery_error_code", None),
        "is_native": bool(getattr(msg, "is_native", False)),
        "mentions": list(getattr(msg, "mentions", None) or []),
        "language": getattr(msg, "language", None),
        "send_as": getattr(msg, "send_as", None),
        "post_external_id": getattr(msg, "post_external_id", None),
        "sentiment": getattr(msg, "sentiment", None),
        "intent": getattr(msg, "intent", None),
        "moderation": getattr(msg, "moderation", None) or "visible",
        "liked": bool(getattr(msg, "liked", False)),
        "moderation_error_code": getattr(msg, "moderation_error_code", None),
        "automatic_rule_id": getattr(msg, "automatic_rule_id", None),
    }


def post_dict(post):
    """A post or media a public thread hangs off, as the thread's context card shows it."""
    return {
        "external_id": post.external_id,
        "caption": post.caption,
        "permalink": post.permalink,
        "thumbnail_url": post.thumbnail_url,
        "media_type": post.media_type,
        "product_type": post.product_type,
        "owner_handle": post.owner_handle,
        "owned": bool(post.owned),
        "posted_at": isoformat(post.posted_at),
    }


# The networks' documented per-account call budgets, as data (pages word them in the reader's language).
# Instagram: Business Use Case limits, calls within 24 hours = 4800 x the number of impressions
# (https://developers.facebook.com/docs/graph-api/overview/rate-limiting/#instagram-graph-api).
CALL_BUDGETS = {
    "instagram": {"kind": "business_use_case", "calls_per_impression": 4800, "window_hours": 24},
}


def call_budget(network):
    """The network's documented per-account call budget (CALL_BUDGETS), or None."""
    return dict(CALL_BUDGETS[network]) if network in CALL_BUDGETS else None


def account_dict(account):
    """An account for API clients and pages: health included, credentials never."""
    return {
        "id": account.id,
        "network": account.network,
        "name": account.name,
        "external_id": account.external_id,
        "handle": account.handle,
        "api_base_url": account.api_base_url,
        "enabled": account.enabled,
        "human_agent_enabled": bool(account.human_agent_enabled),
        "health": {
            "state": account.health,
            "last_poll_at": isoformat(account.last_poll_at),
            "last_success_at": isoformat(account.last_success_at),
            "last_error": account.last_error,
            "last_error_at": isoformat(account.last_error_at),
            "consecutive_failures": account.consecutive_failures,
            "rate_limit_limit": account.rate_limit_limit,
            "rate_limit_remaining": account.rate_limit_remaining,
            "rate_limit_reset_at": isoformat(account.rate_limit_reset_at),
            "rate_limits": dict(account.rate_limits or {}),
            "poll_lag_seconds": account.poll_lag_seconds,
            "next_poll_at": isoformat(account.next_poll_at),
            "budget": call_budget(account.network),
        },
    }


def notification_dict(note):
    return {
        "id": note.id,
        "kind": note.kind,
        "text": note.text,
        "conversation_id": note.conversation_id,
        "message_id": note.message_id,
        "created_at": isoformat(note.created_at),
        "read_at": isoformat(note.read_at),
    }


def user_dict(user):
    """A staff member as other staff see them (no email for agents' directory)."""
    return {"id": user.id, "name": user.name, "role": user.role, "is_available": user.is_available}


def alert_dict(alert):
    """A spike alert (app/alerts) as the dashboard, Socket.IO and webhooks carry it."""
    return {
        "id": alert.id,
        "account_id": alert.account_id,
        "kind": alert.kind,
        "state": alert.state,
        "observed": float(alert.observed),
        "baseline": float(alert.baseline),
        "window_start": isoformat(alert.window_start),
        "window_end": isoformat(alert.window_end),
        "created_at": isoformat(alert.created_at),
        "ended_at": isoformat(alert.ended_at),
    }
