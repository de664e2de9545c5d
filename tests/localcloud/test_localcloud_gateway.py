"""The API Gateway stand-in: proxy events in, proxy results out, and API Gateway's own errors."""

import base64
import json
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from localcloud import LocalCloud, tokens
from localcloud.tokens import mint_token

CLAIMS = {
    "sub": "u-1",
    "cognito:username": "rep.zhang",
    "custom:tenant_id": "demo",
    "custom:org_unit_id": "EAST-RX",
    "custom:roles": "rep,dept_head",
}


def call(cloud: LocalCloud, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, cloud.api_url + path, headers=headers, timeout=10, **kwargs)


def echoed(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()["event"]


def test_the_proxy_event_is_the_one_api_gateway_sends(small_cloud: LocalCloud) -> None:
    response = call(small_cloud, "GET", "/items/abc?tag=a&tag=b&q=x%20y", mint_token(CLAIMS))
    event = echoed(response)

    assert (event["resource"], event["path"], event["httpMethod"]) == ("/items/{item_id}", "/items/abc", "GET")
    assert event["pathParameters"] == {"item_id": "abc"}
    assert event["queryStringParameters"] == {"tag": "b", "q": "x y"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "q": ["x y"]}
    assert (event["body"], event["isBase64Encoded"], event["stageVariables"]) == (None, False, None)
    assert event["headers"]["Authorization"].startswith("Bearer ")
    assert event["multiValueHeaders"]["Authorization"] == [event["headers"]["Authorization"]]
    context = event["requestContext"]
    assert (context["stage"], context["path"], context["resourcePath"]) == (
        "test",
        "/test/items/abc",
        "/items/{item_id}",
    )
    assert context["apiId"] == small_cloud.stack.apis["Api"].id and context["accountId"] == "123456789012"
    assert context["identity"]["sourceIp"] == "127.0.0.1" and context["requestId"]
    claims = context["authorizer"]["claims"]
    assert {k: claims[k] for k in CLAIMS} == CLAIMS
    assert all(isinstance(v, str) for v in claims.values()) and claims["token_use"] == "id"
    # and the handler's result maps back, multiValueHeaders included
    assert response.headers["X-Echo"] == "yes" and response.headers["x-amzn-RequestId"]
    assert response.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]


def test_the_path_stays_encoded_and_path_parameters_are_decoded(small_cloud: LocalCloud) -> None:
    event = echoed(call(small_cloud, "GET", "/items/a%20b%2Fc", mint_token(CLAIMS)))
    assert (event["path"], event["requestContext"]["path"]) == ("/items/a%20b%2Fc", "/test/items/a%20b%2Fc")
    assert event["pathParameters"] == {"item_id": "a b/c"}


def test_literal_paths_win_over_parameters_and_proxy_takes_the_rest(small_cloud: LocalCloud) -> None:
    token = mint_token(CLAIMS)
    assert echoed(call(small_cloud, "DELETE", "/items/special", token))["resource"] == "/items/special"
    event = echoed(call(small_cloud, "PUT", "/files/2026/11/report.csv", token))
    assert (event["resource"], event["pathParameters"]) == ("/files/{proxy+}", {"proxy": "2026/11/report.csv"})


def test_bodies_are_text_or_base64(small_cloud: LocalCloud) -> None:
    text = echoed(call(small_cloud, "POST", "/open", json={"名称": "康宁"}))
    assert (json.loads(text["body"]), text["isBase64Encoded"]) == ({"名称": "康宁"}, False)
    assert "authorizer" not in text["requestContext"]  # an open route has no claims
    binary = echoed(call(small_cloud, "POST", "/open", data=b"\xff\x00\xfe"))
    assert (base64.b64decode(binary["body"]), binary["isBase64Encoded"]) == (b"\xff\x00\xfe", True)


@pytest.mark.parametrize(("method", "path"), [("GET", "/nowhere"), ("DELETE", "/items/abc"), ("GET", "/open")])
def test_an_unknown_route_or_method_is_403_missing_authentication_token(
    small_cloud: LocalCloud, method: str, path: str
) -> None:
    response = call(small_cloud, method, path, mint_token(CLAIMS))
    assert response.status_code == 403
    assert response.json() == {"title": "MISSING_AUTHENTICATION_TOKEN", "detail": "Missing Authentication Token"}
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def _foreign_token() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode({**CLAIMS, "token_use": "id", "exp": 2**40}, key, algorithm="RS256")


@pytest.mark.parametrize(
    ("token", "detail"),
    [
        (None, "Unauthorized"),
        ("not-a-jwt", "Unauthorized"),
        (_foreign_token(), "Unauthorized"),
        (mint_token({**CLAIMS, "token_use": "access"}), "Unauthorized"),
        (mint_token({**CLAIMS, "iss": "https://example.com"}), "Unauthorized"),
        (mint_token(CLAIMS, lifetime_s=-60), "The incoming token has expired"),
    ],
)
def test_a_missing_or_bad_token_is_401(small_cloud: LocalCloud, token: str | None, detail: str) -> None:
    response = call(small_cloud, "GET", "/items/abc", token)
    assert response.status_code == 401
    body = response.json()
    assert (body["title"], body["detail"]) == ("UNAUTHORIZED", detail)
    assert body["request"] == response.headers["x-amzn-RequestId"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("path", ["/crash", "/malformed"])
def test_a_crash_or_malformed_result_is_502(small_cloud: LocalCloud, path: str) -> None:
    response = call(small_cloud, "GET", path)
    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}


def test_a_body_over_10_mb_is_413(small_cloud: LocalCloud) -> None:
    response = call(small_cloud, "POST", "/open", data=b"x" * (10 * 1024 * 1024 + 1))
    assert response.status_code == 413
    assert response.json() == {"title": "REQUEST_TOO_LARGE", "detail": "Request Too Long"}


def test_local_extras(small_cloud: LocalCloud) -> None:
    keys = requests.get(small_cloud.api_url + "/.well-known/jwks.json", timeout=10).json()["keys"]
    key = jwt.PyJWK(keys[0]).key
    assert jwt.decode(mint_token(CLAIMS), key, algorithms=["RS256"], options={"verify_aud": False})["sub"] == "u-1"

    tokens.seed_demo_users()  # /_local/tokens lists the local pool's users; `make dev` seeds the demo ones
    users = requests.get(small_cloud.api_url + "/_local/tokens", timeout=10).json()
    admin = next(u for u in users if u["username"] == "admin")
    claims = echoed(call(small_cloud, "GET", "/items/x", admin["token"]))["requestContext"]["authorizer"]["claims"]
    assert (claims["cognito:username"], claims["custom:roles"]) == ("admin", "hq_admin")

    docs = requests.get(small_cloud.api_url + "/docs", timeout=10)  # the fixture has no schemas/openapi.json
    assert docs.status_code == 404 and "openapi.json does not exist" in docs.text
