"""Distributor files (flow, sell-out, stock, opening balances, our shipments) as the API offers them:
upload links, loads, mapping templates, the review queue. Authorization first, then scope, as everywhere."""

from collections.abc import Callable
from dataclasses import dataclass

from crm import upload_links, versions
from crm.auth import Principal, Role, allowed, own_distributor, require
from crm.customers.model import CustomerCreate, CustomerType, Region, TerminalProfile
from crm.customers.service import CustomerService, distributor_in_scope, distributors_in_scope
from crm.db.paging import MAX_ONE_OF, Page
from crm.db.transaction import Transaction
from crm.errors import Conflict, InvalidInput, NotFound
from crm.file_imports import safe_file_name
from crm.flow import aliases, loads, mappings, reviews
from crm.flow.keys import SHIPMENTS_PARTY, UploadKey, report_key
from crm.flow.model import Load, ReportLink, ReviewDecision, UploadRequest, UploadTicket
from crm.ids import new_id
from crm.ingest.mapping import FileKind, MappingTemplate
from crm.inventory import periods

# Who may send which kind of file. Stock reports come from distributors like their flow; an opening
# balance sets figures every later period builds on; our shipments are our own books.
UPLOAD_PERMISSION: dict[FileKind, str] = {
    FileKind.FLOW: "flow:upload",
    FileKind.SELLOUT: "flow:upload",
    FileKind.INVENTORY: "flow:upload",
    FileKind.OPENING: "inventory:initialize",
    FileKind.SHIPMENTS: "inventory:shipments",
}


@dataclass(frozen=True)
class Listed:
    distributor_id: str | None  # one distributor's records...
    among: set[str] | None  # ...or those of these distributors (None with no distributor: every one's)


