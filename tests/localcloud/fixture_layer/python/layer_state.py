"""Module state in a layer: each function must get its own copy, as in separate Lambda sandboxes."""

SEEN: list[str] = []
