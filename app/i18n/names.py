"""Display names of the domain's words (roles, conversation states, SLA levels…) in the reader's language.

The domain keeps its English words (DESIGN's names, the API's values); only what a page shows is translated.
"""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

ROLE_NAMES = {"agent": _l("Agent"), "manager": _l("Manager"), "admin": _l("Admin")}


def role_name(role):
    return str(ROLE_NAMES.get(role, role))


# The networks' own names stay as they are (brands); "custom" is ours: a channel fed through the API.
NETWORK_NAMES = {"twitter": "X", "facebook": "Facebook", "instagram": "Instagram", "custom": lazy_pgettext("network", "Custom")}


def network_name(network):
    return str(NETWORK_NAMES.get(network, network))
