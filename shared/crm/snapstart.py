"""Lambda SnapStart: what runs before the snapshot is taken and after each copy of it is restored.

The API functions publish versions with SnapStart on (template.yaml): Lambda runs a function's init once, snapshots
the memory, and starts every new execution environment from a copy of that snapshot. So init pays the imports once
per version, not once per cold start; and whatever init left in memory is shared by every copy. Before the snapshot
we load what the first request would otherwise load (boto3, Powertools' idempotency); after a restore we drop what
must be each copy's own (AWS's guidance for SnapStart: uniqueness and connections): the `random` state (retry
jitter: copies must not back off in step), cached SDK clients and their connections, tenant credentials.

`snapshot_restore_py` exists only in Lambda's Python runtime; elsewhere (tests, the local runtime) nothing is
snapshotted and nothing is registered.
"""

from __future__ import annotations

import importlib
import os
import random
from collections.abc import Callable

try:
    from snapshot_restore_py import register_after_restore, register_before_snapshot
except ImportError:  # not in Lambda: there is no snapshot
    register_after_restore = register_before_snapshot = None

WARM_UP = ("boto3", "aws_lambda_powertools.utilities.idempotency")  # imported lazily by requests otherwise


def before_snapshot() -> None:
    for module in WARM_UP:
        importlib.import_module(module)


def after_restore() -> None:
    from crm import aws

    random.seed(os.urandom(32))
    aws.forget_clients()


_installed = False
Register = Callable[[Callable[[], None]], object]


def install(
    before: Register | None = register_before_snapshot, after: Register | None = register_after_restore
) -> bool:
    """Registers both hooks where the runtime offers them (once per process); True if it did."""
    global _installed
    if before is None or after is None or _installed:
        return False
    before(before_snapshot)
    after(after_restore)
    _installed = True
    return True
