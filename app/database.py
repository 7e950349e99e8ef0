"""Engine settings per database, and the ON CONFLICT insert both dialects share.

SQLite (the embedded default) is shared by web, worker and sandbox threads in
one process, so: WAL so readers never block the writer, a busy timeout
instead of instant "database is locked", and foreign keys on.

One SQLite trap remains: a transaction that reads and then writes fails at
once (SQLITE_BUSY, no waiting) if another connection committed in between.
Code that is going to write therefore declares it with `write_intent()` (and
every POST/PUT/PATCH/DELETE request does so automatically): its transaction
starts with BEGIN IMMEDIATE, taking the write lock up front and waiting its
turn. Read-only transactions stay plain BEGIN and never block anyone.
PostgreSQL needs none of this.
"""
import contextvars
from contextlib import contextmanager

from flask import request
from sqlalchemy import event

from app.extensions import db

_immediate = contextvars.ContextVar("carebox_sqlite_immediate", default=False)
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@contextmanager
def write_intent():
    """Within this block, new SQLite transactions take the write lock when they begin."""
    token = _immediate.set(True)
    try:
        yield
    finally:
        _immediate.reset(token)


def init_app(app):
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql":
        _configure_postgresql(engine)
    if engine.dialect.name != "sqlite":
        return
    _configure_sqlite(engine)

    @app.before_request
    def declare_write_intent():
        if request.method in UNSAFE_METHODS:
            request.environ["carebox.intent_token"] = _immediate.set(True)

    @app.teardown_request
    def end_write_intent(_exc):
        token = request.environ.pop("carebox.intent_token", None)
        if token is not None:
            _immediate.reset(token)


def _configure_postgresql(engine):
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Lists (the batch statements' arrays, app/batch_sql.py) go in binary: the text format quotes and
        # escapes every element in Python, which cost more than the INSERT of a poller's page itself.
        from psycopg.types.array import ListBinaryDumper

        dbapi_connection.adapters.register_dumper(list, ListBinaryDumper)


def _configure_sqlite(engine):
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


def insert_for(session, model):
    """An INSERT that supports ON CONFLICT … DO NOTHING/UPDATE on the session's database."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
