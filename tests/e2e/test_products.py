"""The product master end to end: HTTP into the local runtime, real handlers, emulated DynamoDB and S3.

Imports go the whole real path: an upload link from the API, a PUT into the local bucket, the S3
event, the import function, the error report downloaded through its presigned link.
"""

import csv
import io
import time
import uuid

import openpyxl
import requests
from localcloud import demo
from localcloud.tokens import token_for_demo_user

from tests.e2e.conftest import Client, World
from tests.e2e.uploads import SIGV4, is_sigv4, sent

PRODUCT = {"name": "阿莫西林胶囊", "spec": "0.25g*24粒", "base_unit": "盒", "case_size": 60, "category": "抗感染"}


def sku() -> str:
    return f"T-{uuid.uuid4().hex[:8].upper()}"


def created(client: Client, **fields) -> dict:
    body = {"sku": sku(), **PRODUCT, **fields}
    r = client.post("/products", body)
    assert r.status_code == 201, r.text
    return r.json()


def put(client: Client, path: str, body, **kw) -> requests.Response:
    return client.request("PUT", path, json=body, **kw)


def problem(r: requests.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    return r.json()


# ------------------------------------------------------------------ the record


def test_create_read_update_with_etag_and_history(world: World):
    admin = world.as_user("admin")
    p = created(admin)
    assert p["status"] == "active" and p["case_size"] == 60 and p["stock"] is None and p["version"] == 1

    r = admin.get(f"/products/{p['sku']}")
    assert r.status_code == 200 and r.headers["ETag"] == '"1"' and r.json()["name"] == "阿莫西林胶囊"

    r = admin.patch(f"/products/{p['sku']}", {"case_size": 48, "category": None}, headers={"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.json()["case_size"] == 48 and r.json()["category"] is None and r.headers["ETag"] == '"2"'

    # someone still holding version 1 cannot overwrite; without If-Match nothing changes either
    assert problem(admin.patch(f"/products/{p['sku']}", {"status": "inactive"}, headers={"If-Match": '"1"'}), 412)
    assert problem(admin.patch(f"/products/{p['sku']}", {"status": "inactive"}), 428)
    assert admin.get(f"/products/{p['sku']}").json()["status"] == "active"

    history = admin.get(f"/products/{p['sku']}/history").json()["items"]
    assert [h["action"] for h in history] == ["update", "create"]
    assert history[0]["actor_id"] == "u-admin"
    assert history[0]["changes"]["case_size"] == {"before": 60, "after": 48}


def test_duplicate_sku_is_409_and_bad_fields_are_422(world: World):
    admin = world.as_user("admin")
    p = created(admin)
    body = problem(admin.post("/products", {"sku": p["sku"], **PRODUCT}), 409)
    assert body["errors"][0]["field"] == "sku"

    body = problem(admin.post("/products", {"sku": "has space", **PRODUCT, "case_size": 0, "colour": "red"}), 422)
    fields = {e["field"] for e in body["errors"]}
    assert {"sku", "case_size", "colour"} <= fields
    problem(admin.post("/products", {"sku": sku(), "name": "缺规格"}), 422)
    problem(admin.patch(f"/products/{p['sku']}", {"name": None}, headers={"If-Match": '"1"'}), 422)
    problem(admin.patch(f"/products/{p['sku']}", {"status": "gone"}, headers={"If-Match": '"1"'}), 422)
    problem(admin.get("/products/NO-SUCH-SKU"), 404)
    problem(admin.get("/products?status=sold"), 422)


def test_roles_without_permission_get_403_before_anything_is_read(world: World):
    rep = world.as_user("rep.zhang")
    assert problem(rep.post("/products", {"sku": sku(), **PRODUCT}), 403)
    # 403 even for a product that does not exist: the role decides first
    assert problem(rep.patch("/products/NOPE", {"name": "x"}, headers={"If-Match": '"1"'}), 403)
    assert problem(put(rep, "/products/NOPE/prices", {"items": []}, headers={"If-Match": '"0"'}), 403)
    assert problem(rep.post("/product-imports", {"file_name": "p.csv"}), 403)
    erp = world.as_user("erp")
    assert problem(erp.get("/products"), 403)  # the ERP client reports stock, it does not browse


def test_search_by_keyword_with_filters_paging_and_stock(world: World):
    admin, rep = world.as_user("admin"), world.as_user("rep.zhang")
    amo = created(admin, name="阿莫西林胶囊", spec="0.5g*24粒", category="抗感染")
    ibu = created(admin, name="布洛芬缓释胶囊", spec="0.3g*20粒", category="解热镇痛")
    old = created(admin, name="阿莫西林颗粒", spec="0.125g*12袋", category="抗感染", status="inactive")
    put(
        world.as_user("erp"),
        "/integration/stock",
        {"items": [{"sku": amo["sku"], "available": 1200, "as_of": "2026-03-01T10:00:00+08:00"}]},
    )

    found = rep.get("/products", params={"q": "阿莫西林"}).json()["items"]
    assert {p["sku"] for p in found} == {amo["sku"], old["sku"]}
    with_stock = next(p for p in found if p["sku"] == amo["sku"])
    assert with_stock["stock"]["available"] == 1200  # a rep sees what can be ordered
    assert next(p for p in found if p["sku"] == old["sku"])["stock"] is None

    assert [p["sku"] for p in rep.get("/products", params={"q": "阿莫西林 0.5g"}).json()["items"]] == [amo["sku"]]
    assert [p["sku"] for p in rep.get("/products", params={"q": ibu["sku"].lower()}).json()["items"]] == [ibu["sku"]]
    active = rep.get("/products", params={"q": "阿莫西林", "status": "active"}).json()["items"]
    assert [p["sku"] for p in active] == [amo["sku"]]
    assert {p["sku"] for p in rep.get("/products", params={"category": "解热镇痛"}).json()["items"]} == {ibu["sku"]}

    seen, cursor = [], None
    while True:
        page = rep.get("/products", params={"limit": 1, **({"cursor": cursor} if cursor else {})}).json()
        seen += [p["sku"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted({amo["sku"], ibu["sku"], old["sku"]})
    problem(rep.get("/products", params={"cursor": "garbage"}), 400)


def test_other_tenants_products_are_invisible(world: World):
    p = created(world.as_user("admin"))
    outsider = world.another_tenant().as_user("admin")
    problem(outsider.get(f"/products/{p['sku']}"), 404)
    assert outsider.get("/products").json()["items"] == []


# ------------------------------------------------------------------ prices


def test_prices_are_exact_decimals_with_level_then_type_fallback(world: World):
    admin, finance, rep = world.as_user("admin"), world.as_user("finance.wu"), world.as_user("rep.zhang")
    p = created(admin)
    r = rep.get(f"/products/{p['sku']}/prices")
    assert r.status_code == 200 and r.json()["items"] == [] and r.headers["ETag"] == '"0"'

    prices = {
        "items": [
            {"customer_type": "terminal", "level": None, "unit_price": "12.5"},
            {"customer_type": "terminal", "level": "A", "unit_price": "11.1234"},
            {"customer_type": "distributor", "level": None, "unit_price": "9.90"},
        ]
    }
    problem(put(finance, f"/products/{p['sku']}/prices", prices), 428)
    r = put(finance, f"/products/{p['sku']}/prices", prices, headers={"If-Match": '"0"'})
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == '"1"'
    assert r.json()["items"] == [
        {"customer_type": "distributor", "level": None, "unit_price": "9.90"},
        {"customer_type": "terminal", "level": None, "unit_price": "12.50"},
        {"customer_type": "terminal", "level": "A", "unit_price": "11.1234"},
    ]
    assert rep.get(f"/products/{p['sku']}/prices").json()["items"] == r.json()["items"]

    def quote(**params):
        return rep.get(f"/products/{p['sku']}/price", params=params)

    assert quote(customer_type="terminal", level="A").json() | {"sku": None} == {
        "sku": None,
        "customer_type": "terminal",
        "level": "A",
        "unit_price": "11.1234",
        "matched": "level",
    }
    assert quote(customer_type="terminal", level="C").json()["unit_price"] == "12.50"  # the type's default
    assert quote(customer_type="terminal", level="C").json()["matched"] == "type_default"
    assert quote(customer_type="terminal").json()["unit_price"] == "12.50"
    assert quote(customer_type="distributor", level="B").json()["unit_price"] == "9.90"
    problem(quote(customer_type="person", level="A"), 404)  # no price for that type at all
    problem(quote(customer_type="alien"), 422)

    # a stale ETag loses; a second writer with the same ETag loses too
    changed = {"items": [{"customer_type": "terminal", "level": None, "unit_price": "13.00"}]}
    problem(put(finance, f"/products/{p['sku']}/prices", changed, headers={"If-Match": '"0"'}), 412)
    assert put(finance, f"/products/{p['sku']}/prices", changed, headers={"If-Match": '"1"'}).status_code == 200
    assert quote(customer_type="terminal", level="A").json()["unit_price"] == "13.00"  # A's own price is gone
    history = admin.get(f"/products/{p['sku']}/history").json()["items"]
    assert history[0]["action"] == "prices" and history[0]["actor_id"] == "u-finance"


def test_bad_prices_are_422_never_rounded(world: World):
    finance = world.as_user("finance.wu")
    p = created(world.as_user("admin"))
    path, etag = f"/products/{p['sku']}/prices", {"If-Match": '"0"'}
    for bad in (12.5, "12.12345", "-1", "0", "abc", "NaN"):
        body = problem(
            put(finance, path, {"items": [{"customer_type": "terminal", "unit_price": bad}]}, headers=etag), 422
        )
        assert body["errors"][0]["field"] == "items.0.unit_price", body
    twice = {
        "items": [
            {"customer_type": "terminal", "level": "B", "unit_price": "1.00"},
            {"customer_type": "terminal", "level": "B", "unit_price": "2.00"},
        ]
    }
    problem(put(finance, path, twice, headers=etag), 422)
    problem(
        put(
            finance, path, {"items": [{"customer_type": "terminal", "level": "E", "unit_price": "1.00"}]}, headers=etag
        ),
        422,
    )
    problem(put(finance, "/products/NOPE/prices", {"items": []}, headers=etag), 404)
    assert world.as_user("rep.zhang").get(path).json()["items"] == []


# ------------------------------------------------------------------ stock from the ERP


def test_erp_stock_updates_and_stale_reports_are_ignored(world: World):
    admin, erp = world.as_user("admin"), world.as_user("erp")
    a, b = created(admin), created(admin)
    r = put(
        erp,
        "/integration/stock",
        {
            "items": [
                {"sku": a["sku"], "available": 300, "as_of": "2026-03-01T10:00:00+08:00"},
                {"sku": b["sku"], "available": 0, "as_of": "2026-03-01T10:00:00+08:00"},
                {"sku": "NOT-OURS", "available": 5, "as_of": "2026-03-01T10:00:00+08:00"},
            ]
        },
    )
    assert r.status_code == 200, r.text
    assert (r.json()["updated"], r.json()["stale"], r.json()["unknown"]) == (2, 0, 1)
    assert {i["sku"]: i["outcome"] for i in r.json()["items"]}["NOT-OURS"] == "unknown_sku"

    # an older count (even one written in another zone) never overwrites a newer one; a newer one does
    r = put(
        erp,
        "/integration/stock",
        {
            "items": [
                {"sku": a["sku"], "available": 999, "as_of": "2026-03-01T01:59:00Z"},  # 09:59 +08:00
                {"sku": b["sku"], "available": 40, "as_of": "2026-03-01T02:00:01Z"},  # 10:00:01 +08:00
            ]
        },
    )
    assert [i["outcome"] for i in r.json()["items"]] == ["stale", "updated"]
    got = admin.get(f"/products/{a['sku']}")
    assert got.json()["stock"] == {"available": 300, "as_of": "2026-03-01T02:00:00Z"}
    assert got.headers["ETag"] == '"1"'  # stock is not an edit of the product: no ETag churn for office users
    assert admin.get(f"/products/{b['sku']}").json()["stock"]["available"] == 40
    # the same report again is idempotent
    again = put(
        erp, "/integration/stock", {"items": [{"sku": b["sku"], "available": 40, "as_of": "2026-03-01T02:00:01Z"}]}
    )
    assert again.json()["items"][0]["outcome"] == "stale"
    assert [h["action"] for h in admin.get(f"/products/{b['sku']}/history").json()["items"]] == [
        "stock",
        "stock",
        "create",
    ]


def test_stock_is_refused_to_everyone_but_the_erp_and_checked(world: World):
    p = created(world.as_user("admin"))
    report = {"items": [{"sku": p["sku"], "available": 1, "as_of": "2026-03-01T10:00:00+08:00"}]}
    for user in ("rep.zhang", "admin", "finance.wu"):
        problem(put(world.as_user(user), "/integration/stock", report), 403)
    erp = world.as_user("erp")
    for bad in (
        {"items": []},
        {"items": [{"sku": p["sku"], "available": -1, "as_of": "2026-03-01T10:00:00Z"}]},
        {"items": [{"sku": p["sku"], "available": 1, "as_of": "2026-03-01T10:00:00"}]},  # no zone
        {"items": [{"sku": p["sku"], "available": "lots", "as_of": "2026-03-01T10:00:00Z"}]},
    ):
        problem(put(erp, "/integration/stock", bad), 422)
    assert world.as_user("admin").get(f"/products/{p['sku']}").json()["stock"] is None


# ------------------------------------------------------------------ file imports


def upload(client: Client, file_name: str, data: bytes) -> dict:
    ticket = client.post("/product-imports", {"file_name": file_name})
    assert ticket.status_code == 201, ticket.text
    assert ticket.json()["key"].startswith("imports/products/") and ticket.json()["fields"]["x-amz-algorithm"] == SIGV4
    waiting = client.get(f"/product-imports/{ticket.json()['import_id']}").json()
    assert waiting["status"] == "awaiting_upload"
    sent(ticket.json(), data)
    return wait_for_import(client, ticket.json()["import_id"])


def wait_for_import(client: Client, import_id: str, deadline_s: float = 60) -> dict:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        r = client.get(f"/product-imports/{import_id}")
        if r.status_code == 200 and r.json()["status"] not in ("awaiting_upload", "processing"):
            return r.json()
        time.sleep(0.2)
    raise AssertionError(f"import {import_id} did not finish in {deadline_s}s")


def report_rows(url: str) -> list[list[str]]:
    assert is_sigv4(url)
    r = requests.get(url, timeout=30)
    assert r.status_code == 200
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


def test_csv_import_creates_updates_and_reports_the_bad_row(world: World):
    admin = world.as_user("admin")
    existing = created(admin, name="旧名称", category="抗感染")
    new_a, new_b = sku(), sku()
    text = (
        "商品编码,商品名称,规格,单位,件装量,类别,状态\n"
        f"{new_a},维生素C片,0.1g*100片,瓶,80,维生素,启用\n"
        f"{existing['sku']},阿莫西林胶囊,0.25g*24粒,盒,60.0,抗感染,在售\n"
        f"{new_b},复方甘草片,100片,瓶,abc,止咳,停用\n"
        '=HYPERLINK("x"),危险,1,盒,1,,\n'
        "\n"
    )
    result = upload(admin, "商品档案.csv", text.encode("gbk"))  # GBK, as Excel in China saves CSV
    assert result["status"] == "completed_with_errors", result
    assert (result["rows"], result["created"], result["updated"], result["rejected"]) == (4, 1, 1, 2)

    assert admin.get(f"/products/{new_a}").json() | {"created_at": 0, "updated_at": 0} == {
        "sku": new_a,
        "name": "维生素C片",
        "spec": "0.1g*100片",
        "base_unit": "瓶",
        "case_size": 80,
        "category": "维生素",
        "status": "active",
        "stock": None,
        "created_at": 0,
        "created_by": "u-admin",
        "updated_at": 0,
        "updated_by": "u-admin",
        "version": 1,
    }
    updated = admin.get(f"/products/{existing['sku']}").json()
    assert updated["name"] == "阿莫西林胶囊" and updated["version"] == 2
    assert admin.get(f"/products/{existing['sku']}/history").json()["items"][0]["action"] == "import"
    problem(admin.get(f"/products/{new_b}"), 404)

    rows = report_rows(result["error_report"]["csv"])
    assert rows[0][:3] == ["数据行 row", "文件行 line", "列 column"]
    by_line = {r[1]: r for r in rows[1:]}
    assert by_line["4"][2:4] == ["件装量", "abc"] and "integer" in by_line["4"][4]
    assert by_line["5"][2] == "商品编码" and by_line["5"][3].startswith("'=")  # neutralised, not a live formula
    xlsx = requests.get(result["error_report"]["xlsx"], timeout=30)
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))][1] == 4


def test_xlsx_import_with_english_headers_and_a_title_row(world: World):
    admin = world.as_user("admin")
    good, bad = sku(), sku()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["华康制药 商品档案 2026"])
    sheet.append(["SKU", "Name", "Spec", "Base unit", "Case size", "Category"])
    sheet.append([good, "Ibuprofen", "0.3g*20", "box", 50, "analgesic"])
    sheet.append([bad, "", "0.3g*20", "box", 50, "analgesic"])
    data = io.BytesIO()
    book.save(data)
    result = upload(admin, "products.xlsx", data.getvalue())
    assert (result["status"], result["created"], result["rejected"]) == ("completed_with_errors", 1, 1), result
    assert admin.get(f"/products/{good}").json()["case_size"] == 50
    rows = report_rows(result["error_report"]["csv"])
    assert rows[1][1:] == ["4", "Name", "", "required"]

    # the same file again changes nothing: every valid row is unchanged
    again = upload(admin, "products.xlsx", data.getvalue())
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 1)
    assert admin.get(f"/products/{good}").json()["version"] == 1


