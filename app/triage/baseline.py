"""The shipped baseline: sentiment and intent from word lists and a few rules, offline and in pure Python.

Nothing is downloaded and nothing heavy is imported: the lexicons are small JSON files beside this
module (app/triage/lexicons), read once per process, and every pattern is compiled at import. A
message is read as tokens looked up in its language's lexicon, with these rules:

- negation: a negator ("not", "не", "مش", "ما") turns the polarity of the next few words of its
  clause (and makes praise words a complaint: "not helpful"); an intensifier ("very", "очень", "جدا")
  and shouting (capitals, "!!!") weigh the next word more;
- emoji and emoticons count as words; laughter (😂) is a little positive but never praise; 🙃, 🙄 and a
  praise word in scare quotes ("fresh" strawberries, «зручна») are sarcasm, which makes it a complaint;
- greetings and wishes ("good morning", "добры дзень", "с Новым годом") are taken out before the
  words are read, and customers talking among themselves ("does anyone else…") are other;
- a question is a question mark (or ؟) with an interrogative or a request ("подскажите", "can you");
  one that opens the message and names a single problem is a question, a why-question leans to a
  complaint, and a complaint phrased as a question is a complaint;
- spam is spam words (crypto, giveaways, follow-for-follow, adult) with links, fake support ("DM us on
  WhatsApp", a phone number, a "support" handle), look-alike hyphenated domains, card numbers, runs
  of symbols or emoji, heaps of hashtags or handles;
- the dominant intent wins in this order: spam, complaint, question, praise, other; a complaint is
  negative and spam neutral.

bench/triage_quality.py measures it on the project's labelled set (bench/data/triage).
"""
import re

from app.triage.lexicon import lexicon_for, normalized
from app.triage.signals import NEUTRAL_OTHER, Signals

NEGATION_REACH = 3  # words after a negator that it turns
INTENSITY = 1.6  # weight of a word after an intensifier
SPAM_THRESHOLD = 2.0
INTERROGATIVE = 0.6  # an interrogative opening a sentence, short of a question without a question mark

_TOKENS = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[?!]", re.UNICODE)
_LINK = re.compile(r"(?:https?://|www\.)\S+|\b[a-z0-9-]+\.(?:com|net|org|io|me|ly|xyz|ru|by|info|biz|site|top|"
                   r"club|online|shop|link|cc|gg|app)(?:/\S*)?\b|\b(?:t\.me|wa\.me|bit\.ly)/\S+", re.IGNORECASE)
_PHONE = re.compile(r"(?:\+|00)\d[\d\s().-]{7,}\d")
# A hyphenated domain ("bank-secure.com", "old-coins-value.shop"): how phishing and bait pages look alike.
_LOOKALIKE_DOMAIN = re.compile(r"(?:https?://)?(?:www\.)?[a-z0-9]+(?:-[a-z0-9]+)+\.", re.IGNORECASE)
_CARD_NUMBER = re.compile(r"\b\d{4}[ -]?(?:\*{4}|\d{4})[ -]?(?:\*{4}|\d{4})[ -]?\d{4}\b")
_HANDLE = re.compile(r"@\w+")
_SUPPORT_HANDLE = re.compile(r"@\w*(?:support|help|care|service|refund|desk|agent)\w*", re.IGNORECASE)
_HASHTAG = re.compile(r"#\w+")
_SYMBOL_RUN = re.compile(r"([$€₿💰💸🔥🚀💎🎁✅])\1{2,}|[$€]{3,}")
_QUESTION_MARKS = re.compile(r"[?؟]")
_SHOUT = re.compile(r"\b[A-ZА-ЯЁІЎ]{4,}\b")
_EMOTICONS_POSITIVE = re.compile(r"(?:^|\s)(?:[:;=]-?[)D\]]+|\){2,}|\^_\^|<3)(?=\s|$)")
_EMOTICONS_NEGATIVE = re.compile(r"(?:^|\s)(?:[:;=]-?[(\[/]+|\({2,}|:'\()(?=\s|$)")
_SENTENCE_BREAK = ".!?؟\n"
_CLAUSE_BREAK = ".!?؟\n,;:—–،؛"
_QUOTED = re.compile(r"[«\"“']([^»\"”'\n]{2,40})[»\"”']")


