"""Distributor agreements (协议): each change is a new version, approved through the approval engine.

An agreement is a header (whose it is, which version is in force, which one waits for approval) and its
versions (the whole terms each). One version waits at a time; once approved it is in force and the one
before is superseded. `in_force` is what the accrual and the diversion checks read for a month.
"""

from dataclasses import dataclass

from pydantic import BaseModel

from crm import audit, clock
from crm.approvals import service as approvals
from crm.approvals.model import ApprovalRequest, Kind
from crm.approvals.subjects import Outcome, Subject
from crm.auth import Principal, own_distributor, require
from crm.customers.model import Customer, CustomerType, Territory
from crm.customers.service import CustomerService
from crm.db import keys
from crm.db.models import DocumentItem
from crm.db.transaction import Transaction
from crm.errors import Conflict, InvalidInput, NotFound
from crm.ids import new_id
from crm.products import repository as products_repo
from crm.rebates import documents
from crm.rebates.documents import Listing
from crm.rebates.model import Agreement, AgreementIn, AgreementPage, AgreementVersion, Terms
from crm.versions import check as check_version

HEADER, VERSION = "agreement", "agreement_version"


class Header(BaseModel):
    """The agreement's own record: what lists and the month's reading need without its versions."""

    id: str
    customer_id: str
    customer_name: str
    org_unit_id: str
    current_version: int | None = None
    pending_version: int | None = None
    latest: int = 0
    valid_from: str | None = None  # the current version's months, to pick the agreements of a month cheaply
    valid_to: str | None = None


@dataclass(frozen=True)
class InForce:
    """An agreement's approved terms that apply to a month."""

    agreement_id: str
    version: int
    customer_id: str
    customer_name: str
    org_unit_id: str
    terms: Terms


class AgreementService:
    def __init__(self, principal: Principal) -> None:
        self.p = principal
        self.tenant = principal.tenant_id

    def create(self, body: AgreementIn) -> Agreement:
        require(self.p, "agreement:write")
        customer = CustomerService(self.p).get(body.customer_id)  # 404 outside the caller's scope
        if customer.type not in (CustomerType.DISTRIBUTOR, CustomerType.TERMINAL):
            raise InvalidInput(
                "Agreements are with distributors or terminal chains.",
                [{"field": "customer_id", "message": "not a distributor or terminal"}],
            )
        terms = Terms.model_validate(body.model_dump(exclude={"customer_id"}))
        self._check(terms, customer.id, None)
        header = Header(
            id=new_id(), customer_id=customer.id, customer_name=customer.name, org_unit_id=customer.org_unit_id
        )
        return self._submit(header, None, terms)

    def new_version(self, agreement_id: str, terms: Terms, if_match: int | None) -> Agreement:
        require(self.p, "agreement:write")
        header, stored = self._visible(agreement_id)
        check_version("agreement", stored.version or 0, if_match)
        if header.pending_version is not None:
            raise Conflict(f"Version {header.pending_version} still waits for approval; decide it first.")
        self._check(terms, header.customer_id, agreement_id)
        return self._submit(header, stored.version, terms)

    def get(self, agreement_id: str) -> Agreement:
        require(self.p, "agreement:read")
        header, stored = self._visible(agreement_id)
        return _agreement(header, stored.version or 0, _versions(self.tenant, agreement_id))

    def find(self, customer_id: str | None) -> AgreementPage:
        require(self.p, "agreement:read")
        own = own_distributor(self.p)
        if own is not None and customer_id not in (None, own):
            raise NotFound(f"No customer {customer_id}.")
        wanted = own or customer_id
        if wanted and own is None:
            CustomerService(self.p).get(wanted)  # 404 outside the caller's scope
        stored = documents.listed(keys.agreements_pk(self.tenant), f"{wanted}#" if wanted else None)
        headers = [(documents.body(i, Header), i.version or 0) for i in stored]
        if not wanted:
            visible = CustomerService(self.p).covering(h.customer_id for h, _ in headers)
            headers = [(h, v) for h, v in headers if h.customer_id in visible]
        versions = _versions_of(self.tenant, [h for h, _ in headers])
        return AgreementPage(items=[_agreement(h, v, versions[h.id]) for h, v in sorted(headers, key=_by_customer)])

    # ------------------------------------------------------------------ internals

    def _visible(self, agreement_id: str) -> tuple[Header, DocumentItem]:
        """The header if the caller may see it: its own (a distributor user), or its customer in scope; else 404."""
        stored = documents.get(keys.agreement_pk(self.tenant, agreement_id), keys.META)
        header = documents.body(stored, Header) if stored else None
        own = own_distributor(self.p)
        if header is None or (own is not None and header.customer_id != own):
            raise NotFound(f"No agreement {agreement_id}.")
        if own is None:
            try:
                CustomerService(self.p).get(header.customer_id)
            except NotFound:
                raise NotFound(f"No agreement {agreement_id}.") from None
        assert stored is not None
        return header, stored

    def _check(self, terms: Terms, customer_id: str, agreement_id: str | None) -> None:
        """Products known; no other agreement of the customer overlaps these months."""
        products_repo.require_known(self.tenant, [p.sku for p in terms.products], "products")
        for item in documents.listed(keys.agreements_pk(self.tenant), f"{customer_id}#"):
            other = documents.body(item, Header)
            if other.id == agreement_id:
                continue
            for version in _versions(self.tenant, other.id):
                if version.status in ("pending", "approved") and _overlap(version.terms, terms):
                    raise Conflict(
                        f"Agreement {other.id} (version {version.number}, {version.terms.valid_from}…"
                        f"{version.terms.valid_to}) already covers some of these months; change that one instead."
                    )

    def _submit(self, header: Header, read_version: int | None, terms: Terms) -> Agreement:
        """The new version (pending), the header naming it and the approval run: both or neither."""
        number = header.latest + 1
        planned = approvals.plan(
            self.p,
            ApprovalRequest(  # 422 when nobody can approve it: nothing stored then
                kind=Kind.AGREEMENT,
                subject_id=header.id,
                org_unit_id=header.org_unit_id,
                subject_label=f"{header.customer_name} {terms.name} v{number} ({terms.valid_from}…{terms.valid_to})",
                payload={"version": number},
            ),
        )
        header = header.model_copy(update={"pending_version": number, "latest": number})
        tx = Transaction()
        run = approvals.stage(tx, self.p, planned)
        version = AgreementVersion(
            number=number,
            status="pending",
            terms=terms,
            requested_by=self.p.user_id,
            requested_at=clock.now(),
            approval_id=run.id,
        )
        _stage_header(tx, self.tenant, header, read_version)
        tx.put(_version_item(self.tenant, header.id, version))
        audit.stage(
            tx,
            keys.agreement_pk(self.tenant, header.id),
            self.tenant,
            "agreement.version_requested",
            self.p.user_id,
            {"version": {"before": header.current_version, "after": number}},
            terms.name,
        )
        tx.commit()
        approvals.launch(run)
        return _agreement(header, (read_version or 0) + 1, _versions(self.tenant, header.id))


