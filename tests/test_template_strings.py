"""Templates keep no visible English outside translation calls.

Each template under app/templates is lexed with the app's own Jinja environment; its literal text (the
lexer's "data" tokens, with every {{ … }} and {% … %} taken out) is parsed as HTML, and any text node or
user-visible attribute holding letters fails the test, with file:line and the text. What a translation
call renders is inside {{ … }}, so it is never seen here.
"""
import html.parser
import re
from bisect import bisect_right
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parent.parent / "app" / "templates"

# Attributes a person reads or hears (screen readers read aria-label, aria-description, alt, title).
VISIBLE_ATTRIBUTES = {"title", "placeholder", "aria-label", "aria-description", "alt", "label"}
BUTTON_INPUTS = {"submit", "button", "reset"}
IGNORED_ELEMENTS = {"script", "style"}  # code, not prose
# Machine text shown as such: code samples, header names, key caps.
LITERAL_ELEMENTS = {"code"}
KEY = r"(?:[A-Za-z0-9/?]|Esc|Enter|Tab|Shift|Ctrl|Cmd|Alt|Space|Home|End|PgUp|PgDn|[↑↓←→⌘⌥⇧])"
KEY_CAP = re.compile(rf"^{KEY}(?:\+{KEY})*$")  # a key or a chord (Ctrl+Enter)
# Brand names are not translated: Carebox's own and the networks'.
ALLOWED_WORDS = {"Carebox", "Facebook", "Instagram", "Messenger", "X"}
ALLOWED = re.compile(r"\b(?:%s)\b" % "|".join(sorted(ALLOWED_WORDS)))
# Blocks that base.html renders inside an attribute (<body class="{% block body_class %}">): not text.
ATTRIBUTE_BLOCKS = {"body_class"}
EXPRESSION = "\ue000"  # stands for each {{ … }} / {% … %}: not a letter, so it never counts as text


def template_names():
    return sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html"))


def literal_text(env, name, root=TEMPLATES):
    """The template's literal text, with the source line each piece starts on: (text, [(offset, line)])."""
    source = (root / name).read_text(encoding="utf-8")
    pieces, starts, offset = [], [], 0
    previous, tokens, skipping = None, [t for t in env.lex(source, name) if t[1] != "whitespace"], 0
    for i, (lineno, token_type, value) in enumerate(tokens):
        if token_type == "block_begin" and i + 2 < len(tokens) and tokens[i + 1][2] == "block":
            skipping += 1 if tokens[i + 2][2] in ATTRIBUTE_BLOCKS else 0
        elif skipping and token_type == "block_begin" and tokens[i + 1][2] == "endblock":
            skipping -= 1
        if token_type == "data" and skipping:
            continue
        if token_type == "data":
            piece = value
        elif previous == "data" or previous is None:
            piece = EXPRESSION  # one marker for the whole tag, however many tokens it has
        else:
            piece = ""
        previous = "data" if token_type == "data" else "code"
        if piece:
            starts.append((offset, lineno))
            pieces.append(piece)
            offset += len(piece)
    return "".join(pieces), starts


def has_words(text):
    text = ALLOWED.sub("", text)
    return any(ch.isalpha() for ch in text)


class Finder(html.parser.HTMLParser):
    def __init__(self, text, starts):
        super().__init__(convert_charrefs=True)
        self.text, self.starts, self.open, self.found = text, starts, [], []
        self.line_offsets = [0] + [m.end() for m in re.finditer("\n", text)]

    def source_line(self, skipped=""):
        line, col = self.getpos()
        line, col = (line + skipped.count("\n"), len(skipped.rsplit("\n", 1)[-1])) if "\n" in skipped else (line, col)
        offset = self.line_offsets[line - 1] + col
        i = bisect_right([o for o, _ in self.starts], offset) - 1
        piece_offset, lineno = self.starts[max(i, 0)]
        return lineno + self.text.count("\n", piece_offset, offset)

    def report(self, what, text, skipped=""):
        self.found.append((self.source_line(skipped), what, " ".join(text.strip(EXPRESSION).replace(EXPRESSION, "{…}").split())))

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for attr, value in attrs:
            visible = attr in VISIBLE_ATTRIBUTES or (
                attr == "value" and tag in {"input", "button"} and (values.get("type") or "").lower() in BUTTON_INPUTS)
            if visible and value and has_words(value):
                self.report(f"<{tag} {attr}>", value)
        if tag not in {"br", "input", "img", "meta", "link", "hr", "source", "wbr"}:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if self.open and self.open[-1] == tag:
            self.open.pop()

    def handle_endtag(self, tag):
        if tag in self.open:
            while self.open and self.open.pop() != tag:
                pass

    def handle_data(self, data):
        if not data.strip() or IGNORED_ELEMENTS & set(self.open) or LITERAL_ELEMENTS & set(self.open):
            return
        if self.open and self.open[-1] == "kbd" and KEY_CAP.match(data.strip()):
            return
        if has_words(data.replace(EXPRESSION, " ")):
            self.report("text", data, skipped=data[:len(data) - len(data.lstrip(EXPRESSION + " \t\r\n"))])


def untranslated(env, name, root=TEMPLATES):
    text, starts = literal_text(env, name, root)
    finder = Finder(text, starts)
    finder.feed(text)
    finder.close()
    return finder.found


@pytest.mark.parametrize("name", template_names())
def test_no_visible_text_outside_translation_calls(app, name):
    found = untranslated(app.jinja_env, name)
    assert not found, "untranslated text:\n" + "\n".join(
        f"app/templates/{name}:{line}: {what}: {text!r}" for line, what, text in found)


def test_the_check_finds_what_it_should(app, tmp_path):
    """The checker itself: bare text and attributes are caught with their line; translated, brand, key caps,
    code and scripts are not."""
    (tmp_path / "probe.html").write_text(
        '<p>{{ _("Fine") }} · Carebox</p>\n'
        '<p title="Hover me">{{ x }}</p>\n'
        '<button aria-label="{{ _(\'Close\') }}"><kbd>Esc</kbd></button>\n'
        '<input type="submit" value="Send">\n'
        '<script>const words = "not prose";</script><code>webhook-id</code>\n'
        '<p>{% if x %}\n  Bare {{ y }} words{% endif %}</p>\n', encoding="utf-8")
    found = untranslated(app.jinja_env, "probe.html", root=tmp_path)
    assert [(line, what) for line, what, _ in found] == [(2, "<p title>"), (4, "<input value>"), (7, "text")]
    assert found[2][2] == "Bare {…} words"
