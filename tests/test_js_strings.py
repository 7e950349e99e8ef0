"""Every string the front-end shows goes through the `js` catalogue: a heuristic scan of static/js.

A string literal that reaches the page as text (assigned to .textContent, .title, .placeholder, .ariaLabel,
.innerText; set as an aria-label, title, placeholder or alt attribute; handed to the element helpers as
text or as a child; appended as a text node; shown by alert()/confirm()) must be inside _(), gettext(),
ngettext(), pgettext() or npgettext(). Literals without a letter ("—", " · ", "@", digits) are not language, nor is one letter alone (a key
of a keyboard shortcut, title: "e"), nor a literal compared with (mode === "note" ? …).
Class names, data keys and options are not text: only the text positions above are looked at, and
strings inside other calls or object literals in those positions are left alone (they are arguments,
not the text). A line that really must show a fixed word says so with `// i18n-ok: why`.

The two element helpers (see static/js): static/js/sla_format.js el(tag, cls, text), and
static/js/inbox/text.js el(tag, {text, title, "aria-label", placeholder, …}, ...children).
"""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / "static" / "js"
EXCLUDED = {JS / "i18n.js", JS / "inbox" / "i18n.js"}
EXCLUDED_DIRS = ("vendor", "node_modules")

I18N_CALLS = {"_", "gettext", "ngettext", "pgettext", "npgettext"}
TEXT_PROPERTIES = {"textContent", "innerText", "title", "placeholder", "ariaLabel", "alt"}
TEXT_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "aria-description", "aria-roledescription"}
TEXT_KEYS = {"text", "title", "placeholder", "alt", "aria-label", "ariaLabel"}
CHILD_CALLS = {"append", "prepend", "replaceChildren", "before", "after", "createTextNode", "alert", "confirm"}
ELEMENT_HELPERS = {"el", "h"}
COMPARISONS = {"===", "!==", "==", "!=", "<", ">", "<=", ">=", "case", "in"}
LETTER = re.compile(r"[^\W\d_]")
ALLOWED = {"Carebox"}  # the product's name is not translated
KEYWORDS_BEFORE_REGEX = {"return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void", "throw",
                         "yield", "await", "instanceof"}


class Token:
    __slots__ = ("kind", "value", "line", "parts")

    def __init__(self, kind, value, line, parts=None):
        self.kind, self.value, self.line, self.parts = kind, value, line, parts

    def __repr__(self):
        return f"Token({self.kind}, {self.value!r}, {self.line})"


OPERATORS = ("===", "!==", "==", "!=", "=>", "<=", ">=", "&&", "||", "??", "...", "?.")


class Lexer:
    """Names, punctuation, strings ("…", '…') and templates (`…`, static parts only) with their line;
    comments and regular expressions are skipped. The code inside a template's ${…} is tokenized between
    a "(" and a ")", so that it reads as a nested call: it is code, not the text."""

    def __init__(self, source):
        self.source, self.i, self.line, self.n = source, 0, 1, len(source)
        self.tokens, self.braces = [], []  # braces: for each "{" open, is it a template's "${"?

    def push(self, kind, value, line=None):
        self.tokens.append(Token(kind, value, self.line if line is None else line))

    def prev(self):
        return self.tokens[-1] if self.tokens else None

    def run(self):
        src = self.source
        while self.i < self.n:
            c = src[self.i]
            if c.isspace():
                self.line += c == "\n"
                self.i += 1
            elif src.startswith("//", self.i) or src.startswith("/*", self.i):
                self.comment()
            elif c in "\"'":
                self.string(c)
            elif c == "`":
                self.i += 1
                self.template()
            elif c == "/" and self.regex_allowed():
                self.regex()
            elif c.isalnum() or c in "_$":
                self.word()
            else:
                self.punct(c)
        return self.tokens

    def comment(self):
        close = "\n" if self.source.startswith("//", self.i) else "*/"
        end = self.source.find(close, self.i + 2)
        end = self.n if end < 0 else end + (0 if close == "\n" else 2)
        self.line += self.source.count("\n", self.i, end)
        self.i = end

    def string(self, quote):
        j = self.i + 1
        while j < self.n and self.source[j] != quote:
            j += 2 if self.source[j] == "\\" else 1
        self.push("string", self.source[self.i + 1:j])
        self.i = j + 1

    def template(self):
        """From just after a ` (or a ${…}'s closing }) to the next ${ or the closing `."""
        j, start_line, src = self.i, self.line, self.source
        while j < self.n and src[j] != "`" and not src.startswith("${", j):
            self.line += src[j] == "\n"
            j += 2 if src[j] == "\\" else 1
        self.push("template", src[self.i:j], start_line)
        if src.startswith("${", j):
            self.braces.append(True)
            self.push("punct", "(")
            self.i = j + 2
        else:
            self.i = j + 1

    def regex_allowed(self):
        prev = self.prev()
        if prev is None:
            return True
        if prev.kind == "punct":
            return prev.value not in (")", "]")
        return prev.kind == "name" and prev.value in KEYWORDS_BEFORE_REGEX

    def regex(self):
        j, in_class, src = self.i + 1, False, self.source
        while j < self.n and src[j] != "\n" and (in_class or src[j] != "/"):
            if src[j] == "\\":
                j += 1
            elif src[j] in "[]":
                in_class = src[j] == "["
            j += 1
        j += 1
        while j < self.n and src[j].isalnum():
            j += 1
        self.push("regex", src[self.i:j])
        self.i = j

    def word(self):
        j, number = self.i, self.source[self.i].isdigit()
        also = "_$." if number else "_$"
        while j < self.n and (self.source[j].isalnum() or self.source[j] in also):
            j += 1
        self.push("number" if number else "name", self.source[self.i:j])
        self.i = j

    def punct(self, c):
        if c == "{":
            self.braces.append(False)
        elif c == "}" and self.braces and self.braces.pop():  # the end of a ${…}: the template goes on
            self.push("punct", ")")
            self.i += 1
            self.template()
            return
        op = next((o for o in OPERATORS if self.source.startswith(o, self.i)), c)
        self.push("punct", op)
        self.i += len(op)


