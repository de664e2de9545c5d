"""Creates a tenant in a deployed stack: its HQ unit and first HQ admin (a Cognito user, who gets the invitation
e-mail, and a directory entry). Everything after that is done through the API by that admin.

    python scripts/create_tenant.py --stack crm-prod acme --name "Acme Pharma" --admin alice --email alice@acme.com \
        --mobile +8613800000000

Reads the stack's outputs (TableName, UserPoolId) with the caller's AWS credentials; runs crm.org.tenants, the
same code `make tenant` runs locally.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))

from crm.db.base import bind_table
from crm.errors import DomainError
from crm.org.identity import UserPool
from crm.org.tenants import create_tenant


def stack_outputs(stack: str, cloudformation: Any) -> dict[str, str]:
    (described,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    missing = {"TableName", "UserPoolId"} - set(outputs)
    if missing:
        raise SystemExit(f"stack {stack} has no output(s) {', '.join(sorted(missing))}")
    return outputs


def main(argv: list[str] | None = None, cloudformation: Any = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True, help="the deployed stack's name")
    parser.add_argument("tenant_id")
    parser.add_argument("--name", required=True, help="the HQ unit's name")
    parser.add_argument("--admin", required=True, help="the first HQ admin's username")
    parser.add_argument("--admin-name", help="display name (default: the username)")
    parser.add_argument("--email", required=True, help="where the invitation goes")
    parser.add_argument("--mobile", required=True, help="the admin's mobile, E.164: sign-in codes go there")
    args = parser.parse_args(argv)
    outputs = stack_outputs(args.stack, cloudformation or boto3.client("cloudformation"))
    bind_table(outputs["TableName"])
    try:
        admin = create_tenant(
            UserPool(outputs["UserPoolId"]), args.tenant_id, args.name, args.admin, args.admin_name or args.admin,
            args.email, args.mobile,
        )  # fmt: skip
    except DomainError as err:
        print(f"refused: {err.detail} {err.extra or ''}", file=sys.stderr)
        return 1
    print(f"tenant {args.tenant_id} created; HQ admin {admin.username} ({admin.id}) invited at {admin.email}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
