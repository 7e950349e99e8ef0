"""Prometheus metrics (prometheus-client).

Counters and gauges are declared in app/metrics.py and updated where things happen (polls, ingest,
sockets, webhooks); the SLA and webhook-backlog gauges are read from the database when /metrics is scraped. Each
process exposes its own: web nodes at /metrics, workers with `flask worker --metrics-port N`; who may
read them is decided in one place, scrape_allowed().
"""
import hmac
import ipaddress
import threading
import time

import sqlalchemy as sa
from flask import abort, current_app, g, has_app_context, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily
from werkzeug.datastructures import EnvironHeaders
from werkzeug.serving import make_server

from app.auth.guard import public
from app.extensions import db
from app.metrics import HTTP_REQUESTS, HTTP_SECONDS
from app.models import SlaClock, WebhookDelivery
from app.ops import bp


class DatabaseCollector:
    """SLA clocks by state and the webhook backlog, counted when scraped (cheap: partial indexes)."""

    def collect(self):
        if not has_app_context():
            return

        try:
            states = dict(db.session.execute(
                sa.select(SlaClock.state, sa.func.count()).where(SlaClock.stopped_at.is_(None)).group_by(SlaClock.state)
            ).all())
            backlog = db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)
                                        .where(WebhookDelivery.status == "pending"))
        except Exception:  # metrics must never break the scrape; the database gauges are just absent
            return
        finally:
            db.session.rollback()
        sla = GaugeMetricFamily("carebox_sla_clocks", "Running SLA clocks by state.", labels=["state"])
        for state in ("ok", "warning", "breached"):
            sla.add_metric([state], states.get(state, 0))
        yield sla
        yield GaugeMetricFamily("carebox_webhook_backlog", "Webhook deliveries waiting to be delivered.", value=backlog)


_collector = DatabaseCollector()


def scrape_allowed(config, remote_addr, authorization, proxied):
    """Who may read metrics, on the web role's /metrics and the worker's --metrics-port alike.

    With CAREBOX_METRICS_TOKEN set, only callers sending `Authorization: Bearer <it>`, wherever they are.
    Without one, loopback callers only if CAREBOX_METRICS_ALLOW_LOOPBACK is on, and never through a proxy:
    a reverse proxy on the same host makes every remote caller a loopback peer.
    """
    expected = config.get("CAREBOX_METRICS_TOKEN")
    if expected:
        scheme, _, given = (authorization or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected.encode())
    return bool(config.get("CAREBOX_METRICS_ALLOW_LOOPBACK")) and not proxied and _is_loopback(remote_addr)


def _is_loopback(addr):
    try:
        return ipaddress.ip_address(addr or "").is_loopback
    except ValueError:
        return False


def _proxied(headers):
    return any(headers.get(name) for name in ("X-Forwarded-For", "Forwarded", "X-Real-IP"))


@bp.get("/metrics")
@public
def metrics():
    if not scrape_allowed(current_app.config, request.remote_addr, request.headers.get("Authorization"),
                          _proxied(request.headers)):
        abort(403)
    return generate_latest(REGISTRY), 200, {"Content-Type": CONTENT_TYPE_LATEST}


def serve_metrics(config, host, port):
    """The worker's metrics endpoint (`flask worker --metrics-port`), under the same rule as /metrics."""

    exposition = make_wsgi_app(REGISTRY)

    def guarded(environ, start_response):
        if not scrape_allowed(config, environ.get("REMOTE_ADDR"), environ.get("HTTP_AUTHORIZATION"),
                              _proxied(EnvironHeaders(environ))):
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [b"forbidden\n"]
        return exposition(environ, start_response)

    server = make_server(host, port, guarded, threaded=True)
    threading.Thread(target=server.serve_forever, name="metrics-server", daemon=True).start()
    return server


def init_app(app):
    if _collector not in REGISTRY._collector_to_names:
        REGISTRY.register(_collector)

    @app.before_request
    def start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def count_request(response):
        endpoint = request.endpoint or "unknown"
        if endpoint != "ops.metrics" and "request_started" in g:
            HTTP_SECONDS.labels(endpoint).observe(time.perf_counter() - g.request_started)
            HTTP_REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
        return response
