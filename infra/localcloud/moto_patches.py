"""Fixes for four moto emulation traps.

DynamoDB writes are not made atomic: moto's server answers requests on many threads, and a
conditional write reads the item, checks the condition and writes with no lock held, so only the
GIL's timing keeps two writers racing on one item from both passing `version = :seen` (it held in
30 trials of 16 writers; nothing promises it), and a query may walk a partition another thread
changes. Invocations run concurrently (lambdas.py), so races reach moto: DynamoDB requests are
answered one at a time here (moto's work holds the GIL anyway), as DynamoDB applies an item's
writes one at a time.

Transactions slow down as data grows: moto backs up a table before every TransactWriteItems with
`copy.deepcopy(table)`, once per item in the transaction. The cost grows with everything ever
stored, so an import of a few thousand customers makes each transaction slower than the last (and
the copies outgrow memory). We keep the same all-or-nothing rollback but copy only what the
transaction can change: moto's backup is the live table itself, the partitions the transaction
touches are deep-copied beforehand and put back when moto rolls back (it always raises then).

SES forgets half a message: given both a text and an HTML body (SES v1 SendEmail, or SESv2's
Simple content), moto records only the HTML one. We keep both on the recorded message, as `text`
and `html`, for LocalCloud.sent_emails().

StopExecution does not stop at once: an execution waiting for a task token stays RUNNING, and still takes
SendTaskSuccess, until the task's own timeout, and is then often marked FAILED (the timeout raised in a
stopped program). In AWS it is ABORTED at once and its tokens are refused. We mark it ABORTED when asked (which
also makes moto refuse its tokens: it looks for them only in running executions) and keep it ABORTED.
"""

import copy
import json
import threading
from collections import defaultdict
from typing import Any

from . import s3_uploads

_lock = threading.Lock()  # the swap of moto's `copy` module reference below must not interleave


class _NoTableCopy:
    """Stands in for the `copy` module inside moto.dynamodb.models during one transaction: a table's "backup" is
    the table itself (its touched partitions are saved by the caller), anything else is copied as moto asks."""

    def deepcopy(self, obj: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        return obj if isinstance(obj, Table) else copy.deepcopy(obj, memo)


def _touched_partitions(backend: Any, transact_items: list[dict[str, Any]]) -> dict[str, set[Any]]:
    from moto.dynamodb.models.dynamo_type import DynamoType

    touched: dict[str, set[Any]] = defaultdict(set)
    for entry in transact_items:
        op = next(iter(entry.values()))
        table = backend.tables.get(op.get("TableName"))
        if table is None:
            continue
        key = op.get("Key") or op.get("Item") or {}
        if table.hash_key_attr in key:
            touched[table.name].add(DynamoType(key[table.hash_key_attr]))
    return touched


def install() -> None:
    """Idempotent; call before the moto server handles requests."""
    _install_serial_dynamodb()
    _install_partition_backup()
    _install_both_bodies()
    _install_immediate_stop()
    s3_uploads.install()  # POST policies checked, SigV2 links refused, versionId in S3 events


_dynamodb_lock = threading.RLock()


def _install_serial_dynamodb() -> None:
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action
    if getattr(original, "_serial", False):
        return

    def call_action(self: Any) -> Any:
        with _dynamodb_lock:
            return original(self)

    call_action._serial = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


def _install_partition_backup() -> None:
    from moto.dynamodb import models

    original = models.DynamoDBBackend.transact_write_items
    if getattr(original, "_partition_backup", False):
        return

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with _lock:
            saved = [
                (table, hash_key, copy.deepcopy(table.items.get(hash_key)))
                for name, hash_keys in _touched_partitions(self, transact_items).items()
                for table in [self.tables[name]]
                for hash_key in hash_keys
            ]
            real = models.copy
            models.copy = _NoTableCopy()  # type: ignore[assignment]
            try:
                return original(self, transact_items)
            except Exception:  # moto rolled back (to the live table): put the touched partitions back as they were
                for table, hash_key, partition in saved:
                    if partition is None:
                        table.items.pop(hash_key, None)
                    else:
                        table.items[hash_key] = partition
                raise
            finally:
                models.copy = real

    transact_write_items._partition_backup = True  # type: ignore[attr-defined]
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _install_both_bodies() -> None:
    from moto.ses.responses import EmailResponse
    from moto.sesv2.responses import SESV2Response

    send_v1, send_v2 = EmailResponse.send_email, SESV2Response.send_email
    if getattr(send_v1, "_both_bodies", False):
        return

    def send_email_v1(self: Any) -> Any:
        result = send_v1(self)
        text, html = self._get_param("Message.Body.Text.Data"), self._get_param("Message.Body.Html.Data")
        _keep_bodies(self.backend, result.result["MessageId"], text, html)
        return result

    def send_email_v2(self: Any) -> Any:
        result = send_v2(self)
        if simple := json.loads(self.body).get("Content", {}).get("Simple"):
            text, html = (simple["Body"].get(part, {}).get("Data") for part in ("Text", "Html"))
            _keep_bodies(self.sesv2_backend.core_backend, json.loads(result)["MessageId"], text, html)
        return result

    send_email_v1._both_bodies = True  # type: ignore[attr-defined]
    EmailResponse.send_email = send_email_v1  # type: ignore[method-assign]
    SESV2Response.send_email = send_email_v2  # type: ignore[method-assign]


def _keep_bodies(backend: Any, message_id: str, text: str | None, html: str | None) -> None:
    message = next((m for m in reversed(backend.sent_messages) if getattr(m, "id", None) == message_id), None)
    if message is not None:
        message.text, message.html = text, html


def _install_immediate_stop() -> None:
    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution

    stop, reflect = Execution.stop, BaseExecutionWorkerCommunication._reflect_execution_status
    if getattr(stop, "_immediate", False):
        return

    def stop_now(self: Any, stop_date: Any, error: str | None, cause: str | None) -> None:
        stop(self, stop_date, error, cause)
        self.exec_status, self.stop_date = ExecutionStatus.ABORTED, stop_date

    def keep_aborted(self: Any) -> None:
        if self.execution.exec_status != ExecutionStatus.ABORTED:
            reflect(self)

    stop_now._immediate = True  # type: ignore[attr-defined]
    Execution.stop = stop_now  # type: ignore[method-assign]
    BaseExecutionWorkerCommunication._reflect_execution_status = keep_aborted  # type: ignore[method-assign]
