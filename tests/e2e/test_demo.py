"""The demo data `make dev` loads, seen through the API by the demo users' own tokens."""

from datetime import date

import pytest
import requests
from crm.ids import stable_id
from localcloud import demo
from localcloud.tokens import token_for_demo_user


@pytest.fixture(scope="module")
def demo_cloud(cloud):
    demo.seed(cloud)
    return cloud


def visible(cloud, username: str) -> list[dict]:
    headers = {"Authorization": f"Bearer {token_for_demo_user(username)}"}
    items, cursor = [], None
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        r = requests.get(f"{cloud.api_url}/customers", params=params, headers=headers, timeout=30)
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        if not (cursor := r.json()["next_cursor"]):
            return items


def test_every_demo_role_sees_its_own_slice(demo_cloud):
    everyone = visible(demo_cloud, "admin")
    # every seeded customer (other tests in this session may add their own to the demo tenant)
    seeded = {stable_id(demo.TENANT, row["id"]) for row in demo.customer_rows()}
    assert seeded <= {c["id"] for c in everyone} and len(everyone) >= 126
    assert {c["type"] for c in everyone} == {"distributor", "terminal", "person"}
    zhang = visible(demo_cloud, "rep.zhang")
    assert zhang and {c["owner_id"] for c in zhang} == {"u-rep-zhang"}
    east = visible(demo_cloud, "east.head")
    assert {c["org_path"].split("/")[2] for c in east} == {"EAST"} and len(east) < len(everyone)
    distributor = visible(demo_cloud, "d001")
    assert [c["code"] for c in distributor] == ["D001"]


def test_demo_customers_have_history_aliases_and_a_channel(demo_cloud):
    headers = {"Authorization": f"Bearer {token_for_demo_user('admin')}"}
    d001 = next(c for c in visible(demo_cloud, "admin") if c["code"] == "D001")
    r = requests.get(f"{demo_cloud.api_url}/customers/{d001['id']}/downstream", headers=headers, timeout=30)
    assert r.status_code == 200 and r.json()["items"]
    r = requests.get(f"{demo_cloud.api_url}/customers", params={"q": "杭州长青超市"}, headers=headers, timeout=30)
    assert r.status_code == 200 and r.json()["items"], "aliases from the master file are searchable"
    r = requests.get(f"{demo_cloud.api_url}/customers", params={"q": "长青社区"}, headers=headers, timeout=30)
    found = [c["name"] for c in r.json()["items"]]
    assert found and all("长青社区" in name and not name.startswith("长青") for name in found), (
        "names are found by the words after their city and district"
    )


def test_seeding_again_changes_nothing(demo_cloud):
    assert demo.seed_table(demo_cloud.physical_name("Table")) == 0


def test_each_demo_distributor_has_this_years_agreement_in_force(demo_cloud):
    def get(username: str, path: str, **params: str) -> dict:
        headers = {"Authorization": f"Bearer {token_for_demo_user(username)}"}
        r = requests.get(f"{demo_cloud.api_url}{path}", params=params, headers=headers, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()

    codes = {stable_id(demo.TENANT, code): code for code in demo.DISTRIBUTORS}
    seeded = [a for a in get("admin", "/agreements")["items"] if a["customer_id"] in codes]
    assert sorted(codes[a["customer_id"]] for a in seeded) == ["D001", "D002", "D003"]
    assert all(a["current_version"] == 1 and a["versions"][0]["status"] == "approved" for a in seeded)
    assert {a["customer_id"]: a["terms"]["territory"] for a in seeded} == {
        cid: demo.TERRITORIES[code] for cid, code in codes.items()
    }
    assert [a["customer_id"] for a in get("d001", "/agreements")["items"]] == [stable_id(demo.TENANT, "D001")]
    month = f"{date.today().year}-01"
    preview = get("finance.wu", "/accruals/preview", period=month)["items"]
    assert {codes[v["customer_id"]] for v in preview if v["customer_id"] in codes} == {"D001", "D002", "D003"}
