"""Every kind of bad input gets a clear problem+json with the right status: never a 500, never a trace."""

import pytest
import requests

from tests.e2e.conftest import World, terminal

MISSING_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


def assert_problem(r: requests.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in r.text and 'File "' not in r.text
    return body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"profile": {"type": "terminal", "kind": "pharmacy"}}, "name"),  # missing
        ({"name": "", "profile": {"type": "terminal", "kind": "pharmacy"}}, "name"),  # empty
        ({"name": 42, "profile": {"type": "terminal", "kind": "pharmacy"}}, "name"),  # wrong type
        ({"name": "x", "profile": {"type": "spaceship"}}, "profile"),  # unknown type
        ({"name": "x", "profile": {"type": "terminal", "kind": "pharmacy"}, "colour": "red"}, "colour"),
        ({"name": "x", "profile": {"type": "terminal", "kind": "pharmacy"}, "level": "Z"}, "level"),
        (
            {"name": "x", "profile": {"type": "terminal", "kind": "pharmacy"}, "location": {"lat": 123, "lng": 0}},
            "location.lat",
        ),
        (
            {"name": "x", "profile": {"type": "distributor", "tier": "tier1", "annual_sales": "lots"}},
            "profile.distributor.annual_sales",
        ),
        ({"name": "x", "profile": {"type": "terminal", "kind": "pharmacy"}, "upstream_id": "not-an-id"}, "upstream_id"),
    ],
)
def test_invalid_fields_are_422_with_the_field_named(world: World, body, field):
    problem = assert_problem(world.as_user("rep.zhang").post("/customers", body), 422)
    assert any(e["field"].startswith(field) for e in problem["errors"]), problem["errors"]


def test_malformed_json_is_400(world: World):
    r = world.as_user("rep.zhang").request(
        "POST", "/customers", data=b'{"name": "x",', headers={"Content-Type": "application/json"}
    )
    assert_problem(r, 400)


@pytest.mark.parametrize("path", ["/customers", "/orders", "/visits", "/flow-uploads", "/inventory/adjustments"])
def test_a_body_that_is_not_utf8_text_is_400(world: World, path: str):
    r = world.as_user("admin").request(
        "POST", path, data=b'\xff\xfe{"name": "x"}', headers={"Content-Type": "application/json"}
    )
    assert_problem(r, 400)


def test_numbers_too_tiny_for_the_database_are_rounded_and_nan_refused(world: World):
    # DynamoDB stores no magnitude below 1e-130: such a number used to reach it, and come back a 500
    rep, admin = world.as_user("rep.zhang"), world.as_user("admin")
    created = rep.post("/customers", terminal("康宁诊所", location={"lat": 1e-300, "lng": 120.15}))
    assert created.status_code == 201, created.text
    assert created.json()["location"] == {"lat": 0.0, "lng": 120.15}
    policy = admin.put("/inventory/policy", json={"variance_threshold_pct": 1e-140}, headers={"If-Match": '"0"'})
    assert policy.status_code == 200 and policy.json()["variance_threshold_pct"] == 0.0, policy.text
    nan = rep.request(
        "POST",
        "/customers",
        data='{"name": "x", "profile": {"type": "terminal", "kind": "pharmacy"}, "location": {"lat": NaN, "lng": 0}}',
        headers={"Content-Type": "application/json"},
    )
    assert_problem(nan, 422)


def test_body_that_is_not_an_object_is_422(world: World):
    assert_problem(world.as_user("rep.zhang").post("/customers", ["a", "list"]), 422)


def test_non_json_content_type_is_415(world: World):
    r = world.as_user("rep.zhang").request("POST", "/customers", data="name=x", headers={"Content-Type": "text/plain"})
    assert_problem(r, 415)


def test_oversize_body_is_413(world: World):
    huge = terminal("x", remarks="长" * 300_000)
    assert_problem(world.as_user("rep.zhang").post("/customers", huge), 413)


def test_bad_ids_are_422_and_unknown_ids_404(world: World):
    zhang = world.as_user("rep.zhang")
    assert_problem(zhang.get("/customers/not-a-ulid"), 422)
    assert_problem(zhang.get("/customers/01arz3ndektsv4rrffq69g5fav"), 422)  # lower case is not ours
    assert_problem(zhang.get("/customers/x'%20OR%201=1"), 422)
    assert_problem(zhang.get(f"/customers/{MISSING_ID}"), 404)
    assert_problem(zhang.get(f"/customers/{MISSING_ID}/history"), 404)


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=abc", "status=dead", "level=E", "on=yesterday"])
def test_bad_query_parameters_are_422(world: World, query):
    path = "/customers/" + MISSING_ID + "/level" if query.startswith("on=") else "/customers"
    assert_problem(world.as_user("eastrx.head").get(f"{path}?{query}"), 422)


def test_forged_or_foreign_cursor_is_400(world: World):
    zhang = world.as_user("rep.zhang")
    assert_problem(zhang.get("/customers?cursor=garbage!!"), 400)
    # a well-formed cursor that points into another partition is refused too
    import base64
    import json

    forged = (
        base64.urlsafe_b64encode(
            json.dumps({"gsi2pk": "T#other#OWNER#u", "gsi2sk": "x", "pk": "a", "sk": "b"}).encode()
        )
        .decode()
        .rstrip("=")
    )
    assert_problem(zhang.get(f"/customers?cursor={forged}"), 400)


def test_if_match_that_is_not_an_etag_is_412(world: World):
    zhang = world.as_user("rep.zhang")
    c = zhang.post("/customers", terminal("标签药店" + MISSING_ID[-5:])).json()
    assert_problem(zhang.patch(f"/customers/{c['id']}", {"remarks": "x"}, headers={"If-Match": "banana"}), 412)


def test_requests_without_a_valid_token_are_401(world: World):
    assert_problem(requests.get(f"{world.base_url}/customers", timeout=10), 401)
    r = requests.get(f"{world.base_url}/customers", headers={"Authorization": "Bearer abc.def.ghi"}, timeout=10)
    assert_problem(r, 401)


def test_unknown_route_is_403_like_api_gateway(world: World):
    assert_problem(world.as_user("rep.zhang").get("/no-such-thing"), 403)
    assert_problem(world.as_user("rep.zhang").request("DELETE", "/customers"), 403)
