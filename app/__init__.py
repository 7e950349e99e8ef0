"""Carebox: a social-media customer-care inbox.

`create_app()` builds the Flask application; it starts no threads. The
worker and the sandbox are started explicitly by `flask worker`,
`flask sandbox` or the all-in-one `flask demo` (see app/cli).
"""
import os
from pathlib import Path

from flask import Flask

from config import BASE_DIR, Config


def create_app(config=None):
    app = Flask(
        __name__,
        instance_path=str(BASE_DIR / "instance"),
        static_folder=str(BASE_DIR / "static"),
        template_folder="templates",
    )
    app.config.from_object(config or Config)
    os.makedirs(app.instance_path, exist_ok=True)
    _load_instance_secrets(app)
    from app import database, events, group_commit, ops
    from app.extensions import csrf, db, login_manager, migrate, socketio

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    ops.init_app(app)  # request ids, metrics and health checks first: they see every request
    login_manager.init_app(app)
    from app import auth

    auth.init_app(app)  # before CSRF: anonymous callers hear "sign in", not "bad form"
    csrf.init_app(app)
    from app import i18n

    i18n.init_app(app)  # each request's language and time zone; the front-end's catalogue
    socketio.init_app(
        app,
        async_mode=app.config["CAREBOX_ASYNC_MODE"],
        client_manager=_message_queue(app.config["REDIS_URL"], app.config["CAREBOX_SOCKETIO_CHANNEL"]),
        cors_allowed_origins=app.config.get("CAREBOX_CORS_ORIGINS"),
        logger=False,
        engineio_logger=False,
    )
    events.init_app(app)
    group_commit.init_app(app)

    from app import api, cli, errors, inbox, realtime

    errors.init_app(app)
    from app import security

    security.init_app(app)  # body size limit, security headers
    app.register_blueprint(auth.bp)
    app.register_blueprint(inbox.bp)
    from app import workflow

    app.register_blueprint(workflow.bp)  # manager pages: canned responses, auto-assignment
    from app import dashboard

    app.register_blueprint(dashboard.bp)  # manager pages: SLA dashboard, reports, SLA policies
    api.init_app(app)
    realtime.init_app(app)
    from app import admin, push

    app.register_blueprint(admin.bp)  # admin pages: API tokens, users, webhooks
    app.register_blueprint(push.bp)  # push receivers authenticated by signature (Facebook)
    cli.init_app(app)
    return app


def _message_queue(redis_url, channel):
    """Socket.IO between processes through Redis (none in the one-process default).

    With Redis down, each node still serves its own clients (python-socketio delivers locally
    before publishing); short timeouts keep emits from hanging meanwhile.
    """
    if not redis_url:
        return None
    from app.realtime.queue import RedisQueue

    return RedisQueue(redis_url, channel)


def _load_instance_secrets(app):
    """Zero-setup mode: keep generated secrets in instance/ so restarts keep sessions and credentials.

    Deployments with several processes must set SECRET_KEY and CAREBOX_ENCRYPTION_KEY instead.
    """
    from app.crypto import generate_key

    for name, make in (("SECRET_KEY", lambda: os.urandom(32).hex()), ("CAREBOX_ENCRYPTION_KEY", generate_key)):
        if app.config.get(name):
            continue
        path = Path(app.instance_path) / name.lower()
        if not path.exists():
            path.write_text(make())
            path.chmod(0o600)
            app.logger.warning("%s not set: generated one in %s", name, path)
        app.config[name] = path.read_text().strip()
