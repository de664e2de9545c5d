"""The local stand-in for Cognito's hosted UI, and the console as CloudFront serves it: the same rules a
browser meets in AWS (PKCE, registered callback, single-use codes, refresh refused once disabled)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from localcloud import tokens
from localcloud.oauth import LOGOUT_PATHS
from localcloud.tokens import seed_pool_user

VERIFIER = secrets.token_urlsafe(48)
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()


@pytest.fixture
def user(cloud: Any) -> str:
    username = f"signin-{secrets.token_hex(4)}"
    attributes = {
        "name": "试用户",
        "custom:tenant_id": "t-signin",
        "custom:org_unit_id": "HQ",
        "custom:roles": "hq_admin",
    }
    seed_pool_user(secrets.token_hex(8), username, attributes)
    return username


def authorize(cloud: Any, username: str, **overrides: str) -> requests.Response:
    params = {
        "response_type": "code", "client_id": tokens.CLIENT_ID, "redirect_uri": f"{cloud.api_url}/console/callback",
        "state": "s1", "code_challenge": CHALLENGE, "code_challenge_method": "S256", **overrides,
    }  # fmt: skip
    return requests.post(f"{cloud.api_url}/_local/oauth2/authorize", data={**params, "username": username},
                         allow_redirects=False, timeout=10)  # fmt: skip


def _code(cloud: Any, username: str) -> str:
    answer = authorize(cloud, username)
    assert answer.status_code == 302, answer.text
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["state"] == ["s1"]
    return query["code"][0]


def _token(cloud: Any, **form: str) -> requests.Response:
    body = {"client_id": tokens.CLIENT_ID, "redirect_uri": f"{cloud.api_url}/console/callback", **form}
    return requests.post(f"{cloud.api_url}/_local/oauth2/token", data=body, timeout=10)


def test_the_sign_in_page_lists_the_pools_users(cloud: Any, user: str) -> None:
    callback = f"{cloud.api_url}/console/callback"
    params = {"response_type": "code", "client_id": tokens.CLIENT_ID, "redirect_uri": callback,
              "code_challenge": CHALLENGE, "code_challenge_method": "S256"}  # fmt: skip
    page = requests.get(f"{cloud.api_url}/_local/oauth2/authorize", params=params, timeout=10)
    assert page.status_code == 200 and f'value="{user}"' in page.text and "试用户" in page.text


@pytest.mark.parametrize(
    ("override", "refusal"),
    [
        ({"redirect_uri": "https://evil.example/console/callback"}, "redirect_uri"),
        ({"code_challenge_method": "plain"}, "PKCE"),
        ({"client_id": "someone-else"}, "client_id"),
    ],
)
def test_an_authorize_request_cognito_would_refuse_is_refused(cloud: Any, user: str, override, refusal) -> None:
    answer = authorize(cloud, user, **override)
    assert answer.status_code == 400 and refusal in answer.text


def test_a_code_gives_tokens_once_and_only_with_its_verifier(cloud: Any, user: str) -> None:
    code = _code(cloud, user)
    assert _token(cloud, grant_type="authorization_code", code=code, code_verifier="wrong").json() == {
        "error": "invalid_grant"
    }
    code = _code(cloud, user)
    answer = _token(cloud, grant_type="authorization_code", code=code, code_verifier=VERIFIER)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["expires_in"] == 3600 and body["refresh_token"]
    claims = tokens.verify(body["id_token"], [tokens.issuer()])
    assert claims["cognito:username"] == user and claims["custom:roles"] == "hq_admin"
    again = _token(cloud, grant_type="authorization_code", code=code, code_verifier=VERIFIER)
    assert again.status_code == 400  # single use


def test_a_refresh_token_stops_working_when_the_user_is_disabled(cloud: Any, user: str) -> None:
    body = _token(cloud, grant_type="authorization_code", code=_code(cloud, user), code_verifier=VERIFIER).json()
    refreshed = _token(cloud, grant_type="refresh_token", refresh_token=body["refresh_token"])
    assert refreshed.status_code == 200 and "refresh_token" not in refreshed.json()  # Cognito keeps the old one
    tokens._pool().users[user].enabled = False
    refused = _token(cloud, grant_type="refresh_token", refresh_token=body["refresh_token"])
    assert refused.status_code == 400 and refused.json() == {"error": "invalid_grant"}


def test_the_console_is_served_under_console_with_its_routes_config_and_headers(cloud: Any) -> None:
    root = requests.get(f"{cloud.api_url}/", allow_redirects=False, timeout=10)
    assert root.status_code == 302 and root.headers["Location"] == "/console/"
    deep = requests.get(f"{cloud.api_url}/console/customers/01ABC", timeout=10)  # a route of the app: index.html
    assert deep.status_code == 200 and '<div id="root">' in deep.text
    assert "frame-ancestors 'none'" in deep.headers["Content-Security-Policy"]
    assert deep.headers["X-Content-Type-Options"] == "nosniff"
    script = re.search(r'src="(/console/assets/[^"]+\.js)"', deep.text)
    assert script, deep.text
    asset = requests.get(cloud.api_url + script[1], timeout=10)
    assert asset.status_code == 200 and "immutable" in asset.headers["Cache-Control"]
    config = requests.get(f"{cloud.api_url}/console/config.json", timeout=10).json()
    assert config["apiUrl"] == cloud.api_url and config["authDomain"] == f"{cloud.api_url}/_local"
    assert config["redirectUri"] == f"{cloud.api_url}/console/callback"
    phone = requests.get(f"{cloud.api_url}/console/m/visits/1", timeout=10)  # the reps' app answers its own routes
    assert phone.status_code == 200 and 'rel="manifest"' in phone.text
    worker = requests.get(f"{cloud.api_url}/console/m/sw.js", timeout=10)
    assert worker.status_code == 200 and "addEventListener" in worker.text
    # The API keeps its root paths beside it.
    assert requests.get(f"{cloud.api_url}/customers", timeout=10).status_code == 401


PHONE = "+8613800001234"


@pytest.fixture
def texted_user(cloud: Any) -> str:
    """A finance user whose second factor is an SMS code, set by the same call the users API makes."""
    from crm.org.identity import UserPool

    username = f"cfo-{secrets.token_hex(4)}"
    attributes = {"name": "财务", "phone_number": PHONE, "custom:tenant_id": "t-signin", "custom:org_unit_id": "HQ",
                  "custom:roles": "finance"}  # fmt: skip
    seed_pool_user(secrets.token_hex(8), username, attributes)
    UserPool(tokens.USER_POOL_ID).require_second_factor(username, True)
    return username


def _texted_code(cloud: Any) -> str:
    texts = requests.get(f"{cloud.api_url}/_local/sms", params={"to": PHONE}, timeout=10).json()["items"]
    found = re.search(r"\b(\d{6})\b", texts[0]["message"])  # the newest first
    assert found, texts[0]
    return found[1]


def _asked_for_a_code(answer: requests.Response) -> str:
    """The page that asks for the texted code; returns its sign-in session."""
    assert answer.status_code == 200 and 'name="sms_code"' in answer.text, answer.text
    assert "*" * (len(PHONE) - 4) + PHONE[-4:] in answer.text  # the mobile, masked
    session = re.search(r'name="session" value="([^"]+)"', answer.text)
    assert session, answer.text
    return session[1]


def test_a_user_whose_second_factor_is_an_sms_code_signs_in_only_with_the_code(cloud: Any, texted_user: str) -> None:
    session = _asked_for_a_code(authorize(cloud, texted_user))  # choosing the user is not enough
    code = _texted_code(cloud)
    wrong = authorize(cloud, texted_user, session=session, sms_code=f"{(int(code) + 1) % 10**6:06d}")
    assert _asked_for_a_code(wrong) == session and "Wrong code" in wrong.text
    signed_in = authorize(cloud, texted_user, session=session, sms_code=code)
    assert signed_in.status_code == 302, signed_in.text
    grant = parse_qs(urlsplit(signed_in.headers["Location"]).query)["code"][0]
    body = _token(cloud, grant_type="authorization_code", code=grant, code_verifier=VERIFIER).json()
    claims = tokens.verify(body["id_token"], [tokens.issuer()])
    assert claims["cognito:username"] == texted_user and claims["custom:roles"] == "finance"
    replayed = authorize(cloud, texted_user, session=session, sms_code=code)  # a code signs in once
    assert replayed.status_code == 200 and "expired" in replayed.text and 'name="sms_code"' not in replayed.text


def test_three_wrong_codes_end_the_sign_in(cloud: Any, texted_user: str) -> None:
    session = _asked_for_a_code(authorize(cloud, texted_user))
    code = _texted_code(cloud)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(2):
        _asked_for_a_code(authorize(cloud, texted_user, session=session, sms_code=wrong))
    ended = authorize(cloud, texted_user, session=session, sms_code=wrong)
    assert ended.status_code == 200 and "three times" in ended.text and 'name="sms_code"' not in ended.text
    late = authorize(cloud, texted_user, session=session, sms_code=code)  # the right code no longer helps
    assert late.status_code == 200 and 'name="sms_code"' not in late.text


def test_signing_out_returns_only_to_a_registered_page(cloud: Any) -> None:
    template = (Path(__file__).resolve().parents[2] / "template.yaml").read_text()
    registered = re.search(r"LogoutURLs:.*?\n((?:\s+- .*\n)+)", template)
    assert registered, "the template's LogoutURLs"
    assert tuple(re.findall(r"\}(/[^\"]*)\"", registered.group(1))) == LOGOUT_PATHS  # the same pages as Cognito's

    def logout(uri: str) -> requests.Response:
        query = {"client_id": tokens.CLIENT_ID, "logout_uri": uri}
        return requests.get(f"{cloud.api_url}/_local/logout", params=query, allow_redirects=False, timeout=10)

    assert logout(f"{cloud.api_url}/console/m/").headers["Location"] == f"{cloud.api_url}/console/m/"
    for elsewhere in (f"{cloud.api_url}/console/customers", "https://evil.example/console/"):
        refused = logout(elsewhere)
        assert refused.status_code == 400 and "logout_uri" in refused.text
