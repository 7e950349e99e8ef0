"""The baseline's word lists (app/triage/lexicons/<language>.json), loaded once and indexed for lookups.

A list entry is a word ("refund"), a stem ending in "*" that matches every word it begins ("ужасн*":
ужасный, ужасно), or a phrase of several words ("dm us", "не работает"), matched in the normalised
text. Every language's lexicon also holds English's (customers mix scripts: "ok", "thx", "wtf") and
common.json's (emoji and emoticons, which are no language's): a word in several lists counts in each.

Arabic writes conjunctions, prepositions and the article onto the word (والخدمة, بالطلب): a word
not found as written is looked up again without them.
"""
import json
import re
import unicodedata
from functools import cache
from pathlib import Path

LEXICONS = Path(__file__).resolve().parent / "lexicons"
LANGUAGES = ("en", "ru", "be", "ar")  # those with a lexicon of their own
# The word lists a lexicon file may hold; every other key is refused, so a typo cannot hide a list.
CATEGORIES = ("negators", "intensifiers", "positive", "strong_positive", "negative", "strong_negative",
              "complaint", "praise", "question", "request", "spam", "fake_support", "greeting", "wish", "chatter")
SYMBOL_CATEGORIES = ("positive_emoji", "negative_emoji", "sarcasm_emoji", "spam_emoji", "amused_emoji")
MINIMUM_STEM = 3  # shorter stems would match half the language

_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")  # tashkeel and tatweel
_ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})
_ARABIC = re.compile("[\u0600-\u06ff]")
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "‘": "'"})
# Clitics an Arabic word may begin with, longest first: and/so + by/for/like + the.
_ARABIC_PROCLITICS = ("وبال", "وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل")
_LETTER_RUNS = re.compile(r"(\w)\1{2,}")  # "sooooo", "ужаааас": three or more of a letter read as two


def normalized(text):
    """The form both texts and word lists are compared in: lower case, one apostrophe, ё as е, Arabic
    without its vowel marks and with one form of alef, ya and ta marbuta, letter runs cut to two."""
    text = unicodedata.normalize("NFC", text).lower().translate(_APOSTROPHES).replace("ё", "е")
    if _ARABIC.search(text):
        text = _ARABIC_MARKS.sub("", text).translate(_ARABIC_LETTERS)
    return _LETTER_RUNS.sub(r"\1\1", text)


class Lexicon:
    """One language's word lists: exact words and stems looked up per token, phrases as one pattern each."""

    def __init__(self, lists, symbols):
        self.words, self.stems, phrases = {}, {}, {}
        for category, entries in lists.items():
            for entry in entries:
                self._add(category, normalized(entry).strip(), phrases)
        self.stem_lengths = sorted({len(stem) for stem in self.stems}, reverse=True)
        self.phrases = {category: _phrase_pattern(entries) for category, entries in phrases.items()}
        # Every phrase in one pattern, so a text is searched once; a match is then told apart by category.
        self.any_phrase = _phrase_pattern([entry for entries in phrases.values() for entry in entries])
        self.symbols = {category: frozenset(entries) for category, entries in symbols.items()}
        self.any_symbol = re.compile("[" + re.escape("".join(sorted(set().union(*symbols.values())))) + "]")

    def phrase_categories(self, found):
        """The categories a phrase the combined pattern found belongs to."""
        return [category for category, pattern in self.phrases.items() if pattern.fullmatch(found)]

    def _add(self, category, entry, phrases):
        if " " in entry:
            phrases.setdefault(category, []).append(entry)
        elif entry.endswith("*"):
            stem = entry[:-1]
            if len(stem) < MINIMUM_STEM:
                raise ValueError(f"stem too short: {entry!r}")
            self.stems.setdefault(stem, set()).add(category)
        else:
            self.words.setdefault(entry, set()).add(category)

    def categories(self, token):
        """The categories of one normalised token: its exact entries and the longest stem it begins with
        (for an Arabic word, also once its proclitics are taken off)."""
        found = self._lookup(token)
        if found is None and "\u0621" <= token[0] <= "\u064a":
            for clitic in _ARABIC_PROCLITICS:
                if token.startswith(clitic) and len(token) - len(clitic) >= 2:
                    found = self._lookup(token[len(clitic):])
                    if found is not None:
                        break
        return found

    def _lookup(self, token):
        """A token's exact entries together with those of the longest stem it begins with."""
        exact = self.words.get(token)
        for length in self.stem_lengths:
            if length <= len(token):
                found = self.stems.get(token[:length])
                if found is not None:
                    return found | exact if exact else found
        return exact


def _phrase_pattern(entries):
    """One pattern for a category's phrases; a word of a phrase may itself be a stem ("still wait*")."""
    def word(part):
        return re.escape(part[:-1]) + r"\w*" if part.endswith("*") else re.escape(part)
    alternatives = sorted((r"\s+".join(word(part) for part in entry.split()) for entry in entries), key=len,
                          reverse=True)
    return re.compile(r"(?<![\w'])(?:" + "|".join(alternatives) + r")(?![\w'])")


def _read(name):
    data = json.loads((LEXICONS / f"{name}.json").read_text(encoding="utf-8"))
    unknown = set(data) - set(CATEGORIES) - set(SYMBOL_CATEGORIES) - {"about"}
    if unknown:
        raise ValueError(f"{name}.json: unknown lists {sorted(unknown)}")
    return data


def lexicon_for(language):
    """The lexicon a message in `language` is read with; None (undetected) or an unknown one reads with all."""
    return _lexicon(language if language in LANGUAGES else None)


@cache
def _lexicon(language):
    common = _read("common")
    own = (language,) if language else LANGUAGES
    names = own + (("en",) if "en" not in own else ())
    lists = {category: [] for category in CATEGORIES}
    for name in names:
        data = _read(name)
        for category in CATEGORIES:
            lists[category].extend(data.get(category, ()))
    symbols = {category: common.get(category, ()) for category in SYMBOL_CATEGORIES}
    return Lexicon(lists, symbols)
