"""The local token service and the tenant command, against a running local system (the session's `cloud`):
`python -m localcloud tenant|token|users --api <url>` as a developer runs them after `make dev`."""

import socket
import uuid
from typing import Any

import jwt
import pytest
import requests
from localcloud import tokens
from localcloud.__main__ import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out.strip(), err.strip()


def test_the_tenant_command_makes_an_admin_who_gets_a_token_and_uses_the_api(
    cloud: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    suffix = uuid.uuid4().hex[:8]
    api = ("--api", cloud.api_url)
    code, out, _ = run(capsys, "tenant", f"t-{suffix}", "--name", "Acme", "--admin", f"amy-{suffix}",
                       "--email", f"amy-{suffix}@acme.example", "--mobile", "+8613800000001", *api)  # fmt: skip
    assert code == 0 and f"tenant t-{suffix} created" in out

    code, token, _ = run(capsys, "token", f"amy-{suffix}", *api)
    assert code == 0
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["custom:tenant_id"], claims["custom:roles"], claims["custom:org_unit_id"]) == (
        f"t-{suffix}", "hq_admin", "HQ"
    )  # fmt: skip
    r = requests.get(f"{cloud.api_url}/users", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 200 and [u["username"] for u in r.json()["items"]] == [f"amy-{suffix}"]

    code, out, _ = run(capsys, "users", *api)
    assert code == 0 and f"amy-{suffix}" in out

    code, _, err = run(capsys, "tenant", f"t-{suffix}", "--name", "Again", "--admin", f"bob-{suffix}",
                       "--email", f"bob-{suffix}@acme.example", "--mobile", "+8613800000002", *api)  # fmt: skip
    assert code == 1 and "exists already" in err
    code, _, err = run(
        capsys,
        "tenant",
        "Bad Id!",
        "--name",
        "x",
        "--admin",
        "x1",
        "--email",
        "x@y.example",
        "--mobile",
        "+8613800000003",
        *api,
    )
    assert code == 1 and "refused (422)" in err


def test_no_token_for_an_unknown_user_and_a_clear_error_when_the_system_is_down(
    cloud: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "token", "nobody-at-all", "--api", cloud.api_url)
    assert code == 1 and "no user 'nobody-at-all'" in err
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    code, _, err = run(capsys, "token", "admin", "--api", closed)
    assert code == 1 and "not running" in err and "make dev" in err


def test_demo_users_are_in_the_pool_with_their_fixed_ids(cloud: Any) -> None:
    tokens.seed_demo_users()
    claims = jwt.decode(tokens.token_for("d001"), options={"verify_signature": False})
    assert claims["sub"] == "u-dist-d001" and claims["custom:roles"] == "distributor"
    assert claims == {**tokens.demo_claims("d001"), **{k: claims[k] for k in ("iss", "aud", "token_use",
                                                                              "auth_time", "iat", "exp")}}  # fmt: skip


def test_the_deployed_stack_script_reads_the_outputs_and_makes_the_tenant(cloud: Any) -> None:
    """scripts/create_tenant.py against the local stack's moto (its table and pool), the outputs as CloudFormation
    describes them."""
    from localcloud.template import USER_POOL_ID

    from scripts.create_tenant import main as create_tenant_script

    class Outputs:  # DescribeStacks of the deployed stack (moto does not deploy template.yaml)
        def describe_stacks(self, StackName: str) -> dict[str, Any]:
            outputs = {"TableName": cloud.physical_name("Table"), "UserPoolId": USER_POOL_ID}
            return {"Stacks": [{"Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()]}]}

    suffix = uuid.uuid4().hex[:8]
    argv = [
        "--stack",
        "crm-x",
        f"t-{suffix}",
        "--name",
        "Acme",
        "--admin",
        f"al-{suffix}",
        "--email",
        "al@acme.example",
        "--mobile",
        "+8613800000000",
    ]
    assert create_tenant_script(argv, Outputs()) == 0
    token = tokens.token_for(f"al-{suffix}")
    r = requests.get(f"{cloud.api_url}/users", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 200 and r.json()["items"][0]["roles"] == ["hq_admin"]
    assert create_tenant_script(argv, Outputs()) == 1  # the tenant exists now
