"""The catalogues are complete: every string the code asks for is extracted, and every shipped language
translates it, with the right number of plural forms and the same placeholders, compiled as committed.

When this fails, run `make translations` and translate what it reports as missing or fuzzy.
"""
import subprocess
import sys

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from app.i18n import LANGUAGES, TRANSLATIONS_DIR
from config import BASE_DIR

DOMAINS = {"messages": "babel.cfg", "js": "babel-js.cfg"}
KEYWORDS = {"messages": ["-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "-k", "lazy_pgettext:1c,2"], "js": ["-k", "pgettext:1c,2"]}


def _key(message):
    """(context, msgid) the same way whichever reader made the message (read_mo gives lists and bytes)."""
    context = message.context.decode() if isinstance(message.context, bytes) else message.context
    return (context, tuple(message.id) if isinstance(message.id, (list, tuple)) else message.id)


def _text(message):
    return tuple(message.string) if isinstance(message.string, (list, tuple)) else message.string


def _read_po(path, locale=None):
    with open(path, "rb") as handle:
        return read_po(handle, locale=locale)


@pytest.fixture(scope="module", params=sorted(DOMAINS))
def extracted(request, tmp_path_factory):
    """What the code asks for today, extracted the way `make translations` does."""
    domain = request.param
    out = tmp_path_factory.mktemp("pot") / f"{domain}.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", DOMAINS[domain], *KEYWORDS[domain],
         "--no-wrap", "-o", str(out), "."],
        cwd=BASE_DIR, check=True,
    )
    return domain, {_key(m): m for m in _read_po(out) if m.id}


def test_the_templates_are_extracted_as_committed(extracted):
    domain, current = extracted
    committed = {_key(m) for m in _read_po(TRANSLATIONS_DIR / f"{domain}.pot") if m.id}
    assert not set(current) - committed, f"new strings not in {domain}.pot: run `make translations`"
    assert not committed - set(current), f"{domain}.pot holds strings the code no longer uses: run `make translations`"


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_every_language_translates_every_string(extracted, locale):
    domain, current = extracted
    catalog = _read_po(TRANSLATIONS_DIR / locale / "LC_MESSAGES" / f"{domain}.po", locale=locale)
    entries = {_key(m): m for m in catalog if m.id}
    problems = [f"missing: {key[1]!r}" for key in current if key not in entries]
    problems += [f"stale (no longer in the code): {key[1]!r}" for key in entries if key not in current]
    for key, message in entries.items():
        if "fuzzy" in message.flags:
            problems.append(f"fuzzy: {key[1]!r}")
        forms = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if message.pluralizable and len(forms) != catalog.num_plurals:
            problems.append(f"{len(forms)} plural forms instead of {catalog.num_plurals}: {key[1]!r}")
        if not all(forms):
            problems.append(f"untranslated: {key[1]!r}")
    for message, errors in catalog.check():  # placeholders the translation drops, adds or renames
        problems += [f"{error}: {message.id!r}" for error in errors]
    assert not problems, f"{locale}/{domain}.po:\n" + "\n".join(problems)


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_the_compiled_catalogues_match_their_sources(extracted, locale):
    domain, _current = extracted
    folder = TRANSLATIONS_DIR / locale / "LC_MESSAGES"
    source = {_key(m): _text(m) for m in _read_po(folder / f"{domain}.po", locale=locale) if m.id}
    with open(folder / f"{domain}.mo", "rb") as handle:
        compiled = {_key(m): _text(m) for m in read_mo(handle) if m.id}
    assert compiled == source, f"{locale}/{domain}.mo is older than its .po: run `make translations`"
