"""Domain errors. Services and the data layer raise these; crm.api.problems turns them into HTTP."""

from typing import Any


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidInput(DomainError):
    """Input that passed the schema but breaks a business rule (wrong field for a type, bad cursor)."""

    status = 422
    title = "Unprocessable content"

    def __init__(self, detail: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail, errors=errors or [])


class BadRequest(DomainError):
    status = 400
    title = "Bad request"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class NotFound(DomainError):
    """Also what a record outside the caller's tenant or scope looks like: its existence is not revealed."""

    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class Stale(Conflict):
    """A conditional write lost to a concurrent one: the record is no longer at the version this request read.
    Over HTTP it is the 412 of a request that named that version (If-Match), else this 409 (re-read, retry)."""


class PreconditionFailed(DomainError):
    status = 412
    title = "Precondition failed"


class PreconditionRequired(DomainError):
    status = 428
    title = "Precondition required"


class RetryableError(Exception):
    """A transient failure (throttling, a lost race worth retrying); Step Functions retries on this name."""
