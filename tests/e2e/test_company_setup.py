"""A new company sets itself up through HTTP only, after the one set-up command: the journey of the issue "a company
can start on its own", each step through the real path, each building on what the steps before made.

The set-up command (`make tenant`) posts to /_local/tenants; a user's token comes from the local pool's sign-in,
as Cognito would give it. Each capability has its own tests in depth (test_org_units, test_users,
test_customer_import, test_exports; tests/localcloud/test_state for restarts); this one shows they fit together.
"""

import io
import uuid
from typing import Any

import openpyxl
import requests
from localcloud import tokens

from tests.e2e.conftest import Client
from tests.e2e.test_customer_import import imported, report, xlsx
from tests.e2e.test_exports import finished as finished_export
from tests.e2e.test_org_units import all_ids, wait_for_move
from tests.e2e.uploads import upload_flow

PERIOD = "2026-10"


def ok(r: requests.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def signed_in(cloud: Any, username: str) -> Client:
    return Client(cloud.api_url, tokens.token_for(username))


def test_a_new_company_builds_its_tree_users_and_archive_and_works_with_them(cloud: Any) -> None:
    s = uuid.uuid4().hex[:6]
    ok(requests.post(f"{cloud.api_url}/_local/tenants", json={
        "tenant_id": f"co-{s}", "hq_name": "康源药业", "admin_username": f"boss-{s}", "admin_name": "赵总",
        "admin_email": f"boss-{s}@kangyuan.example", "admin_mobile": "+8613900000000"}, timeout=30), 201)  # fmt: skip
    admin = signed_in(cloud, f"boss-{s}")

    # the org tree: HQ → two branches → departments
    units = [("EAST", "华东分公司", "branch", "HQ"), ("SOUTH", "华南分公司", "branch", "HQ"),
             ("EAST-RX", "华东处方药部", "department", "EAST"),
             ("SOUTH-RX", "华南处方药部", "department", "SOUTH")]  # fmt: skip
    for unit in units:
        ok(admin.post("/org-units", dict(zip(("id", "name", "kind", "parent_id"), unit, strict=True))), 201)
    tree = ok(admin.get("/org-units"))
    assert [child["id"] for child in tree["items"][0]["children"]] == ["EAST", "SOUTH"]

    # a distributor in the archive, then users of every role, the distributor's by its ERP code
    ok(admin.post("/products", {"sku": "P1001", "name": "阿莫西林胶囊", "spec": "0.25g*24粒", "base_unit": "盒",
                                "case_size": 60}), 201)  # fmt: skip
    distributor = ok(admin.post("/customers", {"name": f"康源医药商业{s}", "code": f"KD-{s}", "status": "active",
                                               "profile": {"type": "distributor", "tier": "tier1"}}), 201)  # fmt: skip
    people = {
        "rep": ("rep", "EAST-RX"), "rep2": ("rep", "EAST-RX"), "depthead": ("dept_head", "EAST-RX"),
        "easthead": ("branch_head", "EAST"), "southhead": ("branch_head", "SOUTH"), "cfo": ("finance", "HQ"),
        "erp": ("erp", "HQ"), "admin2": ("hq_admin", "HQ"), "dist": ("distributor", None),
    }  # fmt: skip
    user_ids = {}
    for name, (role, unit_id) in people.items():
        body = {"username": f"{name}-{s}", "name": name, "email": f"{name}-{s}@kangyuan.example", "roles": [role]}
        body |= {"org_unit_id": unit_id} if unit_id else {"distributor_code": f"KD-{s}"}
        body |= {"phone": "+8613900000001"} if role in ("finance", "hq_admin") else {}
        user_ids[name] = ok(admin.post("/users", body), 201)["id"]
    assert ok(admin.get(f"/users/{user_ids['dist']}"))["distributor_id"] == distributor["id"]
    rep, east_head, south_head = (signed_in(cloud, f"{n}-{s}") for n in ("rep", "easthead", "southhead"))

    # the existing archive, from the template's own headers: good rows, bad rows, duplicates
    template = openpyxl.load_workbook(io.BytesIO(admin.get("/customer-imports/template?format=xlsx").content))
    header = [cell.value for cell in next(template.worksheets[0].iter_rows(max_row=1))]
    column = {text.split()[0]: n for n, text in enumerate(header) if text}

    def row(name: str, code: str, owner: str = f"rep-{s}", kind: str = "终端", level: str = "B") -> list[Any]:
        cells: list[Any] = [None] * len(header)
        for key, value in (("客户名称", name), ("客户类型", kind), ("ERP编码", code), ("等级", level),
                           ("负责人账号", owner), ("上游ERP编码", f"KD-{s}"), ("类别", "药店")):  # fmt: skip
            cells[column[key]] = value
        return cells

    good = [row(f"康源{k:02d}号药店", f"T{k:03d}") for k in range(40)]
    bad = [row("", "X1"), row("无类型药店", "X2", kind="集团"), row("坏负责人药店", "X3", owner="nobody")]
    duplicates = [row(f"康源医药商业{s}", "X4"), row("康源00号药店", "X5")]  # the archive's name; a row above
    result = imported(admin, "客户档案.xlsx", xlsx(good + bad + duplicates, header), mode="apply_good_rows")
    assert (result["created"], result["rejected"], result["duplicates"]) == (40, 5, 2), result
    assert set(report(result)) == {42, 43, 44, 45, 46}  # the file's lines of the bad rows and duplicates
    assert len(all_ids(rep, "/customers")) == 40  # the rep owns what the file gave them

    # the list exported as the branch head sees it, opened as Excel would
    job = ok(east_head.post("/exports", {"list": "customers", "format": "xlsx"}), 202)
    done = finished_export(east_head, job["id"])
    sheet = openpyxl.load_workbook(io.BytesIO(requests.get(done["download_url"], timeout=60).content)).active
    assert sheet is not None
    exported = {r[0] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert exported == all_ids(east_head, "/customers") and len(exported) == 40

    # the distributor's own user sends its month's flow
    distributor_user = signed_in(cloud, f"dist-{s}")
    flow = f"销售日期,商品编码,数量,单位,客户名称\n{PERIOD}-05,P1001,6,盒,康源01号药店\n".encode()
    load = upload_flow(distributor_user, distributor["id"], PERIOD, flow)
    assert load["status"] == "accepted" and load["summary"]["matched"] == 1, load

    # the department moves to the south: what hangs under it follows
    move = ok(admin.post("/org-units/EAST-RX/move", {"parent_id": "SOUTH", "reason": "华南扩张"}), 202)
    assert wait_for_move(admin, move["id"])["status"] == "completed"
    assert len(all_ids(south_head, "/customers")) == 40
    assert all_ids(east_head, "/customers") == set()

    # a rep who leaves is disabled: the token they hold stops working at once
    rep2 = signed_in(cloud, f"rep2-{s}")
    ok(rep2.get("/customers"))
    ok(admin.post(f"/users/{user_ids['rep2']}/disable"))
    assert rep2.get("/customers").status_code == 401
