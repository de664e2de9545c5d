"""The lists an export can hold: per list, its filters (the query parameters its GET route takes, with the same
bounds), the permission that reads it, its columns (zh-CN headers) and its pages.

Pages come from the list's own service method, called as the caller, page by page: the export holds exactly what
the list route shows that caller for those filters, with the list's own scope rules (there is no second query).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crm.auth import Principal
from crm.clock import IsoDate
from crm.db.paging import Page
from crm.flow.keys import SHIPMENTS_PARTY
from crm.ids import ULID_PATTERN
from crm.ingest.mapping import FileKind
from crm.orders.model import OrderState
from crm.visits.model import MONTH_PATTERN, VisitState

_ORDER_STATES = "^(" + "|".join(s.value for s in OrderState) + ")$"  # as the route spells them
_VISIT_STATES = "^(" + "|".join(s.value for s in VisitState) + ")$"
PAGE_SIZE = 200  # the most a list route gives per page

ListName = Literal["customers", "orders", "visits", "flow-loads", "approvals"]


class _Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt filter is an error, not an export of everything


class CustomerFilters(_Filters):
    """GET /customers"""

    owner_id: str | None = Field(default=None, max_length=64)
    org_unit_id: str | None = Field(default=None, max_length=64)
    type: str | None = Field(default=None, pattern="^(distributor|terminal|person|other)$")
    status: str | None = Field(default=None, pattern="^(prospect|opportunity|active|lost|stopped|closed)$")
    level: str | None = Field(default=None, pattern="^[ABCD]$")
    city: str | None = Field(default=None, max_length=50)
    q: str | None = Field(default=None, min_length=1, max_length=100)
    include_voided: bool = False


class OrderFilters(_Filters):
    """GET /orders"""

    state: str | None = Field(default=None, pattern=_ORDER_STATES)
    customer_id: str | None = Field(default=None, pattern=ULID_PATTERN)
    month: str | None = Field(default=None, pattern=MONTH_PATTERN)


class VisitFilters(_Filters):
    """GET /visits"""

    month: str | None = Field(default=None, pattern=MONTH_PATTERN)
    on: IsoDate | None = None
    rep_id: str | None = Field(default=None, max_length=64)
    state: str | None = Field(default=None, pattern=_VISIT_STATES)
    flagged: bool | None = None


class LoadFilters(_Filters):
    """GET /flow-loads"""

    distributor_id: str | None = Field(default=None, pattern=f"{ULID_PATTERN}|^{SHIPMENTS_PARTY}$")
    kind: FileKind | None = None


class InboxFilters(_Filters):
    """GET /approvals/inbox (it takes no filters)"""


def _text(value: Any) -> Any:
    """Decimals as text (a spreadsheet would round them), dates ISO, enums by value; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


Column = tuple[str, Callable[[Any], Any]]


@dataclass(frozen=True)
class ExportableList:
    name: ListName
    title: str  # the sheet and file name
    permission: str  # the list route's own read permission
    filters: type[_Filters]
    columns: tuple[Column, ...]
    page: Callable[[Principal, Any, str | None], Page[Any]]  # (caller, filters, cursor) -> one page

    @property
    def headers(self) -> list[str]:
        return [header for header, _ in self.columns]

    def row(self, item: Any) -> list[Any]:
        return [_text(value(item)) for _, value in self.columns]

    def pages(self, principal: Principal, filters: _Filters) -> Iterator[list[Any]]:
        cursor: str | None = None
        while True:
            page = self.page(principal, filters, cursor)
            yield page.items
            if not page.cursor:
                return
            cursor = page.cursor


def _customers(p: Principal, f: CustomerFilters, cursor: str | None) -> Page[Any]:
    from crm.customers.model import Filters
    from crm.customers.service import CustomerService

    filters = Filters(f.owner_id, f.org_unit_id, f.type, f.status, f.level, f.city, f.q, f.include_voided)
    return CustomerService(p).list(filters, PAGE_SIZE, cursor)


def _orders(p: Principal, f: OrderFilters, cursor: str | None) -> Page[Any]:
    from crm.orders.model import OrderFilters as Filters
    from crm.orders.service import OrderService

    return OrderService(p).list(Filters(f.state, f.customer_id, f.month), PAGE_SIZE, cursor)


def _visits(p: Principal, f: VisitFilters, cursor: str | None) -> Page[Any]:
    from crm.visits.service import VisitFilters as Filters
    from crm.visits.service import VisitService

    filters = Filters(f.month, f.on, f.rep_id, f.state, f.flagged)
    return VisitService(p, None).list_visits(filters, PAGE_SIZE, cursor)


