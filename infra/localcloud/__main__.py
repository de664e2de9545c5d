"""python -m localcloud serve | token <username> | users | tenant ...

token, users and tenant ask the running `make dev` system (its local user pool lives in that process).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from . import demo, dynamodb_local, local_api, tokens
from .cloud import LocalCloud
from .state import LocalState, StateInUse

TEMPLATE = tokens.REPO_ROOT / "template.yaml"
STATE_DIR = tokens.REPO_ROOT / ".local" / "state"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud", description="Run template.yaml locally.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="start the API, moto and the demo data; Ctrl-C stops")
    serve.add_argument("--port", type=int, default=3000, help="API port (default 3000)")
    serve.add_argument("--moto-port", type=int, default=0, help="moto's port (default: a free one)")
    serve.add_argument("--no-demo", action="store_true", help="do not load the demo data into a new system")
    serve.add_argument(
        "--state-dir", type=Path, default=STATE_DIR, help="where the system keeps its data (default .local/state)"
    )
    serve.add_argument("--reset", action="store_true", help="empty the state folder first: start a new system")
    serve.add_argument("--in-memory", action="store_true", help="keep nothing: everything in memory (no Java needed)")
    token = commands.add_parser("token", help="print an ID token for any user of the running system's pool")
    token.add_argument("username")
    commands.add_parser("users", help="list the users of the running system's pool")
    tenant = commands.add_parser("tenant", help="create a tenant with its HQ unit and first HQ admin")
    tenant.add_argument("tenant_id")
    tenant.add_argument("--name", required=True, help="the HQ unit's name (the company's)")
    tenant.add_argument("--admin", required=True, help="the first HQ admin's username")
    tenant.add_argument("--admin-name", help="the admin's display name (default: the username)")
    tenant.add_argument("--email", required=True, help="the admin's e-mail (the invitation goes there)")
    tenant.add_argument("--mobile", required=True, help="the admin's mobile, E.164 (sign-in codes go there)")
    for command in (token, tenant, commands.choices["users"]):
        command.add_argument("--api", default=local_api.DEFAULT_API, help="the running API (default %(default)s)")
    args = parser.parse_args(argv)

    if args.command in ("token", "users", "tenant"):
        try:
            return local_api.run(args)
        except local_api.LocalApiError as err:
            print(err, file=sys.stderr)
            return 1
    else:
        state_dir = None if args.in_memory else args.state_dir
        try:
            _serve(args.port, args.moto_port, with_demo=not args.no_demo, state_dir=state_dir, reset=args.reset)
        except (StateInUse, dynamodb_local.Unavailable) as err:
            print(err, file=sys.stderr)
            return 1
    return 0


def _seed_demo(cloud: LocalCloud) -> None:
    demo.seed(cloud)
    files = demo.seed_files(cloud)
    print(f"demo data: last month's files (flow, openings, stock reports, our shipments): {files}, importing")


def _serve(port: int, moto_port: int, with_demo: bool, state_dir: Path | None, reset: bool) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("localcloud").setLevel(logging.INFO)  # one line per request; botocore stays quiet
    if state_dir and reset:
        LocalState(state_dir).reset()
    cloud = LocalCloud(TEMPLATE, api_port=port, moto_port=moto_port, schedules=True, state_dir=state_dir)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops as Ctrl-C does: the state is saved first
    cloud.start(seed=_seed_demo if with_demo else None)
    kept = f"kept in {state_dir} (make dev reset=1 starts a new system)" if state_dir else "in memory, not kept"
    api = cloud.api_url
    tables = ", ".join(table.name for table in cloud.stack.tables.values())
    schedules = ", ".join(f"{fn.logical_id} {s.expression}" for fn, s in cloud.stack.schedules if s.enabled) or "none"
    print(
        f"\nlocalcloud is up (stack {cloud.stack.name}, {len(cloud.stack.routes)} routes"
        f"{', demo data loaded' if cloud.seeded else ''})\n"
        f"  Console   {api}/  (the web console: sign in by choosing a user, e.g. admin; the sign-in page lists them)\n"
        f"  API       {api}  (routes at the root, no stage prefix)\n"
        f"  Docs      {api}/docs\n"
        f"  Tokens    {api}/_local/tokens  or  make -s token user=admin  (users: make users)\n"
        f"  AWS/moto  AWS_ENDPOINT_URL={cloud.endpoint_url}  (tables: {tables})\n"
        f"  Webhooks  {cloud.webhook_sink.url}/<any path>  (a WeCom/DingTalk robot stand-in for a tenant's robot URL:"
        " answers errcode 0 and logs each post)\n"
        f"  Schedules {schedules}\n"
        f"  State     {kept}\n"
        f'  Try       curl -H "Authorization: Bearer $(make -s token user=admin)" {api}/customers\n'
        "Ctrl-C stops.",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("stopping", flush=True)
    finally:
        cloud.stop()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
