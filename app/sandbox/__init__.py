"""The sandbox network: a local emulator of the X API v2 and Facebook Graph API slices (Facebook, Messenger, Instagram) Carebox uses.

    server = SandboxServer({"traffic_rate": 6}).start()
    server.url          # give accounts this api_base_url
    server.network      # the in-memory state (inject_tweet, inject_comment, replies, add_fault…)
    server.stop()

DEMO_X, DEMO_FACEBOOK and DEMO_INSTAGRAM are the credentials of the seeded brand accounts.
"""
from app.sandbox.demo_accounts import DEMO_FACEBOOK, DEMO_INSTAGRAM, DEMO_X
from app.sandbox.factory import create_sandbox_app
from app.sandbox.network import SandboxNetwork
from app.sandbox.server import SandboxServer
from app.sandbox.settings import DEFAULT_SETTINGS

__all__ = ["DEMO_FACEBOOK", "DEMO_INSTAGRAM", "DEMO_X", "DEFAULT_SETTINGS", "SandboxNetwork", "SandboxServer", "create_sandbox_app"]
