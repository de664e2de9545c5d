"""Opening balances (期初) of a month: set by hand, from an opening-balance file, or carried from the
closed month before. Precedence per distributor: a hand entry for a product, else its opening file (the
whole file is its stock: a product left out is 0), else what was carried forward. Each may name batches
(a product's lines then are per batch) or not."""

import json
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from crm import audit, clock
from crm.db import keys
from crm.db.models import ManualOpeningItem, OpeningBalanceItem
from crm.db.transaction import Transaction
from crm.errors import Conflict, InvalidInput
from crm.ingest.mapping import FileKind
from crm.inventory.lines import read_lines
from crm.inventory.model import OpeningLine, OpeningLineIn
from crm.inventory.reconcile import BATCH_KEYS, KEYS, QUANTITIES, from_rows, quantities

# The lines go in one DynamoDB item (400 KB at most), and the audit entry holds them before and after.
MAX_TYPED_BYTES = 150_000


def carried_items(tenant_id: str, period: str, distributors: set[str] | None = None) -> list[OpeningBalanceItem]:
    found = OpeningBalanceItem.query(keys.opening_pk(tenant_id, period))
    return [i for i in found if i.source == "carried" and (distributors is None or i.distributor_id in distributors)]


def manual_items(tenant_id: str, period: str, distributors: set[str] | None = None) -> list[ManualOpeningItem]:
    found = ManualOpeningItem.query(
        keys.manual_opening_pk(tenant_id, period), ManualOpeningItem.sk < "AUDIT#"
    )  # distributor ids (ULIDs) sort first
    return [i for i in found if distributors is None or i.sk in distributors]


def _named(line: dict[str, Any]) -> str:
    return line["sku"] if line["batch"] is None else f"{line['sku']} {line['batch']}"


def set_manual(tenant_id: str, period: str, distributor_id: str, lines: list[OpeningLineIn], actor: str) -> None:
    """Replaces the distributor's hand entries for the month (audited with before and after)."""
    pk = keys.manual_opening_pk(tenant_id, period)
    try:
        item = ManualOpeningItem.get(pk, distributor_id)
        before = json.loads(item.lines)
    except ManualOpeningItem.DoesNotExist:
        item, before = ManualOpeningItem(pk, distributor_id, distributor_id=distributor_id), []
    after = [line.model_dump() for line in lines]
    item.lines, item.set_by, item.set_at = json.dumps(after, ensure_ascii=False), actor, clock.now_iso()
    if len(item.lines.encode()) > MAX_TYPED_BYTES:
        raise InvalidInput(
            "Too many lines to type in; upload them as an opening-balance file.",
            [{"field": "lines", "message": f"{len(lines)} lines are over {MAX_TYPED_BYTES // 1000} KB"}],
        )
    tx = Transaction()
    tx.put(item, on_fail=lambda: Conflict("The opening changed meanwhile; read it again."))
    audit.stage(
        tx,
        pk,
        tenant_id,
        "opening.set",
        actor,
        {
            "distributor_id": {"before": None, "after": distributor_id},
            "lines": {
                "before": {_named(x): x["quantity"] for x in before},
                "after": {_named(x): x["quantity"] for x in after},
            },
        },
        at=item.set_at,
    )
    tx.commit()


def carry(tenant_id: str, period: str, closing: pa.Table, actor: str) -> int:
    """Writes the carried opening of `period` (distributor_id, sku, batch, quantity), replacing an earlier
    carry."""
    now = clock.now_iso()
    with OpeningBalanceItem.batch_write() as writer:
        for old in carried_items(tenant_id, period):
            writer.delete(old)
        for row in closing.to_pylist():
            sku, batch = row["sku"], row["batch"]
            sk = "#".join([row["distributor_id"], sku, *([batch] if batch else [])])
            writer.save(
                OpeningBalanceItem(
                    keys.opening_pk(tenant_id, period),
                    sk,
                    distributor_id=row["distributor_id"],
                    sku=sku,
                    batch=batch,
                    quantity=row["quantity"],
                    source="carried",
                    set_by=actor,
                    set_at=now,
                )
            )
    return closing.num_rows


def resolved(bucket: str, tenant_id: str, period: str, distributors: set[str] | None) -> pa.Table:
    """(distributor_id, sku, batch, quantity, source) of the month's opening, by the precedence above."""
    file_lines = read_lines(
        bucket, FileKind.OPENING, tenant_id, period, ["sku", "batch", "base_quantity"], distributors
    )
    from_file = quantities(file_lines["party"], file_lines["sku"], file_lines["base_quantity"], file_lines["batch"])
    from_file = (
        from_file.group_by(BATCH_KEYS)
        .aggregate([("quantity", "sum")])
        .rename_columns({"quantity_sum": "quantity"})
        .select(QUANTITIES.names)
    )
    with_file = pc.unique(file_lines["party"])
    carried_t = from_rows(
        [(i.distributor_id, i.sku, i.batch, float(i.quantity)) for i in carried_items(tenant_id, period, distributors)]
    )
    carried_t = carried_t.filter(pc.invert(pc.is_in(carried_t["distributor_id"], value_set=with_file)))
    manual_t = from_rows(
        [
            (i.distributor_id, x["sku"], x["batch"], float(x["quantity"]))
            for i in manual_items(tenant_id, period, distributors)
            for x in json.loads(i.lines)
        ]
    )
    parts = []
    for table, source in ((from_file, "file"), (carried_t, "carried")):
        kept = table.join(manual_t.select(KEYS), keys=KEYS, join_type="left anti")  # typed in: every batch of it
        parts.append(kept.append_column("source", pa.repeat(pa.scalar(source), kept.num_rows)))
    parts.append(manual_t.append_column("source", pa.repeat(pa.scalar("manual"), manual_t.num_rows)))
    return pa.concat_tables([p.cast(parts[-1].schema) for p in parts])


def as_models(table: pa.Table) -> list[OpeningLine]:
    rows = table.sort_by([(k, "ascending") for k in BATCH_KEYS]).to_pylist()
    return [OpeningLine(**row) for row in rows]