def test_garbage_and_headerless_files_are_rejected_with_a_reason(world: World):
    admin = world.as_user("admin")
    garbage = upload(admin, "products.csv", bytes(range(256)) * 40)
    assert garbage["status"] == "rejected" and garbage["rejection"]["code"] == "binary file", garbage
    assert garbage["created"] == 0 and garbage["error_report"] is None

    no_header = upload(admin, "products.csv", b"a,b,c\n1,2,3\n")
    assert no_header["status"] == "rejected" and no_header["rejection"]["code"] == "missing columns"
    assert "商品编码" in no_header["rejection"]["message"]

    fake_xlsx = upload(admin, "products.xlsx", b"PK\x03\x04 not really a zip")
    assert fake_xlsx["status"] == "rejected" and fake_xlsx["rejection"]["code"] == "invalid xlsx"

    problem(admin.get("/product-imports/01ARZ3NDEKTSV4RRFFQ69G5FAV"), 404)
    problem(admin.post("/product-imports", {}), 422)


# ------------------------------------------------------------------ the demo


def test_demo_products_have_prices_and_stock(cloud):
    demo.seed(cloud)
    headers = {"Authorization": f"Bearer {token_for_demo_user('rep.zhang')}"}
    items = requests.get(cloud.api_url + "/products", headers=headers, timeout=30).json()["items"]
    assert len(items) == len(demo.product_rows()) and all(p["stock"]["available"] > 0 for p in items)
    quote = requests.get(
        cloud.api_url + f"/products/{items[0]['sku']}/price",
        params={"customer_type": "terminal", "level": "A"},
        headers=headers,
        timeout=30,
    )
    assert quote.status_code == 200 and quote.json()["matched"] == "level"


