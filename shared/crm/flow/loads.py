"""Load records in DynamoDB: the upload as issued with its link, then one load per version of the uploaded object
(created once however often the S3 event comes), advanced to its end."""

from dataclasses import dataclass
from typing import Any

from crm import clock
from crm.db import keys
from crm.db.models import FlowLoadItem, FlowPeriodItem, FlowUploaderItem, FlowVersionItem
from crm.db.paging import Page, all_of, one_of, query_page
from crm.db.transaction import Transaction
from crm.errors import Conflict
from crm.file_imports import finish  # noqa: F401 (a load ends as any import record does)
from crm.flow.keys import UploadKey
from crm.flow.model import Load
from crm.ids import new_id
from crm.ingest.mapping import FileKind


def to_model(item: FlowLoadItem) -> Load:
    return Load(
        id=item.id,
        distributor_id=item.distributor_id,
        period=item.period,
        kind=item.kind,
        file_name=item.file_name,
        status=item.status,
        sha256=item.sha256,
        size=int(item.size) if item.size is not None else None,
        received_at=item.received_at,
        finished_at=item.finished_at,
        summary=item.summary.as_dict(),
        rejection=item.rejection.as_dict() if item.rejection else None,
        superseded_by=item.superseded_by,
        has_error_report=item.report_key is not None,
        object_version=item.object_version,
        upload_id=item.upload_id or item.id,
        version=item.version or 0,
    )


def get(tenant_id: str, load_id: str) -> FlowLoadItem | None:
    try:
        return FlowLoadItem.get(keys.flow_load_pk(tenant_id, load_id), keys.META)
    except FlowLoadItem.DoesNotExist:
        return None


def key_of(item: FlowLoadItem) -> UploadKey:
    """The load's own key: where its Parquet and reports go (a later version's load has an id of its own)."""
    return UploadKey(item.tenant_id, item.distributor_id, item.period, item.id, item.file_name, FileKind(item.kind))


class _VersionSeen(Conflict):
    pass


class _IdTaken(Conflict):
    pass


def receive(
    upload: UploadKey, source_key: str, object_version: str, sha256: str | None, size: int
) -> FlowLoadItem | None:
    """Creates the load that reads this version of the uploaded object, as 'received'; None when one exists
    already (a repeated S3 event). The upload's first version gets the upload's id; a later one (the same form
    sent again) a new id, so each version is a load of its own and a load's fingerprint is its version's."""
    for load_id in (upload.load_id, new_id()):
        item = FlowLoadItem(
            keys.flow_load_pk(upload.tenant_id, load_id),
            keys.META,
            gsi1pk=keys.flow_loads_pk(upload.tenant_id),
            gsi1sk=f"{upload.distributor_id}#{load_id}",
            tenant_id=upload.tenant_id,
            id=load_id,
            distributor_id=upload.distributor_id,
            period=upload.period,
            kind=upload.kind.value,
            file_name=upload.file_name,
            source_key=source_key,
            sha256=sha256,
            size=size,
            object_version=object_version,
            upload_id=upload.load_id if load_id != upload.load_id else None,
            status="received",
            received_at=clock.now_iso(),
            summary={},
        )
        marker = FlowVersionItem(
            keys.flow_load_pk(upload.tenant_id, upload.load_id), _version_sk(object_version), load_id=load_id
        )
        tx = Transaction()
        tx.put(marker, condition=FlowVersionItem.pk.does_not_exist(), on_fail=lambda: _VersionSeen("seen"))
        tx.put(item, on_fail=lambda: _IdTaken("taken"))  # a new item: conditional on not existing
        try:
            tx.commit()
        except _VersionSeen:
            return None
        except _IdTaken:
            continue  # the upload's id read an earlier version: this one is a new load
        item.version = 1
        return item
    raise Conflict("A new load id was taken as it was made.")  # a ULID collision: S3 retries the event


def for_version(tenant_id: str, upload_id: str, object_version: str) -> FlowLoadItem | None:
    """The load that read this version of the upload's object, if any (a repeated S3 event finds it)."""
    try:
        marker = FlowVersionItem.get(keys.flow_load_pk(tenant_id, upload_id), _version_sk(object_version))
    except FlowVersionItem.DoesNotExist:
        return None
    return get(tenant_id, marker.load_id)


def _version_sk(object_version: str) -> str:
    return f"VERSION#{object_version}"


UPLOADER = "UPLOADER"
UPLOADER_DAYS = 7  # the link lasts minutes; the import runs as the file lands


@dataclass(frozen=True)
class Issued:
    """An upload as its link was handed out: the key it may be put under, and who asked (None: our seeding)."""

    key: UploadKey
    user_id: str | None


def issue(key: UploadKey, user_id: str | None) -> None:
    """Recorded before the link is handed out: whose file, which kind and period, which file name, and who asked.
    The import reads the file as this record says, and refuses a key that has none or another one."""
    now = clock.now()
    FlowUploaderItem(
        keys.flow_load_pk(key.tenant_id, key.load_id),
        UPLOADER,
        user_id=user_id,
        requested_at=now.isoformat(),
        expiration=int(now.timestamp()) + UPLOADER_DAYS * 86400,
        distributor_id=key.distributor_id,
        kind=key.kind.value,
        period=key.period,
        file_name=key.file_name,
    ).save()


def issued(tenant_id: str, load_id: str) -> Issued | None:
    """The upload issued under this id; None when no link was handed out for it (or its record predates this)."""
    try:
        item = FlowUploaderItem.get(keys.flow_load_pk(tenant_id, load_id), UPLOADER)
    except FlowUploaderItem.DoesNotExist:
        return None
    if not (item.distributor_id and item.kind and item.period and item.file_name):
        return None
    key = UploadKey(tenant_id, item.distributor_id, item.period, load_id, item.file_name, FileKind(item.kind))
    return Issued(key, item.user_id)


def uploader(item: FlowLoadItem) -> str | None:
    """Who asked for the upload link the load's file came through."""
    try:
        found = FlowUploaderItem.get(keys.flow_load_pk(item.tenant_id, item.upload_id or item.id), UPLOADER)
    except FlowUploaderItem.DoesNotExist:
        return None
    return str(found.user_id) if found.user_id else None


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
        keys.flow_period_pk(item.tenant_id, item.distributor_id, item.period, item.kind), "CURRENT"
    )
    pointer.load_id, pointer.sha256 = item.id, item.sha256 or ""
    tx.put(pointer)  # conditional on the version read: two loads finishing at once cannot both win
    if old is not None:
        old.status, old.superseded_by = "superseded", item.id
        tx.put(old)
    tx.commit()
    return old


def list_loads(
    tenant_id: str,
    distributor_id: str | None,
    limit: int,
    cursor: str | None,
    kind: str | None = None,
    among: set[str] | None = None,
) -> Page[Load]:
    """Newest first: one distributor's loads, or every one's (`among`: only those distributors')."""
    prefix = f"{distributor_id}#" if distributor_id else ""
    where = all_of(
        FlowLoadItem.kind == kind if kind else None,
        one_of(FlowLoadItem.distributor_id, among) if among is not None else None,
    )
    page = query_page(
        FlowLoadItem,
        "gsi1pk",
        keys.flow_loads_pk(tenant_id),
        limit=limit,
        cursor=cursor,
        range_condition=FlowLoadItem.gsi1sk.startswith(prefix) if prefix else None,
        filter_condition=where,
        index_name="gsi1",
        forward=False,
    )
    return Page([to_model(i) for i in page.items], page.cursor)
