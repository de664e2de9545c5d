"""Key builders: the only place key formats are spelled out. Every key starts with the tenant."""


def tenant_prefix(tenant_id: str) -> str:
    return f"T#{tenant_id}#"


def customer_pk(tenant_id: str, customer_id: str) -> str:
    return f"T#{tenant_id}#CUST#{customer_id}"


def customers_scope_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#CUST"


def scope_sk(org_path: str, customer_id: str) -> str:
    return f"{org_path}#{customer_id}"


def owner_pk(tenant_id: str, user_id: str) -> str:
    return f"T#{tenant_id}#OWNER#{user_id}"


def upstream_pk(tenant_id: str, customer_id: str) -> str:
    return f"T#{tenant_id}#UP#{customer_id}"


def name_pk(tenant_id: str, norm: str) -> str:
    return f"T#{tenant_id}#NAME#{norm}"


def code_pk(tenant_id: str, code: str) -> str:
    return f"T#{tenant_id}#CODE#{code}"


def names_index_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#NAMES"


def search_index_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#SEARCH"


def org_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#ORG"


def handover_pk(tenant_id: str, handover_id: str) -> str:
    return f"T#{tenant_id}#HANDOVER#{handover_id}"


def org_unit_history_pk(tenant_id: str, unit_id: str) -> str:
    """An org unit's audit entries, apart from the ORG partition so reading the tree stays one small Query."""
    return f"T#{tenant_id}#ORGUNIT#{unit_id}"


def org_move_pk(tenant_id: str, move_id: str) -> str:
    return f"T#{tenant_id}#ORGMOVE#{move_id}"


ORG_MOVE_LOCK = "MOVING"  # sk in the ORG partition while a move runs: the tree changes one move at a time


META = "META"
ALIAS = "ALIAS"
NAME_CLAIM = "CLAIM"  # beside a spelling's name and alias keys: who holds it as a name (NameClaimItem)


def products_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#PRODUCT"


def product_sk(sku: str) -> str:
    return f"SKU#{sku}"


def price_list_sk(sku: str) -> str:
    return f"PRICES#{sku}"


def stock_sk(sku: str) -> str:
    return f"STOCK#{sku}"


def product_history_pk(tenant_id: str, sku: str) -> str:
    """A product's audit entries, apart from the master partition so reading the master stays one small Query."""
    return f"T#{tenant_id}#PRODUCT#{sku}"


def product_import_pk(tenant_id: str, import_id: str) -> str:
    return f"T#{tenant_id}#PRODUCTIMPORT#{import_id}"


def customer_import_pk(tenant_id: str, import_id: str) -> str:
    return f"T#{tenant_id}#CUSTOMERIMPORT#{import_id}"


def flow_load_pk(tenant_id: str, load_id: str) -> str:
    return f"T#{tenant_id}#FLOWLOAD#{load_id}"


def flow_loads_pk(tenant_id: str) -> str:
    """gsi1 partition listing a tenant's loads, newest first by load id (a ULID)."""
    return f"T#{tenant_id}#FLOWLOADS"


def flow_period_pk(tenant_id: str, distributor_id: str, period: str, kind: str = "flow") -> str:
    """The pointer to the current load of one kind of file for a distributor and period."""
    return f"T#{tenant_id}#FLOWPERIOD#{kind}#{distributor_id}#{period}"


def flow_mappings_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#FLOWMAP"


def flow_mapping_sk(distributor_id: str, kind: str) -> str:
    """A distributor's stock report has another layout than its flow file: one template per kind."""
    return f"DIST#{distributor_id}#{kind}"


def flow_review_pk(tenant_id: str, review_id: str) -> str:
    return f"T#{tenant_id}#FLOWREVIEW#{review_id}"


def flow_reviews_pk(tenant_id: str) -> str:
    """gsi1 partition listing review items: sk <status>#<distributor>#<id>."""
    return f"T#{tenant_id}#FLOWREVIEWS"


def flow_aliases_pk(tenant_id: str, distributor_id: str) -> str:
    """A distributor's own confirmed buyer names: sk NAME#<normalised>, audit entries beside them."""
    return f"T#{tenant_id}#FLOWALIAS#{distributor_id}"


def flow_alias_sk(normalized_name: str) -> str:
    return f"NAME#{normalized_name}"


# ----------------------------------------------------------------------------- channel inventory


def inventory_periods_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#INVPERIODS"


