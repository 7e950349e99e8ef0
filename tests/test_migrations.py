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
