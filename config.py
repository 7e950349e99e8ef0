"""Environment-driven configuration (see ../shared/DESIGN.md, "Interfaces").

Every setting comes from an environment variable; a `.env` file next to this
module is read first if present. Defaults give the embedded, zero-setup mode:
SQLite under `instance/`, no Redis, web + worker + sandbox in one process.
"""
import os
from pathlib import Path

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
load_dotenv(BASE_DIR / ".env")


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def database_url(raw):
    """Normalise a DATABASE_URL so SQLAlchemy uses psycopg 3 for PostgreSQL."""
    if not raw:
        return f"sqlite:///{BASE_DIR / 'instance' / 'carebox.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")  # generated under instance/ when unset
    CAREBOX_ENCRYPTION_KEY = os.environ.get("CAREBOX_ENCRYPTION_KEY")  # idem
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
    # Connections a process keeps open: past pool_size, requests and worker threads borrow overflow connections,
    # which close when handed back, so a busy node would open a PostgreSQL connection per request (seen in
    # bench/fanout.py with the default of 5: a third of a node's token lookups were spent connecting).
    SQLALCHEMY_ENGINE_OPTIONS = {
        "pool_pre_ping": True,
        "pool_size": env_int("CAREBOX_DB_POOL_SIZE", 10),
        "max_overflow": env_int("CAREBOX_DB_MAX_OVERFLOW", 20),
    }
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # Redis pub/sub channel for Socket.IO, and the prefix of shared keys (presence): deployments (or test runs)
    # sharing one Redis each pick their own, so they never hear each other.
    CAREBOX_SOCKETIO_CHANNEL = os.environ.get("CAREBOX_SOCKETIO_CHANNEL") or "carebox"
    # Flask-SocketIO's async mode: "threading" (the embedded default, gunicorn's gthread worker) or "gevent"
    # (gunicorn.conf.py sets it when CAREBOX_WEB_WORKER=gevent). Always explicit, never guessed.
    CAREBOX_ASYNC_MODE = os.environ.get("CAREBOX_ASYNC_MODE") or "threading"

    CAREBOX_SLA_WARN_MINUTES = env_int("CAREBOX_SLA_WARN_MINUTES", 30)
    CAREBOX_SLA_BREACH_MINUTES = env_int("CAREBOX_SLA_BREACH_MINUTES", 60)
    CAREBOX_WEBHOOK_ALLOW_PRIVATE = env_bool("CAREBOX_WEBHOOK_ALLOW_PRIVATE")
    # A customer writing again within this many hours of "resolved" reopens the conversation (0: always a new one).
    CAREBOX_REOPEN_WINDOW_HOURS = env_int("CAREBOX_REOPEN_WINDOW_HOURS", 72)
    CAREBOX_FACEBOOK_VERIFY_TOKEN = os.environ.get("CAREBOX_FACEBOOK_VERIFY_TOKEN")

    # Worker tuning. Seconds unless named otherwise.
    CAREBOX_POLL_INTERVAL = env_int("CAREBOX_POLL_INTERVAL", 10)  # from the start of one poll of an account to the next
    # Polls one worker process runs at once (`flask worker --threads` overrides). At 1,000 accounts every 10 s
    # that is 100 polls a second: enough threads to cover 100 x a poll's time on the network.
    CAREBOX_POLL_THREADS = env_int("CAREBOX_POLL_THREADS", 32)
    CAREBOX_POLL_MAX_BACKOFF = env_int("CAREBOX_POLL_MAX_BACKOFF", 900)
    CAREBOX_LEASE_SECONDS = env_int("CAREBOX_LEASE_SECONDS", 60)
    CAREBOX_HTTP_TIMEOUT = env_int("CAREBOX_HTTP_TIMEOUT", 15)
    CAREBOX_UNHEALTHY_AFTER_FAILURES = env_int("CAREBOX_UNHEALTHY_AFTER_FAILURES", 3)

    # Sandbox network (embedded mode and `flask sandbox`).
    CAREBOX_SANDBOX_HOST = os.environ.get("CAREBOX_SANDBOX_HOST", "127.0.0.1")
    CAREBOX_SANDBOX_PORT = env_int("CAREBOX_SANDBOX_PORT", 5001)
    CAREBOX_SANDBOX_RATE = float(os.environ.get("CAREBOX_SANDBOX_RATE", "6"))  # posts per minute

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE")
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead of a clock
    JSON_SORT_KEYS = False


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    CAREBOX_ENCRYPTION_KEY = "wKzMWF_m1jcusIHrfnTFPDdNRqPMDYC7D6GgubugLOE="
    CAREBOX_WEBHOOK_ALLOW_PRIVATE = True
    CAREBOX_HTTP_TIMEOUT = 5
