"""`python -m app.i18n.english`: the English catalogues say what the source says.

English is the language the strings are written in, so its catalogues are filled from the msgids
(each plural form from the singular or plural text) wherever an entry is still empty or only a merge's
guess (fuzzy); a wording chosen in en.po is kept. `make translations` runs this between updating and compiling.
"""
from babel.messages.pofile import read_po, write_po

from app.i18n import TRANSLATIONS_DIR

DOMAINS = ("messages", "js")


def fill(path):
    with open(path, "rb") as handle:
        catalog = read_po(handle, locale="en")
    for message in catalog:
        if not message.id:
            continue
        guessed = "fuzzy" in message.flags  # the merge's guess from a similar old string: the source says better
        if message.pluralizable:
            singular, plural = message.id
            current = list(message.string) if isinstance(message.string, (list, tuple)) and not guessed else ["", ""]
            message.string = tuple(text or (singular if i == 0 else plural) for i, text in enumerate(current))
        elif guessed or not message.string:
            message.string = message.id
        message.flags.discard("fuzzy")
    with open(path, "wb") as handle:
        write_po(handle, catalog, width=0, ignore_obsolete=True)


def main():
    for domain in DOMAINS:
        path = TRANSLATIONS_DIR / "en" / "LC_MESSAGES" / f"{domain}.po"
        if path.exists():
            fill(path)


if __name__ == "__main__":
    main()
