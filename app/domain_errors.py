"""The domain's errors: services raise these; the HTTP layer maps them to statuses in one place (app/errors.py).

Each carries a message that is safe to show to the people using Carebox, a stable `code` for API
clients, and optional `extra` fields that go beside the error in a JSON answer.
"""


class DomainError(Exception):
    code = "error"

    def __init__(self, message, *, code=None, details=None, **extra):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details
        self.extra = extra


class Malformed(DomainError):
    """The request cannot be read as one (a cursor this API never gave out, …)."""

    code = "bad_request"


class NotFound(DomainError):
    """What was asked for does not exist (or the caller may not know that it does)."""

    code = "not_found"


class NotPermitted(DomainError):
    """The user's role does not have the permission this needs (app/permissions.py)."""

    code = "not_permitted"


class Invalid(DomainError):
    """The input breaks a rule; the message says which."""

    code = "validation_error"


class Conflict(DomainError):
    """The request clashes with the current state (someone else answered, the name is taken, …)."""

    code = "conflict"


class Refused(DomainError):
    """A network refused what we asked of it; the message carries its reason."""

    code = "refused_by_network"


class Unavailable(DomainError):
    """Something we depend on is not answering now; trying again later can work."""

    code = "unavailable"


class IngestConflict(Conflict):
    """A batch found rows it could not have expected (someone wrote them without the account's lock).
    Nothing of the batch is kept once the transaction rolls back; storing it again is safe."""

    code = "ingest_conflict"