class BaselineProvider:
    """The offline provider (app.triage.provider.TriageProvider)."""

    name = "baseline"

    def classify(self, texts_with_languages):
        return [classify_one(text, language) for text, language in texts_with_languages]


def classify_one(text, language=None):
    """The Signals of one message in `language` (None: undetected, read with every lexicon)."""
    if not text or not text.strip():
        return NEUTRAL_OTHER
    cues = read(text, language)
    intent = _intent(cues)
    return Signals(_sentiment(cues, intent), intent)


class Cues:
    """What one message's words and symbols add up to."""

    __slots__ = ("positive", "negative", "complaint", "praise", "question", "spam", "sarcasm", "greeting",
                 "words", "asks_first", "amused", "chatter")

    def __init__(self):
        self.positive = self.negative = self.complaint = self.praise = 0.0
        self.question = self.spam = self.sarcasm = self.greeting = 0.0
        self.words = 0
        self.amused = self.chatter = 0.0  # laughter (😂: a bit positive, never praise); talk among customers
        self.asks_first = False  # the message opens with a question (after any greeting)


def read(text, language):
    lexicon = lexicon_for(language)
    flat = normalized(text)
    cues = Cues()
    flat = _read_greetings(flat, lexicon, cues)
    _read_words(flat, lexicon, cues, shouting=bool(_SHOUT.search(text)))
    _read_phrases(flat, lexicon, cues)
    _read_scare_quotes(flat, lexicon, cues)
    _read_symbols(text, lexicon, cues)
    _read_spam(text, cues)
    if _QUESTION_MARKS.search(text):
        cues.question += 1
    return cues


def _read_greetings(flat, lexicon, cues):
    """Greetings and wishes counted, then taken out: "good morning" and "добры дзень" praise nothing."""
    for category in ("greeting", "wish", "chatter"):
        pattern = lexicon.phrases.get(category)
        if pattern is not None:
            flat, found = pattern.subn(".", flat)
            if category == "chatter":
                cues.chatter += found
            else:
                cues.greeting += found
            if category == "wish":
                cues.positive += found
    return flat


def _read_scare_quotes(flat, lexicon, cues):
    """A praise word in quotes ("fresh" strawberries, «зручна») is sarcasm."""
    for quoted in _QUOTED.findall(flat):
        for token in _TOKENS.findall(quoted):
            categories = lexicon.categories(token)
            if categories and categories & {"positive", "strong_positive", "praise"}:
                cues.sarcasm += 1
                break


def _read_words(flat, lexicon, cues, shouting):
    negated_until, boost_until = -1, -1
    previous_end, after_greeting = 0, False
    for index, match in enumerate(_TOKENS.finditer(flat)):
        token = match.group()
        gap = flat[previous_end:match.start()]
        opens_sentence = index == 0 or after_greeting or any(c in _SENTENCE_BREAK for c in gap)
        if any(c in _CLAUSE_BREAK for c in gap):
            negated_until = -1  # "not bad, but cold": negation ends with its clause
        previous_end, after_greeting = match.end(), False
        if token in "?!":
            if token == "!" and shouting:
                boost_until = index + 1
            continue
        cues.words += 1
        categories = lexicon.categories(token)
        if not categories:
            continue
        if "greeting" in categories:
            after_greeting = opens_sentence
            cues.greeting += 1
            continue
        if cues.words == 1 and opens_sentence and categories & {"question", "request"} and "complaint" not in categories:
            cues.asks_first = True
        if "negators" in categories:
            negated_until = index + NEGATION_REACH
            continue
        if "intensifiers" in categories:
            boost_until = index + 2
            continue
        weight = INTENSITY if index <= boost_until else 1.0
        _count_word(categories, cues, weight, negated=index <= negated_until, opens_sentence=opens_sentence)


def _count_word(categories, cues, weight, negated, opens_sentence):
    polarity = 0.0
    if "positive" in categories:
        polarity += 1
    if "strong_positive" in categories:
        polarity += 2
    if "negative" in categories:
        polarity -= 1
    if "strong_negative" in categories:
        polarity -= 2
    if negated:
        polarity = -polarity * (0.8 if polarity > 0 else 0.5)  # "not good" is bad; "not bad" is only fair
    if polarity > 0:
        cues.positive += polarity * weight
    else:
        cues.negative -= polarity * weight
    _count_intent_word(categories, cues, weight, negated, opens_sentence)


