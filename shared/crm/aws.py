"""One cached boto3 client per service and warm container: the single home for client factories.

Built at first use, never at import (cold starts stay lean, tests set the environment first).
"""

from functools import lru_cache
from typing import Any

import boto3


@lru_cache(maxsize=16)
def client(service: str) -> Any:
    return boto3.client(service)  # type: ignore[call-overload]
