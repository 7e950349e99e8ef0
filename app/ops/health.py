"""/healthz: the process is alive. /readyz: it can serve (database, and Redis when configured, reachable).

Load balancers take a node out of rotation on a failing /readyz and put it back when it passes.
Both are public and reveal nothing but up/down per dependency.
"""
import sqlalchemy as sa
from flask import current_app, jsonify

from app.auth.guard import public
from app.extensions import db
from app.ops import bp


@bp.get("/healthz")
@public
def healthz():
    return {"status": "ok"}


def check_database():
    try:
        db.session.execute(sa.text("SELECT 1"))
        db.session.rollback()
        return "ok"
    except Exception:
        db.session.rollback()
        return "unreachable"


def check_redis(url):
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
        return "ok"
    except Exception:
        return "unreachable"


@bp.get("/readyz")
@public
def readyz():
    checks = {"database": check_database()}
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        # Without Redis this node still serves its own clients; it just cannot reach the others.
        checks["redis"] = check_redis(redis_url)
    ready = checks["database"] == "ok"
    body = {"status": "ready" if ready else "not ready", "checks": checks,
            "degraded": any(v != "ok" for v in checks.values())}
    return jsonify(body), 200 if ready else 503