def inventory_policy_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#INVPOLICY"


def opening_pk(tenant_id: str, period: str) -> str:
    return f"T#{tenant_id}#OPENING#{period}"


def manual_opening_pk(tenant_id: str, period: str) -> str:
    return f"T#{tenant_id}#OPENINGBYHAND#{period}"


def adjustment_pk(tenant_id: str, adjustment_id: str) -> str:
    return f"T#{tenant_id}#INVADJ#{adjustment_id}"


def adjustments_pk(tenant_id: str, period: str) -> str:
    return f"T#{tenant_id}#INVADJS#{period}"


def shipped_pk(tenant_id: str, period: str) -> str:
    return f"T#{tenant_id}#SHIPPED#{period}"


# ----------------------------------------------------------------------------- orders and returns


def order_pk(tenant_id: str, order_id: str) -> str:
    """An order (sk META) with its history (HIST#<ulid>) and audit entries (AUDIT#<ulid>) beside it."""
    return f"T#{tenant_id}#ORDER#{order_id}"


def orders_scope_pk(tenant_id: str) -> str:
    """gsi1 partition listing a tenant's orders by the customer's org path: sk <org path>#<order id>."""
    return f"T#{tenant_id}#ORDERS"


def order_owner_pk(tenant_id: str, owner_id: str) -> str:
    """gsi2 partition of the orders of one rep's customers: sk <yyyy-mm>#<order id>."""
    return f"T#{tenant_id}#ORDEROWNER#{owner_id}"


def customer_orders_pk(tenant_id: str, customer_id: str) -> str:
    """gsi4 partition of one customer's orders: sk <yyyy-mm>#<order id>."""
    return f"T#{tenant_id}#CUSTORDERS#{customer_id}"


def return_pk(tenant_id: str, return_id: str) -> str:
    """A return request (sk META) with its history and audit entries beside it."""
    return f"T#{tenant_id}#RETURN#{return_id}"


def order_returns_pk(tenant_id: str, order_id: str) -> str:
    """gsi1 partition of one order's return requests: sk <return id>."""
    return f"T#{tenant_id}#ORDERRETURNS#{order_id}"


def approval_pk(tenant_id: str, approval_id: str) -> str:
    return f"T#{tenant_id}#APPROVAL#{approval_id}"


def approvals_of_subject(tenant_id: str, kind: str, subject_id: str) -> str:
    return f"T#{tenant_id}#APPROVALS#{kind}#{subject_id}"


def inbox_pk(tenant_id: str, user_id: str) -> str:
    return f"T#{tenant_id}#INBOX#{user_id}"


def approval_policy_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#APPROVALPOLICY"


# Not a tenant's key: the reconciler looks at every tenant's open runs (few: runs pending or just ended).
OPEN_APPROVAL_RUNS = "APPROVALRUNS#OPEN"


def delegations_pk(tenant_id: str) -> str:
    """A tenant's delegations (工作代理), sk <delegator>#<id>."""
    return f"T#{tenant_id}#DELEGATIONS"


# ----------------------------------------------------------------------------- order plans (订货计划)


def plans_pk(tenant_id: str, month: str) -> str:
    """One small partition per month: sk UNIT#<org unit id>, one plan per unit."""
    return f"T#{tenant_id}#PLAN#{month}"


def plan_sk(org_unit_id: str) -> str:
    return f"UNIT#{org_unit_id}"


def plan_history_pk(tenant_id: str, month: str, org_unit_id: str) -> str:
    """A plan's audit entries, apart from the month partition so listing a month stays one small Query."""
    return f"T#{tenant_id}#PLAN#{month}#{org_unit_id}"


def plan_import_pk(tenant_id: str, import_id: str) -> str:
    return f"T#{tenant_id}#PLANIMPORT#{import_id}"


# ----------------------------------------------------------------------------- field visits (拜访)


def visit_pk(tenant_id: str, visit_id: str) -> str:
    """A visit (sk META) with its audit entries (AUDIT#<ulid>) beside it."""
    return f"T#{tenant_id}#VISIT#{visit_id}"


def visits_month_pk(tenant_id: str, month: str) -> str:
    """gsi1 partition of a month's visits (by their day), sk <rep's org path>#<visit id>: a manager's scope."""
    return f"T#{tenant_id}#VISITS#{month}"


