"""Security headers (placeholder)."""


def init_app(app):
    pass
