"""Migrations: the schema they build (from empty, in conftest) is exactly the models', and they run down and up."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade


def test_models_and_migrations_agree(app, db):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_downgrade_to_empty_and_upgrade_again(app, db):
    db.session.remove()
    downgrade(revision="base")
    upgrade()
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), db.metadata) == []


def test_delivery_and_stop_time_indexes_leave_out_rows_nobody_asks_for(app, db):
    """Migration 0002: inbound messages (no delivery status) and running clocks (no stop time) stay out."""
    names = ("ix_messages_delivery", "ix_sla_clocks_stopped")
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            query = "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN (%s, %s)"
        else:
            query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN (?, ?)"
        definitions = dict(conn.exec_driver_sql(query, names).all())
    assert "delivery_status IS NOT NULL" in definitions["ix_messages_delivery"]
    assert "stopped_at IS NOT NULL" in definitions["ix_sla_clocks_stopped"]
