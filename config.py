"""Every setting Carebox reads, in one place (docs/design.md, "Interfaces").

Every setting comes from an environment variable; a `.env` file next to this module is read first if
present. Nothing else in the code base reads the environment, and the README's Configuration table
lists every variable read here (tests/test_settings.py keeps the two in step). Defaults give the
embedded, zero-setup mode: SQLite under `instance/`, no Redis, web + worker + sandbox in one process.

`Config` is the application's (app.config); `WebServer` is gunicorn's (gunicorn.conf.py).
"""
import os
from datetime import timedelta
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


def env_list(name):
    """A comma-separated setting as a list (None when unset or empty)."""
    items = [part.strip() for part in (os.environ.get(name) or "").split(",") if part.strip()]
    return items or None


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
    CAREBOX_WEBHOOK_TIMEOUT = float(os.environ.get("CAREBOX_WEBHOOK_TIMEOUT") or 15)  # seconds per delivery attempt
    CAREBOX_WEBHOOK_DISABLE_AFTER_DAYS = float(os.environ.get("CAREBOX_WEBHOOK_DISABLE_AFTER_DAYS") or 5)
    # Longest wait between two probes of an unavailable endpoint: how late, at worst, its backlog resumes.
    CAREBOX_WEBHOOK_PROBE_MAX_SECONDS = float(os.environ.get("CAREBOX_WEBHOOK_PROBE_MAX_SECONDS") or 30)
    # Spike alerts (app/alerts/rules.py): the last 15 minutes of an account against the same 15 minutes on the
    # last 7 days. Volume: at least MIN_MESSAGES and FACTOR x the usual count (taken as at least BASELINE_FLOOR);
    # negative share: at least MIN_NEGATIVE negative messages and NEGATIVE_FACTOR x the usual share (at least
    # NEGATIVE_FLOOR). A spike ends once below the usual x END_FACTOR.
    CAREBOX_SPIKE_MIN_MESSAGES = env_int("CAREBOX_SPIKE_MIN_MESSAGES", 20)
    CAREBOX_SPIKE_FACTOR = float(os.environ.get("CAREBOX_SPIKE_FACTOR") or 3)
    CAREBOX_SPIKE_BASELINE_FLOOR = float(os.environ.get("CAREBOX_SPIKE_BASELINE_FLOOR") or 5)
    CAREBOX_SPIKE_MIN_NEGATIVE = env_int("CAREBOX_SPIKE_MIN_NEGATIVE", 10)
    CAREBOX_SPIKE_NEGATIVE_FACTOR = float(os.environ.get("CAREBOX_SPIKE_NEGATIVE_FACTOR") or 2)
    CAREBOX_SPIKE_NEGATIVE_FLOOR = float(os.environ.get("CAREBOX_SPIKE_NEGATIVE_FLOOR") or 0.15)
    CAREBOX_SPIKE_END_FACTOR = float(os.environ.get("CAREBOX_SPIKE_END_FACTOR") or 1.5)
    # A customer writing again within this many hours of "resolved" reopens the conversation (0: always a new one).
    CAREBOX_REOPEN_WINDOW_HOURS = env_int("CAREBOX_REOPEN_WINDOW_HOURS", 72)
    CAREBOX_FACEBOOK_VERIFY_TOKEN = os.environ.get("CAREBOX_FACEBOOK_VERIFY_TOKEN")

    # HTTP hardening (app/security). Bodies past this many bytes are refused with 413 while they are read
    # (chunked ones too), so an unauthenticated POST cannot make a web process buffer it.
    MAX_CONTENT_LENGTH = env_int("CAREBOX_MAX_CONTENT_LENGTH", 1024 * 1024)
    # Origins allowed to open Socket.IO connections; None: the request's own (scheme and Host) only.
    # Never "*": Socket.IO authenticates with the session cookie, so any site could read an agent's events.
    CAREBOX_CORS_ORIGINS = [o for o in env_list("CAREBOX_CORS_ORIGINS") or [] if o != "*"] or None
    # Strict-Transport-Security max-age on https responses (0: no header).
    CAREBOX_HSTS_SECONDS = env_int("CAREBOX_HSTS_SECONDS", 365 * 24 * 3600)
    # Origins, beyond Instagram's and Facebook's CDNs, that media thumbnails may load from (space-separated).
    CAREBOX_IMAGE_SOURCES = os.environ.get("CAREBOX_IMAGE_SOURCES") or ""
    # /metrics (web) and `worker --metrics-port`: with a token, only callers sending it; without one, loopback
    # callers only when this is on (a reverse proxy on the same host makes every remote caller loopback).
    CAREBOX_METRICS_TOKEN = os.environ.get("CAREBOX_METRICS_TOKEN") or None
    CAREBOX_METRICS_ALLOW_LOOPBACK = env_bool("CAREBOX_METRICS_ALLOW_LOOPBACK")

    # Worker tuning. Seconds unless named otherwise.
    CAREBOX_POLL_INTERVAL = env_int("CAREBOX_POLL_INTERVAL", 10)  # from the start of one poll of an account to the next
    # Polls one worker process runs at once (`flask worker --threads` overrides). At 1,000 accounts every 10 s
    # that is 100 polls a second: enough threads to cover 100 x a poll's time on the network.
    CAREBOX_POLL_THREADS = env_int("CAREBOX_POLL_THREADS", 32)
    CAREBOX_POLL_MAX_BACKOFF = env_int("CAREBOX_POLL_MAX_BACKOFF", 900)
    CAREBOX_LEASE_SECONDS = env_int("CAREBOX_LEASE_SECONDS", 60)
    CAREBOX_HTTP_TIMEOUT = env_int("CAREBOX_HTTP_TIMEOUT", 15)
    CAREBOX_UNHEALTHY_AFTER_FAILURES = env_int("CAREBOX_UNHEALTHY_AFTER_FAILURES", 3)
    # How far back the first poll of a newly connected account reads (as far as the network serves).
    CAREBOX_BACKFILL_HOURS = float(os.environ.get("CAREBOX_BACKFILL_HOURS") or 24)
    CAREBOX_INSTAGRAM_CALLS_PER_POLL = env_int("CAREBOX_INSTAGRAM_CALLS_PER_POLL", 25)  # Graph calls per Instagram poll

    # Languages (app/i18n): a user's own choice wins, then the browser's Accept-Language, then this default
    # (one of en, ru, be, ar). Times show in the user's time zone, else this one (an IANA name).
    CAREBOX_DEFAULT_LOCALE = os.environ.get("CAREBOX_DEFAULT_LOCALE") or "en"
    CAREBOX_DEFAULT_TIMEZONE = os.environ.get("CAREBOX_DEFAULT_TIMEZONE") or "UTC"

    # Sandbox network (embedded mode and `flask sandbox`).
    CAREBOX_SANDBOX_HOST = os.environ.get("CAREBOX_SANDBOX_HOST", "127.0.0.1")
    CAREBOX_SANDBOX_PORT = env_int("CAREBOX_SANDBOX_PORT", 5001)
    CAREBOX_SANDBOX_RATE = float(os.environ.get("CAREBOX_SANDBOX_RATE", "6"))  # posts per minute
    # Spam waves and complaint bursts per hour in the sandbox's traffic (app/sandbox/traffic_waves.py; 0: none).
    CAREBOX_SANDBOX_WAVES_PER_HOUR = float(os.environ.get("CAREBOX_SANDBOX_WAVES_PER_HOUR", "1"))

    # Triage signals on inbound messages (app/triage): the offline baseline, or an OpenAI-compatible chat
    # completions endpoint (base URL, e.g. https://api.example.com/v1) that falls back to it on any failure.
    CAREBOX_TRIAGE_PROVIDER = os.environ.get("CAREBOX_TRIAGE_PROVIDER") or "baseline"  # baseline | openai
    CAREBOX_TRIAGE_OPENAI_URL = os.environ.get("CAREBOX_TRIAGE_OPENAI_URL") or None
    CAREBOX_TRIAGE_OPENAI_MODEL = os.environ.get("CAREBOX_TRIAGE_OPENAI_MODEL") or None
    CAREBOX_TRIAGE_OPENAI_API_KEY = os.environ.get("CAREBOX_TRIAGE_OPENAI_API_KEY") or None  # a secret: never logged
    CAREBOX_TRIAGE_OPENAI_TIMEOUT = float(os.environ.get("CAREBOX_TRIAGE_OPENAI_TIMEOUT") or 5)  # seconds per request

    # Check every published event's payload against its schema in the event catalogue (the test suite does).
    CAREBOX_CHECK_EVENT_PAYLOADS = env_bool("CAREBOX_CHECK_EVENT_PAYLOADS")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE")
    # The remember cookie signs a user in as surely as the session cookie: the same protections. Every sign-in
    # also ends on the server after this long (app/sessions.py), whatever a cookie's own expiry says.
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = SESSION_COOKIE_SAMESITE
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_DURATION = timedelta(days=env_int("CAREBOX_REMEMBER_DAYS", 14))
    # Brakes on password and token guessing (Flask-Limiter limit strings; app/auth/throttle.py). Sign-in attempts
    # per e-mail count every attempt; per client address, only failures (a whole office may share one address).
    CAREBOX_LOGIN_LIMIT_ACCOUNT = os.environ.get("CAREBOX_LOGIN_LIMIT_ACCOUNT") or "5 per minute; 20 per hour"
    CAREBOX_LOGIN_LIMIT_IP = os.environ.get("CAREBOX_LOGIN_LIMIT_IP") or "30 per minute; 300 per hour"
    # Checked before every Bearer lookup (a Redis round trip per limit with REDIS_URL): one limit by default.
    CAREBOX_TOKEN_LIMIT_IP = os.environ.get("CAREBOX_TOKEN_LIMIT_IP") or "30 per minute"
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead of a clock
    JSON_SORT_KEYS = False

    # Logs: "text" or "json" (one object per line, with the request or job id); the root level.
    LOG_FORMAT = os.environ.get("LOG_FORMAT") or "text"
    LOG_LEVEL = os.environ.get("LOG_LEVEL") or "INFO"


