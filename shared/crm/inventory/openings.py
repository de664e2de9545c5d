"""Opening balances (期初) of a month: set by hand, from an opening-balance file, or carried from the
closed month before. Precedence per distributor: a hand entry for a product, else its opening file (the
whole file is its stock: a product left out is 0), else what was carried forward. Each may name batches
(a product's lines then are per batch) or not."""

import pyarrow as pa
import pyarrow.compute as pc

from crm import clock
from crm.db import keys
from crm.db.models import AuditItem, OpeningBalanceItem
from crm.db.transaction import Transaction
from crm.ids import new_id
from crm.ingest.mapping import FileKind
from crm.inventory.lines import read_lines
from crm.inventory.model import OpeningLine, OpeningLineIn
from crm.inventory.reconcile import BATCH_KEYS, KEYS, QUANTITIES, quantities


def items(tenant_id: str, period: str, distributors: set[str] | None = None) -> list[OpeningBalanceItem]:
    found = OpeningBalanceItem.query(keys.opening_pk(tenant_id, period))
    return [i for i in found if distributors is None or i.distributor_id in distributors]


def _item(tenant_id: str, period: str, distributor_id: str, sku: str, batch: str | None,
          **fields: object) -> OpeningBalanceItem:
    sk = f"{distributor_id}#{sku}" if batch is None else f"{distributor_id}#{sku}#{batch}"
    return OpeningBalanceItem(keys.opening_pk(tenant_id, period), sk, distributor_id=distributor_id, sku=sku,
                              batch=batch, **fields)


def _named(sku: str, batch: str | None) -> str:
    return sku if batch is None else f"{sku} {batch}"


def set_manual(tenant_id: str, period: str, distributor_id: str, lines: list[OpeningLineIn], actor: str) -> None:
    """Replaces the distributor's hand entries for the month (audited with before and after)."""
    before = {(i.sku, i.batch): float(i.quantity) for i in items(tenant_id, period, {distributor_id})
              if i.source == "manual"}
    after = {(line.sku, line.batch): line.quantity for line in lines}
    now = clock.now_iso()
    tx = Transaction()
    for sku, batch in before.keys() - after.keys():
        tx.delete(_item(tenant_id, period, distributor_id, sku, batch))
    for (sku, batch), quantity in after.items():
        tx.put(_item(tenant_id, period, distributor_id, sku, batch, quantity=quantity, source="manual",
                     set_by=actor, set_at=now))
    tx.put(AuditItem(keys.opening_pk(tenant_id, period), f"AUDIT#{new_id()}", tenant_id=tenant_id,
                     action="opening.set", actor_id=actor, at=now, reason=None,
                     changes={"distributor_id": {"before": None, "after": distributor_id},
                              "lines": {"before": {_named(*k): q for k, q in before.items()},
                                        "after": {_named(*k): q for k, q in after.items()}}}))
    tx.commit()


def carry(tenant_id: str, period: str, closing: pa.Table, actor: str) -> int:
    """Writes the carried opening of `period` (distributor_id, sku, batch, quantity), replacing an earlier
    carry."""
    now = clock.now_iso()
    with OpeningBalanceItem.batch_write() as batch:  # (a DynamoDB batch write, not a product batch)
        for old in items(tenant_id, period):
            if old.source == "carried":
                batch.delete(old)
        for row in closing.to_pylist():
            batch.save(_item(tenant_id, period, row["distributor_id"], row["sku"], row["batch"],
                             quantity=row["quantity"], source="carried", set_by=actor, set_at=now))
    return closing.num_rows


def resolved(bucket: str, tenant_id: str, period: str, distributors: set[str] | None) -> pa.Table:
    """(distributor_id, sku, batch, quantity, source) of the month's opening, by the precedence above."""
    stored = items(tenant_id, period, distributors)
    manual = [i for i in stored if i.source == "manual"]
    carried = [i for i in stored if i.source == "carried"]
    file_lines = read_lines(bucket, FileKind.OPENING, tenant_id, period, ["sku", "batch", "base_quantity"],
                            distributors)
    from_file = quantities(file_lines["party"], file_lines["sku"], file_lines["base_quantity"], file_lines["batch"])
    from_file = from_file.group_by(BATCH_KEYS).aggregate([("quantity", "sum")]).rename_columns(
        {"quantity_sum": "quantity"}).select(QUANTITIES.names)
    with_file = pc.unique(file_lines["party"])
    carried_t = _table(carried)
    carried_t = carried_t.filter(pc.invert(pc.is_in(carried_t["distributor_id"], value_set=with_file)))
    manual_t = _table(manual)
    parts = []
    for table, source in ((from_file, "file"), (carried_t, "carried")):
        kept = table.join(manual_t.select(KEYS), keys=KEYS, join_type="left anti")  # typed in: every batch of it
        parts.append(kept.append_column("source", pa.repeat(pa.scalar(source), kept.num_rows)))
    parts.append(manual_t.append_column("source", pa.repeat(pa.scalar("manual"), manual_t.num_rows)))
    return pa.concat_tables([p.cast(parts[-1].schema) for p in parts])


def as_models(table: pa.Table) -> list[OpeningLine]:
    rows = table.sort_by([(k, "ascending") for k in BATCH_KEYS]).to_pylist()
    return [OpeningLine(**row) for row in rows]


def _table(found: list[OpeningBalanceItem]) -> pa.Table:
    return quantities(pa.array([i.distributor_id for i in found], pa.string()),
                      pa.array([i.sku for i in found], pa.string()),
                      pa.array([float(i.quantity) for i in found], pa.float64()),
                      pa.array([i.batch for i in found], pa.string()))
