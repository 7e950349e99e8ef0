"""Every production role starts from `pip install -r requirements.txt` alone.

One fresh virtualenv per test run (module-scoped), built from requirements.txt and nothing else; each role
runs with that venv's own executables, in a clean environment (PYTHONNOUSERSITE=1, no variable of this test
process leaks in), from the checkout, as the README's Procfile runs them:

    release: flask --app wsgi db upgrade              (a fresh SQLite file; a fresh PostgreSQL database)
    web:     gunicorn -c gunicorn.conf.py wsgi:app    (gevent, the default; and CAREBOX_WEB_WORKER=gthread)
    worker:  flask --app wsgi worker                  (polls a sandbox account, sweeps SLAs, metrics port)
    and      flask --app wsgi sandbox, users create, tokens create, accounts add

The roles use the database this suite runs on (a fresh one of its own). Every process is stopped and reaped
whatever happens; its output is shown when a test fails.
"""
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
import socketio
import sqlalchemy as sa

from config import TestConfig, database_url
from tests.fixtures.cluster import free_port, worker_owner
from tests.fixtures.processes import ROOT, WORKER_READY, ManagedProcess, wait_until

INSTALL_TIMEOUT = 600  # a cold pip cache downloads every wheel once
COMMAND_TIMEOUT = 120
START_TIMEOUT = 60
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"  # the Makefile's TEST_POSTGRES_URL
# What may pass from this process to pip: its index and proxy settings (how this machine reaches packages).
PIP_PASSTHROUGH = ("PIP_", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
                   "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")


# The first test also waits for the venv to be built.
pytestmark = pytest.mark.timeout(INSTALL_TIMEOUT + 300)


def shown(result):
    return f"$ {' '.join(result.args)}\n(exit {result.returncode})\n{result.stdout}{result.stderr or ''}"


class FreshVenv:
    """A virtualenv with requirements.txt installed, and a clean environment to run its executables in."""

    def __init__(self, path):
        self.path = Path(path)
        self.bin = self.path / "bin"
        self.home = self.path / "home"

    def build(self):
        self.home.mkdir(parents=True, exist_ok=True)
        base = getattr(sys, "_base_executable", sys.executable)  # the interpreter this dev venv was made from
        self.check([base, "-m", "venv", str(self.path)], env=self.pip_env(), timeout=COMMAND_TIMEOUT)
        self.check([str(self.bin / "python"), "-m", "pip", "install", "--quiet", "-r", str(ROOT / "requirements.txt")],
                   env=self.pip_env(), timeout=INSTALL_TIMEOUT)
        return self

    def pip_env(self):
        env = {k: v for k, v in os.environ.items() if k.startswith(PIP_PASSTHROUGH)}
        # The user's pip cache (not the fresh HOME's): repeated runs reuse the wheels pip already fetched.
        cache = os.environ.get("PIP_CACHE_DIR") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "pip")
        return {**env, "PIP_CACHE_DIR": cache, "PATH": "/usr/bin:/bin", "HOME": str(self.home),
                "PYTHONNOUSERSITE": "1", "LANG": "C.UTF-8"}

    def env(self, database, **extra):
        """Only what a deployment sets: the venv first on PATH, the database, the secrets; nothing of ours."""
        return {
            "PATH": f"{self.bin}:/usr/bin:/bin", "HOME": str(self.home), "LANG": "C.UTF-8", "PYTHONNOUSERSITE": "1",
            "PYTHONUNBUFFERED": "1", "DATABASE_URL": database, "SECRET_KEY": TestConfig.SECRET_KEY,
            "CAREBOX_ENCRYPTION_KEY": TestConfig.CAREBOX_ENCRYPTION_KEY, "LOG_LEVEL": "INFO", **extra,
        }

    def flask(self, *args):
        return [str(self.bin / "flask"), "--app", "wsgi", *args]

    def check(self, argv, *, env, timeout=COMMAND_TIMEOUT):
        result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            pytest.fail(f"command failed:\n{shown(result)}", pytrace=False)
        return result


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    return FreshVenv(tmp_path_factory.mktemp("fresh") / "venv").build()


