"""Exports of a list: the request (checked, queued, audited, handed to the worker), the caller's own jobs, and the
job's run in the worker, as the caller.

Always a job, even for a short list: one code path, and the worker finishes a small list in a moment. The job
holds the principal that asked; the worker checks it again against the user directory (still active, roles not
taken away) before reading anything.
"""

import json
import os
import tempfile
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from pynamodb.exceptions import PutError

from crm import audit, clock
from crm.auth import Principal, Role, require
from crm.db import keys
from crm.db.models import ExportItem
from crm.db.paging import query_page
from crm.db.transaction import Transaction
from crm.errors import BadRequest, DomainError, InvalidInput, NotFound
from crm.exports.lists import LISTS, ExportableList
from crm.exports.model import Export, ExportPage, ExportRequest
from crm.ids import new_id
from crm.org import directory
from crm.upload_links import URL_SECONDS, XLSX, download_url

FILE_PREFIX = "exports/lists/"  # under the analytics bucket's exports/, which template.yaml expires after 7 days
KEEP_DAYS = 7
WORKER_SECONDS = 900  # ExportWorkerFunction's Timeout: a job running longer than this was cut off
CONTENT_TYPES = {"xlsx": XLSX, "csv": "text/csv; charset=utf-8"}


class ExportService:
    def __init__(self, principal: Principal, worker_function: str | None = None) -> None:
        self.p = principal
        self.tenant = principal.tenant_id
        self.worker_function = worker_function

    def create(self, request: ExportRequest) -> Export:
        require(self.p, "export:create")
        exportable = LISTS[request.list]
        require(self.p, exportable.permission)
        filters = checked_filters(exportable, request.filters)
        _first_page(exportable, self.p, filters)  # what the list route would refuse is a 422 now, not a failed job
        now = clock.now()
        job = ExportItem(
            keys.exports_pk(self.tenant, self.p.user_id),
            keys.export_sk(export_id := new_id()),
            tenant_id=self.tenant,
            id=export_id,
            list_name=request.list,
            filters=json.dumps(filters.model_dump(mode="json", exclude_defaults=True), ensure_ascii=False),
            format=request.format,
            principal=_principal_json(self.p),
            status="queued",
            rows=0,
            requested_at=now.isoformat(timespec="milliseconds"),
            expiration=int((now + timedelta(days=KEEP_DAYS + 1)).timestamp()),
        )
        what = {"list": request.list, "filters": json.loads(job.filters), "format": request.format}
        _save(job, "export.requested", self.p.user_id, {k: {"before": None, "after": v} for k, v in what.items()})
        self._start(job)
        return to_model(job)

    def _start(self, job: ExportItem) -> None:
        from crm import aws

        if not self.worker_function:
            raise RuntimeError("EXPORT_WORKER_FUNCTION is not configured")
        payload = {"tenant_id": job.tenant_id, "user_id": self.p.user_id, "export_id": job.id}
        aws.client("lambda").invoke(
            FunctionName=self.worker_function, InvocationType="Event", Payload=json.dumps(payload).encode()
        )

    def get(self, export_id: str, bucket: str | None) -> Export:
        require(self.p, "export:read")
        job = _load(self.tenant, self.p.user_id, export_id)
        if job is None:  # another user's export is not in the caller's partition at all
            raise NotFound(f"No export {export_id}.")
        return to_model(job, bucket)

    def mine(self, limit: int, cursor: str | None) -> ExportPage:
        require(self.p, "export:read")
        page = query_page(
            ExportItem,
            "pk",
            keys.exports_pk(self.tenant, self.p.user_id),
            limit=limit,
            cursor=cursor,
            range_condition=ExportItem.sk.startswith(keys.export_sk("")),
            forward=False,  # ULIDs: newest first
        )
        return ExportPage(items=[to_model(job) for job in page.items], next_cursor=page.cursor)


def checked_filters(exportable: ExportableList, raw: dict[str, Any]) -> Any:
    """The list route's own bounds on its query parameters; anything else is a 422 naming the filter."""
    try:
        return exportable.filters.model_validate(raw)
    except ValidationError as exc:
        errors = [{"field": ".".join(["filters", *map(str, e["loc"])]), "message": e["msg"]} for e in exc.errors()]
        raise InvalidInput(f"Filters the {exportable.name} list does not take.", errors=errors) from exc


def _first_page(exportable: ExportableList, principal: Principal, filters: Any) -> None:
    try:
        exportable.page(principal, filters, None)
    except InvalidInput as exc:  # e.g. an org unit outside the caller's scope: a bad filter like any other
        errors = [{**e, "field": f"filters.{e['field']}"} for e in exc.extra.get("errors", [])]
        raise InvalidInput(exc.detail, errors=errors) from exc


def _principal_json(p: Principal) -> str:
    return json.dumps(
        {
            "tenant_id": p.tenant_id,
            "user_id": p.user_id,
            "org_unit_id": p.org_unit_id,
            "roles": sorted(p.roles),
            "distributor_id": p.distributor_id,
            "name": p.name,
        },
        ensure_ascii=False,
    )


