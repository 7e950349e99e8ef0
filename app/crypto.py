"""Secrets at rest: account credentials are Fernet-encrypted with CAREBOX_ENCRYPTION_KEY.

The variable may hold several comma-separated keys: the first encrypts, all
decrypt, so a key can be rotated without downtime (`MultiFernet`).
"""
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class CredentialsError(Exception):
    """Stored credentials cannot be decrypted (wrong or rotated-away key)."""


def _fernet():
    keys = [k.strip() for k in current_app.config["CAREBOX_ENCRYPTION_KEY"].split(",") if k.strip()]
    return MultiFernet([Fernet(k.encode()) for k in keys])


def encrypt_json(value):
    return _fernet().encrypt(json.dumps(value, sort_keys=True).encode()).decode()


def decrypt_json(token):
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise CredentialsError("stored credentials cannot be decrypted with CAREBOX_ENCRYPTION_KEY") from exc


def generate_key():
    return Fernet.generate_key().decode()