@pytest.fixture
def processes():
    """start(name, argv, env, log_dir) -> ManagedProcess; all reaped at the end, their logs shown on failure."""
    started = []

    def start(argv, env, log_path, ready_marker=None):
        proc = ManagedProcess(argv, env, log_path, ready_marker=ready_marker)
        started.append(proc)
        return proc

    start.logs = lambda: "\n".join(f"--- {p.name} (pid {p.pid})\n{p.tail()}" for p in started)
    yield start
    for proc in started:
        proc.reap()


def postgres_admin_url():
    raw = os.environ.get("DATABASE_URL") or ""
    raw = raw if raw.startswith("postgres") else os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    return sa.engine.make_url(database_url(raw)).set(database="postgres")


@pytest.fixture(scope="module")
def fresh_postgres():
    """make() -> the URL of a new, empty PostgreSQL database; all dropped at the end. Skips without PostgreSQL."""
    admin = sa.create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect():
            pass
    except sa.exc.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at {admin.url.render_as_string(hide_password=True)}: {exc.orig}")
    made = []

    def make():
        name = f"carebox_prodstart_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return admin.url.set(database=name).render_as_string(hide_password=False)

    yield make
    with admin.connect() as conn:
        for name in made:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def head_revision():
    """The revision no other migration names as its down_revision."""
    revisions, parents = set(), set()
    for path in (ROOT / "migrations" / "versions").glob("*.py"):
        text = path.read_text()
        revisions.add(re.search(r"^revision = '([^']+)'", text, re.M).group(1))
        down = re.search(r"^down_revision = '([^']+)'", text, re.M)
        if down:
            parents.add(down.group(1))
    (head,) = revisions - parents
    return head


def upgrade(venv, database):
    """`flask db upgrade` from the fresh venv; returns the database's schema revision after it."""
    venv.check(venv.flask("db", "upgrade"), env=venv.env(database))
    engine = sa.create_engine(database_url(database))
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def role_database(venv, tmp_path_factory, fresh_postgres_if_suite_runs_on_it):
    """A fresh database of the kind this suite runs on, migrated by the fresh venv's `flask db upgrade`."""
    database = fresh_postgres_if_suite_runs_on_it or f"sqlite:///{tmp_path_factory.mktemp('roles') / 'carebox.db'}"
    assert upgrade(venv, database) == head_revision()
    return database


@pytest.fixture(scope="module")
def fresh_postgres_if_suite_runs_on_it(request):
    if not (os.environ.get("DATABASE_URL") or "").startswith("postgres"):
        return None
    return request.getfixturevalue("fresh_postgres")()


@pytest.fixture(scope="module")
def api_token(venv, role_database):
    """An agent and an API token, made with the fresh venv's `flask users create` and `flask tokens create`."""
    env = venv.env(role_database)
    venv.check(venv.flask("users", "create", "--email", "ana@example.test", "--role", "agent",
                          "--password", "correct horse battery"), env=env)
    out = venv.check(venv.flask("tokens", "create", "--user", "ana@example.test", "--name", "start check"), env=env)
    return out.stdout.strip().splitlines()[-1]


# ------------------------------------------------------------------ the install itself

def test_the_venv_has_the_runtime_set_only_and_it_is_consistent(venv):
    freeze = venv.check([str(venv.bin / "python"), "-m", "pip", "freeze"], env=venv.pip_env()).stdout.lower()
    installed = {line.split("==")[0] for line in freeze.splitlines()}
    assert {"gunicorn", "gevent", "packaging", "flask", "psycopg"} <= installed
    assert not {"pytest", "time-machine", "playwright"} & installed  # nothing of the dev venv came along
    venv.check([str(venv.bin / "python"), "-m", "pip", "check"], env=venv.pip_env())


# ------------------------------------------------------------------ release: migrations

def test_db_upgrade_builds_a_fresh_sqlite_file(venv, tmp_path):
    assert upgrade(venv, f"sqlite:///{tmp_path / 'fresh.db'}") == head_revision()


def test_db_upgrade_builds_a_fresh_postgresql_database(venv, fresh_postgres):
    assert upgrade(venv, fresh_postgres()) == head_revision()


# ------------------------------------------------------------------ web

