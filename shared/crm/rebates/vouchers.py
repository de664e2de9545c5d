"""Accrual vouchers (计提单): the month's inputs read from the analytics bucket, the preview at any time, the
vouchers a closed month freezes (each approved through the approval engine), their reversal when the month
reopens, the list by distributor, product group and month, and the XLSX export."""

import io
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from crm import clock, upload_links
from crm.approvals import service as approvals
from crm.approvals.model import ApprovalRequest, Kind
from crm.auth import Principal, own_distributor, require
from crm.channel.tables import plain
from crm.customers.service import CustomerService
from crm.db import keys
from crm.db.transaction import Transaction
from crm.errors import InvalidInput, NotFound
from crm.ids import stable_id
from crm.ingest.mapping import FileKind
from crm.inventory import periods, shipments
from crm.inventory.lines import filed_shipments, read_lines
from crm.inventory.model import ExportLink
from crm.rebates import accrual, agreements, cases, documents, ledger, runs
from crm.rebates.agreements import InForce
from crm.rebates.model import AccrualRun, Voucher, VoucherPage
from crm.text import neutralise

LIVE = ("pending", "approved")  # what a reopened month reverses


# ----------------------------------------------------------------------------- the month's inputs


def month_figures(bucket: str, tenant_id: str, agreements_: list[InForce], period: str) -> accrual.MonthFigures:
    """What these agreements' rules count in the month, summed: each basis a rule names, for their distributors;
    the stock if a rule asks for it; the month's confirmed cases. A basis no rule names is not read."""
    parties = {a.customer_id for a in agreements_}
    rules = [rule for a in agreements_ for rule in a.terms.rules]
    wanted = {rule.basis for rule in rules}
    if any(rule.conditions.min_match_rate is not None for rule in rules):
        wanted.add("flow")  # the match rate is the flow's
    counted = ["sku", "base_quantity", "customer_id", "load_id"]
    bases: dict[Any, accrual.BasisTotals] = {}
    for basis, kind in (("flow", FileKind.FLOW), ("sellout", FileKind.SELLOUT)):
        if basis in wanted:
            lines = read_lines(bucket, kind, tenant_id, period, counted, parties, ("sku", "load_id", "customer_id"))
            bases[basis] = accrual.totals(_verified(lines))
    if "sell_in" in wanted:
        bases["sell_in"] = accrual.totals(_sell_in(bucket, tenant_id, period, parties))
    stock_by, reported = accrual.stock_totals(accrual.NO_STOCK)
    if any(rule.conditions.max_stock_months is not None for rule in rules):
        columns = ["sku", "base_quantity"]
        stock = read_lines(bucket, FileKind.INVENTORY, tenant_id, period, columns, parties, ("sku",))
        stock_by, reported = accrual.stock_totals(stock)
    counts, penalties = accrual.penalties_by_distributor(cases.confirmed(tenant_id, period))
    return accrual.MonthFigures(period, bases, stock_by, reported, counts, penalties)


def _verified(lines: pa.Table) -> pa.Table:
    """Flow and sell-out lines: verified when the buyer (or store) matched a customer."""
    verified = pc.is_valid(lines["customer_id"])
    return pa.table(
        {
            "party": lines["party"],
            "sku": lines["sku"],
            "base_quantity": lines["base_quantity"],
            "verified": verified,
            "load_id": lines["load_id"],
        }
    )


def _sell_in(bucket: str, tenant_id: str, period: str, parties: set[str] | None) -> pa.Table:
    """Our shipments of the month: the ERP's reports (load `erp:<order>`) and the shipments files' rows that
    name no order the ERP reported."""
    reported = shipments.of_period(tenant_id, period)
    columns = ["distributor_id", "sku", "base_quantity", "load_id"]
    filed = plain(filed_shipments(bucket, tenant_id, period, {s.order_id for s in reported}, columns).select(columns))
    rows = [(d.distributor_id, d.sku, d.quantity, f"erp:{d.order_id}") for d in shipments.delivered(reported)]
    erp = pa.table(
        {
            "distributor_id": pa.array([r[0] for r in rows], pa.string()),
            "sku": pa.array([r[1] for r in rows], pa.string()),
            "base_quantity": pa.array([r[2] for r in rows], pa.float64()),
            "load_id": pa.array([r[3] for r in rows], pa.string()),
        }
    )
    both = pa.concat_tables([filed.cast(erp.schema), erp])
    if parties is not None:
        both = both.filter(pc.is_in(both["distributor_id"], value_set=pa.array(sorted(parties), pa.string())))
    return pa.table(
        {
            "party": both["distributor_id"],
            "sku": both["sku"],
            "base_quantity": both["base_quantity"],
            "verified": pa.repeat(pa.scalar(True), both.num_rows),
            "load_id": both["load_id"],
        }
    )


