"""API tokens: the rules the CLI, the admin pages and the REST API share. Callers commit."""
from flask_babel import lazy_gettext as _l

from app.domain_errors import Invalid
from app.audit import record
from app.events.revocation import drop_connections, token_room
from app.models import TOKEN_SCOPES, ApiToken, utcnow

DEFAULT_SCOPES = ("read", "write")


class TokenError(Invalid, ValueError):
    """Bad input for a token; the message says what to fix."""

    code = "invalid_token_request"


def issue_token(session, *, user, name, scopes=None, actor=None):
    """Create a token for `user`. Returns (token, raw value); only the hash is stored, show the value once."""
    name = (name or "").strip()
    scopes = list(dict.fromkeys(scopes or DEFAULT_SCOPES))
    if not name:
        raise TokenError(_l("The token needs a name."))
    unknown = [s for s in scopes if s not in TOKEN_SCOPES]
    if unknown:
        raise TokenError(_l("Unknown scopes %(scopes)s: use %(values)s.", scopes=", ".join(unknown),
                            values=", ".join(TOKEN_SCOPES)))
    if not user.is_active:
        raise TokenError(_l("The user %(email)s is deactivated.", email=user.email))
    if "admin" in scopes and user.role != "admin":
        raise TokenError(_l("Only admins can hold a token with the admin scope."))
    token, raw = ApiToken.issue(user, name[:120], scopes)
    session.add(token)
    session.flush()
    record("token.created", actor=actor or user, target=token, data={"name": token.name, "scopes": scopes,
                                                                     "user_id": user.id})
    return token, raw


def revoke_token(session, token, *, actor=None):
    """Revoke now (idempotent): the token stops working on its next request, and its live Socket.IO
    connections are dropped once the caller commits."""

    if token.revoked_at is None:
        token.revoked_at = utcnow()
        drop_connections(session, token_room(token.id))
        record("token.revoked", actor=actor, target=token, data={"name": token.name, "user_id": token.user_id})
    return token
