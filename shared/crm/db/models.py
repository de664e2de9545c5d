"""pynamodb shapes of the records in the single table. docs/access-patterns.md lists the keys.

These are storage shapes only: services work with the pydantic models in crm.<domain>.model,
and the repositories map between the two explicitly.
"""

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection

from crm.db.base import Item, VersionedItem


class _Gsi1(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class _Gsi2(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class _Gsi3(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi3"
        projection = IncludeProjection(["customer_id", "kind", "text"])

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class _Gsi4(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi4"
        projection = AllProjection()

    gsi4pk = UnicodeAttribute(hash_key=True)
    gsi4sk = UnicodeAttribute(range_key=True)


class CustomerItem(VersionedItem):
    """pk T#t#CUST#<id>, sk META. gsi1: scope (org path), gsi2: owner, gsi4: upstream (sparse)."""

    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi4pk = UnicodeAttribute(null=True)
    gsi4sk = UnicodeAttribute(null=True)
    by_scope = _Gsi1()
    by_owner = _Gsi2()
    by_upstream = _Gsi4()

    tenant_id = UnicodeAttribute()
    id = UnicodeAttribute()
    # Filterable fields stay top-level so list filters can be FilterExpressions.
    name = UnicodeAttribute()
    type = UnicodeAttribute()
    status = UnicodeAttribute()
    level = UnicodeAttribute(null=True)
    city = UnicodeAttribute(null=True)
    owner_id = UnicodeAttribute(null=True)
    org_unit_id = UnicodeAttribute()
    org_path = UnicodeAttribute()
    upstream_id = UnicodeAttribute(null=True)
    voided = BooleanAttribute(default=False)
    # The rest of the record as the service model dumps it (JSON-compatible values).
    doc: MapAttribute[str, Any] = MapAttribute()


class NameKeyItem(Item):
    """A normalised name or alias pointing at a customer.

    pk T#t#NAME#<norm>: one partition per spelling, so a duplicate check is a single Query.
    sk ALIAS for an alias (one per spelling: that is what makes aliases unique per tenant),
    sk CUST#<id> for a customer's own name (two customers may share a name after an override).
    gsi3 (T#t#NAMES, <norm>#<id>) serves prefix search over names and aliases.
    """

    gsi3pk = UnicodeAttribute()
    gsi3sk = UnicodeAttribute()
    by_text = _Gsi3()
    customer_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # "name" | "alias"
    text = UnicodeAttribute()  # as written, for display


class NameClaimItem(Item):
    """pk T#t#NAME#<norm>, sk CLAIM: the customer that holds a spelling as its name. Put in the customer's own
    transaction on condition that nobody else holds it, so two concurrent creates of one new name cannot both
    pass the duplicate check; a manager's explicit override writes none. No index keys: no list or search sees it.
    """

    customer_id = UnicodeAttribute()


class SearchKeyItem(Item):
    """More ways to find a customer by typing the start of something: the parts of its normalised name after a
    place (杭州市西湖区同仁药店 → 西湖区同仁药店, 同仁药店) and its ERP code. Whole names and aliases are
    NameKeyItems already; customer search reads both.

    pk T#t#CUST#<id>, sk SEARCH#<text>. gsi3 (T#t#SEARCH, <text>#<id>) serves prefix search.
    """

    gsi3pk = UnicodeAttribute()
    gsi3sk = UnicodeAttribute()
    by_text = _Gsi3()
    customer_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # "part" | "code"
    text = UnicodeAttribute()  # the name or code it comes from, as written


class LevelItem(Item):
    """pk T#t#CUST#<id>, sk LEVEL#<effective_from>#<ulid>: the level history, effective-dated."""

    level = UnicodeAttribute()
    effective_from = UnicodeAttribute()
    reason = UnicodeAttribute()
    changed_by = UnicodeAttribute()
    changed_at = UnicodeAttribute()


class AuditItem(Item):
    """pk = the changed record's pk, sk AUDIT#<ulid>; written in the same transaction as the change."""

    tenant_id = UnicodeAttribute()
    action = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    at = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    changes: MapAttribute[str, Any] = MapAttribute()  # field -> {"before": ..., "after": ...}


class OrgUnitItem(VersionedItem):
    """pk T#t#ORG, sk UNIT#<id>. The path (/HQ/EAST/EAST-RX/) makes "subtree" a prefix match."""

    name = UnicodeAttribute()
    kind = UnicodeAttribute()
    parent_id = UnicodeAttribute(null=True)
    path = UnicodeAttribute()
    closed_at = UnicodeAttribute(null=True)  # set: closed, takes no new users or customers
    closed_by = UnicodeAttribute(null=True)


class OrgMoveLockItem(Item):
    """pk T#t#ORG, sk MOVING: present while a move of an org unit runs (the tree changes one move at a time)."""

    move_id = UnicodeAttribute()


class OrgMoveItem(VersionedItem):
    """pk T#t#ORGMOVE#<id>, sk META: one move of an org unit (with its subtree) and how far it got."""

    tenant_id = UnicodeAttribute()
    id = UnicodeAttribute()
    unit_id = UnicodeAttribute()
    from_parent_id = UnicodeAttribute()
    to_parent_id = UnicodeAttribute()
    old_path = UnicodeAttribute()
    new_path = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # running | completed | failed
    phase = UnicodeAttribute()  # units | settling | customers | orders | visits | plans | done
    # where the phase got to: which of its partitions (reps, months) and the cursor within it
    sources: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    source_index = NumberAttribute(default=0)
    cursor = UnicodeAttribute(null=True)
    moved: MapAttribute[str, Any] = MapAttribute(default=dict)  # phase -> records moved
    units_moved_at = UnicodeAttribute(null=True)
    requested_by = UnicodeAttribute()
    requested_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)


class UserItem(VersionedItem):
    """pk T#t#ORG, sk USER#<id>: the directory mirror of the identity provider's users."""

    name = UnicodeAttribute()
    username = UnicodeAttribute()
    org_unit_id = UnicodeAttribute()
    roles = UnicodeSetAttribute()
    distributor_id = UnicodeAttribute(null=True)
    active = BooleanAttribute(default=True)
    email = UnicodeAttribute(null=True)  # where notifications by e-mail go; none: no e-mail
    mobile = UnicodeAttribute(null=True)  # how WeCom / DingTalk robots @mention the user


class HandoverItem(VersionedItem):
    """pk T#t#HANDOVER#<id>, sk META: one hand-over job and how far it got."""

    tenant_id = UnicodeAttribute()
    id = UnicodeAttribute()
    from_user_id = UnicodeAttribute()
    to_user_id = UnicodeAttribute()
    to_org_unit_id = UnicodeAttribute()
    scope_path = UnicodeAttribute(null=True)  # None: the whole tenant
    reason = UnicodeAttribute()
    status = UnicodeAttribute()  # running | completed | failed
    moved = NumberAttribute(default=0)
    # out of the requester's scope. (pynamodb types `of` as the element type; the elements are str.)
    skipped: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    cursor = UnicodeAttribute(null=True)
    requested_by = UnicodeAttribute()
    requested_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)


class ProductItem(VersionedItem):
    """pk T#t#PRODUCT, sk SKU#<sku>: the product master (one small partition per tenant)."""

    sku = UnicodeAttribute()
    name = UnicodeAttribute()
    spec = UnicodeAttribute()
    base_unit = UnicodeAttribute()
    case_size = NumberAttribute()
    status = UnicodeAttribute(default="active")
    # Added with the product API (issue 5); null on items written before it.
    tenant_id = UnicodeAttribute(null=True)
    category = UnicodeAttribute(null=True)
    search = UnicodeAttribute(null=True)  # casefolded "sku name spec": keyword search is contains() on it
    created_at = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)


class PriceListItem(VersionedItem):
    """pk T#t#PRODUCT, sk PRICES#<sku>: one product's unit prices by customer type and level.

    One item per product, replaced whole (PUT with If-Match), so a price_for lookup is one GetItem.
    """

    sku = UnicodeAttribute()
    entries: ListAttribute[Any] = ListAttribute(default=list)  # [{customer_type, level|None, unit_price: "12.50"}]
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()


class StockItem(Item):
    """pk T#t#PRODUCT, sk STOCK#<sku>: available stock as the ERP last reported it.

    Apart from the product so ERP updates never bump the product's version (its ETag); `as_of`
    orders the writes instead: a put is conditional on the stored as_of being older.
    """

    sku = UnicodeAttribute()
    available = NumberAttribute()
    as_of = UnicodeAttribute()  # UTC, fixed-width ISO 8601: compares correctly as text
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()


class CustomerImportItem(VersionedItem):
    """pk T#t#CUSTOMERIMPORT#<id>, sk META: one customer archive file, from upload link to result."""

    tenant_id = UnicodeAttribute()
    id = UnicodeAttribute()
    file_name = UnicodeAttribute()
    source_key = UnicodeAttribute()
    status = UnicodeAttribute()  # awaiting_upload | processing | validated | writing | interrupted | completed | ...
    dry_run = BooleanAttribute(default=False)
    mode = UnicodeAttribute()  # all_or_nothing | apply_good_rows
    principal = UnicodeAttribute()  # who asked (JSON), re-checked against the directory when the rows are written
    requested_by = UnicodeAttribute()
    requested_at = UnicodeAttribute()
    started_at = UnicodeAttribute(null=True)
    object_version = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    summary: MapAttribute[str, Any] = MapAttribute(default=dict)  # rows, valid, rejected, duplicates, created, ...
    written = NumberAttribute(default=0)  # staged rows written so far: where a resumed write goes on
    runs = NumberAttribute(default=0)  # invocations that wrote rows (a long file is written by several in turn)
    outcome = UnicodeAttribute(null=True)  # what was done, in words
    rejection: MapAttribute[str, Any] = MapAttribute(null=True)  # {code, message}
    report_key = UnicodeAttribute(null=True)


class ProductImportItem(VersionedItem):
    """pk T#t#PRODUCTIMPORT#<id>, sk META: one product master file, from upload link to result."""

    tenant_id = UnicodeAttribute()
    id = UnicodeAttribute()
    file_name = UnicodeAttribute()
    source_key = UnicodeAttribute()
    status = UnicodeAttribute()  # awaiting_upload | processing | completed | completed_with_errors | rejected
    requested_by = UnicodeAttribute()
    requested_at = UnicodeAttribute()
    started_at = UnicodeAttribute(null=True)
    object_version = UnicodeAttribute(null=True)  # the S3 version of source_key imported last
    finished_at = UnicodeAttribute(null=True)
    summary: MapAttribute[str, Any] = MapAttribute(default=dict)  # rows, created, updated, unchanged, rejected
    rejection: MapAttribute[str, Any] = MapAttribute(null=True)  # {code, message}
    report_key = UnicodeAttribute(null=True)  # the CSV report; the XLSX one sits beside it


class FlowLoadItem(VersionedItem):
    """pk T#t#FLOWLOAD#<id>, sk META: one uploaded file (of any kind: flow, stock, ...) and what became of it.

    gsi1 (T#t#FLOWLOADS, <distributor>#<id>) lists a tenant's loads, per distributor.
    """

    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_tenant = _Gsi1()
    tenant_id = UnicodeAttribute()
    id = UnicodeAttribute()
    distributor_id = UnicodeAttribute()
    period = UnicodeAttribute()
    kind = UnicodeAttribute(default="flow")  # crm.ingest.mapping.FileKind
    file_name = UnicodeAttribute()
    source_key = UnicodeAttribute()
    sha256 = UnicodeAttribute(null=True)
    size = NumberAttribute(null=True)
    status = UnicodeAttribute()
    received_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
    # rows, accepted, rejected, matched, match_rate, base_qty_by_sku
    summary: MapAttribute[str, Any] = MapAttribute(default=dict)
    rejection: MapAttribute[str, Any] = MapAttribute(null=True)
    parquet_key = UnicodeAttribute(null=True)
    report_key = UnicodeAttribute(null=True)
    superseded_by = UnicodeAttribute(null=True)
    object_version = UnicodeAttribute(null=True)  # the S3 version of source_key this load read
    upload_id = UnicodeAttribute(null=True)  # the upload link's load id, when this load read a later version


class FlowPeriodItem(VersionedItem):
    """pk T#t#FLOWPERIOD#<kind>#<distributor>#<period>, sk CURRENT: which load readers see for that period."""

    load_id = UnicodeAttribute()
    sha256 = UnicodeAttribute()


class FlowMappingItem(VersionedItem):
    """pk T#t#FLOWMAP, sk DIST#<distributor>#<kind>: a distributor's mapping template for one kind of file."""

    distributor_id = UnicodeAttribute()
    kind = UnicodeAttribute(default="flow")
    template: MapAttribute[str, Any] = MapAttribute()
    updated_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class FlowReviewItem(VersionedItem):
    """pk T#t#FLOWREVIEW#<id>, sk META: a buyer name no rule could match for sure, waiting for a person.

    One item per distributor and normalised name, however many loads brought it.
    gsi1 (T#t#FLOWREVIEWS, <status>#<distributor>#<id>) lists the open ones.
    """

    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_status = _Gsi1()
    id = UnicodeAttribute()
    distributor_id = UnicodeAttribute()
    buyer_name = UnicodeAttribute()
    normalized_name = UnicodeAttribute()
    status = UnicodeAttribute()  # open | resolved
    load_ids: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    row_count = NumberAttribute()
    base_quantity = NumberAttribute()
    candidates: ListAttribute[Any] = ListAttribute(default=list)  # [{customer_id, name, score, same_city}]
    resolved_customer_id = UnicodeAttribute(null=True)
    resolved_by = UnicodeAttribute(null=True)
    resolution = UnicodeAttribute(null=True)  # confirmed | new_terminal


class FlowCustomerItem(Item):
    """pk T#t#CUST#<id>, sk FLOW#<period>#<distributor>: what a customer bought from a distributor.

    A projection rebuilt by each accepted load (so no version): readers keep only the items whose
    load is the period's current one, so a restatement never double counts.
    """

    load_id = UnicodeAttribute()
    distributor_id = UnicodeAttribute()
    period = UnicodeAttribute()
    rows = NumberAttribute()
    products: MapAttribute[str, Any] = MapAttribute()  # sku -> base quantity


class FlowAliasItem(VersionedItem):
    """pk T#t#FLOWALIAS#<distributor>, sk NAME#<normalised>: what a buyer name means in THIS distributor's files.

    Written when a person confirms a review item (same transaction as the decision and its audit entry,
    which sits in the same partition as AUDIT#<ulid>). The import reads the partition once per load and
    matches these before the tenant's aliases.
    """

    tenant_id = UnicodeAttribute()
    distributor_id = UnicodeAttribute()
    name = UnicodeAttribute()  # as the distributor wrote it (first spelling seen)
    normalized_name = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    review_id = UnicodeAttribute(null=True)
    confirmed_by = UnicodeAttribute()
    confirmed_at = UnicodeAttribute()


class CodeKeyItem(Item):
    """pk T#t#CODE#<code>, sk CUST#<id>: a customer's ERP code pointing at it (files name distributors by code).

    Not unique: two holders of one code make the code ambiguous, and a file naming it is told so.
    """

    customer_id = UnicodeAttribute()
    customer_type = UnicodeAttribute()


class InventoryPeriodItem(VersionedItem):
    """pk T#t#INVPERIODS, sk <yyyy-mm>: a month of channel inventory (渠道库存期间). No item: open.

    Closing freezes the month's figures (a snapshot in the analytics bucket) and carries its closing into
    the next month's opening; reopening (a narrower role) is audited under the same partition.
    """

    tenant_id = UnicodeAttribute()
    period = UnicodeAttribute()
    status = UnicodeAttribute()  # open | closed
    closed_at = UnicodeAttribute(null=True)
    closed_by = UnicodeAttribute(null=True)
    carried = UnicodeAttribute(null=True)  # which closing was carried forward: reported | computed
    snapshot_key = UnicodeAttribute(null=True)


class OpeningBalanceItem(Item):
    """pk T#t#OPENING#<yyyy-mm>, sk <distributor>#<sku>[#<batch>]: a distributor's stock of a product (of a
    batch, when known) carried into the month from the closed month before."""

    distributor_id = UnicodeAttribute()
    sku = UnicodeAttribute()
    batch = UnicodeAttribute(null=True)
    quantity = NumberAttribute()  # base units
    source = UnicodeAttribute()  # carried
    set_by = UnicodeAttribute()
    set_at = UnicodeAttribute()


class ManualOpeningItem(VersionedItem):
    """pk T#t#OPENINGBYHAND#<yyyy-mm>, sk <distributor>: a distributor's opening stock typed in by hand (期初
    initialization), all its lines in one item (replaced whole, with its audit entry, in one transaction)."""

    distributor_id = UnicodeAttribute()
    lines = UnicodeAttribute()  # JSON [{sku, batch, quantity}], base units; a few thousand lines at most
    set_by = UnicodeAttribute()
    set_at = UnicodeAttribute()


class AdjustmentItem(VersionedItem):
    """pk T#t#INVADJ#<id>, sk META: an inventory adjustment (调整单), decided through the approval flow.

    gsi1 (T#t#INVADJS#<yyyy-mm>, <distributor>#<id>) lists a month's adjustments; only approved ones count.
    """

    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_period = _Gsi1()
    tenant_id = UnicodeAttribute()
    id = UnicodeAttribute()
    period = UnicodeAttribute()
    distributor_id = UnicodeAttribute()
    sku = UnicodeAttribute()
    batch = UnicodeAttribute(null=True)  # null: the product, batch not named
    quantity = NumberAttribute()  # base units, signed: + adds stock, - removes it
    reason = UnicodeAttribute()
    status = UnicodeAttribute()  # pending | approved | rejected | withdrawn
    requested_by = UnicodeAttribute()
    requested_at = UnicodeAttribute()
    decided_at = UnicodeAttribute(null=True)


class ShipmentItem(Item):
    """pk T#t#SHIPPED#<yyyy-mm>, sk <distributor>#<order>#<shipment>: what the ERP reported we shipped to a
    distributor (the "in" of its channel inventory), written with the order's shipment."""

    distributor_id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    shipped_on = UnicodeAttribute()  # yyyy-mm-dd
    lines: ListAttribute[Any] = ListAttribute(default=list)  # [{sku, batch, quantity}] in base units


class OrderItem(VersionedItem):
    """pk T#t#ORDER#<id>, sk META: an order (订货单). Lines, shipments and quantities live in `doc`.

    gsi1 (T#t#ORDERS, <org path>#<id>): a unit's orders; gsi2 (T#t#ORDEROWNER#<owner>, <yyyy-mm>#<id>):
    a rep's; gsi4 (T#t#CUSTORDERS#<customer>, <yyyy-mm>#<id>): a customer's. Owner and org path are the
    customer's when the order was made.
    """

    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi4pk = UnicodeAttribute()
    gsi4sk = UnicodeAttribute()
    by_scope = _Gsi1()
    by_owner = _Gsi2()
    by_customer = _Gsi4()

    tenant_id = UnicodeAttribute()
    id = UnicodeAttribute()
    state = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    owner_id = UnicodeAttribute(null=True)
    org_path = UnicodeAttribute()
    created_month = UnicodeAttribute()  # yyyy-mm (UTC), for the month filter on gsi1
    doc: MapAttribute[str, Any] = MapAttribute()


class ReturnItem(VersionedItem):
    """pk T#t#RETURN#<id>, sk META: a return request (退货申请). gsi1 (T#t#ORDERRETURNS#<order>, <id>)."""

    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_order = _Gsi1()

    tenant_id = UnicodeAttribute()
    id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    state = UnicodeAttribute()
    doc: MapAttribute[str, Any] = MapAttribute()


class TransitionItem(Item):
    """pk = the order's or return's pk, sk HIST#<ulid>: one state change, in the same transaction as the record."""

    action = UnicodeAttribute()
    from_state = UnicodeAttribute(null=True)
    to_state = UnicodeAttribute()
    by = UnicodeAttribute()
    at = UnicodeAttribute()
    comment = UnicodeAttribute(null=True)


class ApprovalItem(VersionedItem):
    """pk T#t#APPROVAL#<id>, sk META: one approval run and its steps (JSON, a handful).

    gsi2 (T#t#APPROVALS#<kind>#<subject>, <created>#<id>) finds a subject's approvals, newest last.
    gsi4 (APPROVALRUNS#OPEN, <created>#<tenant>#<id>), sparse: runs whose end is not yet applied to their
    subject, for the reconciler; the key is removed once it is.
    """

    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    gsi4pk = UnicodeAttribute(null=True)
    gsi4sk = UnicodeAttribute(null=True)
    by_subject = _Gsi2()
    open_runs = _Gsi4()
    tenant_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    subject_id = UnicodeAttribute()
    subject_label = UnicodeAttribute()
    org_unit_id = UnicodeAttribute()
    payload = UnicodeAttribute(null=True)  # JSON: what is asked, when the subject alone does not say (a new level)
    amount = UnicodeAttribute(null=True)  # Decimal as text
    status = UnicodeAttribute()  # pending | approved | rejected | withdrawn | expired
    reason = UnicodeAttribute(null=True)  # why it ended without a decision
    submitted_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
    applied_at = UnicodeAttribute(null=True)  # when the end was applied to the subject
    current = NumberAttribute(default=0)
    steps = UnicodeAttribute()  # JSON list of steps
    task_token = UnicodeAttribute(null=True)  # the waiting state machine task of the current step
    awaiting_step = NumberAttribute(null=True)  # which step the token belongs to
    execution_arn = UnicodeAttribute(null=True)
    attempt = NumberAttribute(default=0)  # executions started for this run (a repair starts another)
    attempt_at = UnicodeAttribute(null=True)  # when this attempt's execution was named (its start follows)
    reminder_seconds = NumberAttribute()
    escalation_seconds = NumberAttribute()
    expire_after_seconds = NumberAttribute(null=True)


class InboxItem(Item):
    """pk T#t#INBOX#<user>, sk <created>#<approval id>: what waits for this approver's (or deputy's) decision."""

    approval_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    subject_id = UnicodeAttribute()
    subject_label = UnicodeAttribute()
    amount = UnicodeAttribute(null=True)
    submitted_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    step = NumberAttribute()
    role = UnicodeAttribute()
    on_behalf_of = UnicodeAttribute(null=True)  # set in a deputy's inbox: whose approval this is


class ApprovalPolicyItem(VersionedItem):
    """pk T#t#APPROVALPOLICY, sk <kind>: a tenant's approval policy (JSON), edited by HQ."""

    policy = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class DelegationItem(VersionedItem):
    """pk T#t#DELEGATIONS, sk <delegator>#<id>: a user's deputy (工作代理) for a date range. One small
    partition per tenant, read whole to find who stands in for whom today."""

    tenant_id = UnicodeAttribute()
    id = UnicodeAttribute()
    delegator_id = UnicodeAttribute()
    deputy_id = UnicodeAttribute()
    starts_on = UnicodeAttribute()  # yyyy-mm-dd, the tenant's dates, both days included
    ends_on = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # active | cancelled (an active one ends by itself after ends_on)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    cancelled_by = UnicodeAttribute(null=True)
    cancelled_at = UnicodeAttribute(null=True)


class PlanItem(VersionedItem):
    """pk T#t#PLAN#<yyyy-mm>, sk UNIT#<org unit>: one org unit's order plan (订货计划) for a month.

    Lines are replaced whole (PUT with If-Match, or a file import); audit entries sit under
    T#t#PLAN#<yyyy-mm>#<org unit>. `org_path` (the unit's path when written) is the scope filter.
    """

    tenant_id = UnicodeAttribute()
    month = UnicodeAttribute()
    org_unit_id = UnicodeAttribute()
    org_path = UnicodeAttribute()
    lines: ListAttribute[Any] = ListAttribute(default=list)  # [{sku, customer_id|None, quantity}]
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()


class PlanImportItem(VersionedItem):
    """pk T#t#PLANIMPORT#<id>, sk META: one plan template file, from upload link to result."""

    tenant_id = UnicodeAttribute()
    id = UnicodeAttribute()
    org_unit_id = UnicodeAttribute()
    month = UnicodeAttribute()
    file_name = UnicodeAttribute()
    source_key = UnicodeAttribute()
    status = UnicodeAttribute()  # awaiting_upload | processing | completed | rejected
    requested_by = UnicodeAttribute()
    requested_at = UnicodeAttribute()
    started_at = UnicodeAttribute(null=True)
    object_version = UnicodeAttribute(null=True)  # the S3 version of source_key imported last
    finished_at = UnicodeAttribute(null=True)
    summary: MapAttribute[str, Any] = MapAttribute(default=dict)  # rows, rejected, plan_version
    rejection: MapAttribute[str, Any] = MapAttribute(null=True)  # {code, message}
    report_key = UnicodeAttribute(null=True)  # the CSV report; the XLSX one sits beside it


class VisitItem(VersionedItem):
    """pk T#t#VISIT#<id>, sk META: a field visit (拜访) with its notes, tasks and photos in `doc`.

    gsi1 (T#t#VISITS#<yyyy-mm of day>, <rep's org path>#<id>): a unit's visits in a month;
    gsi2 (T#t#VISITREP#<rep>, <day>#<id>): a rep's route and plans; gsi4 (T#t#CUSTVISITS#<customer>, <day>#<id>).
    `day` is the check-in day once checked in, else the planned day.
    """

    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    gsi4pk = UnicodeAttribute()
    gsi4sk = UnicodeAttribute()
    by_month = _Gsi1()
    by_rep = _Gsi2()
    by_customer = _Gsi4()

    tenant_id = UnicodeAttribute()
    id = UnicodeAttribute()
    state = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    rep_id = UnicodeAttribute()
    org_path = UnicodeAttribute()
    day = UnicodeAttribute()  # yyyy-mm-dd
    flagged = BooleanAttribute(default=False)
    doc: MapAttribute[str, Any] = MapAttribute()


class VisitReceiptItem(Item):
    """pk T#t#VISITSYNC#<user>, sk ACT#<client action id>: an offline action that was applied, and what it gave.

    Written in the same transaction as the change it made, so an action applies once however often the
    phone sends it. Refused actions leave no receipt (the phone may send them again once they can apply).
    """

    type = UnicodeAttribute()
    visit_id = UnicodeAttribute()
    digest = UnicodeAttribute()  # sha256 of the action as sent: the same id with other content is refused
    applied_at = UnicodeAttribute()
    result: MapAttribute[str, Any] = MapAttribute(default=dict)
    expiration = NumberAttribute()  # DynamoDB TTL: a phone does not re-send a queue older than this


class PolicyItem(VersionedItem):
    """pk T#t#VISITPOLICY or T#t#INVPOLICY, sk META: a tenant policy document (JSON), edited by HQ (crm.policies)."""

    policy = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()


# ----------------------------------------------------------------------------- notifications (通知)


class NotificationItem(Item):
    """pk T#t#NOTIFY#<user>, sk N#<ulid>: one entry of a user's in-app inbox, newest first by sk.

    gsi1 (T#t#NOTIFYUNREAD#<user>, <ulid>), sparse: the unread ones; the keys are removed when it is read, and
    only then does it get an expiration (an unread entry never vanishes under the unread counter).
    """

    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    unread = _Gsi1()
    tenant_id = UnicodeAttribute()
    id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    event = UnicodeAttribute()  # the user-facing event name: approval.waiting, flow.load_finished, ...
    event_id = UnicodeAttribute()
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    ref: MapAttribute[str, Any] = MapAttribute(null=True)  # {type, id}: what the entry is about, for the app to open
    created_at = UnicodeAttribute()
    read_at = UnicodeAttribute(null=True)
    expiration = NumberAttribute(null=True)  # DynamoDB TTL, set when read


class UnreadCounterItem(Item):
    """pk T#t#NOTIFY#<user>, sk UNREAD: how many inbox entries are unread, changed in the same transaction as
    the entry (ADD 1 on write; ADD -1 on read, conditional on count >= 1), so one GetItem answers the badge."""

    # Not `count`: that would hide pynamodb's Model.count. The stored attribute keeps its name.
    unread = NumberAttribute(default=0, attr_name="count")


class NotifyPrefsItem(VersionedItem):
    """pk T#t#NOTIFY#<user>, sk PREFS: a user's own notification preferences (JSON); audited beside them."""

    prefs = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class NotifySettingsItem(VersionedItem):
    """pk T#t#NOTIFYSETTINGS, sk META: a tenant's notification settings (JSON) and robots (JSON, each with its
    webhook URL and signing secret as KMS ciphertext, encryption context the tenant id); audited beside them."""

    settings = UnicodeAttribute()
    robots = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class DeliveryItem(Item):
    """pk T#t#NOTIFYEVENT#<event id>, sk <channel>#<user> or robot#<robot id>: one delivery of one happening.

    Put with attribute_not_exists: a repeated event finds it and delivers nothing. E-mail and robot deliveries
    hold their message and sit in gsi4 (NOTIFY#OUTBOX, <tenant>#<created>#<event id>#<sk>) while `deferred`
    (quiet hours) or `claimed` (being sent); once sent, failed or dropped the gsi4 keys are removed.
    """

    gsi4pk = UnicodeAttribute(null=True)
    gsi4sk = UnicodeAttribute(null=True)
    outbox = _Gsi4()
    tenant_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event = UnicodeAttribute()
    channel = UnicodeAttribute()  # inbox | email | wecom | dingtalk
    status = UnicodeAttribute()  # claimed | deferred | sent | failed | dropped
    claimed_at = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    message = UnicodeAttribute(null=True)  # JSON: what to send (user ids, not addresses: resolved when sent)
    created_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    expiration = NumberAttribute()  # DynamoDB TTL: longer than any redelivery (EventBridge retries, DLQ redrive)


class FlowUploaderItem(Item):
    """pk T#t#FLOWLOAD#<id>, sk UPLOADER: the upload as issued with its link: whose file, which kind and period,
    under which file name (the import goes by this record, never by the key alone), and who asked for the link,
    so the load's end is told to them."""

    user_id = UnicodeAttribute(null=True)  # null: put there by our own seeding, nobody to tell
    requested_at = UnicodeAttribute()
    expiration = NumberAttribute()
    distributor_id = UnicodeAttribute(null=True)  # null on records written before uploads were issued
    kind = UnicodeAttribute(null=True)
    period = UnicodeAttribute(null=True)
    file_name = UnicodeAttribute(null=True)


class FlowVersionItem(Item):
    """pk T#t#FLOWLOAD#<upload id>, sk VERSION#<S3 version id>: the load that read that version of the uploaded
    object. The upload's first version is read by the load of the upload's id; a later version (the same form
    sent again) by a load of its own."""

    load_id = UnicodeAttribute()


class ExportItem(VersionedItem):
    """pk T#t#USER#<user>#EXPORTS, sk EXPORT#<id>: one export of a list, run as the principal stored here."""

    tenant_id = UnicodeAttribute()
    id = UnicodeAttribute()
    list_name = UnicodeAttribute()  # customers | orders | visits | flow-loads | approvals
    filters = UnicodeAttribute()  # JSON: the list's query parameters, as validated
    format = UnicodeAttribute()  # xlsx | csv
    principal = UnicodeAttribute()  # JSON: who asked (tenant, user, unit, roles, distributor)
    status = UnicodeAttribute()  # queued | running | done | failed
    rows = NumberAttribute(default=0)
    file_key = UnicodeAttribute(null=True)
    file_name = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    requested_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
    expiration = NumberAttribute()  # DynamoDB TTL: the record goes a while after its file does


# ----------------------------------------------------------------------------- agreements, accruals, cases (rebates)


class DocumentItem(VersionedItem):
    """A record kept whole as one JSON document, read and written as one (crm.rebates): an agreement
    (pk T#t#AGREEMENT#<id>, sk META) and its versions (same pk, sk V#<nnnn>), an accrual voucher
    (T#t#VOUCHER#<id>, META), a month's accrual run (T#t#ACCRUALRUNS, <yyyy-mm>), a diversion case
    (T#t#DCASE#<id>, META). docs/access-patterns.md lists the two indexes each uses to be listed."""

    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    by_gsi1 = _Gsi1()
    by_gsi2 = _Gsi2()
    tenant_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # agreement | agreement_version | voucher | accrual_run | diversion_case
    body = UnicodeAttribute()  # the pydantic model's JSON