def _load(tenant_id: str, user_id: str, export_id: str) -> ExportItem | None:
    try:
        return ExportItem.get(keys.exports_pk(tenant_id, user_id), keys.export_sk(export_id), consistent_read=True)
    except ExportItem.DoesNotExist:
        return None


def _save(
    job: ExportItem, action: str, actor_id: str, changes: dict[str, dict[str, Any]], reason: str | None = None
) -> None:
    """The job and its audit entry (who exported what, when, how many rows), both or neither."""
    tx = Transaction()
    tx.put(job)
    audit.stage(tx, job.pk, job.tenant_id, action, actor_id, changes, reason)
    tx.commit()


def to_model(job: ExportItem, bucket: str | None = None) -> Export:
    status, error = job.status, job.error
    started = datetime.fromisoformat(job.requested_at)
    if status in ("queued", "running") and clock.now() - started > timedelta(seconds=WORKER_SECONDS + 60):
        status, error = "failed", "The export ran out of time; ask for a narrower list."
    link = download_url(bucket, job.file_key) if status == "done" and bucket and job.file_key else None
    return Export(
        id=job.id,
        list=job.list_name,
        filters=json.loads(job.filters),
        format=job.format,
        status=status,
        rows=int(job.rows),
        file_name=job.file_name,
        download_url=link,
        expires_in=URL_SECONDS if link else None,
        error=error,
        requested_at=started,
        finished_at=datetime.fromisoformat(job.finished_at) if job.finished_at else None,
    )


# ------------------------------------------------------------------ the worker


def run(tenant_id: str, user_id: str, export_id: str, bucket: str) -> None:
    """Writes the file and marks the job done; a refusal or a bad filter marks it failed, with the reason. A job
    that is not queued (an invocation delivered twice) is left alone."""
    job = _load(tenant_id, user_id, export_id)
    if job is None or job.status != "queued":
        return
    job.status = "running"
    try:
        job.save()  # conditional on its version: of two deliveries of one invocation, one runs it
    except PutError:
        return
    try:
        _write(job, reauthorized(job), bucket)
    except DomainError as exc:
        _fail(job, exc.detail)
    except Exception:
        _fail(job, "The export stopped on an unexpected error.")
        raise  # logged, and the event goes to the dead-letter queue


def reauthorized(job: ExportItem) -> Principal:
    """The principal stored with the job, as the directory knows the user now: an inactive user exports nothing,
    and a role taken away since is gone. (Distributor users the directory does not hold keep their token's.)"""
    stored = json.loads(job.principal)
    roles = frozenset(Role(r) for r in stored["roles"])
    user = directory.find_user(job.tenant_id, stored["user_id"])
    if user is not None:
        if not user.active:
            raise BadRequest("The user who asked for this export is no longer active.")
        roles = frozenset(r for r in roles if r.value in user.roles)
    principal = Principal(
        tenant_id=stored["tenant_id"],
        user_id=stored["user_id"],
        org_unit_id=stored["org_unit_id"],
        roles=roles,
        distributor_id=stored["distributor_id"],
        name=stored["name"],
    )
    require(principal, "export:create")
    require(principal, LISTS[job.list_name].permission)
    return principal


def _write(job: ExportItem, principal: Principal, bucket: str) -> None:
    from crm import aws
    from crm.exports.writer import write_csv, write_xlsx

    exportable = LISTS[job.list_name]
    filters = checked_filters(exportable, json.loads(job.filters))
    pages = ([exportable.row(item) for item in items] for items in exportable.pages(principal, filters))
    stamp = clock.now().astimezone(clock.BUSINESS_TZ).strftime("%Y%m%d-%H%M%S")
    file_name = f"{exportable.title}_{stamp}.{job.format}"
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, file_name)
        if job.format == "csv":
            rows = write_csv(path, exportable.headers, pages)
        else:
            rows = write_xlsx(path, exportable.title, exportable.headers, pages)
        key = f"{FILE_PREFIX}{job.tenant_id}/{job.id}/{file_name}"
        from boto3.s3.transfer import TransferConfig  # the worker's only transfer; the API never loads it

        single = TransferConfig(use_threads=False)  # the transfer's own threads would not sign as the tenant
        aws.s3().upload_file(path, bucket, key, ExtraArgs=_file_headers(job.format, file_name), Config=single)
    job.status, job.rows, job.file_key, job.file_name = "done", rows, key, file_name
    job.finished_at = clock.now_iso()
    _save(job, "export.completed", principal.user_id, {"rows": {"before": None, "after": rows}})


def _file_headers(file_format: str, file_name: str) -> dict[str, str]:
    from urllib.parse import quote

    return {
        "ContentType": CONTENT_TYPES[file_format],
        "ContentDisposition": f"attachment; filename=\"export.{file_format}\"; filename*=UTF-8''{quote(file_name)}",
    }


def _fail(job: ExportItem, reason: str) -> None:
    job.status, job.error, job.finished_at = "failed", reason, clock.now_iso()
    _save(job, "export.failed", json.loads(job.principal)["user_id"], {}, reason)
