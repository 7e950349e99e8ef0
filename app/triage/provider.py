"""The provider interface: whatever computes triage signals does it for a batch of messages at once.

Ingest plans a batch of inbound messages and asks for all their signals in one call, so a provider
that pays per round trip (a remote model) pays once per batch, not once per message.
"""
from collections.abc import Sequence
from typing import Protocol

from app.triage.signals import Signals

# One message to triage: its text and its language (a code of app.ingest.language.DETECTED, or None).
TextWithLanguage = tuple[str, str | None]


class TriageProvider(Protocol):
    name: str

    def classify(self, texts_with_languages: Sequence[TextWithLanguage]) -> list[Signals]:
        """One Signals per (text, language), in the same order; never raises for a message's content."""
        ...
