"""`create_sandbox_app()`: the sandbox network as a standalone Flask app (not Carebox's app)."""
from types import SimpleNamespace

from flask import Flask

from app.sandbox import (  # noqa: F401 (x_dms, x_moderation, instagram_control add routes to their blueprints)
    control,
    graph_api,
    instagram_control,
    twitter_api,
    x_dms,
    x_moderation,
)
from app.sandbox.hooks import finish_api_request
from app.sandbox.network import SandboxNetwork
from app.sandbox.traffic import TrafficGenerator


def create_sandbox_app(settings=None):
    """The emulated X API v2 and Graph API, control endpoints under /_sandbox/, and a traffic generator.

    `settings` overrides app.sandbox.settings.DEFAULT_SETTINGS (nested dicts merge). Nothing
    runs until a SandboxServer starts the app; the generator starts with the server when
    settings["traffic_rate"] > 0.
    """
    app = Flask(__name__, template_folder="templates")
    app.json.ensure_ascii = False  # UTF-8 like the real APIs
    app.json.sort_keys = False  # keep the networks' field order
    network = SandboxNetwork(settings)
    traffic = TrafficGenerator(network, rate=network.settings["traffic_rate"], seed=network.settings["traffic_seed"])
    app.extensions["sandbox"] = SimpleNamespace(network=network, traffic=traffic)
    app.register_blueprint(twitter_api.bp)
    app.register_blueprint(graph_api.bp)
    app.register_blueprint(control.bp)
    app.teardown_request(finish_api_request)
    return app
