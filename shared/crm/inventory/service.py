"""Channel inventory as the API offers it: the month's calculation, variances, export, periods (close,
carry forward, reopen), opening balances, adjustments, policy. Authorization first, then scope.

An open month is computed from what is stored now (Parquet lines of the files, the ERP's shipments,
openings, approved adjustments) and kept under a fingerprint of those inputs, so the next page reads it back
until any of them changes; closing freezes the result in the analytics bucket and every later read of that
month returns the frozen figures.
"""

import hashlib
import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from crm import audit, clock, policies, upload_links
from crm.approvals import service as approvals
from crm.approvals.model import ApprovalRequest, Kind
from crm.auth import Principal, own_distributor, require
from crm.aws import s3 as _s3
from crm.customers.model import CustomerType
from crm.customers.service import CustomerService, distributor_in_scope, distributors_in_scope
from crm.db import keys
from crm.db.models import InventoryPeriodItem
from crm.db.paging import list_identity, offset_cursor, offset_of
from crm.db.transaction import Transaction
from crm.errors import Conflict, InvalidInput
from crm.ids import new_id
from crm.ingest.mapping import FileKind
from crm.inventory import adjustments, openings, periods, shipments
from crm.inventory.lines import current_objects, filed_shipments, read_lines
from crm.inventory.model import (
    Adjustment,
    AdjustmentIn,
    ExportLink,
    InventoryBatchLine,
    InventoryLine,
    InventoryPolicy,
    InventoryReport,
    OpeningBody,
    OpeningLine,
    PeriodState,
    StoredPolicy,
)
from crm.inventory.reconcile import (
    BATCH_KEYS,
    BATCH_RESULT_SCHEMA,
    FLAGS,
    KEYS,
    QUANTITIES,
    RESULT_SCHEMA,
    Inputs,
    Reconciliation,
    flagged,
    from_rows,
    quantities,
    reconcile,
)
from crm.products import repository as products_repo
from crm.rebates import runs as accrual_runs

COMPUTED_PREFIX = "inventory-computed/"  # open months as reckoned, by fingerprint; template.yaml expires them
COMPUTED_FORMAT = 1  # part of every fingerprint: a change to the calculation makes earlier results unused


def snapshot_key(tenant_id: str, period: str) -> str:
    return f"inventory-snapshots/tenant={tenant_id}/period={period}/inventory.parquet"


def batches_key(products: str) -> str:
    """The batch lines of a stored result, beside its products' (a frozen month's, or an open one's)."""
    return products.removesuffix("inventory.parquet") + "inventory-batches.parquet"