def test_the_same_form_sent_again_imports_the_later_file(world: World):
    """A form may be used again until it expires: S3 keeps both files as versions, and the import record ends
    up saying what the latest one did (it used to drop the second file's event as a repeat)."""
    admin = world.as_user("admin")
    first_sku, second_sku = sku(), sku()
    header = "商品编码,商品名称,规格,单位,件装量,类别,状态\n"
    ticket = admin.post("/product-imports", {"file_name": "products.csv"}).json()
    sent(ticket, f"{header}{first_sku},维生素C片,0.1g*100片,瓶,80,维生素,启用\n".encode())
    first = wait_for_import(admin, ticket["import_id"])
    assert (first["status"], first["created"]) == ("completed", 1)

    sent(
        ticket,
        f"{header}{second_sku},复方甘草片,100片,瓶,40,止咳,启用\n{first_sku},维生素C片,0.1g*50片,瓶,80,,\n".encode(),
    )
    end = time.monotonic() + 60
    while admin.get(f"/products/{second_sku}").status_code != 200 and time.monotonic() < end:
        time.sleep(0.2)
    assert admin.get(f"/products/{second_sku}").json()["name"] == "复方甘草片"
    assert admin.get(f"/products/{first_sku}").json()["spec"] == "0.1g*50片"
    latest = wait_for_import(admin, ticket["import_id"])
    assert (latest["status"], latest["rows"], latest["created"], latest["updated"]) == ("completed", 2, 1, 1)
