"""Flask extensions, created unbound and bound in create_app() with init_app."""
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData

# Stable constraint names so Alembic migrations work the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
socketio = SocketIO()

# Views reachable without signing in (app/auth/guard.py checks it). Here rather than in app.auth so that any
# entry point (the i18n catalogue too) can mark its views without depending on the sign-in package.
PUBLIC_ATTR = "_carebox_public"


def public(view):
    """Mark a view as reachable without signing in (login page, health checks, signed push hooks)."""
    setattr(view, PUBLIC_ATTR, True)
    return view