class InventoryService:
    def __init__(self, principal: Principal, analytics_bucket: str) -> None:
        self.p = principal
        self.tenant = principal.tenant_id
        self.bucket = analytics_bucket

    # ------------------------------------------------------------------ the calculation

    def report(
        self,
        period: str,
        distributor_id: str | None,
        only_flagged: bool = False,
        limit: int = 50,
        cursor: str | None = None,
    ) -> InventoryReport:
        """One page of the month's product lines (each with its batch lines), in distributor, sku order."""
        require(self.p, "inventory:read")
        identity = list_identity("inventory", self.tenant, self.p.user_id, period, distributor_id, only_flagged)
        offset = offset_of(cursor, identity)
        result, source, policy = self._month(period, distributor_id)
        products = flagged(result) if only_flagged else result.products
        page = products.slice(offset, limit)
        return InventoryReport(
            period=period,
            status="closed" if source == "frozen" else "open",
            source=source,
            variance_threshold_pct=policy.variance_threshold_pct,
            items=as_lines(page, batches_of(result.batches, page)),
            next_cursor=offset_cursor(offset + limit, products.num_rows, identity),
        )

    def _month(self, period: str, distributor_id: str | None) -> tuple[Reconciliation, str, StoredPolicy]:
        """The month's calculation for the distributors asked about: frozen if closed, else computed now."""
        distributors = self._distributors(distributor_id)
        state = periods.get(self.tenant, period)
        policy = self.policy_now()
        if state is not None and state.status == "closed" and state.snapshot_key:
            return self._frozen(state.snapshot_key, distributors), "frozen", policy
        return self._computed(period, distributors, policy), "computed", policy

    def _computed(self, period: str, distributors: set[str] | None, policy: InventoryPolicy) -> Reconciliation:
        """compute(), or what it gave for the very same inputs (a page after the first, the export, a colleague
        with the same scope): any new load, adjustment, opening or ERP report changes the fingerprint."""
        fingerprint = self._fingerprint(period, distributors, policy)
        key = f"{COMPUTED_PREFIX}tenant={self.tenant}/period={period}/{fingerprint}/inventory.parquet"
        try:
            return Reconciliation(self._read(key), self._read(batches_key(key)))
        except _s3().exceptions.NoSuchKey:
            pass
        result = self.compute(period, distributors, policy)
        self._store(key, result)
        return result

    def _fingerprint(self, period: str, distributors: set[str] | None, policy: InventoryPolicy) -> str:
        """sha256 of everything compute() reads: each kind's current load objects (a load's object never changes)
        and every stored record it counts, with the threshold and the distributors asked about."""
        files = {
            kind.value: current_objects(self.bucket, kind, self.tenant, period)
            for kind in (FileKind.FLOW, FileKind.INVENTORY, FileKind.SHIPMENTS, FileKind.OPENING)
        }
        records = [
            *openings.carried_items(self.tenant, period),
            *openings.manual_items(self.tenant, period),
            *adjustments.of_period(self.tenant, period),
            *shipments.of_period(self.tenant, period),
        ]
        inputs = {
            "format": COMPUTED_FORMAT,
            "files": files,
            "records": sorted(json.dumps(r.serialize(), sort_keys=True, default=str) for r in records),
            "threshold": policy.variance_threshold_pct,
            "distributors": None if distributors is None else sorted(distributors),
        }
        return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()

    def _read(self, key: str) -> pa.Table:
        return pq.read_table(io.BytesIO(_s3().get_object(Bucket=self.bucket, Key=key)["Body"].read()))

    def _store(self, key: str, result: Reconciliation) -> None:
        """The product lines under `key`, the batch lines beside them (written first: found with the products)."""
        for table, object_key in ((result.batches, batches_key(key)), (result.products, key)):
            sink = io.BytesIO()
            pq.write_table(table, sink, compression="zstd")
            _s3().put_object(Bucket=self.bucket, Key=object_key, Body=sink.getvalue())

    def compute(self, period: str, distributors: set[str] | None, policy: InventoryPolicy) -> Reconciliation:
        """The month's calculation from what is stored now (see crm.inventory.reconcile)."""
        opening = openings.resolved(self.bucket, self.tenant, period, distributors)
        counted, encoded = ["sku", "batch", "base_quantity"], ("sku", "batch")
        flow = read_lines(self.bucket, FileKind.FLOW, self.tenant, period, counted, distributors, encoded)
        stock = read_lines(self.bucket, FileKind.INVENTORY, self.tenant, period, counted, distributors, encoded)
        inputs = Inputs(
            opening=opening.select(QUANTITIES.names),
            inbound=self._inbound(period, distributors),
            outbound=quantities(flow["party"], flow["sku"], flow["base_quantity"], flow["batch"]),
            adjustments=self._approved_adjustments(period, distributors),
            reported=quantities(stock["party"], stock["sku"], stock["base_quantity"], stock["batch"]),
            reporters=frozenset(pc.unique(stock["party"]).to_pylist()),  # a stock report has rows, or is rejected
        )
        return reconcile(inputs, policy.variance_threshold_pct)

    def _inbound(self, period: str, distributors: set[str] | None) -> pa.Table:
        """Shipments files (history) plus what the ERP reported; a file row naming an order the ERP already
        reported (document no = order id) is not counted twice."""
        reported = shipments.of_period(self.tenant, period)
        filed = filed_shipments(
            self.bucket,
            self.tenant,
            period,
            {s.order_id for s in reported},
            ["distributor_id", "sku", "batch", "base_quantity"],
        )
        table = pa.concat_tables(
            [
                quantities(filed["distributor_id"], filed["sku"], filed["base_quantity"], filed["batch"]),
                from_rows([(d.distributor_id, d.sku, d.batch, d.quantity) for d in shipments.delivered(reported)]),
            ]
        )
        return only(table, distributors)

    def _approved_adjustments(self, period: str, distributors: set[str] | None) -> pa.Table:
        approved = [
            a
            for a in adjustments.of_period(self.tenant, period)
            if a.status == "approved" and (distributors is None or a.distributor_id in distributors)
        ]
        return from_rows([(a.distributor_id, a.sku, a.batch, float(a.quantity)) for a in approved])

    def _frozen(self, key: str, distributors: set[str] | None) -> Reconciliation:
        def read(object_key: str) -> pa.Table:
            return only(self._read(object_key), distributors)

        try:
            batches = read(batches_key(key))
        except _s3().exceptions.NoSuchKey:  # frozen before batches were reckoned
            batches = BATCH_RESULT_SCHEMA.empty_table()
        return Reconciliation(read(key), batches)

    def export(self, period: str, distributor_id: str | None) -> ExportLink:
        """The whole month as XLSX, stored for a while and handed out as a link (a tenant's month can be far
        bigger than an API reply may be)."""
        from crm.inventory.export import report_xlsx  # openpyxl only for this route

        require(self.p, "inventory:read")
        result, source, policy = self._month(period, distributor_id)
        data = report_xlsx(period, source, policy.variance_threshold_pct, as_lines(result.products, result.batches))
        name = f"inventory-{period}.xlsx"
        url = upload_links.workbook_link(self.bucket, self.tenant, name, data)
        return ExportLink(url=url, expires_in=upload_links.URL_SECONDS, file_name=name, lines=result.products.num_rows)

    # ------------------------------------------------------------------ periods

    def list_periods(self) -> list[PeriodState]:
        require(self.p, "inventory:read")
        months = InventoryPeriodItem.sk.between("0000-00", "9999-99")  # not the audit entries beside them
        found = InventoryPeriodItem.query(keys.inventory_periods_pk(self.tenant), months, scan_index_forward=False)
        return [period_state(i) for i in found]

    def period(self, period: str) -> PeriodState:
        require(self.p, "inventory:read")
        item = periods.get(self.tenant, period)
        return period_state(item) if item else PeriodState(period=period, status="open")

    def close(self, period: str) -> PeriodState:
        """Freezes the month (the calculation stored as Parquet) and carries its closing into the next."""
        require(self.p, "period:close")
        item = periods.get(self.tenant, period) or InventoryPeriodItem(
            keys.inventory_periods_pk(self.tenant), period, tenant_id=self.tenant, period=period, status="open"
        )
        if item.status == "closed":
            raise Conflict(f"Period {period} is already closed.")
        policy = self.policy_now()
        result = self.compute(period, None, policy)
        key = snapshot_key(self.tenant, period)
        self._store(key, result)
        carried = carry_forward(result, policy.carry_forward)
        openings.carry(self.tenant, periods.following(period), carried, self.p.user_id)
        item.status, item.closed_at, item.closed_by = "closed", clock.now_iso(), self.p.user_id
        item.carried, item.snapshot_key = policy.carry_forward, key
        self._save_period(item, "period.closed", f"carried {carried.num_rows} openings ({policy.carry_forward})")
        accrual_runs.start(self.tenant, period, "accrue", self.p.user_id)  # the month's rebates, frozen with it
        return period_state(item)

    def reopen(self, period: str, reason: str) -> PeriodState:
        require(self.p, "period:reopen")
        item = periods.get(self.tenant, period)
        if item is None or item.status != "closed":
            raise Conflict(f"Period {period} is not closed.")
        if periods.is_closed(self.tenant, periods.following(period)):
            raise Conflict(f"Reopen {periods.following(period)} first: it opened with this month's closing.")
        item.status, item.snapshot_key = "open", None
        self._save_period(item, "period.reopened", reason)
        if accrual_runs.get(self.tenant, period) is not None:
            accrual_runs.start(self.tenant, period, "reverse", self.p.user_id)  # its vouchers are reversed
        return period_state(item)

    def _save_period(self, item: InventoryPeriodItem, action: str, reason: str) -> None:
        tx = Transaction()
        tx.put(item, on_fail=lambda: Conflict("The period changed meanwhile; read it again."))
        changes = {"period": {"before": None, "after": item.period}, "status": {"before": None, "after": item.status}}
        audit.stage(tx, keys.inventory_periods_pk(self.tenant), self.tenant, action, self.p.user_id, changes, reason)
        tx.commit()

    # ------------------------------------------------------------------ openings

    def openings(self, period: str, distributor_id: str | None) -> list[OpeningLine]:
        require(self.p, "inventory:read")
        return openings.as_models(
            openings.resolved(self.bucket, self.tenant, period, self._distributors(distributor_id))
        )

    def set_opening(self, period: str, distributor_id: str, body: OpeningBody) -> list[OpeningLine]:
        require(self.p, "inventory:initialize")
        distributors = self._distributors(distributor_id)
        periods.ensure_open(self.tenant, period)
        if len({(line.sku, line.batch) for line in body.lines}) != len(body.lines):
            raise InvalidInput(
                "Each product (or batch of it) once.",
                [{"field": "lines", "message": "a sku (and batch) appears twice"}],
            )
        products_repo.require_known(self.tenant, [line.sku for line in body.lines], "lines")
        openings.set_manual(self.tenant, period, distributor_id, body.lines, self.p.user_id)
        return openings.as_models(openings.resolved(self.bucket, self.tenant, period, distributors))

    # ------------------------------------------------------------------ adjustments

    def request_adjustment(self, body: AdjustmentIn) -> Adjustment:
        require(self.p, "inventory:adjust")
        distributor = CustomerService(self.p).get(body.distributor_id)  # 404 outside the caller's scope
        if distributor.type != CustomerType.DISTRIBUTOR:
            raise InvalidInput(
                "Adjustments are to a distributor's stock.",
                [{"field": "distributor_id", "message": "not a distributor"}],
            )
        if body.quantity == 0:
            raise InvalidInput("An adjustment of nothing.", [{"field": "quantity", "message": "must not be 0"}])
        products_repo.require_known(self.tenant, [body.sku], "sku")
        periods.ensure_open(self.tenant, body.period)
        adjustment_id = new_id()
        planned = approvals.plan(
            self.p,
            ApprovalRequest(  # 422 when nobody can approve it: nothing stored then
                kind=Kind.INVENTORY_ADJUSTMENT,
                subject_id=adjustment_id,
                org_unit_id=distributor.org_unit_id,
                subject_label=f"{distributor.name} {body.sku}{f' {body.batch}' if body.batch else ''} "
                f"{body.quantity:+g} ({body.period}): {body.reason}",
                payload={
                    "period": body.period,
                    "distributor_id": body.distributor_id,
                    "sku": body.sku,
                    "batch": body.batch,
                    "quantity": body.quantity,
                },
            ),
        )
        tx = Transaction()
        item = adjustments.stage(tx, self.tenant, adjustment_id, body, self.p.user_id)
        run = approvals.stage(tx, self.p, planned)  # the adjustment and its approval run: both or neither
        tx.commit()
        item.version = 1
        approval = approvals.launch(run)
        return adjustments.to_model(item, approval.id)

    def list_adjustments(self, period: str, distributor_id: str | None) -> list[Adjustment]:
        require(self.p, "inventory:read")
        distributors = self._distributors(distributor_id)
        found = adjustments.of_period(self.tenant, period)
        return [adjustments.to_model(a) for a in found if distributors is None or a.distributor_id in distributors]

    # ------------------------------------------------------------------ policy

    def policy_now(self) -> StoredPolicy:
        policy, version = policies.read(keys.inventory_policy_pk(self.tenant), InventoryPolicy)
        return StoredPolicy(**policy.model_dump(), version=version)

    def get_policy(self) -> StoredPolicy:
        require(self.p, "inventory:read")
        return self.policy_now()

    def put_policy(self, policy: InventoryPolicy, if_match: int) -> StoredPolicy:
        require(self.p, "inventory:policy")
        version = policies.replace(
            self.tenant, keys.inventory_policy_pk(self.tenant), policy, self.p.user_id, if_match, "inventory policy"
        )
        return StoredPolicy(**policy.model_dump(), version=version)

    # ------------------------------------------------------------------ scope

    def _distributors(self, asked: str | None) -> set[str] | None:
        """Whose figures: the one asked for (in the caller's scope), else every distributor in the caller's
        scope (None: the whole tenant's). A distributor user sees itself only."""
        if asked is None and own_distributor(self.p) is None:
            return distributors_in_scope(self.p)
        return {distributor_in_scope(self.p, asked)}