def import_approved(tenant_id: str, customer: Customer, terms: Terms, by: str) -> str | None:
    """An agreement signed before the CRM (a company's set-up, the demo): stored as its approved version 1,
    audited as imported. None, and nothing written, when the customer already has an agreement."""
    if documents.listed(keys.agreements_pk(tenant_id), f"{customer.id}#"):
        return None
    header = Header(
        id=new_id(),
        customer_id=customer.id,
        customer_name=customer.name,
        org_unit_id=customer.org_unit_id,
        current_version=1,
        latest=1,
        valid_from=terms.valid_from,
        valid_to=terms.valid_to,
    )
    version = AgreementVersion(
        number=1, status="approved", terms=terms, requested_by=by, requested_at=clock.now(), decided_at=clock.now()
    )
    tx = Transaction()
    _stage_header(tx, tenant_id, header, None)
    tx.put(_version_item(tenant_id, header.id, version))
    pk = keys.agreement_pk(tenant_id, header.id)
    audit.stage(tx, pk, tenant_id, "agreement.imported", by, {"version": {"before": None, "after": 1}}, terms.name)
    tx.commit()
    return header.id


# ----------------------------------------------------------------------------- reading for a month


def in_force(tenant_id: str, period: str, customer_ids: set[str] | None = None) -> list[InForce]:
    """Every agreement whose approved version covers the month (of these customers, if named)."""
    headers = [documents.body(i, Header) for i in documents.listed(keys.agreements_pk(tenant_id))]
    wanted = [
        h
        for h in headers
        if h.current_version is not None
        and (customer_ids is None or h.customer_id in customer_ids)
        and (h.valid_from or "") <= period <= (h.valid_to or "")
    ]
    keys_wanted = [
        (keys.agreement_pk(tenant_id, h.id), keys.agreement_version_sk(h.current_version or 0)) for h in wanted
    ]
    found = {(i.pk, i.sk): documents.body(i, AgreementVersion) for i in DocumentItem.batch_get(keys_wanted)}
    result = []
    for h, key in zip(wanted, keys_wanted, strict=True):
        if key in found:
            version = found[key]
            result.append(InForce(h.id, version.number, h.customer_id, h.customer_name, h.org_unit_id, version.terms))
    return sorted(result, key=lambda a: (a.customer_id, a.agreement_id))


def territories(tenant_id: str, period: str, customer_ids: set[str]) -> dict[str, Territory]:
    """The territory each distributor's agreement in force gives it for the month (diversion checks)."""
    return {a.customer_id: a.terms.territory for a in in_force(tenant_id, period, customer_ids) if a.terms.territory}


