"""Hostile text (customers write it) made safe to display: bidi controls out, each piece isolated.

Explicit bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) reorder what is displayed:
"\u202egnp.exe" reads as "exe.png", a handle can read as another brand's, a link as another URL. Names and
handles need none of them, so neutralize_bidi() drops them (the ingest path applies it to the names and
handles it stores). Marks (U+200E, U+200F, U+061C) stay: they do not override anything and right-to-left
text uses them. The browser strips the same list from everything it shows (static/js/inbox/text.js).
"""
from markupsafe import Markup

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_DROP = dict.fromkeys(map(ord, BIDI_CONTROLS))


def neutralize_bidi(text):
    """`text` without bidi embedding, override and isolate controls (None stays None)."""
    if text is None:
        return None
    return str(text).translate(_DROP)


def isolate(text):
    """Jinja filter `isolate`: the text neutralised, escaped and isolated in a <bdi> of its own."""
    return Markup("<bdi>{}</bdi>").format(neutralize_bidi("" if text is None else text))