def compute(bucket: str, tenant_id: str, period: str, customer_id: str | None = None) -> list[Voucher]:
    """The month's vouchers as the data stands now (of one customer, if named)."""
    found = agreements.in_force(tenant_id, period, {customer_id} if customer_id else None)
    if not found:
        return []
    return accrual.vouchers(found, month_figures(bucket, tenant_id, found, period))


# ----------------------------------------------------------------------------- the run's work


def accrue(bucket: str, tenant_id: str, period: str, round_: int) -> int:
    """The closed month's vouchers, stored (frozen) and each sent for approval. Safe to repeat: a voucher's
    id is fixed per agreement and round, and one already stored is left."""
    found = agreements.in_force(tenant_id, period)
    if not found:
        return 0
    computed = accrual.vouchers(found, month_figures(bucket, tenant_id, found, period))
    run = runs.get(tenant_id, period)
    if not periods.is_closed(tenant_id, period) or run is None or run[0].round != round_:
        return 0  # reopened (or closed again) meanwhile: that round's vouchers would be void at birth
    system = _system(tenant_id)
    for agreement, voucher in zip(found, computed, strict=True):
        voucher_id = stable_id(tenant_id, "voucher", period, agreement.agreement_id, str(round_))
        if documents.get(keys.voucher_pk(tenant_id, voucher_id), keys.META) is None:
            _store_new(system, agreement, voucher.model_copy(update={"id": voucher_id, "round": round_}))
    return len(computed)


def _store_new(system: Principal, agreement: InForce, voucher: Voucher) -> None:
    planned = approvals.plan(
        system,
        ApprovalRequest(
            kind=Kind.ACCRUAL,
            subject_id=voucher.id or "",
            org_unit_id=agreement.org_unit_id,
            subject_label=f"{voucher.customer_name} {voucher.period} 返利计提 {voucher.net}",
            amount=voucher.net,
        ),
    )
    tx = Transaction()
    run = approvals.stage(tx, system, planned)
    stored = voucher.model_copy(update={"status": "pending", "approval_id": run.id})
    tx.put(ledger.item(system.tenant_id, stored, None))
    ledger.stage_audit(tx, system.tenant_id, stored, "voucher.frozen", approvals.SYSTEM, None)
    tx.commit()
    approvals.launch(run)


def reverse(tenant_id: str, period: str, round_: int) -> int:
    """The reopened month's live vouchers of this round and before: each marked reversed, with its reversal entry
    (the negative of it) beside; a pending approval withdrawn. Safe to repeat: a reversed voucher is left."""
    system = _system(tenant_id)
    done = 0
    for item in documents.listed(keys.vouchers_of_month_pk(tenant_id, period)):
        voucher = documents.body(item, Voucher)
        if voucher.status not in LIVE or (voucher.round or 0) > round_:
            continue
        reversal_id = stable_id(tenant_id, "reversal", voucher.id or "")
        negative: dict[str, Any] = {
            "id": reversal_id,
            "status": "reversal",
            "reverses": voucher.id,
            "gross": -voucher.gross,
            "net": -voucher.net,
            "unabsorbed_penalty": -voucher.unabsorbed_penalty,
            "rules": [],
            "penalties": [],
            "computed_at": clock.now(),
            "approval_id": None,
        }
        tx = Transaction()
        withdrawn = approvals.stage_withdraw(tx, system, Kind.ACCRUAL, voucher.id or "")
        reversed_ = voucher.model_copy(update={"status": "reversed", "reversed_by": reversal_id})
        tx.put(ledger.item(tenant_id, reversed_, item.version))
        tx.put(ledger.item(tenant_id, voucher.model_copy(update=negative), None))
        ledger.stage_audit(tx, tenant_id, reversed_, "voucher.reversed", approvals.SYSTEM, voucher.status)
        tx.commit()
        approvals.after_withdraw(withdrawn)
        done += 1
    return done


def _system(tenant_id: str) -> Principal:
    """Who submits a run's vouchers: nobody in particular (every approver may decide them)."""
    return Principal(tenant_id=tenant_id, user_id=approvals.SYSTEM, org_unit_id="", roles=frozenset())


# ----------------------------------------------------------------------------- the API's side


