"""Demo data: the 华康制药 tenant, its org tree and users, and a customer archive to click through.

Customers are written through the same service the API uses (so they carry audit entries and
name keys); the distributors get stable ids, so a distributor user's token can name its own
customer record. Running it twice changes nothing.
"""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crm.auth import Principal, Role
from crm.customers import repository
from crm.customers.model import CustomerCreate
from crm.customers.service import CustomerService
from crm.db.base import bind_table
from crm.flow import loads
from crm.flow.keys import SHIPMENTS_PARTY, UploadKey
from crm.ids import stable_id
from crm.ingest.mapping import FileKind
from crm.org.directory import import_org
from crm.products import repository as products
from crm.products.model import PriceListBody, ProductCreate, StockUpdate
from crm.products.service import ProductService
from crm.rebates import agreements
from crm.rebates.model import Terms

from . import tokens

if TYPE_CHECKING:
    from .cloud import LocalCloud

DEMO = Path(__file__).resolve().parents[1] / "demo"
ORG = json.loads((DEMO / "org.json").read_text())
TENANT = ORG["tenant_id"]

# Which rep looks after which city, so every role sees a different slice.
OWNER_BY_CITY = {
    "苏州": "u-rep-zhang",
    "杭州": "u-rep-zhang",
    "宁波": "u-rep-liu",
    "南京": "u-rep-liu",
    "上海": "u-rep-chen",
    "六安": "u-rep-chen",
    "合肥": "u-rep-lin",
}
DISTRIBUTORS = {
    "D001": ("u-rep-zhang", "苏州", "江苏"),
    "D002": ("u-rep-chen", "六安", "安徽"),
    "D003": ("u-rep-liu", "南京", "江苏"),
}
SUPPLIER_BY_CITY = {"苏州": "D001", "六安": "D002", "合肥": "D002", "南京": "D003"}
# Each distributor's agreement territory (the cities it supplies, and their province): 窜货 checks use it.
TERRITORIES = {
    code: {"provinces": [DISTRIBUTORS[code][2]], "cities": [c for c, d in SUPPLIER_BY_CITY.items() if d == code]}
    for code in DISTRIBUTORS
}
TERMINAL_KIND = {"pharmacy": "pharmacy", "retail": "retail_store"}
PERSONS = [
    ("张主任", "key_person", "心内科主任", "T00002"),
    ("刘药师", "key_person", "药剂科主任", "T00003"),
    ("陈会员", "member", None, None),
]


def org_users() -> list[dict[str, Any]]:
    """Users as the directory stores them: a distributor user is bound to its customer's stable id."""
    users = []
    for user in ORG["users"]:
        user = dict(user)
        if code := user.pop("distributor_code", None):
            user["distributor_id"] = stable_id(TENANT, code)
        users.append(user)
    return users


