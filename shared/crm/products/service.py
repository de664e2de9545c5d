"""Product master use cases. Each one authorizes first (role → 403), then reads (unknown sku → 404).

Every write goes out as one transaction with its audit entry. `write_new` and `write_changes`
are shared with the file import, which authorized when it handed out the upload link.
"""

from crm import clock, versions
from crm.audit import BOOKKEEPING, diff
from crm.auth import Principal, require
from crm.customers.model import CustomerType, Level
from crm.db.paging import Page
from crm.db.transaction import Transaction
from crm.errors import Conflict, DomainError, NotFound
from crm.ids import new_id
from crm.products import imports, prices
from crm.products import repository as repo
from crm.products.model import (
    ChangeEntry,
    ImportRequest,
    ImportTicket,
    PriceList,
    PriceListBody,
    PriceQuote,
    Product,
    ProductCreate,
    ProductFilters,
    ProductImport,
    ProductPatch,
    StockOutcome,
    StockReport,
    StockResult,
    StockUpdate,
    as_of_text,
)

_AUDIT_IGNORE = BOOKKEEPING | {"stock"}  # stock is the ERP's report, audited on its own
_TYPE_ORDER = {"distributor": 0, "terminal": 1, "person": 2, "other": 3}


class DuplicateSku(Conflict):
    def __init__(self, sku: str) -> None:
        super().__init__(
            f"A product with sku {sku!r} already exists; change it with PATCH /products/{sku}.",
            errors=[{"field": "sku", "message": "already exists"}],
        )


class _StaleReport(DomainError):
    """Raised inside a stock write whose as_of is not newer than the stored one; never reaches HTTP."""


