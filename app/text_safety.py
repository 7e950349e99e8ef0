"""Customer text is hostile: what it may not do to the people reading it."""
import re

# Embeddings, overrides and isolates (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI): a name or handle
# carrying them can display as another one ("moc.dnarb" shown as "brand.com").
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def neutralize_bidi(text):
    """`text` without explicit bidi embedding, override and isolate controls."""
    return BIDI_CONTROLS.sub("", text) if text else text
