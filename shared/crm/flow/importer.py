"""The S3-triggered import of one uploaded file (any kind: flow, sell-out, stock, opening, shipments):
fingerprint, parse, write Parquet, then accept.

Order matters: the Parquet object is written before the load is accepted, and the period's
pointer moves to the new load in the same transaction that marks the old one superseded.
Any failure leaves the previously accepted load of that period untouched.
"""

import hashlib
import io
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import unquote_plus

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from botocore.exceptions import ClientError

from crm import aws, events, tenancy
from crm.customers import repository as customer_repo
from crm.customers.model import CustomerType
from crm.db import keys as db_keys
from crm.db.models import CustomerItem, FlowCustomerItem, FlowLoadItem, NameKeyItem
from crm.flow import aliases, evidence, loads, mappings, reviews
from crm.flow.keys import SHIPMENTS_PARTY, UploadKey, parquet_key, report_key, superseded_key
from crm.ids import new_id as new_ulid
from crm.ingest.mapping import KIND_RULES, FileKind
from crm.ingest.match import CustomerIndex, match_buyers
from crm.ingest.model import ERRORS_SCHEMA, TOO_LARGE, Customer, Product
from crm.ingest.pipeline import IngestRequest, ingest_file
from crm.ingest.report import errors_csv_bytes, errors_xlsx_bytes
from crm.inventory import periods
from crm.products import repository as products
from crm.upload_links import MAX_FILE_BYTES

log = logging.getLogger(__name__)
LINK_MISMATCH = "not its upload link's key"


@dataclass(frozen=True)
class Buckets:
    uploads: str
    analytics: str


def _s3() -> Any:
    return aws.s3()


Metric = Callable[[str, float, str], None]  # (summary field or event, value, distributor id)


@dataclass(frozen=True)
class Arrival:
    """One S3 event record: the object's key and, as S3 reports them, its size and version (None when the event
    has none: a bucket without versioning, or an event made by hand)."""

    key: str
    size: int | None = None
    version_id: str | None = None

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> "Arrival":
        obj = record["s3"]["object"]
        size = obj.get("size")
        return cls(unquote_plus(obj["key"]), int(size) if size is not None else None, obj.get("versionId"))


@dataclass(frozen=True)
class Stored:
    version_id: str  # "null" in a bucket without versioning
    size: int
    uploaded_at: datetime


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


def import_object(buckets: Buckets, arrival: Arrival, metric: Metric) -> str:
    """Imports one version of an uploaded object; returns the load's final status ('duplicate' for a repeated
    event, 'outdated' for a version replaced since, 'refused' for a key no upload link was issued for).

    The file is read as its upload was issued (crm.flow.loads.issue), never as its key alone says; its size is
    known before it is read. The load's end is announced after it is stored, outside the failure handling: an
    event bus that refuses it fails the invocation (so S3's retry comes back), never the load. The repeated
    delivery finds the load ended and announces it again; the event id is the same, so nobody is told twice.
    """
    try:
        key = UploadKey.parse(arrival.key)
    except ValueError:
        return _unissued(arrival, None, metric)
    with tenancy.acting_for(key.tenant_id):  # the key's tenant, whose credentials reach only its own data
        return _import_key(buckets, arrival, key, metric)


def _import_key(buckets: Buckets, arrival: Arrival, key: UploadKey, metric: Metric) -> str:
    stored = _current(buckets.uploads, arrival)
    if stored is None:  # replaced or deleted since: the later version's own event imports that one
        return "outdated"
    earlier = loads.for_version(key.tenant_id, key.load_id, stored.version_id)
    if earlier is not None:
        return _repeated(earlier)
    issued = loads.issued(key.tenant_id, key.load_id)
    if issued is None:
        return _unissued(arrival, key, metric)
    # Before the load is received: a delivery that fails here comes back and locks it then.
    evidence.keep(key.tenant_id, buckets.uploads, arrival.key, stored.version_id, stored.uploaded_at)
    refusal = _refusal(issued.key, key, stored.size)
    data = b"" if refusal else _read(buckets.uploads, arrival.key, stored.version_id)
    sha256 = None if refusal else hashlib.sha256(data).hexdigest()
    load = loads.receive(issued.key, arrival.key, stored.version_id, sha256, stored.size)
    if load is None:  # S3 delivers at least once; the first delivery does the work
        return "duplicate"
    status = _import(buckets, load, data, refusal, metric)
    _announce(load)
    return status


