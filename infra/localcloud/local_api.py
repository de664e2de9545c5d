"""The `token`, `users` and `tenant` commands: they ask the running local system (`make dev`), whose user pool
lives in its process, over its /_local endpoints."""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.request
from typing import Any

DEFAULT_API = "http://127.0.0.1:3000"


class LocalApiError(Exception):
    pass


def call(api: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(api + path, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)
    except urllib.error.URLError as err:
        raise LocalApiError(
            f"the local system is not running at {api} ({err.reason}); start it with `make dev`"
        ) from None


def run(args: argparse.Namespace) -> int:
    if args.command == "token":
        status, body = call(args.api, f"/_local/tokens?username={urllib.request.quote(args.username)}")
        if status != 200:
            raise LocalApiError(body.get("detail") or f"no token ({status})")
        print(body["token"])
    elif args.command == "users":
        _, users = call(args.api, "/_local/tokens")
        for user in users:
            print(
                f"{user['username']:<16} {','.join(user['roles']):<14} {user['tenant_id']:<12} "
                f"{user['org_unit_id']:<10} {user['name']}"
            )
    else:
        payload = {
            "tenant_id": args.tenant_id,
            "hq_name": args.name,
            "admin_username": args.admin,
            "admin_name": args.admin_name or args.admin,
            "admin_email": args.email,
            "admin_mobile": args.mobile,
        }
        status, body = call(args.api, "/_local/tenants", payload)
        if status != 201:
            raise LocalApiError(f"refused ({status}): {body.get('detail') or body.get('errors')}")
        admin = body["admin"]
        print(f"tenant {body['tenant_id']} created; HQ admin {admin['username']} ({admin['id']})")
        print(f"token: make -s token user={admin['username']}")
    return 0