@pytest.mark.parametrize("web_worker", ["gevent", "gthread"])
def test_gunicorn_serves_health_readiness_login_and_websockets(venv, role_database, api_token, processes, tmp_path,
                                                               web_worker):
    port = free_port()
    env = venv.env(role_database, CAREBOX_BIND=f"127.0.0.1:{port}",
                   **({} if web_worker == "gevent" else {"CAREBOX_WEB_WORKER": web_worker}))
    web = processes([str(venv.bin / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], env, tmp_path / "web.log")
    url = f"http://127.0.0.1:{port}"

    def answers():
        if not web.alive():
            pytest.fail(f"gunicorn exited with {web.proc.returncode}:\n{processes.logs()}", pytrace=False)
        try:
            return requests.get(f"{url}/healthz", timeout=5).status_code == 200
        except (requests.ConnectionError, requests.Timeout):  # the port is bound before the worker has booted
            return False

    wait_until(answers, START_TIMEOUT, "gunicorn to answer /healthz", processes.logs, interval=0.2)
    ready = requests.get(f"{url}/readyz", timeout=5)
    assert ready.status_code == 200 and ready.json()["status"] == "ready", ready.text
    login = requests.get(f"{url}/login", timeout=5)
    assert login.status_code == 200 and 'name="csrf_token"' in login.text and 'name="password"' in login.text
    client = socketio.Client(reconnection=False)
    try:
        client.connect(url, transports=["websocket"], auth={"token": api_token}, wait_timeout=10)
        assert client.transport() == "websocket"
    finally:
        client.disconnect()
    assert f"[INFO] Using worker: {web_worker}" in web.text(), processes.logs()
    assert web.stop() == 0, processes.logs()


# ------------------------------------------------------------------ worker and sandbox

def test_worker_polls_a_sandbox_account_sweeps_serves_metrics_and_stops_cleanly(venv, role_database, processes,
                                                                                tmp_path):
    sandbox_port, metrics_port = free_port(), free_port()
    env = venv.env(role_database, CAREBOX_POLL_INTERVAL="1")
    sandbox = processes(venv.flask("sandbox", "--port", str(sandbox_port), "--rate", "0"), env,
                        tmp_path / "sandbox.log", ready_marker="sandbox network on")
    sandbox.wait_ready(START_TIMEOUT)
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    from app.sandbox import DEMO_X

    keys = ("bearer_token", "consumer_key", "consumer_secret", "access_token", "access_token_secret", "user_id")
    credentials = [f"--credential={k}={DEMO_X[k]}" for k in keys]
    added = venv.check(venv.flask("accounts", "add", "--network", "twitter", "--name", "Demo on X",
                                  "--api-base-url", sandbox_url, *credentials), env=env).stdout
    account_id = int(re.search(r"added twitter account (\d+)", added).group(1))
    posted = requests.post(f"{sandbox_url}/_sandbox/posts", timeout=5,
                           json={"network": "twitter", "text": f"@{DEMO_X['username']} where is my order?"})
    assert posted.status_code == 201, posted.text

    worker = processes(venv.flask("worker", "--metrics-port", str(metrics_port)),
                       {**env, "CAREBOX_METRICS_TOKEN": "scrape-me"}, tmp_path / "worker.log", ready_marker=WORKER_READY)
    worker.wait_ready(START_TIMEOUT)
    owner = worker_owner(worker.text())
    engine = sa.create_engine(database_url(role_database))
    try:
        def stored():
            with engine.connect() as conn:
                return conn.scalar(sa.text("SELECT count(*) FROM messages WHERE account_id = :a AND external_id = :e"),
                                   {"a": account_id, "e": posted.json()["id"]})

        def sweep_lease():
            with engine.connect() as conn:
                return conn.scalar(sa.text("SELECT owner FROM job_leases WHERE name = 'sla-sweep'"))

        wait_until(stored, START_TIMEOUT, "the worker to poll the sandbox and store the mention", processes.logs, 0.2)
        wait_until(lambda: sweep_lease() == owner, START_TIMEOUT, "the SLA sweep lease", processes.logs, 0.2)
        assert f"poll account={account_id} outcome=" in worker.text()
        assert requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).status_code == 403  # no token
        metrics = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5,
                               headers={"Authorization": "Bearer scrape-me"})
        assert metrics.status_code == 200
        assert re.search(r'carebox_polls_total\{[^}]*network="twitter"[^}]*\} [1-9]', metrics.text), metrics.text[:2000]
        assert worker.stop() == 0, processes.logs()
        assert sweep_lease() is None  # a graceful stop hands its leases back
    finally:
        engine.dispose()
    assert sandbox.stop() == 0, processes.logs()
