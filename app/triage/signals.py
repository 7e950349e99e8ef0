"""What triage says of one inbound message: its sentiment and its intent, in the design's words."""
from typing import NamedTuple

from app.vocabulary import INTENTS, SENTIMENTS


class Signals(NamedTuple):
    sentiment: str  # one of SENTIMENTS
    intent: str  # one of INTENTS

    @classmethod
    def checked(cls, sentiment, intent):
        """Signals from untrusted values (a remote model's answer): ValueError unless both are the design's."""
        if sentiment not in SENTIMENTS or intent not in INTENTS:
            raise ValueError("not a triage label")
        return cls(sentiment, intent)


NEUTRAL_OTHER = Signals("neutral", "other")  # what an empty message (an attachment alone) says