class ProductService:
    def __init__(self, principal: Principal, uploads_bucket: str = "") -> None:
        self.p = principal
        self.tenant = principal.tenant_id
        self.bucket = uploads_bucket

    # ------------------------------------------------------------------ products

    def get(self, sku: str) -> Product:
        require(self.p, "product:read")
        return self._product(sku)

    def list(self, filters: ProductFilters, limit: int, cursor: str | None) -> Page[Product]:
        require(self.p, "product:read")
        return repo.list_page(self.tenant, filters, limit, cursor)

    def history(self, sku: str, limit: int, cursor: str | None) -> Page[ChangeEntry]:
        require(self.p, "product:read")
        self._product(sku)
        return repo.list_history(self.tenant, sku, limit, cursor)

    def create(self, body: ProductCreate) -> Product:
        require(self.p, "product:write")
        if repo.get(self.tenant, body.sku) is not None:
            raise DuplicateSku(body.sku)
        return write_new(self.tenant, self.p.user_id, body, "create")

    def update(self, sku: str, if_match: int, patch: ProductPatch) -> Product:
        require(self.p, "product:write")
        before = self._product(sku)
        versions.check("product", before.version, if_match)
        after = Product.model_validate({**before.model_dump(), **patch.model_dump(exclude_unset=True)})
        return write_changes(self.tenant, self.p.user_id, before, after, "update")

    def _product(self, sku: str) -> Product:
        product = repo.get(self.tenant, sku)
        if product is None:
            raise NotFound(f"No product {sku}.")
        return product

    # ------------------------------------------------------------------ prices

    def prices(self, sku: str) -> PriceList:
        require(self.p, "price:read")
        self._product(sku)
        return repo.get_price_list(self.tenant, sku) or PriceList(sku=sku, items=[], version=0)

    def replace_prices(self, sku: str, if_match: int, body: PriceListBody) -> PriceList:
        require(self.p, "price:write")
        self._product(sku)
        before = repo.get_price_list(self.tenant, sku) or PriceList(sku=sku, items=[], version=0)
        versions.check("price list", before.version, if_match)
        items = sorted(body.items, key=lambda e: (_TYPE_ORDER[e.customer_type.value], e.level or ""))
        after = PriceList(
            sku=sku, items=items, updated_at=clock.now(), updated_by=self.p.user_id, version=before.version
        )
        changes = diff(
            {"items": before.model_dump(mode="json")["items"]}, {"items": after.model_dump(mode="json")["items"]}
        )
        if not changes:
            return before
        tx = Transaction()
        repo.stage_price_list(tx, self.tenant, after)
        repo.stage_audit(tx, self.tenant, sku, "prices", self.p.user_id, changes)
        tx.commit()
        return after.model_copy(update={"version": before.version + 1})

    def quote(self, sku: str, customer_type: CustomerType, level: Level | None) -> PriceQuote:
        """What `price_for` answers, over HTTP: the level's price, else the type's default, else 404."""
        require(self.p, "price:read")
        self._product(sku)
        found = prices.lookup(repo.price_entries(self.tenant, sku), customer_type, level)
        if found is None:
            of_level = f" of level {level.value}" if level else ""
            raise NotFound(
                f"No price for {customer_type.value} customers{of_level}; set one with PUT /products/{sku}/prices."
            )
        return PriceQuote(sku=sku, customer_type=customer_type, level=level, unit_price=found[0], matched=found[1])

    # ------------------------------------------------------------------ stock (from the ERP)

    def report_stock(self, update: StockUpdate) -> StockResult:
        """Each report is applied on its own: an older as_of than the stored one is ignored, not an error."""
        require(self.p, "stock:write")
        known = repo.known_skus(self.tenant, (r.sku for r in update.items))
        stored = {sku: (int(s.available), s.as_of) for sku, s in repo.stock_of(self.tenant, known).items()}
        outcomes = []
        for report in update.items:  # in order: a sku reported twice keeps the later as_of
            if report.sku not in known:
                outcomes.append(StockOutcome(sku=report.sku, outcome="unknown_sku"))
                continue
            as_of = as_of_text(report.as_of)
            current = stored.get(report.sku)
            outcome = "stale" if current and current[1] >= as_of else self._write_stock(report, as_of, current)
            if outcome == "updated":
                stored[report.sku] = (report.available, as_of)
            outcomes.append(StockOutcome(sku=report.sku, outcome=outcome))
        count = {k: sum(1 for o in outcomes if o.outcome == k) for k in ("updated", "stale", "unknown_sku")}
        return StockResult(updated=count["updated"], stale=count["stale"], unknown=count["unknown_sku"], items=outcomes)

    def _write_stock(self, report: StockReport, as_of: str, current: tuple[int, str] | None) -> str:
        sku, available = report.sku, report.available
        before = {"available": current[0], "as_of": current[1]} if current else None
        changes = diff(before, {"available": available, "as_of": as_of})
        tx = Transaction()
        repo.stage_stock(tx, self.tenant, sku, available, as_of, self.p.user_id, on_stale=lambda: _StaleReport(""))
        repo.stage_audit(tx, self.tenant, sku, "stock", self.p.user_id, changes)
        try:
            tx.commit()
        except _StaleReport:
            return "stale"  # a newer report landed between our read and this write
        return "updated"

    # ------------------------------------------------------------------ file imports

    def request_import(self, request: ImportRequest) -> ImportTicket:
        """A presigned POST form (type and size bound); the S3 event that follows starts the import function."""
        require(self.p, "product:import")
        key = imports.ImportKey(self.tenant, new_id(), imports.safe_file_name(request.file_name))
        imports.create(key, request.file_name, self.p.user_id)
        return ImportTicket(import_id=key.import_id, key=str(key), **imports.upload_form(self.bucket, key))

    def get_import(self, import_id: str) -> ProductImport:
        require(self.p, "product:import")
        item = imports.get(self.tenant, import_id)
        if item is None:
            raise NotFound(f"No product import {import_id}.")
        return imports.to_model(item, self.bucket)


# ---------------------------------------------------------------------- writes shared with the import


def write_new(tenant_id: str, actor_id: str, body: ProductCreate, action: str, reason: str | None = None) -> Product:
    now = clock.now()
    product = Product(**body.model_dump(), created_at=now, created_by=actor_id, updated_at=now, updated_by=actor_id)
    tx = Transaction()
    repo.stage_product(tx, tenant_id, product, on_fail=lambda: DuplicateSku(body.sku))
    repo.stage_audit(
        tx, tenant_id, product.sku, action, actor_id, diff(None, product.model_dump(mode="json"), _AUDIT_IGNORE), reason
    )
    tx.commit()
    return product.model_copy(update={"version": 1})


def write_changes(
    tenant_id: str, actor_id: str, before: Product, after: Product, action: str, reason: str | None = None
) -> Product:
    """Nothing is written when nothing changed (the version and ETag stay)."""
    changes = diff(before.model_dump(mode="json"), after.model_dump(mode="json"), _AUDIT_IGNORE)
    if not changes:
        return before
    after = after.model_copy(update={"updated_at": clock.now(), "updated_by": actor_id, "version": before.version})
    tx = Transaction()
    repo.stage_product(tx, tenant_id, after)
    repo.stage_audit(tx, tenant_id, after.sku, action, actor_id, changes, reason)
    tx.commit()
    return after.model_copy(update={"version": before.version + 1})