def _count_intent_word(categories, cues, weight, negated, opens_sentence):
    if "complaint" in categories and not negated:
        cues.complaint += weight
    if "praise" in categories:
        if negated:
            cues.complaint += weight
        else:
            cues.praise += weight
    if "question" in categories and opens_sentence:
        cues.question += INTERROGATIVE  # with a question mark, a question; alone, an opening ("will order again")
    if "request" in categories:
        cues.question += 1.0
    if "spam" in categories:
        cues.spam += 1.0


def _read_phrases(flat, lexicon, cues):
    for found in lexicon.any_phrase.findall(flat):
        for category in lexicon.phrase_categories(found):
            _count_phrase(category, cues)


def _count_phrase(category, cues):
    if category in ("positive", "strong_positive"):
        cues.positive += 2 if category == "strong_positive" else 1
    elif category in ("negative", "strong_negative"):
        cues.negative += 2 if category == "strong_negative" else 1
    elif category in ("complaint", "praise", "spam"):
        setattr(cues, category, getattr(cues, category) + 1)
    elif category in ("question", "request"):
        cues.question += 1
    elif category == "fake_support":
        cues.spam += 2


def _read_symbols(text, lexicon, cues):
    symbols = lexicon.symbols
    for char in lexicon.any_symbol.findall(text):
        if char in symbols["positive_emoji"]:
            cues.positive += 1
        elif char in symbols["negative_emoji"]:
            cues.negative += 1
        elif char in symbols["sarcasm_emoji"]:
            cues.sarcasm += 1
        elif char in symbols["amused_emoji"]:
            cues.amused += 1
        elif char in symbols["spam_emoji"]:
            cues.spam += 0.25
    cues.positive += len(_EMOTICONS_POSITIVE.findall(text))
    cues.negative += len(_EMOTICONS_NEGATIVE.findall(text))


def _read_spam(text, cues):
    links = _LINK.findall(text)
    if links:
        cues.spam += 1.0 if cues.spam else 0.5  # a link alone is a screenshot; with spam words it is bait
        if any(_LOOKALIKE_DOMAIN.match(link) for link in links):
            cues.spam += 1.0
    if _CARD_NUMBER.search(text):
        cues.spam += 1.0
    if _PHONE.search(text):
        cues.spam += 1.0
    if _SUPPORT_HANDLE.search(text):
        cues.spam += 1.5
    if len(_HASHTAG.findall(text)) >= 3:
        cues.spam += 1.0
    if len(_HANDLE.findall(text)) >= 4:
        cues.spam += 1.0
    if _SYMBOL_RUN.search(text):
        cues.spam += 1.0


def _intent(cues):
    if cues.spam >= SPAM_THRESHOLD:
        return "spam"
    if not cues.words:
        return "other"  # "??", an emoji: nothing to answer
    if cues.sarcasm and (cues.praise or cues.positive or cues.complaint):
        return "complaint"
    asks = cues.question >= 1
    if cues.chatter and not cues.complaint:
        return "other"  # "does anyone else remember…": customers talking among themselves
    if asks and cues.asks_first and cues.complaint < 2 and cues.negative < 2:
        return "question"  # a plain question that mentions a problem ("how do I report a lost card?")
    complaint = cues.complaint + (0.5 * cues.negative if cues.negative > cues.positive else 0.0)
    if cues.complaint and complaint > cues.praise:
        return "complaint"
    if asks:
        return "question" if cues.negative < 2 else "complaint"
    if cues.praise or cues.positive >= 1.5:
        return "praise" if not cues.greeting or cues.praise else "other"
    if cues.negative >= 1 and not cues.positive:
        return "complaint"
    return "other"


def _sentiment(cues, intent):
    if intent == "spam":
        return "neutral"
    score = cues.positive + 0.5 * cues.amused - cues.negative - 0.5 * cues.complaint + 0.5 * cues.praise
    if cues.sarcasm and (cues.positive or cues.complaint):
        score = min(score, -1.0)
    if intent == "complaint":
        return "negative"
    if intent == "question" and score < 1.5:
        score = min(score, 0.0) if score > -1.0 else score  # a polite question is neutral; an annoyed one is not
    if score >= 0.75:
        return "positive"
    if score <= -0.75:
        return "negative"
    return "neutral"
