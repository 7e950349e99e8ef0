"""The production WSGI app with a Server-Timing header, and a gunicorn node to serve it, for the benchmarks.

    gunicorn -c gunicorn.conf.py 'bench.server_timing:create_app()'

Every response gets `Server-Timing: app;dur=<ms>`: the time from the request reaching the Flask app to
the response headers being ready (routing, authentication, the view, serialisation and spectree's
validation; the body of a JSON response is built by then). Benchmarks read it to tell server time from
the HTTP round trip. The header is added here, outside the app, so production code stays as it is.
"""
import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


class ServerTiming:
    """WSGI middleware: time until the wrapped app calls start_response, as a Server-Timing header."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/socket.io"):
            return self.wsgi_app(environ, start_response)  # websockets hold on for minutes: not a request to time
        started = time.perf_counter()

        def timed_start_response(status, headers, exc_info=None):
            headers.append(("Server-Timing", f"app;dur={(time.perf_counter() - started) * 1000:.3f}"))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, timed_start_response)


def server_ms(response):
    """The app's own time for a response (ms), from its Server-Timing header."""
    header = response.headers["Server-Timing"]
    return float(header.split("dur=", 1)[1].split(";", 1)[0])


def percentile(values, q):
    """The q-th percentile (nearest rank) of `values`; NaN when there are none."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn_node(env, *, log_path, port=None, ready_path="/readyz", timeout=60):
    """A web node as production runs it (gunicorn -c gunicorn.conf.py), with Server-Timing; yields
    (base URL, Popen). `env` is the node's whole environment (DATABASE_URL, secrets, REDIS_URL…)."""
    import requests

    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [GUNICORN, "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}",
            "--control-socket", f"{log_path}.ctl",  # one per node (the default is one path per user)
            "bench.server_timing:create_app()"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(url + ready_path, timeout=5).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass  # still booting (a loaded machine may take longer than one answer's timeout)
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn on {url} did not become ready:\n{Path(log_path).read_text()[-3000:]}")
            time.sleep(0.1)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(timeout=10)


def worker_pid(gunicorn_proc):
    """gunicorn's worker process (the one serving requests and holding the sockets)."""
    import psutil

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        children = psutil.Process(gunicorn_proc.pid).children()
        if children:
            return children[0].pid
        time.sleep(0.1)
    raise SystemExit("gunicorn has no worker process")


def create_app():
    """The app of wsgi.py, its WSGI callable (Flask-SocketIO around Flask) wrapped in ServerTiming."""
    from wsgi import app

    app.wsgi_app = ServerTiming(app.wsgi_app)
    return app
