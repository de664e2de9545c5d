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

from .template import LOCAL_CLIENT_ID, REGION, USER_POOL_ID

REPO_ROOT = Path(__file__).resolve().parents[2]
KEY_FILE = REPO_ROOT / ".local" / "jwt" / "private.pem"
DEMO_ORG = REPO_ROOT / "infra" / "demo" / "org.json"
KEY_ID = "localcloud-1"
CLIENT_ID = LOCAL_CLIENT_ID  # what the template's UserPoolClient resolves to locally
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


# ---------------------------------------------------------------- the local user pool (moto's, in this process)
# Any user in the pool gets a token, as Cognito would sign them in: users made through POST /users or the tenant
# command, and the demo users (seeded with their fixed ids as sub). A disabled user gets none.


class NoToken(Exception):
    """No token for this username: unknown in the local pool, or disabled (the message says which)."""


def _pool() -> Any:
    from moto.cognitoidp.models import cognitoidp_backends  # moto runs in this process (localcloud.cloud)

    from .template import ACCOUNT_ID

    pool = cognitoidp_backends[ACCOUNT_ID][REGION].user_pools.get(USER_POOL_ID)
    if pool is None:
        raise NoToken("the local user pool does not exist: is the stack running in this process?")
    return pool


def pool_claims(user: Any) -> dict[str, str]:
    """What Cognito puts in a pool user's ID token: sub, username and the attributes (custom:* among them)."""
    attributes = {a["Name"]: a["Value"] for a in user.attributes if a["Name"] != "email_verified"}
    return {**attributes, "sub": user.id, "cognito:username": user.username}


def pool_users() -> list[Any]:
    return sorted(_pool().users.values(), key=lambda u: u.username)


def token_for(username: str, lifetime_s: int = TOKEN_LIFETIME_S) -> str:
    """An ID token for a user of the local pool (usernames compare case-insensitively, as the pool says)."""
    user = _pool().users.get(username.lower())
    if user is None:
        raise NoToken(f"no user {username!r} in the local user pool")
    if not user.enabled:
        raise NoToken(f"the user {username!r} is disabled")
    return mint_token(pool_claims(user), lifetime_s)


def seed_pool_user(user_id: str, username: str, attributes: dict[str, str]) -> None:
    """Puts a user in the local pool with a fixed sub (AdminCreateUser always picks a random one); kept if there."""
    from moto.cognitoidp.models import CognitoIdpUser

    pool = _pool()
    if username in pool.users:
        return
    values = [{"Name": k, "Value": v} for k, v in attributes.items() if v]
    user = CognitoIdpUser(USER_POOL_ID, username, None, "CONFIRMED", values)
    user.id = user_id
    user.update_attributes([{"Name": "sub", "Value": user_id}])
    pool.users[username] = user


def seed_demo_users() -> None:
    """The demo users (infra/demo/org.json) in the local pool with their fixed ids: the demo data names them."""
    for username in (u["username"] for u in demo_users()):
        claims = demo_claims(username)
        seed_pool_user(claims.pop("sub"), claims.pop("cognito:username"), claims)


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
