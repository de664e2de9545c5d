"""Load records in DynamoDB: created once per upload (the S3 event may come twice), then advanced."""

from typing import Any

from crm import clock
from crm.db import keys
from crm.db.models import FlowLoadItem, FlowPeriodItem, FlowUploaderItem
from crm.db.paging import Page, all_of, one_of, query_page
from crm.db.transaction import Transaction
from crm.errors import Conflict
from crm.file_imports import finish  # noqa: F401 (a load ends as any import record does)
from crm.flow.keys import UploadKey
from crm.flow.model import Load


def to_model(item: FlowLoadItem) -> Load:
    return Load(
        id=item.id, distributor_id=item.distributor_id, period=item.period, kind=item.kind,
        file_name=item.file_name,
        status=item.status, sha256=item.sha256, size=int(item.size) if item.size is not None else None,
        received_at=item.received_at, finished_at=item.finished_at, summary=item.summary.as_dict(),
        rejection=item.rejection.as_dict() if item.rejection else None, superseded_by=item.superseded_by,
        has_error_report=item.report_key is not None, version=item.version or 0,
    )


def get(tenant_id: str, load_id: str) -> FlowLoadItem | None:
    try:
        return FlowLoadItem.get(keys.flow_load_pk(tenant_id, load_id), keys.META)
    except FlowLoadItem.DoesNotExist:
        return None


def receive(key: UploadKey, source_key: str, sha256: str, size: int) -> FlowLoadItem | None:
    """Creates the load as 'received'; None when it already exists (a repeated S3 event)."""
    item = FlowLoadItem(
        keys.flow_load_pk(key.tenant_id, key.load_id), keys.META,
        gsi1pk=keys.flow_loads_pk(key.tenant_id), gsi1sk=f"{key.distributor_id}#{key.load_id}",
        tenant_id=key.tenant_id, id=key.load_id, distributor_id=key.distributor_id, period=key.period,
        kind=key.kind.value, file_name=key.file_name, source_key=source_key, sha256=sha256, size=size,
        status="received",
        received_at=clock.now_iso(), summary={},
    )
    tx = Transaction()
    tx.put(item, on_fail=lambda: Conflict("already received"))
    try:
        tx.commit()
    except Conflict:
        return None
    item.version = 1
    return item


UPLOADER = "UPLOADER"
UPLOADER_DAYS = 7  # the link lasts minutes; the import runs as the file lands


def remember_uploader(tenant_id: str, load_id: str, user_id: str) -> None:
    """Who asked for the upload link: the load's end is told to them (the file itself names no one)."""
    now = clock.now()
    FlowUploaderItem(keys.flow_load_pk(tenant_id, load_id), UPLOADER, user_id=user_id, requested_at=now.isoformat(),
                     expiration=int(now.timestamp()) + UPLOADER_DAYS * 86400).save()


def uploader(tenant_id: str, load_id: str) -> str | None:
    try:
        return str(FlowUploaderItem.get(keys.flow_load_pk(tenant_id, load_id), UPLOADER).user_id)
    except FlowUploaderItem.DoesNotExist:
        return None  # a file put in the bucket without a link (the demo seeding)


def current(tenant_id: str, distributor_id: str, period: str, kind: str = "flow") -> FlowPeriodItem | None:
    """The period's accepted load of that kind of file from that distributor, if any."""
    try:
        return FlowPeriodItem.get(keys.flow_period_pk(tenant_id, distributor_id, period, kind), "CURRENT")
    except FlowPeriodItem.DoesNotExist:
        return None


def accept(item: FlowLoadItem, status: str, previous: FlowPeriodItem | None, **fields: Any) -> FlowLoadItem | None:
    """Marks the load accepted, makes it the period's current load and the previous one superseded,
    all in one transaction: readers of the pointer never see two loads for one period."""
    old = get(item.tenant_id, previous.load_id) if previous else None  # before the pointer moves
    tx = Transaction()
    for name, value in fields.items():
        setattr(item, name, value)
    item.status, item.finished_at = status, clock.now_iso()
    tx.put(item)
    pointer = previous or FlowPeriodItem(
        keys.flow_period_pk(item.tenant_id, item.distributor_id, item.period, item.kind), "CURRENT")
    pointer.load_id, pointer.sha256 = item.id, item.sha256 or ""
    tx.put(pointer)  # conditional on the version read: two loads finishing at once cannot both win
    if old is not None:
        old.status, old.superseded_by = "superseded", item.id
        tx.put(old)
    tx.commit()
    return old


def list_loads(tenant_id: str, distributor_id: str | None, limit: int, cursor: str | None,
               kind: str | None = None, among: set[str] | None = None) -> Page[Load]:
    """Newest first: one distributor's loads, or every one's (`among`: only those distributors')."""
    prefix = f"{distributor_id}#" if distributor_id else ""
    where = all_of(FlowLoadItem.kind == kind if kind else None,
                   one_of(FlowLoadItem.distributor_id, among) if among is not None else None)
    page = query_page(FlowLoadItem, "gsi1pk", keys.flow_loads_pk(tenant_id), limit=limit, cursor=cursor,
                      range_condition=FlowLoadItem.gsi1sk.startswith(prefix) if prefix else None,
                      filter_condition=where, index_name="gsi1", forward=False)
    return Page([to_model(i) for i in page.items], page.cursor)
