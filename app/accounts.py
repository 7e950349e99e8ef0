"""Connecting brand accounts: the rules the CLI, the admin pages and the API share."""
from urllib.parse import urlsplit

import sqlalchemy as sa

from app.audit import record
from app.batch_sql import any_of, prebuilt
from app.domain_errors import Invalid
from app.models import NETWORKS, SocialAccount, User, utcnow

CREDENTIAL_KEYS = {
    "twitter": {"bearer_token", "consumer_key", "consumer_secret", "access_token", "access_token_secret", "user_id"},
    "facebook": {"page_id", "page_access_token", "app_secret", "graph_version"},
    # The Instagram professional account is reached through its Facebook Page's token; without ig_user_id
    # the connector finds it (GET /{page_id}?fields=instagram_business_account).
    "instagram": {"page_id", "page_access_token", "app_secret", "graph_version", "ig_user_id"},
    "custom": set(),
}
USER_CONTEXT_KEYS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
# The networks with Messenger's human-agent tag (answers up to 7 days after the customer's last message).
HUMAN_AGENT_NETWORKS = ("facebook", "instagram")


class AccountError(Invalid, ValueError):
    """Bad input for an account; the message says what to fix."""


@prebuilt
def _locked_accounts(dialect):
    return (sa.select(SocialAccount).where(any_of(dialect, SocialAccount.__table__.c.id, "ids"))
            .order_by(SocialAccount.id).with_for_update().execution_options(populate_existing=True))


def lock_accounts(session, account_ids):
    """These accounts (SocialAccount by id), loaded with their row locks (PostgreSQL; SQLite serialises
    writers anyway), in id order; missing ones are absent.

    Whoever opens or reopens a conversation holds its account's lock first (ingest's callers, an agent
    reopening), so no two of them can both decide a customer has no open conversation there. Lock order
    everywhere: accounts, then conversations, then clocks. The session's pending changes are not flushed
    first, so taking the lock never follows a conversation lock of this transaction."""
    if not account_ids:
        return {}
    with session.no_autoflush:
        found = session.scalars(_locked_accounts(session), {"ids": sorted(set(account_ids))})
        return {account.id: account for account in found}


def validate_credentials(network, credentials):
    if network not in NETWORKS:
        raise AccountError(f"unknown network {network!r}: use one of {', '.join(NETWORKS)}")
    unknown = set(credentials) - CREDENTIAL_KEYS[network]
    if unknown:
        allowed = ", ".join(sorted(CREDENTIAL_KEYS[network])) or "none"
        raise AccountError(f"unknown credential key(s) for {network}: {', '.join(sorted(unknown))} (allowed: {allowed})")
    empty = [k for k, v in credentials.items() if not str(v).strip()]
    if empty:
        raise AccountError(f"empty credential value(s): {', '.join(sorted(empty))}")
    {"twitter": _check_x_credentials, "facebook": _check_facebook_credentials,
     "instagram": _check_instagram_credentials}.get(network, lambda _c: None)(credentials)


def _check_x_credentials(credentials):
    user_context = [k for k in USER_CONTEXT_KEYS if k in credentials]
    if user_context and len(user_context) != len(USER_CONTEXT_KEYS):
        missing = sorted(set(USER_CONTEXT_KEYS) - set(user_context))
        raise AccountError(f"X user context needs all four keys; missing: {', '.join(missing)}")
    if "bearer_token" not in credentials and not user_context:
        raise AccountError("X needs bearer_token (to read) and/or the four user-context keys (to reply)")
    if "user_id" in credentials and not str(credentials["user_id"]).isdigit():
        raise AccountError("user_id must be the numeric X user id")


def _check_facebook_credentials(credentials, network_name="Facebook"):
    missing = sorted({"page_id", "page_access_token"} - set(credentials))
    if missing:
        raise AccountError(f"{network_name} needs {', '.join(missing)}")
    version = credentials.get("graph_version")
    if version and not (version.startswith("v") and version[1:].replace(".", "").isdigit()):
        raise AccountError("graph_version looks like v21.0")


def _check_instagram_credentials(credentials):
    _check_facebook_credentials(credentials, "Instagram (through its Facebook Page)")
    if "ig_user_id" in credentials and not str(credentials["ig_user_id"]).isdigit():
        raise AccountError("ig_user_id must be the numeric Instagram professional account id")


def account_external_id(network, credentials):
    """The account's id on its network: the X user id, the Facebook Page id, the Instagram user id (None until
    the connector finds it when the credentials do not say)."""
    if network == "instagram":
        return credentials.get("ig_user_id")
    return credentials.get("user_id") or credentials.get("page_id")


def validate_base_url(url):
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise AccountError(f"api base URL must be an http(s) URL, not {url!r}")
    return url.rstrip("/")


def create_account(session, *, network, name, api_base_url=None, credentials=None, actor=None,
                   human_agent_enabled=False):
    credentials = {k: str(v).strip() for k, v in (credentials or {}).items()}
    name = (name or "").strip()
    if not name:
        raise AccountError("an account needs a name")
    validate_credentials(network, credentials)
    account = SocialAccount(
        network=network, name=name, api_base_url=validate_base_url(api_base_url), enabled=True, cursor={},
        health="unknown", next_poll_at=utcnow(),
        external_id=account_external_id(network, credentials),
        human_agent_enabled=bool(human_agent_enabled),
    )
    account.credentials = credentials
    session.add(account)
    session.flush()
    record("account.created", actor=actor, target=account, data={"network": network, "name": name})
    return account


def set_human_agent(session, account, enabled, *, actor=None):
    """Record whether the account has Messenger's human-agent permission (granted by Meta's App Review, for
    Facebook Pages and Instagram accounts alike): with it, agents may answer up to 7 days after the customer's
    last message, tagged HUMAN_AGENT."""
    if account.network not in HUMAN_AGENT_NETWORKS and enabled:
        raise AccountError("only Facebook and Instagram accounts have the human-agent tag")
    if account.human_agent_enabled != bool(enabled):
        account.human_agent_enabled = bool(enabled)
        record("account.human_agent", actor=actor, target=account, data={"enabled": bool(enabled)})
    return account


def find_user_by_email(session, email):
    return session.execute(sa.select(User).where(sa.func.lower(User.email) == email.strip().lower())).scalar_one_or_none()