def rep_visits_pk(tenant_id: str, rep_id: str) -> str:
    """gsi2 partition of one rep's visits, sk <day>#<visit id>: the route of a day, the plan of a week."""
    return f"T#{tenant_id}#VISITREP#{rep_id}"


def customer_visits_pk(tenant_id: str, customer_id: str) -> str:
    """gsi4 partition of one customer's visits, sk <day>#<visit id>: the customer's page."""
    return f"T#{tenant_id}#CUSTVISITS#{customer_id}"


def visit_receipts_pk(tenant_id: str, user_id: str) -> str:
    """One user's applied offline actions, sk ACT#<client action id>: what makes a re-sent action a no-op."""
    return f"T#{tenant_id}#VISITSYNC#{user_id}"


def visit_policy_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#VISITPOLICY"


# ----------------------------------------------------------------------------- notifications (通知)


def notify_user_pk(tenant_id: str, user_id: str) -> str:
    """One user's inbox (sk N#<ulid>), unread counter (sk UNREAD) and preferences (sk PREFS)."""
    return f"T#{tenant_id}#NOTIFY#{user_id}"


def notification_sk(notification_id: str) -> str:
    return f"N#{notification_id}"


NOTIFY_UNREAD = "UNREAD"
NOTIFY_PREFS = "PREFS"


def notify_unread_pk(tenant_id: str, user_id: str) -> str:
    """gsi1 partition (sparse) of a user's unread notifications, sk <ulid>: the key is removed when read."""
    return f"T#{tenant_id}#NOTIFYUNREAD#{user_id}"


def notify_settings_pk(tenant_id: str) -> str:
    """The tenant's notification settings (sk META) with their audit entries (AUDIT#<ulid>) beside them."""
    return f"T#{tenant_id}#NOTIFYSETTINGS"


def notify_event_pk(tenant_id: str, event_id: str) -> str:
    """One happening's deliveries, one item per recipient and channel (sk <channel>#<user>) or robot
    (sk robot#<robot id>): the conditional put on it is what makes a repeated event notify once."""
    return f"T#{tenant_id}#NOTIFYEVENT#{event_id}"


# Not a tenant's key: the scheduled run looks at every tenant's deliveries still to make (deferred by quiet
# hours, or claimed by an invocation that never finished): gsi4 sk <tenant>#<created>#<event id>#<sk>.
NOTIFY_OUTBOX = "NOTIFY#OUTBOX"


def exports_pk(tenant_id: str, user_id: str) -> str:
    """One user's list exports (and their audit entries): GET /exports is one Query, and another user's id is
    simply not in the caller's partition."""
    return f"T#{tenant_id}#USER#{user_id}#EXPORTS"


def export_sk(export_id: str) -> str:
    return f"EXPORT#{export_id}"


def user_history_pk(tenant_id: str, user_id: str) -> str:
    """A user's audit entries (created, roles or unit changed, disabled, enabled), apart from the ORG partition."""
    return f"T#{tenant_id}#USER#{user_id}#HISTORY"


# ----------------------------------------------------------------------------- agreements, accruals, cases


def agreement_pk(tenant_id: str, agreement_id: str) -> str:
    return f"T#{tenant_id}#AGREEMENT#{agreement_id}"


def agreement_version_sk(number: int) -> str:
    return f"V#{number:04d}"


def agreements_pk(tenant_id: str) -> str:
    """gsi1: every agreement of the tenant, sk <customer>#<agreement>."""
    return f"T#{tenant_id}#AGREEMENTS"


def voucher_pk(tenant_id: str, voucher_id: str) -> str:
    return f"T#{tenant_id}#VOUCHER#{voucher_id}"


def vouchers_of_month_pk(tenant_id: str, period: str) -> str:
    """gsi1: a month's vouchers, sk <customer>#<voucher>."""
    return f"T#{tenant_id}#VOUCHERS#{period}"


def vouchers_of_customer_pk(tenant_id: str, customer_id: str) -> str:
    """gsi2: one distributor's vouchers, sk <yyyy-mm>#<voucher>."""
    return f"T#{tenant_id}#VOUCHERSOF#{customer_id}"


def accrual_runs_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#ACCRUALRUNS"


def diversion_case_pk(tenant_id: str, case_id: str) -> str:
    return f"T#{tenant_id}#DCASE#{case_id}"


def diversion_cases_pk(tenant_id: str, period: str) -> str:
    """gsi1: a month's diversion cases, sk <distributor>#<case>."""
    return f"T#{tenant_id}#DCASES#{period}"
