"""Channel analysis as the API offers it: who may read what, then the pyarrow compute.

Sell-out scope: whole-tenant roles (hq_admin, finance) read every line, unmatched store names included; other office
users the lines of terminals in their scope (a rep's own customers, a head's subtree: the customer ids come
from the index of that scope, ids only); a distributor user the lines of its own files, whatever the
terminal. Diversion: managers and finance; a unit head sees the signals that concern a distributor in
their subtree. pyarrow is imported on first use (the API function's cold start stays light).
"""

from typing import TYPE_CHECKING

from crm.auth import Principal, own_distributor, require
from crm.channel.model import CustomerSellOut, DiversionReport, GroupBy, SellOutReport
from crm.customers import repository as customers_repo
from crm.customers.model import Customer, CustomerType, DistributorProfile, Territory
from crm.customers.service import CustomerService
from crm.db.paging import list_identity, offset_cursor, offset_of
from crm.errors import InvalidInput, NotFound
from crm.inventory.periods import following, previous
from crm.rebates import agreements

if TYPE_CHECKING:
    from crm.channel.diversion import Party

MAX_MONTHS = 12  # a customer's sell-out range: each month reads that month's files
WINDOW_MONTHS = 3  # shipments of the period and the two before count as "shipped to"


class ChannelService:
    def __init__(self, principal: Principal, analytics_bucket: str) -> None:
        self.p = principal
        self.tenant = principal.tenant_id
        self.bucket = analytics_bucket

    # ------------------------------------------------------------------ sell-out

    def sellout(
        self, period: str, terminal_id: str | None, sku: str | None, group_by: GroupBy, limit: int, cursor: str | None
    ) -> SellOutReport:
        require(self.p, "sellout:read")
        from crm.channel import sellout

        identity = list_identity("sellout", self.tenant, self.p.user_id, period, terminal_id, sku, group_by)
        offset = offset_of(cursor, identity)
        own = own_distributor(self.p)
        scope = CustomerService(self.p).scope
        terminals: set[str] | None = None
        if terminal_id:
            if own is None:
                CustomerService(self.p).get(terminal_id)  # 404 outside the caller's scope
            terminals = {terminal_id}
        elif own is None and not scope.whole_tenant:
            terminals = customers_repo.ids_in_scope(self.tenant, scope)
        lines = sellout.read_month(self.bucket, self.tenant, period, {own} if own else None)
        lines = sellout.restrict(lines, terminals, sku, include_unmatched=scope.whole_tenant)
        grouped = sellout.summarize(lines, group_by)
        page = grouped.slice(offset, limit)
        return SellOutReport(
            period=period,
            group_by=group_by,
            items=sellout.rows_of(page, lines, group_by),
            next_cursor=offset_cursor(offset + limit, grouped.num_rows, identity),
        )

    def customer_sellout(self, customer_id: str, from_period: str, to_period: str) -> CustomerSellOut:
        """A terminal's sell-out per month and product. A distributor user reads its own files' lines only: the
        terminals they name in those months are its scope here (it sees no customer record but its own), so any
        other id, there or not, is a 404 as it is for everyone else outside their scope."""
        require(self.p, "sellout:read")
        months = _months(from_period, to_period)
        own = own_distributor(self.p)
        if own is None or own == customer_id:
            CustomerService(self.p).get(customer_id)  # 404 outside the caller's scope
        from crm.channel import sellout

        found = {}
        for period in months:
            lines = sellout.read_month(self.bucket, self.tenant, period, {own} if own else None)
            found[period] = sellout.restrict(lines, {customer_id})
        items = sellout.by_month(found)
        if own is not None and own != customer_id and not items:
            raise NotFound(f"No customer {customer_id}.")
        return CustomerSellOut(customer_id=customer_id, from_period=from_period, to_period=to_period, items=items)

    # ------------------------------------------------------------------ diversion

    def diversion(self, period: str, distributor_id: str | None) -> DiversionReport:
        require(self.p, "diversion:read")
        customers = CustomerService(self.p)
        scope = customers.scope
        if distributor_id and customers.get(distributor_id).type != CustomerType.DISTRIBUTOR:  # 404 outside scope
            raise InvalidInput("Not a distributor.", [{"field": "distributor_id", "message": "not a distributor"}])
        import pyarrow.compute as pc

        from crm.channel import diversion as d

        window = [period]
        while len(window) < WINDOW_MONTHS:
            window.insert(0, previous(window[0]))
        shipped = d.shipped_lines(self.bucket, self.tenant, window)
        flow = d.flow_lines(self.bucket, self.tenant, period)
        ids = set(pc.unique(flow["party"]).to_pylist()) | set(pc.unique(shipped["distributor_id"]).to_pylist())
        records = customers_repo.get_many(self.tenant, ids)
        agreed = agreements.territories(self.tenant, period, set(records))
        parties = {cid: _party(c, agreed.get(cid)) for cid, c in records.items()}
        crossings = d.batch_crossings(shipped, flow, parties)
        judged = [p for p, info in parties.items() if info.territory is not None and info.is_distributor]
        buyer_ids = pc.unique(flow.filter(pc.is_in(flow["party"], value_set=d.text_array(judged)))["customer_id"])
        buyers = {
            cid: d.Buyer(c.name, c.region)
            for cid, c in customers_repo.get_many(self.tenant, [i for i in buyer_ids.to_pylist() if i]).items()
        }
        territory, skipped, unjudged = d.out_of_territory(flow, parties, buyers)

        def concerns(*distributors: str) -> bool:
            """Asked for (no filter, or the filter is among them) and one of them in the caller's scope."""
            wanted = distributor_id is None or distributor_id in distributors
            return wanted and any(
                scope.whole_tenant or (x in records and scope.covers(records[x])) for x in distributors
            )

        return DiversionReport(
            period=period,
            shipment_window=window,
            batch_crossings=[s for s in crossings if concerns(s.found_in, *s.shipped_to)],
            out_of_territory=[s for s in territory if concerns(s.distributor_id)],
            skipped=[s for s in skipped if concerns(s.distributor_id)],
            unjudged=[u for u in unjudged if concerns(u.distributor_id)],
        )


def _party(customer: Customer, agreed: Territory | None) -> "Party":
    """The territory of the agreement in force for the month; a profile's own territory (from before
    agreements held it) when none is."""
    from crm.channel.diversion import Party

    profile = customer.profile
    if not isinstance(profile, DistributorProfile):
        return Party(upstream_id=customer.upstream_id, is_distributor=False)
    return Party(upstream_id=customer.upstream_id, territory=agreed or profile.territory)


def _months(from_period: str, to_period: str) -> list[str]:
    if from_period > to_period:
        raise InvalidInput("`from` is after `to`.", [{"field": "from", "message": "after to"}])
    months = [from_period]
    while months[-1] < to_period and len(months) <= MAX_MONTHS:
        months.append(following(months[-1]))
    if len(months) > MAX_MONTHS:
        raise InvalidInput(
            f"Ask for at most {MAX_MONTHS} months at a time.",
            [{"field": "to", "message": f"at most {MAX_MONTHS} months after from"}],
        )
    return months
