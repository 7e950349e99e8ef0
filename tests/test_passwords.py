"""One password rule everywhere a password is set: length bounds, zxcvbn strength, common and personal passwords."""
import re

import pytest

from app.passwords import MAX_LENGTH, MIN_LENGTH, generate_password, password_problem
from tests.conftest import login


@pytest.mark.parametrize("password, says", [
    ("x" * (MIN_LENGTH - 1), f"at least {MIN_LENGTH} characters"),
    ("violet lantern " * 5, f"at most {MAX_LENGTH} characters"),
    ("password1234", "most common passwords"),
    ("qwertyuiop12", "most common passwords"),
    ("Ana.Smith.2024", "too close to your e-mail address or name"),
    ("nope nope nope", "too easy to guess"),
])
def test_weak_passwords_are_refused_with_the_reason(password, says):
    assert says in password_problem(password, email="ana.smith@example.test", name="Ana Smith")


@pytest.mark.parametrize("password", ["violet lantern orbit", "correct horse battery", "Tr0ub4dor&3x-lake"])
def test_strong_passwords_pass(password):
    assert password_problem(password, email="ana.smith@example.test", name="Ana Smith") is None


def test_generated_passwords_pass_the_rule():
    assert all(password_problem(generate_password()) is None for _ in range(20))


def test_demo_logins_pass_the_rule_and_sign_in(app, db, tmp_path, monkeypatch):
    from app.demo import seed_demo

    monkeypatch.setattr(app, "instance_path", str(tmp_path))  # demo-logins.txt goes there
    logins = seed_demo("http://127.0.0.1:5999")
    assert len(logins) == 4
    for email, _role, password in logins:
        assert password_problem(password, email=email) is None, email
        login(app.test_client(), type("U", (), {"email": email})(), password=password)


def test_admin_page_refuses_a_weak_password_on_the_password_field(app, make_user):
    client = app.test_client()
    login(client, make_user("admin"))
    html = client.get("/admin/users").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    resp = client.post("/admin/users", data={"email": "new@example.test", "role": "agent", "password": "password1234",
                                             "csrf_token": csrf})
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    field = page[page.index('name="password"'):]
    assert "most common passwords" in field[:600]  # shown under the password field
