"""neutralize_bidi() for names and handles, and the `isolate` template filter for pages."""
import pytest

from app.text_safety import BIDI_CONTROLS, isolate, neutralize_bidi
from tests.conftest import login

RLO = "\u202e"


@pytest.mark.parametrize("raw,shown", [
    (f"{RLO}gnp.exe", "gnp.exe"),
    ("acme\u202dsupport\u202c", "acmesupport"),
    ("\u202aA\u202bB\u2066C\u2067D\u2068E\u2069", "ABCDE"),
    ("مرحبا\u200fبكم\u200e\u061c", "مرحبا\u200fبكم\u200e\u061c"),  # marks are not overrides: kept
    ("Zoë 👩‍👩‍👧 Ünal", "Zoë 👩‍👩‍👧 Ünal"),
    ("", ""),
    (None, None),
])
def test_neutralize_bidi(raw, shown):
    assert neutralize_bidi(raw) == shown


def test_every_embedding_override_and_isolate_control_goes():
    controls = [chr(c) for c in range(0x202A, 0x202F)] + [chr(c) for c in range(0x2066, 0x206A)]
    assert sorted(BIDI_CONTROLS) == controls
    assert neutralize_bidi("x".join(controls)) == "x" * (len(controls) - 1)
    assert neutralize_bidi(neutralize_bidi(f"a{RLO}b")) == "ab"


def test_isolate_escapes_and_isolates():
    assert str(isolate(f'<img src=x onerror=alert(1)>{RLO}Eve')) == "<bdi>&lt;img src=x onerror=alert(1)&gt;Eve</bdi>"
    assert str(isolate(None)) == "<bdi></bdi>"


def test_admin_pages_isolate_names(client, make_user):
    admin = make_user("admin")
    make_user("agent", name=f"<b>x</b>{RLO}nimda")
    login(client, admin)
    page = client.get("/admin/users").get_data(as_text=True)
    assert "<bdi>&lt;b&gt;x&lt;/b&gt;nimda</bdi>" in page
    assert RLO not in page
