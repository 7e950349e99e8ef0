"""Engine settings per database.

SQLite (the embedded default) is shared by web, worker and sandbox threads in
one process, so: WAL for concurrent readers, a busy timeout instead of
instant "database is locked", foreign keys on, and every transaction started
with BEGIN IMMEDIATE so a read-then-write transaction never fails half-way
when another thread committed in between.
"""
from sqlalchemy import event

from app.extensions import db


def init_app(app):
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)


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
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def insert_for(session, model):
    """An INSERT that supports ON CONFLICT … DO NOTHING/UPDATE on the session's database."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
