"""Triage in the one ingest path: every new customer message is stored with its sentiment and intent.

Two steps, so that a remote model never runs while the account's row lock is held:

- `precompute(items)`: what callers (the poller, the push receivers, POST /api/v1/messages) run before they
  take the lock. With a remote provider configured (CAREBOX_TRIAGE_PROVIDER=openai) it asks it for the
  customer items' signals, in one call for the batch, and returns the items with them attached
  (InboundItem.signals) and their language detected (so planning does not detect it again). With the
  baseline (the default) it returns the items as they are: nothing to do ahead.
- `label(plan)`: ingest's own step, right before the plan is written: every new customer message keeps the
  signals attached to its item, else the offline baseline labels it there and then (pure and cheap). So a
  caller that skipped `precompute` still stores signals, only the baseline's.
"""
import logging
from dataclasses import replace

from app.ingest.language import message_language
from app.triage import baseline_signals, remote_provider
from app.vocabulary import INTENTS, SENTIMENTS

log = logging.getLogger(__name__)


def asks_a_model(settings=None):
    """Whether `precompute` calls a remote provider: then callers commit what they hold before it."""
    return remote_provider(settings) is not None


def precompute(items, settings=None):
    """`items` (InboundItem) with the remote provider's signals attached to the customer ones that have text;
    the items unchanged when no remote provider is configured. Call it with no lock held: it may take up to
    CAREBOX_TRIAGE_OPENAI_TIMEOUT per request. Never raises for the provider's sake."""
    items = list(items)
    provider = remote_provider(settings)
    if provider is None:
        return items
    todo = [i for i, item in enumerate(items) if not item.from_brand and item.signals is None and (item.text or "").strip()]
    if not todo:
        return items
    languages = [message_language(items[i].text, items[i].language) for i in todo]
    try:
        found = provider.classify([(items[i].text, language) for i, language in zip(todo, languages)])
    except Exception as exc:  # the provider falls back by itself; whatever else happens, ingest's baseline labels
        log.warning("triage: precomputing signals failed (%s); ingest labels the messages with the baseline",
                    type(exc).__name__)
        return items
    for i, language, signals in zip(todo, languages, found):
        items[i] = replace(items[i], signals=(signals.sentiment, signals.intent),
                           language=language or items[i].language)
    return items


def label(plan):
    """Give every new customer message of `plan` its signals: those attached to its item when they are the
    design's words, else the baseline's. Pure: changes the plan's NewMessages only."""
    missing = [m for m in plan.messages if m.direction == "inbound"
               and (m.sentiment not in SENTIMENTS or m.intent not in INTENTS)]
    if not missing:
        return
    for message, signals in zip(missing, baseline_signals((m.text, m.language) for m in missing)):
        message.sentiment, message.intent = signals.sentiment, signals.intent