class WebServer:
    """The web role's gunicorn settings (gunicorn.conf.py)."""

    BIND = os.environ.get("CAREBOX_BIND") or "127.0.0.1:5000"
    # gevent (a greenlet per connected agent) or gthread (a thread each, for deployments that cannot monkey-patch).
    WORKER = os.environ.get("CAREBOX_WEB_WORKER") or "gevent"
    CONNECTIONS = env_int("CAREBOX_WEB_CONNECTIONS", 2000)  # gevent: connections per node
    THREADS = env_int("CAREBOX_WEB_THREADS", 500)  # gthread: each connected agent (websocket) holds one
    FORWARDED_ALLOW_IPS = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1"
    # One control socket per node: several nodes on one machine would otherwise share ~/.gunicorn/gunicorn.ctl.
    CONTROL_SOCKET = (os.environ.get("CAREBOX_GUNICORN_CONTROL")
                      or f"/tmp/carebox-gunicorn-{BIND.replace(':', '-')}.ctl")


class TestConfig(Config):
    TESTING = True
    CAREBOX_CHECK_EVENT_PAYLOADS = True
    SECRET_KEY = "test-secret-key"
    CAREBOX_ENCRYPTION_KEY = "wKzMWF_m1jcusIHrfnTFPDdNRqPMDYC7D6GgubugLOE="
    CAREBOX_WEBHOOK_ALLOW_PRIVATE = True
    CAREBOX_HTTP_TIMEOUT = 5
