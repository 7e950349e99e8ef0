"""Operations: health checks for load balancers, the Prometheus endpoint, request ids in the logs."""
from flask import Blueprint

from app import logs

bp = Blueprint("ops", __name__)

from app.ops import health, metrics  # noqa: E402,F401  (routes)


def init_app(app):
    logs.init_app(app)
    metrics.init_app(app)
    app.register_blueprint(bp)