class FlowService:
    def __init__(self, principal: Principal, uploads_bucket: str) -> None:
        self.p = principal
        self.tenant = principal.tenant_id
        self.bucket = uploads_bucket

    def request_upload(self, request: UploadRequest) -> UploadTicket:
        require(self.p, UPLOAD_PERMISSION[request.kind])
        party = self._party(request.kind, request.distributor_id)
        periods.ensure_open(self.tenant, request.period)
        key = UploadKey(self.tenant, party, request.period, new_id(), safe_file_name(request.file_name), request.kind)
        loads.issue(key, self.p.user_id)  # before the link exists: the import goes by this record
        form = upload_links.upload_form(self.bucket, str(key), upload_links.content_type_for(key.file_name))
        return UploadTicket(load_id=key.load_id, key=str(key), **form)

    def list(
        self, distributor_id: str | None, limit: int, cursor: str | None, kind: FileKind | None = None
    ) -> Page[Load]:
        require(self.p, "flow:read")
        if distributor_id == SHIPMENTS_PARTY:
            require(self.p, "inventory:shipments")
            return loads.list_loads(self.tenant, distributor_id, limit, cursor, kind)
        listed = self._listed(distributor_id)
        if listed is None:
            return Page([], None)
        return loads.list_loads(self.tenant, listed.distributor_id, limit, cursor, kind, listed.among)

    def get(self, load_id: str) -> Load:
        require(self.p, "flow:read")
        item = loads.get(self.tenant, load_id)
        if item is None or not self._may_see(item.distributor_id):
            raise NotFound(f"No load {load_id}.")
        return loads.to_model(item)

    def error_report(self, load_id: str, fmt: str) -> ReportLink:
        load = self.get(load_id)
        if not load.has_error_report:
            raise NotFound("This load has no error report.")
        key = report_key(
            UploadKey(self.tenant, load.distributor_id, load.period, load.id, load.file_name, load.kind), fmt
        )
        return ReportLink(
            url=upload_links.download_url(self.bucket, key), expires_in=upload_links.URL_SECONDS, format=fmt
        )

    # ------------------------------------------------------------------ mapping templates

    def mapping(self, distributor_id: str, kind: FileKind = FileKind.FLOW) -> mappings.StoredMapping:
        require(self.p, "flow:read")
        stored = mappings.find(self.tenant, self._party(kind, distributor_id, mapping=True), kind)
        if stored is None:
            raise NotFound(f"This distributor has no {kind} mapping template; the built-in headers apply.")
        return stored

    def builtin_headers(self, kind: FileKind) -> mappings.BuiltinHeaders:
        require(self.p, "flow:read")
        return mappings.builtin(kind)

    def save_mapping(
        self, distributor_id: str, kind: FileKind, template: MappingTemplate, if_match: int | None
    ) -> mappings.StoredMapping:
        require(self.p, "flow:mapping")
        party = self._party(kind, distributor_id, mapping=True)
        return mappings.save(self.tenant, party, kind, template, self.p.user_id, if_match)

    # ------------------------------------------------------------------ review queue

    def open_reviews(self, distributor_id: str | None, limit: int, cursor: str | None) -> Page[reviews.Review]:
        # A distributor user reads its own names waiting for the office (the portal), without the candidates:
        # they are the manufacturer's customers, not its to see. Deciding stays the office's.
        distributor_user = own_distributor(self.p) is not None
        require(self.p, "flow:read" if distributor_user else "flow:review")
        listed = self._listed(distributor_id)
        if listed is None:
            return Page([], None)
        page = reviews.list_open(self.tenant, listed.distributor_id, limit, cursor, listed.among)
        if distributor_user:
            return Page([item.model_copy(update={"candidates": []}) for item in page.items], page.cursor)
        return page

    def decide(self, review_id: str, decision: ReviewDecision, reattribute: Callable[[dict], None]) -> reviews.Review:
        """Confirms what an unsure buyer name means: an alias for next time, and this time's rows re-attributed."""
        require(self.p, "flow:review")
        if (decision.customer_id is None) == (decision.new_terminal is None):
            raise InvalidInput(
                "Give either customer_id or new_terminal.",
                [{"field": "customer_id", "message": "exactly one of customer_id, new_terminal"}],
            )
        item = reviews.get(self.tenant, review_id)
        if item is None or not self._may_see(item.distributor_id):
            raise NotFound(f"No review item {review_id}.")
        if item.status != "open":
            raise Conflict(f"Already resolved ({item.resolution}, customer {item.resolved_customer_id}).")
        customers = CustomerService(self.p)
        tx = Transaction()
        if decision.new_terminal is not None:
            created = customers.create(
                CustomerCreate(
                    name=item.buyer_name,
                    profile=TerminalProfile(kind=decision.new_terminal.kind),
                    region=Region(city=decision.new_terminal.city),
                ),
                skip_duplicate_check=False,
            )
            customer_id, resolution = created.id, "new_terminal"  # its own name matches it from now on
        else:
            target = customers.get(decision.customer_id or "")  # 404 outside the reviewer's scope
            if target.voided:
                raise Conflict(f"Customer {target.id} is voided; restore it or choose another.")
            customer_id, resolution = target.id, "confirmed"
            # What the name means in THIS distributor's files; other distributors' files are not affected.
            aliases.confirm(
                tx, self.tenant, item.distributor_id, item.buyer_name, customer_id, self.p.user_id, review_id
            )
        reviews.resolve(tx, item, customer_id, self.p.user_id, resolution)
        tx.commit()
        reattribute(
            {
                "action": "reattribute",
                "tenant_id": self.tenant,
                "load_ids": list(item.load_ids),
                "normalized_name": item.normalized_name,
                "customer_id": customer_id,
            }
        )
        return reviews.to_model(item)

    # ------------------------------------------------------------------ distributor aliases

    def list_aliases(self, distributor_id: str, limit: int, cursor: str | None) -> Page[aliases.FlowAlias]:
        require(self.p, "flow:review")
        return aliases.list_page(self.tenant, self._distributor(distributor_id), limit, cursor)

    def delete_alias(self, distributor_id: str, name: str, if_match: int, reattribute: Callable[[dict], None]) -> None:
        """Undoes a wrong confirmation: the alias goes, the review item reopens, and the rows it
        attributed are unattributed again (the load that brought the name and every later one)."""
        require(self.p, "flow:review")
        distributor_id = self._distributor(distributor_id)
        item = aliases.get(self.tenant, distributor_id, name)
        if item is None:
            raise NotFound(f"Distributor {distributor_id} has no alias {name!r}.")
        versions.check("alias", item.version or 0, if_match)
        tx = Transaction()
        aliases.remove(tx, item, self.p.user_id, "confirmation undone")
        review = reviews.get(
            self.tenant, item.review_id or aliases.alias_id(self.tenant, distributor_id, item.normalized_name)
        )
        load_ids = list(review.load_ids) if review else []
        if review is not None and review.status == "resolved" and review.resolved_customer_id == item.customer_id:
            reviews.reopen(tx, review)
        tx.commit()
        reattribute(
            {
                "action": "reattribute",
                "tenant_id": self.tenant,
                "load_ids": load_ids,
                "distributor_id": distributor_id,
                "since": item.confirmed_at,
                "normalized_name": item.normalized_name,
                "customer_id": None,
                "previous_customer_id": item.customer_id,
            }
        )

    def _party(self, kind: FileKind, asked: str | None, mapping: bool = False) -> str:
        """Whose file it is. Our shipments file is nobody's (its rows name the distributors); sell-out may
        come from a terminal as well as a distributor; every other kind from a distributor."""
        if kind == FileKind.SHIPMENTS:
            if asked not in (None, SHIPMENTS_PARTY):
                raise InvalidInput(
                    "A shipments file names the distributors in its rows, not in the request.",
                    [{"field": "distributor_id", "message": "omit it for kind shipments"}],
                )
            if mapping:
                require(self.p, "inventory:shipments")
            return SHIPMENTS_PARTY
        types = (CustomerType.DISTRIBUTOR,) if kind != FileKind.SELLOUT else tuple(CustomerType)
        return self._distributor(asked, types)

    def _listed(self, asked: str | None) -> Listed | None:
        """Whose records a list shows: the distributor asked for (or a distributor user's own), else every
        distributor in an office user's scope; None when that scope holds no distributor."""
        if asked or own_distributor(self.p) is not None:
            return Listed(self._distributor(asked), None)
        among = distributors_in_scope(self.p)  # None: the whole tenant's
        if among is not None and not among:
            return None
        if among is not None and len(among) > MAX_ONE_OF:
            raise InvalidInput(
                f"{len(among)} distributors are in your scope; name one.",
                [{"field": "distributor_id", "message": "required in a scope this wide"}],
            )
        return Listed(None, among)

    def _distributor(self, asked: str | None, types: tuple[CustomerType, ...] = (CustomerType.DISTRIBUTOR,)) -> str:
        return distributor_in_scope(self.p, asked, types)

    def _may_see(self, distributor_id: str) -> bool:
        if self.p.has(Role.HQ_ADMIN):
            return True
        if distributor_id == SHIPMENTS_PARTY:
            return allowed(self.p, "inventory:shipments")
        try:
            return self._distributor(distributor_id) == distributor_id
        except (NotFound, InvalidInput):
            return False
