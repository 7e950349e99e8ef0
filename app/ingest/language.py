"""The language a customer writes in: what the network says, else what lingua detects.

A network-provided language (X's `lang`) wins when it is one of DETECTED; else the text is detected
among DETECTED only, and anything unsure (too short, mixed, close call) is None. Ukrainian is in
the set so that it is not read as Russian or Belarusian; it is stored as "uk" like the others, though
Carebox's own interface speaks only app.i18n.LANGUAGES.

The detector is built once per process, on the first text (its import and models cost), in
low-accuracy mode (trigram models only). Measured on this set of five languages, on the sandbox's
customer phrases (196) and on 2-6 word ones (96): as right as high accuracy (ru/be/ar/en alike; one
Russian phrase in a hundred read as Ukrainian, and Ukrainian stays the weakest in both modes, 16-17
of 20) for a tenth of the memory (about 14 MB in place of 130 MB in every process that ingests) and
about half the time (some 30-50 us per message). More Latin-script languages would cost English its
accuracy on short posts in that mode, so there are none: a Latin-script post reads as English.
"""
import re
import threading

from app.vocabulary import DETECTED_LANGUAGES as DETECTED  # ISO 639-1 codes detection chooses among
MINIMUM_RELATIVE_DISTANCE = 0.1  # how much more likely the first language must be than the second
MINIMUM_LETTERS = 3  # fewer letters than this (an emoji, "ok"?) say nothing
# What says nothing of the language: mentions, hashtags, links, e-mail addresses.
_NOISE = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\S+|[@#][\w.]+", re.UNICODE)
_NOISE_MARKS = ("@", "#", "http", "www.")

_detector = None  # (lingua's LanguageDetector, {its Language: our code}), built by the first detect()
_lock = threading.Lock()


def message_language(text, given=None):
    """The language of a customer message: `given` (from the network) when it is one we know, else detected."""
    code = normalized(given)
    if code is not None:
        return code
    return detect(text)


def normalized(code):
    """A network's language tag ("en", "pt-BR", "und") as one of DETECTED, or None."""
    if not code or not isinstance(code, str):
        return None
    code = code.strip().lower().replace("_", "-").split("-")[0]
    return code if code in DETECTED else None


def detect(text):
    """The language of `text` among DETECTED, or None when it is too short or unclear."""
    if not text:
        return None
    cleaned = _NOISE.sub(" ", text) if any(mark in text for mark in _NOISE_MARKS) else text
    if not _has_letters(cleaned, MINIMUM_LETTERS):
        return None
    detector, codes = _get_detector()
    return codes.get(detector.detect_language_of(cleaned))


def _has_letters(text, count):
    for char in text:
        if char.isalpha():
            count -= 1
            if not count:
                return True
    return False


def _get_detector():
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

                languages = {Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())): code
                             for code in DETECTED}
                _detector = (LanguageDetectorBuilder.from_languages(*languages)
                             .with_minimum_relative_distance(MINIMUM_RELATIVE_DISTANCE)
                             .with_low_accuracy_mode().build(), languages)
    return _detector
