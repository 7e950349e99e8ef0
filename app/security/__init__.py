"""HTTP hardening that every response follows: request body limits, security headers, no caching of
personal data. Views know nothing of it (see each module for the why)."""


def init_app(app):
    from app.security import bodies, headers

    bodies.init_app(app)
    headers.init_app(app)
