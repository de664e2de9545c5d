"""API answers are one tenant's data for one user: none may be kept by a browser's cache (a pharmacy's shared PC)
or a proxy, whatever the route or outcome."""

from tests.e2e.conftest import World, terminal


def test_no_answer_of_the_api_may_be_stored(world: World):
    zhang = world.as_user("rep.zhang")
    created = zhang.post("/customers", terminal(f"缓存药店{world.tenant_id}"))
    answers = {
        "a write": created,
        "a read": zhang.get(f"/customers/{created.json()['id']}"),
        "a list": zhang.get("/customers"),
        "a refusal": world.as_user("rep.liu").get(f"/customers/{created.json()['id']}"),
        "bad input": zhang.post("/customers", {"name": ""}),
        "a body refused before any route": zhang.post("/customers", terminal("x", remarks="长" * 300_000)),
    }
    assert [r.status_code for r in answers.values()] == [201, 200, 200, 404, 422, 413]
    assert {what: r.headers.get("Cache-Control") for what, r in answers.items()} == dict.fromkeys(answers, "no-store")
