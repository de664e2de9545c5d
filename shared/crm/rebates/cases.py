"""Diversion cases (窜货查处): a signal becomes a case that keeps its evidence rows, gathers investigation
notes and ends dismissed, or confirmed with a penalty once the approval engine says yes. A confirmed case
fails its distributor's "no confirmed diversion" condition for the month and nets its penalty against
the month's accrual (crm.rebates.accrual)."""

from typing import Literal

from crm import audit, clock
from crm.approvals import service as approvals
from crm.approvals.model import ApprovalRequest, Kind
from crm.approvals.subjects import Outcome, Subject
from crm.auth import Principal, require
from crm.customers.service import CustomerService
from crm.db import keys
from crm.db.models import DocumentItem
from crm.db.transaction import Transaction
from crm.errors import Conflict, InvalidInput, NotFound
from crm.ids import new_id
from crm.rebates import documents
from crm.rebates.documents import Listing
from crm.rebates.model import CaseIn, CaseNote, CasePage, DecisionIn, DiversionCase
from crm.versions import check as check_version

KIND = "diversion_case"
LIVE = ("open", "pending", "confirmed")  # a signal has at most one case in these


class CaseService:
    def __init__(self, principal: Principal, analytics_bucket: str) -> None:
        self.p = principal
        self.tenant = principal.tenant_id
        self.bucket = analytics_bucket

    def open(self, body: CaseIn) -> DiversionCase:
        """The signal as the month's data shows it now, kept with its evidence rows."""
        require(self.p, "diversion_case:write")
        from crm.channel.service import ChannelService  # pyarrow: only for this route

        report = ChannelService(self.p, self.bucket).diversion(body.period, body.distributor_id)  # 404 outside scope
        case = DiversionCase(
            id=new_id(),
            period=body.period,
            signal=body.signal,
            distributor_id=body.distributor_id,
            status="open",
            notes=[],
            opened_by=self.p.user_id,
            opened_at=clock.now(),
            version=1,
        )
        if body.signal == "batch_crossing":
            found = [
                s
                for s in report.batch_crossings
                if (s.sku, s.batch, s.found_in) == (body.sku, body.batch, body.distributor_id)
            ]
            case.batch_crossing = found[0] if found else None
        else:
            territory = [s for s in report.out_of_territory if s.customer_id == body.customer_id]
            case.out_of_territory = territory[0] if territory else None
        if case.batch_crossing is None and case.out_of_territory is None:
            raise InvalidInput(
                f"No such {body.signal.replace('_', ' ')} signal in {body.period} (GET /diversion-signals lists them).",
                [{"field": "signal", "message": "not among the month's signals"}],
            )
        for other in _of_month(self.tenant, body.period, body.distributor_id):
            if other.status in LIVE and _same_signal(other, case):
                raise Conflict(f"Case {other.id} already concerns this signal.", case_id=other.id)
        tx = Transaction()
        tx.put(_item(self.tenant, case, None))
        _audit(tx, self.tenant, case, "diversion_case.opened", self.p.user_id, None, None)
        tx.commit()
        return case

    def get(self, case_id: str) -> DiversionCase:
        require(self.p, "diversion_case:read")
        return self._visible(case_id)[0]

    def find(self, period: str, distributor_id: str | None, status: str | None) -> CasePage:
        require(self.p, "diversion_case:read")
        customers = CustomerService(self.p)
        if distributor_id:
            customers.get(distributor_id)  # 404 outside the caller's scope
        found = [c for c in _of_month(self.tenant, period, distributor_id) if status in (None, c.status)]
        if not distributor_id:
            visible = customers.covering(c.distributor_id for c in found)
            found = [c for c in found if c.distributor_id in visible]
        return CasePage(items=found)

    def note(self, case_id: str, text: str, if_match: int | None) -> DiversionCase:
        require(self.p, "diversion_case:write")
        case, stored = self._visible(case_id)
        check_version("case", stored.version or 0, if_match)
        if case.status == "dismissed":
            raise Conflict("The case is dismissed; open it again from the signal to go on.")
        case.notes.append(CaseNote(text=text, by=self.p.user_id, at=clock.now()))
        return self._save(case, stored, "diversion_case.noted", text)

    def decide(self, case_id: str, body: DecisionIn, if_match: int | None) -> DiversionCase:
        """Dismissed at once; confirmed once approved (with its penalty), like every money-moving decision."""
        require(self.p, "diversion_case:write")
        case, stored = self._visible(case_id)
        check_version("case", stored.version or 0, if_match)
        if case.status != "open":
            raise Conflict(f"The case is {case.status}; only an open case is decided.", case_status=case.status)
        case.decision, case.decision_comment, case.penalty = body.decision, body.comment, body.penalty
        if body.decision == "dismissed":
            case.status, case.decided_at = "dismissed", clock.now()
            return self._save(case, stored, "diversion_case.dismissed", body.comment)
        distributor = CustomerService(self.p).get(case.distributor_id)
        penalty = body.penalty
        planned = approvals.plan(
            self.p,
            ApprovalRequest(
                kind=Kind.DIVERSION_PENALTY,
                subject_id=case.id,
                org_unit_id=distributor.org_unit_id,
                subject_label=f"{distributor.name} 窜货 {case.period}: "
                + (f"罚款 {penalty.amount} " if penalty and penalty.amount else "")
                + ("扣除当月返利" if penalty and penalty.forfeit_rebate else ""),
                amount=penalty.amount if penalty else None,
            ),
        )
        case.status = "pending"
        tx = Transaction()
        run = approvals.stage(tx, self.p, planned)
        case.approval_id = run.id
        self._stage(tx, case, stored, "diversion_case.confirmation_requested", body.comment)
        tx.commit()
        approvals.launch(run)
        return self._reread(case.id)

    # ------------------------------------------------------------------ internals

    def _visible(self, case_id: str) -> tuple[DiversionCase, DocumentItem]:
        stored = documents.get(keys.diversion_case_pk(self.tenant, case_id), keys.META)
        if stored is None:
            raise NotFound(f"No case {case_id}.")
        case = _case(stored)
        try:
            CustomerService(self.p).get(case.distributor_id)
        except NotFound:
            raise NotFound(f"No case {case_id}.") from None
        return case, stored

    def _stage(self, tx: Transaction, case: DiversionCase, stored: DocumentItem, action: str, reason: str) -> None:
        before = _case(stored).status
        tx.put(_item(self.tenant, case, stored.version))
        _audit(tx, self.tenant, case, action, self.p.user_id, before, reason)

    def _save(self, case: DiversionCase, stored: DocumentItem, action: str, reason: str) -> DiversionCase:
        tx = Transaction()
        self._stage(tx, case, stored, action, reason)
        tx.commit()
        return self._reread(case.id)

    def _reread(self, case_id: str) -> DiversionCase:
        return self._visible(case_id)[0]


