"""Cognito stand-in: RS256 ID tokens shaped like a Cognito user pool's, signed with a local key.

The key is created on first use under <repo>/.local/jwt/ (gitignored) and reused by every process,
so a token printed by `python -m localcloud token` is valid for a server that is already running.
"""

from __future__ import annotations

import json
import os
import time
from functools import cache
from pathlib import Path
from typing import Any

import jwt
from crm.ids import stable_id
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .template import REGION, USER_POOL_ID

REPO_ROOT = Path(__file__).resolve().parents[2]
KEY_FILE = REPO_ROOT / ".local" / "jwt" / "private.pem"
DEMO_ORG = REPO_ROOT / "infra" / "demo" / "org.json"
KEY_ID = "localcloud-1"
CLIENT_ID = "localcloud-client"
TOKEN_LIFETIME_S = 12 * 3600


def issuer(user_pool_id: str = USER_POOL_ID) -> str:
    return f"https://cognito-idp.{REGION}.amazonaws.com/{user_pool_id}"


def mint_token(claims: dict[str, Any], lifetime_s: int = TOKEN_LIFETIME_S) -> str:
    """An ID token with the given claims; iss, aud, token_use, iat and exp are filled in unless given."""
    now = int(time.time())
    payload = {
        "iss": issuer(),
        "aud": CLIENT_ID,
        "token_use": "id",
        "auth_time": now,
        "iat": now,
        "exp": now + lifetime_s,
        **claims,
    }
    return jwt.encode(payload, _private_key(), algorithm="RS256", headers={"kid": KEY_ID})


def verify(token: str, issuers: list[str]) -> dict[str, Any]:
    """The token's claims if the signature, exp, iss and token_use check out; else jwt.InvalidTokenError."""
    claims = jwt.decode(
        token,
        _private_key().public_key(),
        algorithms=["RS256"],
        options={"verify_aud": False, "require": ["exp", "iss", "token_use"]},
    )
    if claims["iss"] not in issuers or claims["token_use"] != "id":
        raise jwt.InvalidTokenError("not an ID token of this user pool")
    return claims


def jwks() -> dict[str, Any]:
    key = jwt.algorithms.RSAAlgorithm.to_jwk(_private_key().public_key(), as_dict=True)
    return {"keys": [{**key, "kid": KEY_ID, "alg": "RS256", "use": "sig"}]}


def demo_users() -> list[dict[str, Any]]:
    return json.loads(DEMO_ORG.read_text())["users"]


def demo_claims(username: str) -> dict[str, str]:
    """The claims Cognito would put in the ID token of a user from infra/demo/org.json."""
    org = json.loads(DEMO_ORG.read_text())
    users = {user["username"]: user for user in org["users"]}
    if username not in users:
        raise KeyError(f"no demo user {username!r}; known: {', '.join(users)}")
    user, tenant_id = users[username], org["tenant_id"]
    claims = {
        "sub": user["id"],
        "cognito:username": username,
        "email": f"{username}@example.com",
        "name": user["name"],
        "custom:tenant_id": tenant_id,
        "custom:org_unit_id": user["org_unit_id"],
        "custom:roles": ",".join(user["roles"]),
    }
    if code := user.get("distributor_code"):  # the demo seed derives distributor ids the same way
        claims["custom:distributor_id"] = stable_id(tenant_id, code)
    return claims


def token_for_demo_user(username: str) -> str:
    return mint_token(demo_claims(username))


@cache
def _private_key() -> rsa.RSAPrivateKey:
    if not KEY_FILE.exists():
        KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        temporary = KEY_FILE.with_suffix(f".{os.getpid()}.tmp")
        temporary.touch(mode=0o600)
        temporary.write_bytes(pem)
        try:
            os.link(temporary, KEY_FILE)  # atomic and exclusive: a concurrent first use keeps one key
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    key = serialization.load_pem_private_key(KEY_FILE.read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key