def customer_rows() -> list[dict[str, str]]:
    with (DEMO / "customers.csv").open(encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def _body(row: dict[str, str]) -> dict[str, Any]:
    code, city = row["id"], row["city"]
    body: dict[str, Any] = {
        "name": row["name"],
        "code": code,
        "status": "active",
        "trade": "indirect",
        "aliases": [a for a in row["aliases"].split("|") if a],
    }
    if row["type"] == "distributor":
        owner, city, province = DISTRIBUTORS[code]
        body.update(
            profile={"type": "distributor", "tier": "tier1", "is_pharmaceutical": True, "territory": TERRITORIES[code]},
            trade="direct",
            region={"province": province, "city": city},
            level="A",
        )
    else:
        kind = TERMINAL_KIND.get(row["type"]) or ("hospital" if "医院" in row["name"] else "clinic")
        supplier = SUPPLIER_BY_CITY.get(city)
        body.update(
            profile={"type": "terminal", "kind": kind},
            region={"city": city},
            level="ABCD"[int(code[1:]) % 4],
            upstream_id=stable_id(TENANT, supplier) if supplier else None,
        )
        owner = OWNER_BY_CITY.get(city, "u-rep-zhang")
    body["owner_id"] = owner
    if row.get("lat") and row.get("lng"):  # where the rep checks in (visits' geofence)
        body["location"] = {"lat": float(row["lat"]), "lng": float(row["lng"])}
    return body


def seed_customers(admin: CustomerService) -> int:
    rows = sorted(customer_rows(), key=lambda r: r["type"] != "distributor")  # suppliers before their buyers
    created = 0
    for row in rows:
        customer_id = stable_id(TENANT, row["id"])
        if repository.get(TENANT, customer_id) is None:
            admin.create(CustomerCreate.model_validate(_body(row)), skip_duplicate_check=True, customer_id=customer_id)
            created += 1
    for name, kind, position, employer in PERSONS:
        customer_id = stable_id(TENANT, "person", name)
        if repository.get(TENANT, customer_id) is None:
            profile = {
                "type": "person",
                "kind": kind,
                "position": position,
                "employer_customer_id": stable_id(TENANT, employer) if employer else None,
            }
            admin.create(
                CustomerCreate.model_validate({"name": name, "profile": profile, "owner_id": "u-rep-zhang"}),
                skip_duplicate_check=True,
                customer_id=customer_id,
            )
            created += 1
    return created


# Demo price lists: per product, a default for each customer type and cheaper prices for A/B levels.
PRICE_FACTORS = {
    ("distributor", None): "0.70",
    ("distributor", "A"): "0.65",
    ("distributor", "B"): "0.68",
    ("terminal", None): "0.85",
    ("terminal", "A"): "0.80",
    ("terminal", "B"): "0.82",
}
STOCK_AS_OF = "2026-01-05T08:00:00+08:00"


def product_rows() -> list[dict[str, str]]:
    with (DEMO / "products.csv").open(encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def seed_products(admin: Principal) -> int:
    """Products (audited, through the service), a price list each and the ERP's stock; only what is missing."""
    service = ProductService(admin)
    erp = ProductService(Principal(tenant_id=TENANT, user_id="u-erp", org_unit_id="HQ", roles=frozenset({Role.ERP})))
    created = 0
    for n, row in enumerate(product_rows()):
        if products.get(TENANT, row["sku"]) is None:
            fields = {k: row[k] for k in ("sku", "name", "spec", "base_unit", "case_size")}
            service.create(ProductCreate.model_validate({**fields, "category": row.get("category") or "药品"}))
            created += 1
        if service.prices(row["sku"]).version == 0:
            list_price = Decimal(row.get("list_price") or 20 + 3 * n)
            items = [
                {
                    "customer_type": t,
                    "level": level,
                    "unit_price": str((list_price * Decimal(f)).quantize(Decimal("0.01"))),
                }
                for (t, level), f in PRICE_FACTORS.items()
            ]
            service.replace_prices(row["sku"], 0, PriceListBody.model_validate({"items": items}))
    erp.report_stock(
        StockUpdate.model_validate(
            {
                "items": [
                    {"sku": row["sku"], "available": 500 + 120 * n, "as_of": STOCK_AS_OF}
                    for n, row in enumerate(product_rows())
                ]
            }
        )
    )  # a repeat is stale, so it changes nothing
    return created


def agreement_terms(code: str, year: int) -> Terms:
    """A demo distributor's agreement for the year: its territory, every product at 85% of the list price in
    two groups, a quarterly target, a three-tier rebate on verified flow (no confirmed diversion) and one on
    what we shipped it."""
    products = [
        {
            "sku": r["sku"],
            "group": "处方药" if n % 2 == 0 else "OTC",
            "price": str(Decimal(r.get("list_price") or 20 + 3 * n) * Decimal("0.85")),
        }
        for n, r in enumerate(product_rows())
    ]
    tiers = [
        {"threshold": "0", "percent": "1"},
        {"threshold": "300", "percent": "2"},
        {"threshold": "600", "percent": "3"},
    ]
    return Terms.model_validate(
        {
            "name": f"{year}年度经销协议",
            "valid_from": f"{year}-01",
            "valid_to": f"{year}-12",
            "territory": TERRITORIES[code],
            "products": products,
            "targets": [{"group": "处方药", "period": f"{year}-Q{q}", "quantity": "1500"} for q in range(1, 5)],
            "rules": [
                {
                    "name": "流向阶梯返利",
                    "basis": "flow",
                    "tiers": tiers,
                    "conditions": {"no_confirmed_diversion": True},
                },
                {
                    "name": "进货返利",
                    "group": "处方药",
                    "basis": "sell_in",
                    "tiers": [{"threshold": "0", "per_unit": "0.5"}],
                },
            ],
        }
    )


def seed_agreements(year: int) -> int:
    """Each demo distributor's agreement for the year, as signed before the CRM (approved); only what is missing."""
    created = 0
    for code in DISTRIBUTORS:
        customer = repository.get(TENANT, stable_id(TENANT, code))
        if customer is not None and agreements.import_approved(
            TENANT, customer, agreement_terms(code, year), "u-admin"
        ):
            created += 1
    return created


def seed_table(table_name: str, today: date | None = None) -> int:
    """Loads the demo tenant into a table (local or, with AWS credentials, a deployed one)."""
    bind_table(table_name)
    import_org(TENANT, ORG["org_units"], org_users())
    admin = Principal(tenant_id=TENANT, user_id="u-admin", org_unit_id="HQ", roles=frozenset({Role.HQ_ADMIN}))
    seed_products(admin)
    created = seed_customers(CustomerService(admin))
    return created + seed_agreements((today or date.today()).year)


def seed(cloud: LocalCloud) -> None:
    count = seed_table(cloud.physical_name("Table"))
    tokens.seed_demo_users()  # so each demo user signs in (gets a token) as a user of the local pool
    print(f"demo data: tenant {TENANT!r}, {len(ORG['users'])} users, {count} customers created")


# Buyers nobody registered: each demo distributor's file names two, so the review queue has work in it.
NEW_BUYERS = {
    "D001": ["苏州新开仁心药店", "苏州市吴中区康乐诊所"],
    "D002": ["六安市金安区百姓大药房"],
    "D003": ["南京新街口健康药房", "南京市鼓楼区惠民诊所"],
}
FULL_WIDTH = str.maketrans("0123456789()", "０１２３４５６７８９（）")
NO_STOCK_REPORT = "D003"  # the one distributor whose stock report is missing: the month flags it


def demo_flow_rows(code: str, period: str) -> list[tuple[str, dict[str, str], int, str, str]]:
    """(day, product, quantity, unit, buyer) of last month's sales of one demo distributor: the terminals of
    its cities by registered name, alias or with full-width digits, some in cases (件), a return, and
    buyers nobody registered."""
    terminals = [r for r in customer_rows() if r["type"] != "distributor" and SUPPLIER_BY_CITY.get(r["city"]) == code]
    products = product_rows()
    rows = []
    for n, row in enumerate(terminals):
        product = products[n % len(products)]
        buyer = [row["name"], row["aliases"].split("|")[0] or row["name"], row["name"].translate(FULL_WIDTH)][n % 3]
        quantity, unit = (2, "件") if n % 5 == 0 else (10 + n % 7 * 5, product["base_unit"])
        rows.append((f"{period}-{1 + n % 28:02d}", product, -quantity if n % 11 == 10 else quantity, unit, buyer))
    rows += [(f"{period}-15", products[0], 6, products[0]["base_unit"], buyer) for buyer in NEW_BUYERS[code]]
    return rows


def sold(code: str, period: str) -> dict[str, int]:
    """Base units of each product the distributor's flow file reports sold (returns netted)."""
    total: dict[str, int] = {}
    for _, product, quantity, unit, _ in demo_flow_rows(code, period):
        factor = int(product["case_size"]) if unit == "件" else 1
        total[product["sku"]] = total.get(product["sku"], 0) + quantity * factor
    return total


def demo_files(code: str, period: str) -> dict[FileKind, bytes]:
    """Last month as one demo distributor sends it: its flow (流向) with a totals row, its opening stock and,
    but for NO_STOCK_REPORT, its stock report (库存): what it held, shipped in by us, less what it sold; one
    product counted 12 short, so the month has a variance over the threshold to show."""
    rows = demo_flow_rows(code, period)
    lines = ["销售日期,商品编码,商品名称,规格,数量,单位,客户名称"]
    lines += [f"{day},{p['sku']},{p['name']},{p['spec']},{q},{unit},{buyer}" for day, p, q, unit, buyer in rows]
    lines.append(f"合计,,,,{sum(q for _, _, q, _, _ in rows)},,")
    files = {FileKind.FLOW: lines}
    unit = {p["sku"]: p["base_unit"] for p in product_rows()}
    opening = {sku: 100 for sku in unit}
    files[FileKind.OPENING] = ["商品编码,期初数量,单位", *(f"{sku},{q},{unit[sku]}" for sku, q in opening.items())]
    if code != NO_STOCK_REPORT:
        out = sold(code, period)
        closing = {
            sku: opening[sku] + shipped - out.get(sku, 0) for sku, shipped in our_shipments(code, period).items()
        }
        closing["P1003"] -= 12
        files[FileKind.INVENTORY] = [
            "商品编码,结存数量,单位",
            *(f"{sku},{q},{unit[sku]}" for sku, q in closing.items()),
        ]
    return {kind: ("\n".join(text) + "\n").encode("utf-8-sig") for kind, text in files.items()}


def our_shipments(code: str, period: str) -> dict[str, int]:
    """What we shipped the distributor in the month: what it sold, rounded up to whole cases."""
    case, out = {p["sku"]: int(p["case_size"]) for p in product_rows()}, sold(code, period)
    return {sku: -(-max(out.get(sku, 0), 1) // case[sku]) * case[sku] for sku in case}


def seed_files(cloud: LocalCloud, today: date | None = None) -> int:
    """Last month's files, put into the uploads bucket as the distributors' (and our ERP's) uploads would be:
    the S3 events run the imports, so loads, Parquet, the review queue and the month's channel inventory are
    there to look at. Each is issued first, as an upload link would be (the import goes by that record). The same
    file under the same key again is a new version of it: held, the same content as the period's load."""
    today = today or date.today()
    period = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    s3, bucket, count = cloud.client("s3"), cloud.physical_name("UploadsBucket"), 0

    def put(kind: FileKind, party: str, name: str, data: bytes) -> None:
        key = UploadKey(TENANT, party, period, stable_id(TENANT, f"demo-{kind}-{party}-{period}"), name, kind)
        loads.issue(key, None)  # nobody asked for a link: only the distributor's rep is told
        s3.put_object(Bucket=bucket, Key=str(key), Body=data)

    for code in DISTRIBUTORS:
        for kind, data in demo_files(code, period).items():
            put(kind, stable_id(TENANT, code), f"{kind}_{code}_{period}.csv", data)
            count += 1
    put(FileKind.SHIPMENTS, SHIPMENTS_PARTY, f"shipments_{period}.csv", our_shipments_file(period))
    return count + 1


def our_shipments_file(period: str) -> bytes:
    """Our shipments to every demo distributor in the month, as our ERP exports them (base units, ERP codes)."""
    rows = [f"{period}-02,{code},{sku},{q}" for code in DISTRIBUTORS for sku, q in our_shipments(code, period).items()]
    return ("\n".join(["发货日期,经销商编码,商品编码,发货数量", *rows]) + "\n").encode()