def _loads(p: Principal, f: LoadFilters, cursor: str | None) -> Page[Any]:
    from crm.flow.service import FlowService

    return FlowService(p, "").list(f.distributor_id, PAGE_SIZE, cursor, f.kind)


def _inbox(p: Principal, _: InboxFilters, cursor: str | None) -> Page[Any]:
    from crm.approvals.service import ApprovalService

    page = ApprovalService(p).inbox(PAGE_SIZE, cursor)
    return Page(page.items, page.next_cursor)


LISTS: dict[str, ExportableList] = {
    "customers": ExportableList(
        "customers",
        "客户",
        "customer:read",
        CustomerFilters,
        (
            ("客户编号", lambda c: c.id),
            ("客户名称", lambda c: c.name),
            ("类型", lambda c: c.type),
            ("状态", lambda c: c.status),
            ("等级", lambda c: c.level),
            ("ERP编码", lambda c: c.code),
            ("省", lambda c: c.region.province),
            ("市", lambda c: c.region.city),
            ("区县", lambda c: c.region.county),
            ("地址", lambda c: c.address),
            ("电话", lambda c: c.phone),
            ("别名", lambda c: "、".join(c.aliases)),
            ("负责人", lambda c: c.owner_id),
            ("组织", lambda c: c.org_unit_id),
            ("上游", lambda c: c.upstream_id),
            ("已作废", lambda c: "是" if c.voided else "否"),
            ("创建时间", lambda c: c.created_at),
            ("更新时间", lambda c: c.updated_at),
        ),
        _customers,
    ),
    "orders": ExportableList(
        "orders",
        "订货单",
        "order:read",
        OrderFilters,
        (
            ("订单编号", lambda o: o.id),
            ("客户编号", lambda o: o.customer_id),
            ("客户名称", lambda o: o.customer_name),
            ("状态", lambda o: o.state),
            ("行数", lambda o: len(o.lines)),
            ("金额", lambda o: o.total),
            ("ERP单号", lambda o: o.erp_order_no),
            ("负责人", lambda o: o.owner_id),
            ("组织", lambda o: o.org_unit_id),
            ("备注", lambda o: o.remarks),
            ("提交时间", lambda o: o.submitted_at),
            ("创建时间", lambda o: o.created_at),
        ),
        _orders,
    ),
    "visits": ExportableList(
        "visits",
        "拜访",
        "visit:read",
        VisitFilters,
        (
            ("拜访编号", lambda v: v.id),
            ("日期", lambda v: v.day),
            ("客户编号", lambda v: v.customer_id),
            ("客户名称", lambda v: v.customer_name),
            ("代表", lambda v: v.rep_id),
            ("状态", lambda v: v.state),
            ("计划日期", lambda v: v.planned_on),
            ("目的", lambda v: v.purpose),
            ("签到时间", lambda v: v.check_in.at if v.check_in else None),
            ("签退时间", lambda v: v.check_out.at if v.check_out else None),
            ("时长(秒)", lambda v: v.duration_seconds),
            ("超出围栏", lambda v: "是" if v.flagged else "否"),
        ),
        _visits,
    ),
    "flow-loads": ExportableList(
        "flow-loads",
        "流向导入",
        "flow:read",
        LoadFilters,
        (
            ("导入编号", lambda x: x.id),
            ("经销商", lambda x: x.distributor_id),
            ("期间", lambda x: x.period),
            ("文件类型", lambda x: x.kind),
            ("文件名", lambda x: x.file_name),
            ("状态", lambda x: x.status),
            ("行数", lambda x: x.summary.rows),
            ("入库行数", lambda x: x.summary.accepted),
            ("拒绝行数", lambda x: x.summary.rejected),
            ("接收时间", lambda x: x.received_at),
            ("完成时间", lambda x: x.finished_at),
        ),
        _loads,
    ),
    "approvals": ExportableList(
        "approvals",
        "待审批",
        "approval:read",
        InboxFilters,
        (
            ("审批编号", lambda a: a.approval_id),
            ("类型", lambda a: a.kind),
            ("事项", lambda a: a.subject_label),
            ("金额", lambda a: a.amount),
            ("提交人", lambda a: a.submitted_by),
            ("提交时间", lambda a: a.created_at),
            ("步骤", lambda a: a.step),
            ("审批角色", lambda a: a.role),
            ("代理", lambda a: a.on_behalf_of),
        ),
        _inbox,
    ),
}
