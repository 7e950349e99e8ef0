"""Triage signals (sentiment and intent) for inbound messages, through the provider the admin configured.

`triage` is what ingest calls, once per planned batch: the shipped offline baseline by default
(CAREBOX_TRIAGE_PROVIDER=baseline), or an OpenAI-compatible endpoint (=openai) that falls back to the
baseline whenever it cannot answer. The language of each message comes from app.ingest.language.
"""
import logging
import threading

from app.triage.baseline import BaselineProvider
from app.triage.openai_provider import OpenAICompatibleProvider
from app.triage.provider import TextWithLanguage, TriageProvider
from app.triage.signals import NEUTRAL_OTHER, Signals

__all__ = ["NEUTRAL_OTHER", "BaselineProvider", "OpenAICompatibleProvider", "Signals", "TextWithLanguage",
           "TriageProvider", "baseline_signals", "provider_for", "remote_provider", "triage"]

log = logging.getLogger(__name__)
PROVIDERS = ("baseline", "openai")

_baseline = BaselineProvider()
_remote = {}  # (url, model, key, timeout): its provider, so its HTTP session (kept-alive connections) is reused
_lock = threading.Lock()


def triage(texts_with_languages, settings=None):
    """One Signals per (text, language) of the batch, in order. `settings`: the app's config (by default
    current_app's); only the CAREBOX_TRIAGE_* keys are read."""
    items = list(texts_with_languages)
    if not items:
        return []
    return provider_for(settings).classify(items)


def baseline_signals(texts_with_languages):
    """The offline baseline's Signals, whatever is configured: cheap enough to run under a row lock."""
    return _baseline.classify(list(texts_with_languages))


def remote_provider(settings=None):
    """The configured remote provider, or None when the baseline labels messages (the default)."""
    provider = provider_for(settings)
    return None if provider is _baseline else provider


def provider_for(settings=None):
    """The configured provider: the baseline unless the OpenAI-compatible one is chosen and complete."""
    if settings is None:
        from flask import current_app

        settings = current_app.config
    if settings.get("CAREBOX_TRIAGE_PROVIDER", "baseline") != "openai":
        return _baseline
    url, model = settings.get("CAREBOX_TRIAGE_OPENAI_URL"), settings.get("CAREBOX_TRIAGE_OPENAI_MODEL")
    if not url or not model:
        log.warning("triage: CAREBOX_TRIAGE_PROVIDER=openai needs CAREBOX_TRIAGE_OPENAI_URL and "
                    "CAREBOX_TRIAGE_OPENAI_MODEL; the baseline labels messages")
        return _baseline
    key = (url, model, settings.get("CAREBOX_TRIAGE_OPENAI_API_KEY"), settings.get("CAREBOX_TRIAGE_OPENAI_TIMEOUT", 5))
    with _lock:
        provider = _remote.get(key)
        if provider is None:
            provider = _remote[key] = OpenAICompatibleProvider(*key, fallback=_baseline)
    return provider