def _current(bucket: str, arrival: Arrival) -> Stored | None:
    """The object as a read gets it now (HEAD): its version and size; None when it is gone, or when the event
    names a version that is no longer the current one (the same form was sent again)."""
    try:
        head = _s3().head_object(Bucket=bucket, Key=arrival.key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    version = head.get("VersionId") or "null"
    if arrival.version_id not in (None, version):
        return None
    named = arrival.version_id == version and arrival.size is not None  # the event's size is this version's
    size = int(arrival.size if named else head["ContentLength"])  # type: ignore[arg-type]
    return Stored(version, size, head["LastModified"])


def _refusal(issued: UploadKey, key: UploadKey, size: int) -> Refusal | None:
    """Why the file is not read at all: another key than its link's, or more bytes than any file may have."""
    if str(issued) != str(key):
        return Refusal(
            LINK_MISMATCH,
            f"The file was put under {key}, not under the key its upload link named "
            f"({issued}); nothing was imported. Upload it through a new link.",
        )
    if size > MAX_FILE_BYTES:  # S3 refuses it under the form's policy; a file put there otherwise is not read
        return Refusal(TOO_LARGE, f"The file has {size} bytes, more than {MAX_FILE_BYTES}.")
    return None


def _read(bucket: str, key: str, version_id: str) -> bytes:
    version = {"VersionId": version_id} if version_id != "null" else {}
    return bytes(_s3().get_object(Bucket=bucket, Key=key, **version)["Body"].read())


def _repeated(earlier: FlowLoadItem) -> str:
    if earlier.status not in ("received", "processing"):
        _announce(earlier)
    return "duplicate"


def _unissued(arrival: Arrival, key: UploadKey | None, metric: Metric) -> str:
    """A file no upload link was issued for: kept as it is, read by no one, and nobody's load is touched (the key
    names a distributor, but nothing says the file is its). Logged and counted (UnissuedUploads) for operations."""
    log.error("flow file refused: no upload was issued for its key", extra={"s3_key": arrival.key})
    metric("unissued", 1, key.distributor_id if key else "")
    return "refused"


def _import(buckets: Buckets, load: FlowLoadItem, data: bytes, refusal: Refusal | None, metric: Metric) -> str:
    key = loads.key_of(load)
    try:
        if refusal is not None:
            report = _write_rejection_report(buckets, key, refusal.code, refusal.message, {})
            loads.finish(
                load, "rejected", report_key=report, rejection={"code": refusal.code, "message": refusal.message}
            )
            return str(load.status)
        return _process(buckets, key, load, data, metric)
    except Exception:  # a bug or an outage must not leave the load 'processing' for ever
        log.exception("flow import failed")
        rejection = {
            "code": "internal",
            "message": "The import failed on our side; it has been logged. Upload the file again later.",
        }
        try:
            written: str | None = _write_rejection_report(buckets, key, rejection["code"], rejection["message"], {})
        except Exception:  # the outage may be S3 itself; the status still has to say what happened
            log.exception("flow rejection report not written")
            written = None
        loads.finish(load, "rejected", rejection=rejection, report_key=written)
        return str(load.status)


def _process(buckets: Buckets, key: UploadKey, load: Any, data: bytes, metric: Metric) -> str:
    sha256 = load.sha256
    previous = loads.current(key.tenant_id, key.distributor_id, key.period, key.kind)
    if previous is not None and previous.sha256 == sha256:
        loads.finish(load, "held", summary={"reason": f"same content as load {previous.load_id}"})
        return str(load.status)
    if periods.is_closed(key.tenant_id, key.period):  # closed between the upload link and the upload
        message = f"Period {key.period} is closed; its figures are frozen. Ask for it to be reopened."
        loads.finish(
            load,
            "rejected",
            report_key=_write_rejection_report(buckets, key, "period closed", message, {}),
            rejection={"code": "period closed", "message": message},
        )
        return str(load.status)
    loads.finish(load, "processing")
    matches_buyers = KIND_RULES[key.kind].match_buyers
    result = ingest_file(
        IngestRequest(
            data=data,
            file_name=key.file_name,
            period=key.period,
            load_id=key.load_id,
            kind=key.kind,
            source_key=load.source_key,
            template=mappings.template_for(key.tenant_id, key.distributor_id, key.kind),
        ),
        [Product(p.sku, p.name, p.spec, p.base_unit, p.case_size) for p in products.all_active(key.tenant_id)],
        _index(key.tenant_id, key.distributor_id) if matches_buyers else None,
        partial(_distributors_among, key.tenant_id),
    )
    report = _write_reports(buckets, key, result.errors) if result.errors.num_rows else None
    if result.status == "rejected":
        code, message = (result.rejection.code, result.rejection.message) if result.rejection else ("", "")
        detail = json.loads(json.dumps(result.rejection.detail, default=str)) if result.rejection else {}
        if report is None:  # a file-level rejection: the report says what is wrong with the file, in full
            report = _write_rejection_report(buckets, key, code, message, detail)
        # The load record holds a bounded summary: a file's own text (its headers, say) can be megabytes,
        # and a DynamoDB item ends at 400 KB. Over that, the save failed and the reason was lost ('internal').
        loads.finish(
            load,
            "rejected",
            report_key=report,
            rejection={"code": code, "message": _clip(message, MAX_MESSAGE), "detail": _bounded(detail)},
        )
        return str(load.status)
    summary = _summary(result, matches_buyers)
    if result.valid_rows == 0:  # every row refused: replacing the period's figures with nothing would lose them
        loads.finish(
            load,
            "rejected",
            report_key=report,
            summary=summary,
            rejection={
                "code": "no valid rows",
                "message": f"None of the {result.data_rows} rows can be "
                "used; see the error report. The period's earlier file still counts.",
            },
        )
        return str(load.status)
    for name in ("accepted", "rejected", "match_rate"):
        if name in summary:
            metric(name, summary[name], key.distributor_id)
    parquet = parquet_key(key)
    _s3().put_object(Bucket=buckets.analytics, Key=parquet, Body=_parquet_bytes(result.lines))
    if key.kind == FileKind.FLOW:  # what a terminal bought from whom, for the customer page
        _write_customer_summaries(key, result.lines)  # before the pointer moves, so readers never see half
    status = "accepted_with_errors" if summary["rejected"] else "accepted"
    old = loads.accept(load, status, previous, summary=summary, parquet_key=parquet, report_key=report)
    if matches_buyers:
        reviews.record(key.tenant_id, key.distributor_id, key.load_id, result.review)
    if old is not None and old.parquet_key:
        _retire(buckets.analytics, old.parquet_key)
    return str(load.status)


def reattribute(
    buckets: Buckets,
    tenant_id: str,
    load_ids: list[str],
    normalized_name: str,
    customer_id: str | None,
    previous_customer_id: str | None = None,
    distributor_id: str | None = None,
    since: str | None = None,
) -> int:
    """After a person said what a buyer name means: fill in that customer on the loads' unmatched rows.

    With previous_customer_id (a confirmation undone): the rows attributed to that customer by the
    confirmation or by the alias are matched again without it (usually: unknown again). The loads are
    the given ones plus, with distributor_id and since, every load of that distributor imported since.
    """
    ids = list(
        dict.fromkeys(
            [*load_ids, *(_loads_since(tenant_id, distributor_id, since) if distributor_id and since else [])]
        )
    )
    changed = 0
    for load_id in ids:
        load = loads.get(tenant_id, load_id)
        if load is None or load.status not in ("accepted", "accepted_with_errors") or not load.parquet_key:
            continue  # superseded or rejected loads are not read by anyone
        obj = _s3().get_object(Bucket=buckets.analytics, Key=load.parquet_key)["Body"].read()
        table = pq.read_table(io.BytesIO(obj))
        same_name = pc.equal(table["buyer_name_normalized"], normalized_name)
        if previous_customer_id is None:
            hit = pc.and_(same_name, pc.is_null(table["customer_id"]))
            target, new_kind = customer_id, "confirmed"
        else:
            hit = pc.and_(
                pc.and_(same_name, pc.equal(table["customer_id"], previous_customer_id)),
                pc.is_in(table["match_kind"], pa.array(["confirmed", "alias"])),
            )
            target, new_kind = _rematch(tenant_id, load.distributor_id, normalized_name)
        hit = pc.fill_null(hit, False)
        count = pc.sum(hit.cast(pa.int64())).as_py() or 0
        if not count:
            continue
        table = table.set_column(
            table.schema.get_field_index("customer_id"),
            table.schema.field("customer_id"),
            pc.if_else(hit, pa.scalar(target, pa.string()), table["customer_id"]),
        )
        table = table.set_column(
            table.schema.get_field_index("match_kind"),
            table.schema.field("match_kind"),
            pc.if_else(hit, new_kind, table["match_kind"]),
        )
        _s3().put_object(Bucket=buckets.analytics, Key=load.parquet_key, Body=_parquet_bytes(table))
        summary = load.summary.as_dict()
        matched = table.num_rows - table["customer_id"].null_count
        summary["matched"] = matched
        summary["match_rate"] = round(matched / table.num_rows, 4) if table.num_rows else 0.0
        summary["review_names"] = _review_names(table)
        load.summary = summary
        load.save()
        changed += count
    return changed


def _review_names(table: pa.Table) -> int:
    """The load's distinct buyer names still unmatched, as its summary counted them at import (one review item
    each)."""
    unknown = table.filter(pc.equal(table["match_kind"].cast(pa.string()), "unknown"))
    return len(pc.unique(unknown["buyer_name_normalized"].cast(pa.string())))


def _loads_since(tenant_id: str, distributor_id: str, since: str) -> list[str]:
    """Ids of the distributor's loads created since `since` (ISO time), a day's margin for slow uploads."""
    start_ms = int((datetime.fromisoformat(since) - timedelta(days=1)).timestamp() * 1000)
    floor = f"{distributor_id}#{new_ulid(start_ms)[:10]}"
    query = FlowLoadItem.by_tenant.query(
        db_keys.flow_loads_pk(tenant_id), FlowLoadItem.gsi1sk.between(floor, f"{distributor_id}#~")
    )
    return [item.id for item in query]


def _rematch(tenant_id: str, distributor_id: str, normalized_name: str) -> tuple[str | None, str]:
    """What the name matches now (the alias is gone): the same rules an import applies."""
    table, _ = match_buyers(
        pa.table({"buyer_name": pa.array([normalized_name], pa.string())}), _index(tenant_id, distributor_id)
    )
    return table["customer_id"][0].as_py(), table["match_kind"][0].as_py()


def _index(tenant_id: str, distributor_id: str) -> CustomerIndex:
    """The tenant's names and aliases, and this distributor's confirmed names (crm.flow.aliases), which
    are matched before the tenant's aliases. An alias of a customer no longer in the name index is dropped."""
    customers = _customers(tenant_id)
    known = {c.id for c in customers}
    mine = {name: cid for name, cid in aliases.for_matching(tenant_id, distributor_id).items() if cid in known}
    return CustomerIndex(customers, distributor_aliases=mine)


def _customers(tenant_id: str) -> list[Customer]:
    """Names and aliases of the tenant's customers, from the name index (small items, one partition), with each
    one's city: review candidates in the buyer's city are preferred."""
    names: dict[str, str] = {}
    aliases: dict[str, list[str]] = {}
    for key in NameKeyItem.by_text.query(db_keys.names_index_pk(tenant_id)):
        if key.kind == "name":
            names[key.customer_id] = key.text
        else:
            aliases.setdefault(key.customer_id, []).append(key.text)
    cities = _cities(tenant_id)
    return [
        Customer(id=cid, name=name, city=cities.get(cid, ""), aliases=tuple(aliases.get(cid, ())))
        for cid, name in names.items()
    ]


def _cities(tenant_id: str) -> dict[str, str]:
    """customer id → city, for those with one: the tenant's customers as the scope index holds them (one
    partition, only the two attributes sent back)."""
    query = CustomerItem.by_scope.query(db_keys.customers_scope_pk(tenant_id), attributes_to_get=["id", "city"])
    return {item.id: item.city for item in query if item.city}


def _summary(result: Any, matches_buyers: bool) -> dict[str, Any]:
    lines = result.lines
    by_sku = lines.group_by("sku").aggregate([("base_quantity", "sum")]).to_pylist() if lines.num_rows else []
    summary = {
        "rows": result.data_rows,
        "accepted": result.valid_rows,
        "rejected": result.data_rows - result.valid_rows,
        "mapping_version": result.mapping_version,
        "base_qty_by_sku": {r["sku"]: r["base_quantity_sum"] for r in by_sku},
    }
    if matches_buyers:
        matched = lines.num_rows - lines["customer_id"].null_count
        summary.update(
            matched=matched,
            match_rate=round(matched / lines.num_rows, 4) if lines.num_rows else 0.0,
            review_names=len(result.review),
        )
    return summary


def _distributors_among(tenant_id: str, codes: list[str]) -> dict[str, str]:
    """The distributor each code in a shipments file stands for: its ERP code (or our customer id)."""
    by_code = customer_repo.ids_by_code(tenant_id, codes, CustomerType.DISTRIBUTOR)
    by_id = customer_repo.get_many(tenant_id, [c for c in codes if c not in by_code]).values()
    return by_code | {c.id: c.id for c in by_id if c.type == CustomerType.DISTRIBUTOR}


def _write_customer_summaries(key: UploadKey, lines: pa.Table) -> None:
    matched = lines.filter(pc.is_valid(lines["customer_id"]))
    grouped = matched.group_by(["customer_id", "sku"]).aggregate([("base_quantity", "sum"), ("sku", "count")])
    per_customer: dict[str, dict[str, Any]] = {}
    for row in grouped.to_pylist():
        entry = per_customer.setdefault(row["customer_id"], {"rows": 0, "products": {}})
        entry["rows"] += row["sku_count"]
        entry["products"][row["sku"]] = row["base_quantity_sum"]
    with FlowCustomerItem.batch_write() as batch:
        for customer_id, entry in per_customer.items():
            batch.save(
                FlowCustomerItem(
                    db_keys.customer_pk(key.tenant_id, customer_id),
                    f"FLOW#{key.period}#{key.distributor_id}",
                    load_id=key.load_id,
                    distributor_id=key.distributor_id,
                    period=key.period,
                    **entry,
                )
            )


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def _write_reports(buckets: Buckets, key: UploadKey, errors: pa.Table) -> str:
    for fmt, render in (("csv", errors_csv_bytes), ("xlsx", errors_xlsx_bytes)):
        _s3().put_object(Bucket=buckets.uploads, Key=report_key(key, fmt), Body=render(errors))
    return report_key(key, "csv")


MAX_MESSAGE = 1000  # characters of a rejection message kept on the load record
MAX_DETAIL_TEXT = 200  # characters of each text in a rejection's detail there
MAX_DETAIL_ITEMS = 50  # items of each list in it
MAX_REPORT_CELL = 32_000  # Excel's cell limit is 32,767 characters


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bounded(value: Any) -> Any:
    """The detail of a rejection, cut to a size that fits on the load record (the report has it in full)."""
    if isinstance(value, str):
        return _clip(value, MAX_DETAIL_TEXT)
    if isinstance(value, list):
        more = len(value) - MAX_DETAIL_ITEMS
        return [_bounded(v) for v in value[:MAX_DETAIL_ITEMS]] + ([f"… {more} more"] if more > 0 else [])
    if isinstance(value, dict):
        return {str(k)[:MAX_DETAIL_TEXT]: _bounded(v) for k, v in list(value.items())[:MAX_DETAIL_ITEMS]}
    return value


def _write_rejection_report(buckets: Buckets, key: UploadKey, code: str, message: str, detail: dict[str, Any]) -> str:
    """The report of a file refused as a whole: the reason, then one row per detail (each header found...)."""
    rows = [{"row": 0, "line": 0, "column": "", "value": code, "reason": message}]
    for name, value in detail.items():
        for item in value if isinstance(value, list) else [value]:
            rows.append({"row": 0, "line": 0, "column": str(name), "value": str(item), "reason": code})
    for row in rows:
        row["value"] = _clip(str(row["value"]), MAX_REPORT_CELL)
        row["reason"] = _clip(str(row["reason"]), MAX_REPORT_CELL)
    return _write_reports(buckets, key, pa.Table.from_pylist(rows, schema=ERRORS_SCHEMA))


def _retire(bucket: str, parquet: str) -> None:
    """Moves a superseded load's rows out of the table's location (the pointer already moved)."""
    _s3().copy_object(Bucket=bucket, Key=superseded_key(parquet), CopySource={"Bucket": bucket, "Key": parquet})
    _s3().delete_object(Bucket=bucket, Key=parquet)


def _announce(load: Any) -> None:
    """FlowLoadFinished (a rejection too: status rejected) to whoever asked for the upload link and the
    distributor's rep."""
    distributor = (
        customer_repo.get(load.tenant_id, load.distributor_id) if load.distributor_id != SHIPMENTS_PARTY else None
    )
    uploader = loads.uploader(load)
    recipients = [u for u in dict.fromkeys([uploader, distributor.owner_id if distributor else None]) if u]
    summary, rejection = _plain(load.summary), _plain(load.rejection)
    events.publish(
        "crm.flow",
        "FlowLoadFinished",
        {
            "tenant_id": load.tenant_id,
            "event_id": f"flowload:{load.id}:{load.status}",
            "load_id": load.id,
            "distributor_id": load.distributor_id,
            "distributor_name": distributor.name if distributor else None,
            "period": load.period,
            "kind": load.kind,
            "file_name": load.file_name,
            "status": load.status,
            "rows": summary.get("rows"),
            "rejected": summary.get("rejected"),
            "match_rate": summary.get("match_rate"),
            "rejection_code": rejection.get("code"),
            "rejection_message": rejection.get("message"),
            "uploaded_by": uploader,
            "recipients": recipients,
        },
    )


def _plain(value: Any) -> dict[str, Any]:
    """A map attribute as read from the table, or as the import just set it (a dict)."""
    if value is None:
        return {}
    return value.as_dict() if hasattr(value, "as_dict") else dict(value)
