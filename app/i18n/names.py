"""Display names of the domain's words (roles, conversation states, SLA levels…) in the reader's language.

The domain keeps its English words (DESIGN's names, the API's values); only what a page shows is translated.
"""
from flask_babel import lazy_gettext as _l

ROLE_NAMES = {"agent": _l("Agent"), "manager": _l("Manager"), "admin": _l("Admin")}


def role_name(role):
    return str(ROLE_NAMES.get(role, role))
