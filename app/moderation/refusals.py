"""What agents are told when moderation fails: the network's refusal in their language, or why it is out of reach."""
from flask_babel import lazy_gettext as _l

from app.connectors.base import MODERATION_REFUSALS, AuthError, RateLimited
from app.domain_errors import Refused, Unavailable

SENTENCES = {
    "not_hideable": _l("The network does not let the brand hide this message: X hides only replies in "
                       "conversations the brand started, and a brand's own comments cannot be hidden."),
    "not_supported": _l("The network has no such action for this message."),
    "object_missing": _l("The message is gone from the network (deleted, or the account can no longer see it)."),
    "not_permitted": _l("The account's access to the network lacks the permission for this; an admin can "
                        "reconnect it with that permission."),
}
OTHER = _l("The network refused this action.")
assert set(SENTENCES) == set(MODERATION_REFUSALS)


def known_reason(reason):
    return reason if reason in MODERATION_REFUSALS else None


def refused(reason):
    """The Refused error for a network's refusal with `reason` (a MODERATION_REFUSALS value or None)."""
    reason = known_reason(reason)
    return Refused(SENTENCES.get(reason, OTHER), reason=reason)


def unavailable(exc):
    """The Unavailable error for a connector failure that may pass (rate limit, outage, refused credentials)."""
    if isinstance(exc, RateLimited):
        retry_at = exc.reset_at.isoformat().replace("+00:00", "Z") if exc.reset_at else None
        return Unavailable(_l("The network's rate limit for this is reached. Nothing was changed; try again "
                              "later."), code="rate_limited", retry_at=retry_at)
    if isinstance(exc, AuthError):
        return Unavailable(_l("The network refused this account's credentials. Nothing was changed; an admin "
                              "needs to reconnect the account."), code="account_credentials")
    return Unavailable(_l("The network is not answering right now. Nothing was changed; try again in a "
                          "moment."))