# ----------------------------------------------------------------------------- the approval's end


class AgreementSubject(Subject):
    """Approved: the version is in force and the one before superseded. Otherwise the version ends as the run
    did and the one in force stays."""

    def approved(self, outcome: Outcome) -> None:
        _decided(outcome, "approved")

    def rejected(self, outcome: Outcome) -> None:
        _decided(outcome, "rejected")

    def expired(self, outcome: Outcome) -> None:
        _decided(outcome, "expired")


def _decided(outcome: Outcome, status: str) -> None:
    tenant, number = outcome.tenant_id, int((outcome.payload or {}).get("version", 0))
    stored = documents.get(keys.agreement_pk(tenant, outcome.subject_id), keys.META)
    pending = documents.get(keys.agreement_pk(tenant, outcome.subject_id), keys.agreement_version_sk(number))
    if stored is None or pending is None:
        return
    header, version = documents.body(stored, Header), documents.body(pending, AgreementVersion)
    if version.status != "pending":
        return  # applied already (a retried end)
    now = clock.now()
    tx = Transaction()
    decided = version.model_copy(update={"status": status, "decided_at": now})
    tx.put(_version_item(tenant, header.id, decided, pending.version))
    update: dict[str, object] = {"pending_version": None}
    if status == "approved":
        if header.current_version is not None:
            before = documents.get(
                keys.agreement_pk(tenant, header.id), keys.agreement_version_sk(header.current_version)
            )
            if before is not None:
                superseded = documents.body(before, AgreementVersion).model_copy(update={"status": "superseded"})
                tx.put(_version_item(tenant, header.id, superseded, before.version))
        update |= {
            "current_version": number,
            "valid_from": version.terms.valid_from,
            "valid_to": version.terms.valid_to,
        }
    _stage_header(tx, tenant, header.model_copy(update=update), stored.version)
    audit.stage(
        tx,
        stored.pk,
        tenant,
        f"agreement.version_{status}",
        outcome.by,
        {"version": {"before": header.current_version, "after": number if status == "approved" else None}},
        outcome.comment,
    )
    tx.commit()


# ----------------------------------------------------------------------------- storage


def _stage_header(tx: Transaction, tenant_id: str, header: Header, read_version: int | None) -> None:
    tx.put(
        documents.document(
            tenant_id,
            keys.agreement_pk(tenant_id, header.id),
            keys.META,
            HEADER,
            header,
            by1=Listing(keys.agreements_pk(tenant_id), f"{header.customer_id}#{header.id}"),
            version=read_version,
        )
    )


def _version_item(
    tenant_id: str, agreement_id: str, version: AgreementVersion, read_version: int | None = None
) -> DocumentItem:
    """A version's item; `read_version` is the stored item's (None: a new version, which must not exist yet)."""
    sk = keys.agreement_version_sk(version.number)
    pk = keys.agreement_pk(tenant_id, agreement_id)
    return documents.document(tenant_id, pk, sk, VERSION, version, version=read_version)


def _versions(tenant_id: str, agreement_id: str) -> list[AgreementVersion]:
    found = DocumentItem.query(keys.agreement_pk(tenant_id, agreement_id), DocumentItem.sk.startswith("V#"))
    return [documents.body(i, AgreementVersion) for i in found]


def _versions_of(tenant_id: str, headers: list[Header]) -> dict[str, list[AgreementVersion]]:
    """Every version of these agreements in batched reads (the headers say how many each has)."""
    wanted = [
        (keys.agreement_pk(tenant_id, h.id), keys.agreement_version_sk(n))
        for h in headers
        for n in range(1, h.latest + 1)
    ]
    found: dict[str, list[AgreementVersion]] = {h.id: [] for h in headers}
    by_pk = {keys.agreement_pk(tenant_id, h.id): h.id for h in headers}
    for item in DocumentItem.batch_get(wanted):
        found[by_pk[item.pk]].append(documents.body(item, AgreementVersion))
    return {agreement: sorted(versions, key=lambda v: v.number) for agreement, versions in found.items()}


def _agreement(header: Header, version: int, versions: list[AgreementVersion]) -> Agreement:
    current = next((v for v in versions if v.number == header.current_version), None)
    return Agreement(
        id=header.id,
        customer_id=header.customer_id,
        customer_name=header.customer_name,
        current_version=header.current_version,
        terms=current.terms if current else None,
        versions=versions,
        version=version,
    )


def _overlap(a: Terms, b: Terms) -> bool:
    return a.valid_from <= b.valid_to and b.valid_from <= a.valid_to


def _by_customer(entry: tuple[Header, int]) -> tuple[str, str]:
    return entry[0].customer_name, entry[0].id