def only(table: pa.Table, distributors: set[str] | None) -> pa.Table:
    """The rows of those distributors (None: every one)."""
    if distributors is None:
        return table
    return table.filter(pc.is_in(table["distributor_id"], value_set=pa.array(sorted(distributors), pa.string())))


def carry_forward(result: Reconciliation, rule: str) -> pa.Table:
    """The closing each distributor × product (× batch, when known) carries into the next month: the reported
    one (the computed one where nothing was reported), or the computed one; never below zero (a negative
    expected closing is a flagged error in the figures, not stock), and nothing where it is zero (no line
    means none, and a sold-out batch would otherwise come back every month)."""
    whole = result.products.join(result.batches.select(KEYS), keys=KEYS, join_type="left anti")  # batch unknown
    parts = []
    for table in (whole, result.batches):
        closing = table["expected_closing"]
        if rule == "reported":
            closing = pc.coalesce(table["reported_closing"], closing)
        batch = table["batch"] if "batch" in table.column_names else None
        carried = quantities(table["distributor_id"], table["sku"], pc.max_element_wise(closing, 0.0), batch)
        parts.append(carried.filter(pc.greater(carried["quantity"], 0.0)))  # none is 0: a sold-out batch ends
    return pa.concat_tables(parts)


def batches_of(batches: pa.Table, products: pa.Table) -> pa.Table:
    """The batch lines of those product lines, in order."""
    mine = only(batches, set(pc.unique(products["distributor_id"]).to_pylist()))
    mine = mine.join(products.select(KEYS), keys=KEYS, join_type="left semi")
    return mine.sort_by([(k, "ascending") for k in BATCH_KEYS])


