"""The one If-Match check: the version a client read against the version stored."""

from crm.errors import PreconditionFailed


def check(what: str, stored: int, if_match: int | None) -> None:
    """A stale If-Match is 412, naming both versions; None means the caller asked for no precondition."""
    if if_match is not None and stored != if_match:
        raise PreconditionFailed(f"The {what} is at version {stored}, not {if_match}: read it again.")