class VoucherService:
    def __init__(self, principal: Principal, analytics_bucket: str) -> None:
        self.p = principal
        self.tenant = principal.tenant_id
        self.bucket = analytics_bucket

    def preview(self, period: str, customer_id: str | None) -> VoucherPage:
        require(self.p, "accrual:read")
        wanted = self._customer(customer_id)
        found = compute(self.bucket, self.tenant, period, wanted)
        return _page(self._in_scope(found, wanted))

    def find(self, period: str | None, customer_id: str | None, group: str | None) -> VoucherPage:
        """A month's vouchers, or one distributor's of every month; a product group narrows to the vouchers
        counting it."""
        require(self.p, "accrual:read")
        wanted = self._customer(customer_id)
        if period:
            items = documents.listed(keys.vouchers_of_month_pk(self.tenant, period), f"{wanted}#" if wanted else None)
        elif wanted:
            items = documents.listed(keys.vouchers_of_customer_pk(self.tenant, wanted), second=True)
        else:
            raise InvalidInput("Name a period or a customer_id.", [{"field": "period", "message": "required"}])
        found = [documents.body(i, Voucher) for i in items]
        found = [v for v in found if group is None or group in v.groups]
        return _page(self._in_scope(sorted(found, key=lambda v: (v.period, v.customer_name, v.id or "")), wanted))

    def get(self, voucher_id: str) -> Voucher:
        require(self.p, "accrual:read")
        stored = documents.get(keys.voucher_pk(self.tenant, voucher_id), keys.META)
        voucher = documents.body(stored, Voucher) if stored else None
        if voucher is None or not self._in_scope([voucher], None):
            raise NotFound(f"No voucher {voucher_id}.")
        return voucher

    def run_state(self, period: str) -> AccrualRun:
        require(self.p, "accrual:read")
        found = runs.get(self.tenant, period)
        if found is None:
            raise NotFound(f"No accrual has run for {period}.")
        return found[0]

    def restart(self, period: str) -> AccrualRun:
        """Starts the month's run again: accrue if the month is closed, reverse if it is open again."""
        require(self.p, "accrual:run")
        action: runs.Action = "accrue" if periods.is_closed(self.tenant, period) else "reverse"
        return runs.start(self.tenant, period, action, self.p.user_id, again=True)

    def export(self, period: str, customer_id: str | None) -> ExportLink:
        page = self.find(period, customer_id, None)
        data = vouchers_xlsx(period, page.items)
        name = f"accruals-{period}.xlsx"
        url = upload_links.workbook_link(self.bucket, self.tenant, name, data)
        return ExportLink(url=url, expires_in=upload_links.URL_SECONDS, file_name=name, lines=len(page.items))

    def _customer(self, customer_id: str | None) -> str | None:
        """The customer asked for, in scope (404 otherwise); a distributor user is always its own."""
        own = own_distributor(self.p)
        if own is not None:
            if customer_id not in (None, own):
                raise NotFound(f"No customer {customer_id}.")
            return own
        if customer_id:
            CustomerService(self.p).get(customer_id)
        return customer_id

    def _in_scope(self, vouchers: list[Voucher], checked: str | None) -> list[Voucher]:
        own = own_distributor(self.p)
        if own is not None:
            return [v for v in vouchers if v.customer_id == own]
        if checked:
            return vouchers
        visible = CustomerService(self.p).covering(v.customer_id for v in vouchers)
        return [v for v in vouchers if v.customer_id in visible]


def _page(vouchers: list[Voucher]) -> VoucherPage:
    return VoucherPage(items=vouchers, total_net=sum((v.net for v in vouchers), Decimal(0)))


# ----------------------------------------------------------------------------- storage and the file


HEADER = (
    "计提单 voucher",
    "状态 status",
    "经销商 customer",
    "协议 agreement",
    "版本 version",
    "规则 rule",
    "产品组 group",
    "口径 basis",
    "数量 quantity",
    "金额 amount",
    "目标 target",
    "达成% attainment",
    "档位 tier",
    "比例 rate",
    "条件 conditions",
    "计提 accrued",
)


def vouchers_xlsx(period: str, vouchers: list[Voucher]) -> bytes:
    """One sheet of vouchers (gross, penalties, net), one of their rule lines with the evidence counted."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    summary = workbook.create_sheet(f"计提单 {period}")
    summary.append(
        [
            "计提单 voucher",
            "状态 status",
            "经销商 customer",
            "毛额 gross",
            "罚款 penalties",
            "净额 net",
            "冲销 reverses",
        ]
    )
    for v in vouchers:
        charged = sum(p.amount or 0 for p in v.penalties)
        summary.append(
            [v.id, v.status, neutralise(v.customer_name), float(v.gross), float(charged), float(v.net), v.reverses]
        )
    lines = workbook.create_sheet("明细 rules")
    lines.append(list(HEADER))
    for v in vouchers:
        for r in v.rules:
            conditions = "; ".join(f"{c.name}={'ok' if c.met else 'not met'}" for c in r.conditions)
            lines.append(
                [
                    v.id,
                    v.status,
                    neutralise(v.customer_name),
                    v.agreement_id,
                    v.agreement_version,
                    neutralise(r.rule),
                    neutralise(r.group or ""),
                    r.basis,
                    r.quantity,
                    float(r.amount),
                    float(r.target) if r.target is not None else None,
                    r.attainment_pct,
                    r.tier,
                    r.rate,
                    conditions,
                    float(r.accrued),
                ]
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
