"""Operations: health checks for load balancers, Prometheus metrics, structured logs."""
from flask import Blueprint

bp = Blueprint("ops", __name__)

from app.ops import health  # noqa: E402,F401  (routes)


def init_app(app):
    from app.ops import logs, metrics

    logs.init_app(app)
    metrics.init_app(app)
    app.register_blueprint(bp)