def tokenize(source):
    return Lexer(source).run()


def _matching(tokens, open_index):
    pairs = {"(": ")", "[": "]", "{": "}"}
    depth, close = 0, pairs[tokens[open_index].value]
    opener = tokens[open_index].value
    for k in range(open_index, len(tokens)):
        t = tokens[k]
        if t.kind == "punct" and t.value == opener:
            depth += 1
        elif t.kind == "punct" and t.value == close:
            depth -= 1
            if depth == 0:
                return k
    return len(tokens) - 1


def _split_arguments(tokens, open_index):
    """[(start, end)] token ranges (end exclusive) of a call's arguments."""
    close = _matching(tokens, open_index)
    args, start, depth = [], open_index + 1, 0
    for k in range(open_index + 1, close):
        t = tokens[k]
        if t.kind == "punct" and t.value in "([{":
            depth += 1
        elif t.kind == "punct" and t.value in ")]}":
            depth -= 1
        elif t.kind == "punct" and t.value == "," and depth == 0:
            args.append((start, k))
            start = k + 1
    if start < close:
        args.append((start, close))
    return args


def _is_call(tokens, k):
    """Is the bracket at k a call's "(" (after a name, ")" or "]") rather than grouping?"""
    if tokens[k].value != "(" or k == 0:
        return False
    before = tokens[k - 1]
    return (before.kind == "name" and before.value not in KEYWORDS_BEFORE_REGEX | {"if", "while", "for", "switch"}) \
        or (before.kind == "punct" and before.value in (")", "]")) or before.kind == "template"


def _text_strings(tokens, start, end):
    """The literals that are the text itself in tokens[start:end]: not inside a call or an object literal
    (grouping parentheses, arrays, ternaries and + concatenation are looked through)."""
    found, k = [], start
    while k < end:
        t = tokens[k]
        if t.kind in ("string", "template"):
            around = {tokens[k - 1].value, tokens[k + 1].value if k + 1 < len(tokens) else ""}
            if not around & COMPARISONS:  # mode === "note" ? … : …  compares, it does not show
                found.append(t)
        elif t.kind == "punct" and (t.value == "{" or (t.value == "(" and _is_call(tokens, k))):
            k = _matching(tokens, k)
        elif t.kind == "punct" and t.value == "[" and k > 0 and tokens[k - 1].kind in ("name", "string") \
                or (t.kind == "punct" and t.value == "[" and tokens[k - 1].value in (")", "]")):
            k = _matching(tokens, k)  # an index, not an array
        k += 1
    return found


def _assignment_end(tokens, j):
    """Where the expression starting at j ends: a ; or , at its own depth, or a bracket closing it."""
    depth = 0
    for end in range(j, len(tokens)):
        v = tokens[end]
        if v.kind != "punct":
            continue
        if v.value in "([{":
            depth += 1
        elif v.value in ")]}":
            if depth == 0:
                return end
            depth -= 1
        elif v.value in (";", ",") and depth == 0:
            return end
    return len(tokens)


def _property_region(tokens, k):
    """node.textContent = …  /  node.title += …  -> the right-hand side, or None."""
    t = tokens[k]
    if t.kind != "name" or t.value not in TEXT_PROPERTIES or k == 0 or tokens[k - 1].value not in (".", "?."):
        return None
    after = [v.value for v in tokens[k + 1:k + 3]]
    if after[:1] == ["="]:
        start = k + 2
    elif after == ["+", "="]:
        start = k + 3
    else:
        return None
    return start, _assignment_end(tokens, start), "." + t.value


