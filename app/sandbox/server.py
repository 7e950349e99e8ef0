"""`SandboxServer`: serve a sandbox app over real HTTP from a background thread."""
import threading

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from app.sandbox.factory import create_sandbox_app


class QuietRequestHandler(WSGIRequestHandler):
    """No access log line per request: pollers would flood the console."""

    def log_request(self, *args, **kwargs):
        pass


class SandboxServer:
    """SandboxServer(app_or_settings=None, host="127.0.0.1", port=0): port 0 picks a free port.

    `.start()` serves in a daemon thread (and starts the traffic generator when its rate
    is above 0), `.url` is the base URL to give accounts as api_base_url, `.network` is the
    in-memory state for in-process inspection, `.stop()` shuts everything down.
    """

    def __init__(self, app_or_settings=None, host="127.0.0.1", port=0):
        self.app = app_or_settings if isinstance(app_or_settings, Flask) else create_sandbox_app(app_or_settings)
        self.host = host
        self.port = port
        self._server = None
        self._thread = None

    @property
    def network(self):
        return self.app.extensions["sandbox"].network

    @property
    def traffic(self):
        return self.app.extensions["sandbox"].traffic

    @property
    def url(self):
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def start(self):
        self._server = make_server(self.host, self.port, self.app, threaded=True,
                                   request_handler=QuietRequestHandler)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="sandbox-http", daemon=True)
        self._thread.start()
        if self.traffic.enabled:
            self.traffic.start()
        return self

    def stop(self):
        self.traffic.stop()
        self.network.push.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
