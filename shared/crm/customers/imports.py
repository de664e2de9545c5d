"""Customer archive imports: the request and reply shapes, the upload key and the import record.

The record's life: awaiting_upload → processing (the file is read and every row checked) → validated (a dry
run: counts and report, nothing written; it may then be applied without uploading again) | rejected (the
file cannot be used, or all-or-nothing met bad rows: nothing written) | writing → completed |
completed_with_errors (good rows applied, the bad ones reported) | interrupted (a write failed mid-way: what
was written stays, applying again goes on from there). crm.file_imports keeps the upload part of that life.
"""

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictBool

from crm import clock
from crm.auth import Principal, Role, require
from crm.customers.model import Strict
from crm.db import keys
from crm.db.models import CustomerImportItem
from crm.errors import Conflict, NotFound
from crm.file_imports import ImportKey as FileImportKey
from crm.file_imports import Records, safe_file_name, upload_form
from crm.ids import new_id
from crm.text import FreeText
from crm.upload_links import UploadForm

Mode = Literal["all_or_nothing", "apply_good_rows"]
Status = Literal[
    "awaiting_upload",
    "processing",
    "validated",
    "writing",
    "interrupted",
    "completed",
    "completed_with_errors",
    "rejected",
]
APPLICABLE = ("validated", "interrupted")  # what POST /customer-imports/{id}/apply takes


class ImportRequest(Strict):
    file_name: Annotated[str, FreeText(200, min_length=1)]
    dry_run: StrictBool = Field(default=False, description="Check every row and report, write nothing")
    mode: Mode = Field(
        default="all_or_nothing",
        description="all_or_nothing: nothing is written unless every row is good; apply_good_rows: the good rows "
        "are written and the bad ones reported",
    )


class ApplyRequest(Strict):
    mode: Mode | None = Field(default=None, description="Changes the mode the import was requested with")


class ImportTicket(UploadForm):
    """Where to upload the file (a presigned POST form) and the import it starts."""

    import_id: str
    key: str


class ReportLinks(BaseModel):
    csv: str
    xlsx: str
    expires_in: int


class CustomerImport(BaseModel):
    id: str
    file_name: str
    status: Status
    dry_run: bool
    mode: Mode
    outcome: str | None = Field(default=None, description="What was done, in words (written or not, and why)")
    requested_by: str
    requested_at: datetime
    finished_at: datetime | None = None
    rows: int = Field(default=0, description="Data rows in the file")
    valid: int = Field(default=0, description="Rows that can be written")
    rejected: int = Field(default=0, description="Rows not written: bad values or duplicates")
    duplicates: int = Field(default=0, description="Of the rejected: names or aliases colliding (see the report)")
    to_create: int = 0
    to_update: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    written: int = Field(default=0, description="Valid rows handled so far (a resumed write goes on from here)")
    runs: int = Field(default=0, description="Invocations that wrote rows: a long file is written by several in turn")
    rejection: dict[str, Any] | None = Field(default=None, description="Why nothing was (or no more is) written")
    error_report: ReportLinks | None = Field(default=None, description="The rejected rows, with reasons and candidates")
    version: int


class ImportKey(FileImportKey):
    """imports/customers/<tenant>/<import id>/<file name>."""

    AREA = "customers"

    def staged_key(self) -> str:
        """The checked rows, ready to write (JSON lines): what a dry run's apply and a resumed write read."""
        return f"staged/{self.AREA}/{self.tenant_id}/{self.import_id}/rows.jsonl"


records = Records(CustomerImportItem, keys.customer_import_pk)
get = records.get


def key_of(item: CustomerImportItem) -> ImportKey:
    return ImportKey(item.tenant_id, item.id, item.source_key.rsplit("/", 1)[-1])


def create(key: ImportKey, request: ImportRequest, principal: Principal) -> CustomerImportItem:
    item = CustomerImportItem(
        keys.customer_import_pk(key.tenant_id, key.import_id),
        keys.META,
        tenant_id=key.tenant_id,
        id=key.import_id,
        file_name=request.file_name,
        source_key=str(key),
        status="awaiting_upload",
        dry_run=request.dry_run,
        mode=request.mode,
        principal=principal_json(principal),
        requested_by=principal.user_id,
        requested_at=clock.now_iso(),
        summary={},
    )
    item.save()
    return item


