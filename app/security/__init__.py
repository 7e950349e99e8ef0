"""HTTP hardening that every response follows: request body limits, security headers, no caching of
personal data. Views know nothing of it (see each module for the why)."""


def init_app(app):
    from app.security import bodies, headers
    from app.text_safety import isolate

    bodies.init_app(app)
    headers.init_app(app)
    app.add_template_filter(isolate, "isolate")  # {{ name|isolate }}: text from people, isolated and without bidi controls