def confirmed(tenant_id: str, period: str) -> list[DiversionCase]:
    """The month's confirmed cases (what the accrual nets)."""
    return [c for c in _of_month(tenant_id, period, None) if c.status == "confirmed"]


class CaseSubject(Subject):
    """Approved: the case is confirmed with its penalty. Otherwise it is open again, the refusal noted."""

    def approved(self, outcome: Outcome) -> None:
        _decided(outcome, "confirmed")

    def rejected(self, outcome: Outcome) -> None:
        _decided(outcome, "open")

    def expired(self, outcome: Outcome) -> None:
        _decided(outcome, "open")


def _decided(outcome: Outcome, status: Literal["confirmed", "open"]) -> None:
    stored = documents.get(keys.diversion_case_pk(outcome.tenant_id, outcome.subject_id), keys.META)
    if stored is None:
        return
    case = _case(stored)
    if case.status != "pending":
        return  # applied already (a retried end)
    case.status, case.decided_at = status, clock.now()
    if status == "open":
        case.notes.append(
            CaseNote(text=f"确认未获批准 not approved: {outcome.comment or ''}", by=outcome.by, at=clock.now())
        )
        case.decision = case.decision_comment = case.penalty = None
    tx = Transaction()
    tx.put(_item(outcome.tenant_id, case, stored.version))
    _audit(tx, outcome.tenant_id, case, f"diversion_case.{status}", outcome.by, "pending", outcome.comment)
    tx.commit()


def _of_month(tenant_id: str, period: str, distributor_id: str | None) -> list[DiversionCase]:
    prefix = f"{distributor_id}#" if distributor_id else None
    return [_case(i) for i in documents.listed(keys.diversion_cases_pk(tenant_id, period), prefix)]


def _case(item: DocumentItem) -> DiversionCase:
    return documents.body(item, DiversionCase).model_copy(update={"version": item.version or 0})


def _same_signal(a: DiversionCase, b: DiversionCase) -> bool:
    if a.batch_crossing and b.batch_crossing:
        return (a.batch_crossing.sku, a.batch_crossing.batch) == (b.batch_crossing.sku, b.batch_crossing.batch)
    if a.out_of_territory and b.out_of_territory:
        return a.out_of_territory.customer_id == b.out_of_territory.customer_id
    return False


def _item(tenant_id: str, case: DiversionCase, read_version: int | None) -> DocumentItem:
    return documents.document(
        tenant_id,
        keys.diversion_case_pk(tenant_id, case.id),
        keys.META,
        KIND,
        case,
        by1=Listing(keys.diversion_cases_pk(tenant_id, case.period), f"{case.distributor_id}#{case.id}"),
        version=read_version,
    )


def _audit(
    tx: Transaction, tenant_id: str, case: DiversionCase, action: str, by: str, before: str | None, reason: str | None
) -> None:
    changes = {"status": {"before": before, "after": case.status}}
    audit.stage(tx, keys.diversion_case_pk(tenant_id, case.id), tenant_id, action, by, changes, reason)
