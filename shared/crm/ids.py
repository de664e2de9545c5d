"""ULIDs: sortable by creation time, safe in URLs, 26 Crockford base32 characters."""

import hashlib
import os
import re
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID_PATTERN = r"^[0-9A-HJKMNP-TV-Z]{26}$"
_ULID_RE = re.compile(ULID_PATTERN)


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def new_id(now_ms: int | None = None) -> str:
    """A new ULID: 48 bits of milliseconds then 80 random bits."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    return _encode(ms, 10) + _encode(int.from_bytes(os.urandom(10), "big"), 16)


def stable_id(*parts: str) -> str:
    """A ULID-shaped id that is the same every time for the same parts (demo and import keys)."""
    digest = int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:16], "big")
    return _encode(digest >> 2, 26)  # 126 bits: the first character stays within a ULID's 0-7


def is_ulid(value: str) -> bool:
    return bool(_ULID_RE.match(value))