def principal_json(p: Principal) -> str:
    stored = {"user_id": p.user_id, "org_unit_id": p.org_unit_id, "roles": sorted(p.roles), "name": p.name}
    return json.dumps(stored, ensure_ascii=False)


def stored_principal(item: CustomerImportItem) -> Principal:
    stored = json.loads(item.principal)
    return Principal(
        tenant_id=item.tenant_id,
        user_id=stored["user_id"],
        org_unit_id=stored["org_unit_id"],
        roles=frozenset(Role(r) for r in stored["roles"]),
        name=stored.get("name"),
    )


def to_model(item: CustomerImportItem, uploads_bucket: str) -> CustomerImport:
    summary = {k: int(v) for k, v in (item.summary.as_dict() if item.summary else {}).items()}
    links = ReportLinks(**key_of(item).report_urls(uploads_bucket)) if item.report_key else None
    return CustomerImport(
        id=item.id,
        file_name=item.file_name,
        status=item.status,
        dry_run=bool(item.dry_run),
        mode=item.mode,
        outcome=item.outcome,
        requested_by=item.requested_by,
        requested_at=item.requested_at,
        finished_at=item.finished_at,
        **summary,
        written=int(item.written or 0),
        runs=int(item.runs or 0),
        rejection=item.rejection.as_dict() if item.rejection else None,
        error_report=links,
        version=item.version or 0,
    )


def refusal(record: CustomerImportItem) -> dict[str, str] | None:
    """Why the import's mode lets nothing be written, if it does not."""
    s = record.summary.as_dict()
    if record.mode == "all_or_nothing" and int(s.get("rejected", 0)):
        return {
            "code": "bad_rows",
            "message": f"All or nothing: {int(s['rejected'])} of {int(s['rows'])} rows are bad or duplicates, so "
            "nothing was written. Fix them (see the report), or apply the good rows.",
        }
    if not int(s.get("valid", 0)):
        return {"code": "no valid rows", "message": "No row of the file is good; nothing was written (see the report)."}
    return None


# ----------------------------------------------------------------------------- the API's use cases


def request_import(p: Principal, request: ImportRequest, bucket: str) -> ImportTicket:
    """A presigned POST form (type and size bound); the S3 event that follows starts CustomerImportFunction."""
    require(p, "customer:import")
    key = ImportKey(p.tenant_id, new_id(), safe_file_name(request.file_name))
    create(key, request, p)
    return ImportTicket(import_id=key.import_id, key=str(key), **upload_form(bucket, key))


def read_import(p: Principal, import_id: str, bucket: str) -> CustomerImport:
    return to_model(_own(p, import_id), bucket)


def apply_import(p: Principal, import_id: str, request: ApplyRequest, bucket: str, function: str) -> CustomerImport:
    """Writes a dry run's good rows, or goes on with an interrupted write, from the rows staged when the file was
    checked (no second upload). 409 when the import is not waiting for that, or its mode lets nothing be written."""
    item = _own(p, import_id)
    if item.status not in APPLICABLE:
        raise Conflict(f"The import is {item.status}; only a validated (dry run) or interrupted import is applied.")
    if request.mode is not None and item.status == "validated":
        item.mode = request.mode
    refused = refusal(item)
    if refused and item.status == "validated":
        raise Conflict(refused["message"], code=refused["code"])
    item.status, item.dry_run, item.rejection = "writing", False, None
    item.save()  # conditional on the version read: of two applies at once, one goes on
    from crm import aws

    payload = {"action": "write", "tenant_id": item.tenant_id, "import_id": item.id}
    aws.client("lambda").invoke(FunctionName=function, InvocationType="Event", Payload=json.dumps(payload).encode())
    return to_model(item, bucket)


def _own(p: Principal, import_id: str) -> CustomerImportItem:
    """Imports are seen by whoever asked for them, and by HQ admins."""
    require(p, "customer:import")
    item = get(p.tenant_id, import_id)
    if item is None or (item.requested_by != p.user_id and Role.HQ_ADMIN not in p.roles):
        raise NotFound(f"No customer import {import_id}.")
    return item