def as_lines(products: pa.Table, batches: pa.Table) -> list[InventoryLine]:
    by_product: dict[tuple[str, str], list[InventoryBatchLine]] = {}
    for row in batches.select(BATCH_RESULT_SCHEMA.names).to_pylist():
        by_product.setdefault((row["distributor_id"], row["sku"]), []).append(
            InventoryBatchLine(batch=row["batch"], **_figures(row))
        )
    return [
        InventoryLine(
            distributor_id=row["distributor_id"],
            sku=row["sku"],
            **_figures(row),
            batches=by_product.get((row["distributor_id"], row["sku"]), []),
        )
        for row in products.select(RESULT_SCHEMA.names).to_pylist()
    ]


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    could_sell = row["opening"] + row["inbound"] + row["adjustments"]
    pct = row["variance_pct"]
    return {
        **{
            k: row[k]
            for k in (
                "opening",
                "inbound",
                "outbound",
                "adjustments",
                "expected_closing",
                "reported_closing",
                "variance",
            )
        },
        "variance_pct": None if pct is None else round(pct, 1),
        "flags": [f for f in FLAGS if row[f]],
        "sell_through_pct": round(row["outbound"] / could_sell * 100, 1) if could_sell > 0 else None,
    }


def period_state(item: InventoryPeriodItem) -> PeriodState:
    return PeriodState(
        period=item.period,
        status=item.status,
        closed_at=item.closed_at,
        closed_by=item.closed_by,
        carried=item.carried,
        version=item.version or 0,
    )
