"""Display names of the admin pages' domain words (delivery states): the domain and the API keep the English values."""
from flask_babel import lazy_gettext as _l

DELIVERY_STATE_NAMES = {
    "pending": _l("pending"), "delivered": _l("delivered"), "failed": _l("failed"), "cancelled": _l("cancelled"),
}


def delivery_state(status):
    return str(DELIVERY_STATE_NAMES.get(status, status))
