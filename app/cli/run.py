"""Long-running roles: flask worker, flask sandbox, and the all-in-one flask demo."""
import signal
import threading

import click
from flask import current_app
from flask.cli import with_appcontext


def wait_for_signal():
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(1):
        pass


@click.command("worker")
@click.option("--threads", type=int, default=None,
              help="Polls that may run at once (default CAREBOX_POLL_THREADS, 32).")
@click.option("--metrics-port", type=int, default=None, help="Serve Prometheus metrics on this port.")
@click.option("--metrics-host", default="127.0.0.1", show_default=True,
              help="Address for --metrics-port (callers need CAREBOX_METRICS_TOKEN, see README).")
@with_appcontext
def worker(threads, metrics_port, metrics_host):
    """Run the worker role: pollers and timers. Any number may run side by side."""
    from app.worker import Worker, tune_worker_process

    if metrics_port:
        from app.ops.metrics import serve_metrics

        serve_metrics(current_app.config, metrics_host, metrics_port)

    tune_worker_process()
    w = Worker(current_app._get_current_object(), threads=threads).start()
    click.echo(f"worker {w.owner} running; Ctrl+C to stop")
    try:
        wait_for_signal()
    finally:
        w.shutdown()


@click.command("sandbox")
@click.option("--host", default=None, help="Default: CAREBOX_SANDBOX_HOST (127.0.0.1).")
@click.option("--port", default=None, type=int, help="Default: CAREBOX_SANDBOX_PORT (5001).")
@click.option("--rate", default=None, type=float, help="Customer posts per minute (default CAREBOX_SANDBOX_RATE).")
@with_appcontext
def sandbox(host, port, rate):
    """Run the sandbox network alone (the X and Graph API emulator with its traffic generator)."""
    server = start_sandbox(host, port, rate)
    click.echo(f"sandbox network on {server.url} (timeline at {server.url}/_sandbox/); Ctrl+C to stop")
    try:
        wait_for_signal()
    finally:
        server.stop()


def start_sandbox(host=None, port=None, rate=None):
    from app.sandbox import SandboxServer

    cfg = current_app.config
    settings = {"traffic_rate": cfg["CAREBOX_SANDBOX_RATE"] if rate is None else rate,
                "traffic_wave_rate": cfg["CAREBOX_SANDBOX_WAVES_PER_HOUR"]}
    server = SandboxServer(settings, host=host or cfg["CAREBOX_SANDBOX_HOST"], port=port or cfg["CAREBOX_SANDBOX_PORT"])
    server.start()
    return server


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--rate", default=None, type=float, help="Sandbox customer posts per minute.")
@click.option("--no-serve", is_flag=True, help="Only create the demo users and accounts, then exit.")
@with_appcontext
def demo(host, port, rate, no_serve):
    """Zero-setup demo: demo users, sandbox accounts (X, a Facebook Page, Instagram), then web + worker + sandbox
    in one process."""
    from app.demo import remember_demo_customers, seed_demo

    app = current_app._get_current_object()
    sandbox_url = f"http://{app.config['CAREBOX_SANDBOX_HOST']}:{app.config['CAREBOX_SANDBOX_PORT']}"
    # The sandbox serves the demo media's pictures itself: the inbox may show them.
    app.config["CAREBOX_IMAGE_SOURCES"] = " ".join(filter(None, [app.config.get("CAREBOX_IMAGE_SOURCES"), sandbox_url]))
    logins = seed_demo(sandbox_url)
    click.echo("")
    click.echo("Carebox demo logins (also in instance/demo-logins.txt):")
    for email, role, password in logins:
        click.echo(f"  {role:8} {email:28} {password}")
    if no_serve:
        return
    from werkzeug.serving import run_simple

    from app.worker import Worker

    server = start_sandbox(rate=rate)
    remember_demo_customers(server.network)  # the demo's private conversations can be answered
    # A queue with some history: posts from the last 80 minutes, some past the SLA warning and breach.
    server.traffic.backlog([78, 64, 47, 41, 33, 22, 14, 9, 4, 1])
    _subscribe_facebook_push(app, server, host, port)
    w = Worker(app).start()
    click.echo(f"\nInbox:   http://{host}:{port}/   (sign in with a login above)")
    click.echo(f"Sandbox: {server.url}/_sandbox/   (the emulated networks: posts and your replies)\n")
    try:
        # Werkzeug's threaded server carries Flask-SocketIO's websockets (threading mode, simple-websocket).
        # One process, no reloader: the worker and the sandbox must start exactly once.
        from app.logs import redacting_request_handler

        run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False,
                   request_handler=redacting_request_handler())
    finally:
        w.shutdown()
        server.stop()


def _subscribe_facebook_push(app, server, host, port):
    """The sandbox pushes the demo page's comments to /hooks/facebook, as Facebook would (polling stays the safety net)."""
    import secrets

    from app.sandbox import DEMO_FACEBOOK

    token = app.config.get("CAREBOX_FACEBOOK_VERIFY_TOKEN") or secrets.token_urlsafe(16)
    app.config["CAREBOX_FACEBOOK_VERIFY_TOKEN"] = token
    callback_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    server.network.push.subscribe(DEMO_FACEBOOK["page_id"], f"http://{callback_host}:{port}/hooks/facebook", token)