def _call_regions(tokens, k):
    """The text arguments of a call at tokens[k]: setAttribute("title", …), append(…), el(…, …)."""
    name, before = tokens[k].value, tokens[k - 1].value if k else ""
    args = _split_arguments(tokens, k + 1)
    method = before in (".", "?.")
    if name == "setAttribute" and len(args) == 2:
        first = tokens[args[0][0]]
        if first.kind == "string" and first.value in TEXT_ATTRIBUTES:
            yield args[1][0], args[1][1], f'setAttribute("{first.value}")'
    elif name in CHILD_CALLS and (method or name in ("alert", "confirm")):
        for a, b in args:
            yield a, b, name + "()"
    elif name in ELEMENT_HELPERS and not method and len(args) >= 2:
        if tokens[args[1][0]].value == "{":  # el(tag, {text, title, …}, ...children)
            yield from _object_text_values(tokens, args[1][0], name)
            for a, b in args[2:]:
                yield a, b, name + "() child"
        elif len(args) >= 3:  # el(tag, cls, text)
            yield args[2][0], args[2][1], name + "() text"


def _regions(tokens):
    """(start, end, what) token ranges whose literals are shown as text."""
    for k, t in enumerate(tokens):
        region = _property_region(tokens, k)
        if region:
            yield region
        if t.kind == "name" and k + 1 < len(tokens) and tokens[k + 1].value == "(":
            yield from _call_regions(tokens, k)


def _object_text_values(tokens, open_index, helper):
    for a, b in _split_arguments(tokens, open_index):
        key = tokens[a]
        if b - a >= 3 and tokens[a + 1].value == ":" and key.kind in ("name", "string") and key.value in TEXT_KEYS:
            yield a + 2, b, f"{helper}() {key.value}:"


def _inside_i18n_call(tokens):
    """For each token index: is it inside the arguments of _(), ngettext(), pgettext()…?"""
    inside, stack = [False] * len(tokens), []
    for k, t in enumerate(tokens):
        if t.kind == "punct" and t.value in "([{":
            is_i18n = t.value == "(" and k > 0 and tokens[k - 1].kind == "name" and tokens[k - 1].value in I18N_CALLS
            stack.append(is_i18n or (stack[-1] if stack else False))
        elif t.kind == "punct" and t.value in ")]}" and stack:
            stack.pop()
        inside[k] = bool(stack and stack[-1])
    return inside


def untranslated(source):
    """[(line, text, where)] of literals shown as text and not wrapped."""
    tokens = tokenize(source)
    inside = _inside_i18n_call(tokens)
    index = {id(t): k for k, t in enumerate(tokens)}
    lines = source.splitlines()
    found = {}
    for start, end, what in _regions(tokens):
        for t in _text_strings(tokens, start, end):
            word = t.value.strip()
            if inside[index[id(t)]] or not LETTER.search(word) or len(word) == 1 or word in ALLOWED:
                continue
            if "i18n-ok" in lines[t.line - 1]:
                continue
            found[(t.line, t.value)] = (t.line, t.value, what)
    return sorted(found.values())


def js_files():
    for path in sorted(JS.rglob("*.js")):
        if path in EXCLUDED or any(part in EXCLUDED_DIRS for part in path.parts) or path.name.endswith(".min.js"):
            continue
        yield path


@pytest.mark.parametrize("path", list(js_files()), ids=lambda p: str(p.relative_to(JS)))
def test_user_facing_strings_are_translated(path):
    found = untranslated(path.read_text(encoding="utf-8"))
    rel = path.relative_to(ROOT)
    assert not found, "strings shown without _():\n" + "\n".join(
        f"{rel}:{line}: {text!r} ({what})" for line, text, what in found)


# --- the scan itself ------------------------------------------------------------------------

def texts(source):
    return [text for _line, text, _what in untranslated(source)]


def test_scan_finds_literals_in_text_positions():
    source = """
    node.textContent = "Saved";
    node.title = ok ? "Fine" : "Broken";
    node.placeholder = `Search ${what}…`;
    node.setAttribute("aria-label", "Close");
    list.append("Replying to ", name);
    el("span", "muted", "push only");
    el("li", { class: "empty", text: "No notifications." }, "child text", ok ? el("b") : "fallback");
    window.confirm("Really?");
    """
    assert sorted(texts(source)) == sorted(["Saved", "Fine", "Broken", "Search ", "Close", "Replying to ", "push only",
                             "No notifications.", "child text", "fallback", "Really?"])


def test_scan_leaves_translated_and_non_language_strings_alone():
    source = """
    const { _, ngettext, pgettext } = window.CareboxI18n;
    node.textContent = _("Saved");
    node.title = ok ? _("Fine %(x)s", { x: fmt(v, { style: "unit" }) }) : pgettext("state", "Broken");
    node.textContent = ngettext("%(num)s item", "%(num)s items", n);
    node.textContent = a + " · " + b + " — " + 12;
    node.className = "risk sla-ok";
    node.setAttribute("data-x", "value");
    el("td", "num count-" + key, number(n));
    el("span", { class: "tag tag-spam", dataset: { kind: "spam" } }, fmt(x, "medium"));
    const re = /don't "match" me/g; node.textContent = x / 2;
    // node.textContent = "in a comment";
    node.textContent = "Carebox";
    node.setAttribute("aria-label", mode === "note" ? _("Private note") : _("Reply"));
    el("button", { text: _("Resolve"), title: "e" });
    node.textContent = "OK"; // i18n-ok: the product's word
    """
    assert texts(source) == []
