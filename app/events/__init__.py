"""Events: the catalogue of what Carebox announces (catalogue.py) and the one publisher (publisher.py)."""
from app.events.catalogue import MANAGERS, STAFF, USER, UndeclaredEvent  # noqa: F401
from app.events.publisher import PENDING_KEY, emit_now, init_app, publish  # noqa: F401
