"""Reading a month's accepted lines of one kind of file back from the analytics bucket, with pyarrow.

Only each distributor's current load counts: the period pointer (crm.flow.loads) says which one, so a
restatement caught half-way (new object written, old one not yet moved out) is never counted twice.
"""

import io
import re
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from crm.aws import client
from crm.db import keys
from crm.db.models import FlowPeriodItem
from crm.flow.keys import lines_prefix
from crm.ingest.mapping import FileKind
from crm.ingest.model import FLOW_LINES_SCHEMA, SHIPMENT_LINES_SCHEMA, STOCK_LINES_SCHEMA

_PARTY = re.compile(r"/distributor=(?P<party>[^/]+)/[^/]+\.parquet$")

SCHEMA: dict[FileKind, pa.Schema] = {
    FileKind.FLOW: FLOW_LINES_SCHEMA,
    FileKind.SELLOUT: FLOW_LINES_SCHEMA,
    FileKind.INVENTORY: STOCK_LINES_SCHEMA,
    FileKind.OPENING: STOCK_LINES_SCHEMA,
    FileKind.SHIPMENTS: SHIPMENT_LINES_SCHEMA,
}


def _s3() -> Any:
    return client("s3")


def current_objects(bucket: str, kind: FileKind, tenant_id: str, period: str) -> dict[str, str]:
    """party (whose file: a distributor) → the object of its current load of that kind for the month."""
    prefix = lines_prefix(kind, tenant_id, period)
    parties = {
        m["party"]
        for page in _s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for obj in page.get("Contents", [])
        if (m := _PARTY.search(obj["Key"]))
    }
    pointers = FlowPeriodItem.batch_get(
        [(keys.flow_period_pk(tenant_id, p, period, kind), "CURRENT") for p in sorted(parties)]
    )
    by_pk = {p.pk: p.load_id for p in pointers}
    return {
        party: f"{prefix}distributor={party}/{by_pk[pk]}.parquet"
        for party in parties
        if (pk := keys.flow_period_pk(tenant_id, party, period, kind)) in by_pk
    }


def read_lines(
    bucket: str,
    kind: FileKind,
    tenant_id: str,
    period: str,
    columns: list[str],
    distributors: set[str] | None = None,
    encoded: tuple[str, ...] = (),
) -> pa.Table:
    """The month's current lines of that kind, only `columns`, plus `party` (whose file it was).

    `distributors` limits the read to those parties' files (a distributor's own page reads one object).
    `encoded`: text columns to return dictionary-encoded, as Parquet stores them (party too, then): no
    string per row for a reader that only groups by them."""
    parts = []
    for party, key in current_objects(bucket, kind, tenant_id, period).items():
        if distributors is not None and party not in distributors:
            continue
        body = _s3().get_object(Bucket=bucket, Key=key)["Body"].read()
        # ParquetFile(...).read: half the cost of read_table per object
        table = pq.ParquetFile(io.BytesIO(body), read_dictionary=list(encoded)).read(columns=columns)
        whose = pa.repeat(pa.scalar(party), table.num_rows)
        if encoded:
            whose = pa.DictionaryArray.from_arrays(pa.repeat(pa.scalar(0, pa.int32()), table.num_rows), [party])
        parts.append(table.append_column("party", whose))
    if not parts:
        empty = pa.schema([SCHEMA[kind].field(c) for c in columns]).empty_table()
        return empty.append_column("party", pa.array([], pa.string()))
    return pa.concat_tables(parts, promote_options="permissive")


def filed_shipments(
    bucket: str, tenant_id: str, period: str, reported_orders: set[str], columns: list[str]
) -> pa.Table:
    """The month's shipments-file lines (`columns` and document_no) less those naming an order the ERP has
    reported itself (document no = order id): the ERP's report counts, the file's row would count it twice."""
    filed = read_lines(bucket, FileKind.SHIPMENTS, tenant_id, period, [*columns, "document_no"], None)
    orders = pa.array(sorted(reported_orders), pa.string())
    return filed.filter(pc.invert(pc.fill_null(pc.is_in(filed["document_no"], value_set=orders), False)))
