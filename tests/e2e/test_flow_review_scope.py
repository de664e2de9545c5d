"""Who sees which buyer names in the review queue, through the real path in a tenant of its own: an office
user who names no distributor gets the open items of every distributor in their scope, no one else's."""

from pathlib import Path
from typing import Any

import pytest
from localcloud.tokens import mint_token

from tests.e2e.conftest import World, new_tenant
from tests.e2e.test_inventory import upload

HEADER = "销售日期,商品编码,商品名称,规格,批号,数量,单位,客户名称,客户地址\n"


@pytest.fixture(scope="module")
def world(cloud: Any) -> World:
    return World(new_tenant(cloud), cloud.api_url, mint_token)


@pytest.fixture(scope="module")
def distributors(world: World) -> dict[str, str]:
    """DE in the East branch, DH at head office, each with a file naming a buyer nobody registered."""
    admin = world.as_user("admin")
    assert (
        admin.post(
            "/products",
            {"sku": "P1001", "name": "阿莫西林胶囊", "spec": "0.25g*24粒", "base_unit": "盒", "case_size": 60},
        ).status_code
        == 201
    )
    ids = {}
    for code, user, buyer in (("DE", "east.head", "东部新开药店"), ("DH", "admin", "总部新开诊所")):
        created = world.as_user(user).post(
            "/customers",
            {
                "name": f"经销商{code}医药有限公司",
                "code": code,
                "status": "active",
                "profile": {"type": "distributor", "tier": "tier1"},
            },
        )
        assert created.status_code == 201, created.text
        ids[code] = created.json()["id"]
        flow = f"{HEADER}2026-10-05,P1001,阿莫西林胶囊,0.25g*24粒,B1,3,盒,{buyer},\n"
        load = upload(admin, "flow", Path(f"流向_{code}.csv"), ids[code], data=flow.encode())
        assert load["status"] == "accepted", load
    return ids


def open_names(world: World, user: str, **params: str) -> list[tuple[str, str]]:
    r = world.as_user(user).get("/flow-reviews", params=params)
    assert r.status_code == 200, r.text
    return sorted((item["distributor_id"], item["buyer_name"]) for item in r.json()["items"])


def test_an_office_user_who_names_no_distributor_sees_every_one_in_scope(world: World, distributors) -> None:
    east, hq = (distributors["DE"], "东部新开药店"), (distributors["DH"], "总部新开诊所")
    assert open_names(world, "admin") == sorted([east, hq])
    assert open_names(world, "east.head") == [east]  # the branch's distributor, not head office's
    assert open_names(world, "south.head") == []  # no distributor in the South branch
    assert open_names(world, "admin", distributor_id=distributors["DE"]) == [east]


def test_a_distributor_outside_the_scope_is_not_found(world: World, distributors) -> None:
    r = world.as_user("east.head").get("/flow-reviews", params={"distributor_id": distributors["DH"]})
    assert r.status_code == 404 and r.headers["Content-Type"].startswith("application/problem+json")
