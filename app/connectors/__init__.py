"""Connectors to the social networks: `connector_for(account, timeout)` picks the right one.

A connector fetches new posts since a cursor and sends replies (see base.py
for the interface and the errors that tell the poller what to do next).
"""
from datetime import timedelta

from flask import current_app, has_app_context

from app.connectors.base import (
    DEFAULT_BACKFILL,
    AccountInfo,
    AuthError,
    BrandIdentity,
    Connector,
    ConnectorError,
    FetchResult,
    RateLimit,
    RateLimited,
    RejectedError,
    ReplyTarget,
    SentReply,
    TransientError,
)
from app.connectors.facebook import FacebookConnector
from app.connectors.instagram import InstagramConnector
from app.connectors.twitter import TwitterConnector

CONNECTORS = {"twitter": TwitterConnector, "facebook": FacebookConnector, "instagram": InstagramConnector}


class NoConnectorError(ConnectorError):
    """The account's network has no connector (custom channels push messages through the API instead)."""

    retryable = False


def connector_for(account, timeout, backfill=None):
    """The connector for `account` (an AccountInfo), with `timeout` seconds for each HTTP request.

    `backfill` (a timedelta) is how far back a first poll reads; by default CAREBOX_BACKFILL_HOURS.
    """
    connector_class = CONNECTORS.get(account.network)
    if connector_class is None:
        raise NoConnectorError(
            f"{account.network!r} accounts have no connector: nothing to poll or reply through "
            "(custom channels push messages with POST /api/v1/messages)"
        )
    return connector_class(account, timeout=timeout, backfill=configured_backfill() if backfill is None else backfill)


def configured_backfill():
    hours = current_app.config.get("CAREBOX_BACKFILL_HOURS") if has_app_context() else None
    return timedelta(hours=float(hours)) if hours is not None else DEFAULT_BACKFILL


__all__ = [
    "AccountInfo", "AuthError", "BrandIdentity", "ReplyTarget", "CONNECTORS", "Connector", "ConnectorError", "FacebookConnector",
    "InstagramConnector",
    "FetchResult", "NoConnectorError", "RateLimit", "RateLimited", "RejectedError", "SentReply",
    "TransientError", "TwitterConnector", "connector_for",
]
