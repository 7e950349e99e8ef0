"""Demo data for `flask demo`: staff logins and two accounts connected to the sandbox network."""
import json
import os
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.accounts import CREDENTIAL_KEYS, create_account, find_user_by_email
from app.extensions import db
from app.models import SocialAccount
from app.sandbox import DEMO_FACEBOOK, DEMO_X
from app.users import create_user, generate_password

DEMO_USERS = (
    ("admin@carebox.local", "admin", "Ada Admin"),
    ("manager@carebox.local", "manager", "Max Manager"),
    ("agent1@carebox.local", "agent", "Alex Agent"),
    ("agent2@carebox.local", "agent", "Sam Agent"),
)


def seed_demo(sandbox_url):
    """Idempotent. Returns [(email, role, password)] for the console."""
    logins = _seed_users()
    _seed_accounts(sandbox_url)
    db.session.commit()
    return logins


def _logins_file():
    return Path(current_app.instance_path) / "demo-logins.txt"


def _seed_users():
    path = _logins_file()
    saved = json.loads(path.read_text()) if path.exists() else {}
    logins = []
    for email, role, name in DEMO_USERS:
        password = saved.get(email)
        user = find_user_by_email(db.session, email)
        if user is None:
            password = password or generate_password()
            create_user(db.session, email=email, role=role, name=name, password=password)
        elif password is None or not user.check_password(password):
            password = generate_password()  # the saved one is gone or was changed: issue a fresh one
            user.set_password(password)
        saved[email] = password
        logins.append((email, role, password))
    path.write_text(json.dumps(saved, indent=2))
    os.chmod(path, 0o600)
    return logins


def _seed_accounts(sandbox_url):
    wanted = (
        ("twitter", "Carebox Demo on X", DEMO_X),
        ("facebook", "Carebox Demo Page", DEMO_FACEBOOK),
    )
    for network, name, creds in wanted:
        existing = db.session.execute(
            sa.select(SocialAccount).where(SocialAccount.network == network, SocialAccount.name == name)
        ).scalar_one_or_none()
        credentials = {k: v for k, v in creds.items() if k in _credential_keys(network)}
        if existing is None:
            create_account(db.session, network=network, name=name, api_base_url=sandbox_url, credentials=credentials)
        elif existing.api_base_url != sandbox_url:
            existing.api_base_url = sandbox_url


def _credential_keys(network):
    return CREDENTIAL_KEYS[network]
