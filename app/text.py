"""Text helpers shared by the domain: search folding and list snippets."""
import regex

SNIPPET_LENGTH = 280


def fold(text):
    """Case-folded copy of text for search: works for Cyrillic and Arabic on SQLite and PostgreSQL alike."""
    return (text or "").casefold()


def snippet(text, limit=SNIPPET_LENGTH):
    """At most `limit` characters of text for the list, never cutting a grapheme (emoji, accent, flag) in two."""
    if len(text) <= limit:
        return text
    out, size = [], 0
    for cluster in regex.findall(r"\X", text[: limit + 16]):
        if size + len(cluster) > limit:
            break
        out.append(cluster)
        size += len(cluster)
    return "".join(out)
