"""Authentication (session login, Bearer tokens) and authorization (roles, scopes).

Deny by default: every endpoint needs a signed-in user or a valid token
unless its view is marked with @public. Role and scope checks sit on top.
"""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import account, views  # noqa: E402,F401
from app.auth.guard import init_app, public, role_required  # noqa: E402,F401
