"""Shared fixtures: a real database (SQLite file or a fresh PostgreSQL database), the app, clients, users.

The suite runs against whatever DATABASE_URL says: unset means a temporary
SQLite file; a PostgreSQL URL means a new database created next to it for
this run and dropped afterwards. The schema comes from the migrations.
"""
import contextlib
import os
import time
import uuid

import pytest
import sqlalchemy as sa

from config import TestConfig, database_url

pytest_plugins = [
    "tests.fixtures.servers", "tests.fixtures.browser", "tests.fixtures.sandbox", "tests.fixtures.workers",
]


def _pg_admin_url(url):
    return sa.engine.make_url(url).set(database="postgres")


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory):
    raw = os.environ.get("DATABASE_URL")
    if not raw or raw.startswith("sqlite"):
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'carebox-test.db'}"
        return
    url = sa.engine.make_url(database_url(raw))
    name = f"carebox_test_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(_pg_admin_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def make_config(uri, **overrides):
    attrs = {"SQLALCHEMY_DATABASE_URI": uri, **overrides}
    return type("RunConfig", (TestConfig,), attrs)


@pytest.fixture(scope="session")
def migrated(database_uri):
    """The schema, built by running the migrations from empty (so every run tests them)."""
    from flask_migrate import upgrade

    from app import create_app

    app = create_app(make_config(database_uri))
    with app.app_context():
        upgrade()
        from app.extensions import db

        db.engine.dispose()
    return database_uri


def truncate_all(db, attempts=10):
    """Empty every table. A live server's request can still be finishing when a test ends (werkzeug does not
    wait for its request threads); PostgreSQL may then pick the TRUNCATE as a deadlock's victim: try again."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    for attempt in range(attempts):
        try:
            with db.engine.begin() as conn:
                if db.engine.dialect.name == "postgresql":
                    conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
                else:
                    for t in tables:
                        conn.execute(sa.text(f'DELETE FROM "{t}"'))
            return
        except sa.exc.OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


@pytest.fixture
def app(migrated, request):
    from app import create_app
    from app.extensions import db

    overrides = getattr(request, "param", None) or {}
    marker = request.node.get_closest_marker("config")
    if marker:
        overrides.update(marker.kwargs)
    application = create_app(make_config(migrated, **overrides))
    with application.app_context():
        yield application
        db.session.remove()
        truncate_all(db)
        db.engine.dispose()


@pytest.fixture
def db(app):
    from app.extensions import db as database

    return database


@pytest.fixture
def client(app):
    return app.test_client()


@contextlib.contextmanager
def writing(db):
    """Write from the test body while a live server may be writing too.

    Ends the test's current (possibly stale) read transaction and starts the next one holding
    SQLite's write lock (see app/database.py), then commits. A no-op difference on PostgreSQL.
    """
    from app.database import write_intent

    db.session.commit()
    with write_intent():
        yield db.session
        db.session.commit()


@pytest.fixture
def make_user(db):
    from app.users import create_user

    counter = {"n": 0}

    def make(role="agent", email=None, password="correct horse battery", name=None):
        counter["n"] += 1
        with writing(db) as session:
            user = create_user(session, email=email or f"{role}{counter['n']}@example.test", role=role,
                               name=name or f"{role.title()} {counter['n']}", password=password)
        return user

    return make


@pytest.fixture
def make_token(db):
    from app.models import ApiToken

    def make(user, scopes=("read", "write"), name="test"):
        with writing(db) as session:
            token, raw = ApiToken.issue(user, name, scopes)
            session.add(token)
        return raw

    return make


def login(client, user, password="correct horse battery"):
    """Sign in through the real login form (CSRF included)."""
    import re

    page = client.get("/login")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1).decode()
    resp = client.post("/login", data={"email": user.email, "password": password, "csrf_token": token})
    assert resp.status_code == 302, resp.data
    return token


def csrf_from(client):
    import re

    page = client.get("/")
    return re.search(rb'<meta name="csrf-token" content="([^"]+)"', page.data).group(1).decode()


@pytest.fixture
def custom_account(db):
    from app.accounts import create_account

    with writing(db) as session:
        account = create_account(session, network="custom", name="Web chat")
    return account
