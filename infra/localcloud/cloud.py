"""LocalCloud: template.yaml running on this machine, on 127.0.0.1 only: moto and the API in this process,
each function's invocations in execution environments (processes) of its own."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import boto3
from moto.core.config import default_user_config
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

from . import dynamodb_local, mail, moto_patches
from .gateway import Gateway
from .guard import Guard
from .lambdas import DEFAULT_CONCURRENCY, LocalLambdas
from .resources import create_resources
from .schedules import Scheduler
from .state import LocalState
from .template import REGION, load_template
from .webhooks import WebhookSink


class LocalCloud:
    """moto's server (DynamoDB, S3, SQS, SNS, EventBridge, KMS, SES, Step Functions executing for
    real), the template's resources created in it, its Lambda handlers run concurrently, each
    function in processes of its own (by API requests, S3, SQS, EventBridge rules, schedules and
    state machines; see lambdas.py), an API Gateway stand-in serving requests concurrently, and a
    webhook sink standing in for WeCom and DingTalk robots.

    Usage: `with LocalCloud("template.yaml", api_port=0).start() as cloud: ...`
    moto keeps its state in module globals, so every moto server in one process shares it; the
    stack name in every physical name is what lets two stacks (or a test's own moto) coexist.
    Schedules fire on their own only with schedules=True (`make dev`); tests call run_schedule().
    `concurrency` bounds the execution environments of each function (an invocation beyond waits).
    With `state_dir` the system keeps its data there across restarts (tables in DynamoDB Local on disk, the rest
    copied from moto; see state.py) and seeds only an empty system; without it everything lives in memory.
    `dynamodb_local=True` serves the tables from DynamoDB Local in memory instead of moto: AWS's own engine, whose
    indexes stay fast with tens of thousands of items (moto walks the whole table for every index query).
    `environment` adds variables to functions' environments ({logical id: {name: value}}) over the template's.
    This process's os.environ is its own: no handler runs in it, so a test may set variables and call
    the shared package directly while invocations run.
    """

    def __init__(
        self,
        template_path: str | Path,
        api_port: int = 3000,
        moto_port: int = 0,
        stack_name: str = "crm-local",
        host: str = "127.0.0.1",
        schedules: bool = False,
        concurrency: int = DEFAULT_CONCURRENCY,
        state_dir: Path | None = None,
        dynamodb_local: bool = False,
        environment: dict[str, dict[str, str]] | None = None,
    ) -> None:
        template_path = Path(template_path).resolve()
        self.stack = load_template(template_path, stack_name)
        for logical_id, variables in (environment or {}).items():  # a test's own settings, e.g. a smaller batch
            self.stack.functions[logical_id].environment.update(variables)
        self.guard = Guard(self.stack)
        for logical_id, fn in self.stack.functions.items():  # each function signs as its own role (guard.py)
            fn.environment.setdefault("AWS_ACCESS_KEY_ID", self.guard.function_key(logical_id))
        self.lambdas = LocalLambdas(self.stack.functions.values(), concurrency)
        self.gateway = Gateway(self.stack, self.lambdas, template_path.parent, host, api_port)
        self.scheduler = Scheduler(self.stack.schedules, self.lambdas)
        self.webhook_sink = WebhookSink(host)
        self._fire_schedules = schedules
        self._moto = _GuardedMotoServer(self.guard, ip_address=host, port=moto_port, verbose=False)
        self._saved_env: dict[str, str | None] = {}
        self.endpoint_url = ""
        self.state = LocalState(state_dir) if state_dir else None
        self._dynamodb_local = dynamodb_local or self.state is not None
        self._endpoints: dict[str, str] = {}  # services served elsewhere than moto (DynamoDB, when state is kept)
        self._running = ExitStack()
        self.seeded = False  # whether start() loaded its seed (only an empty system is seeded)

    def start(self, seed: Callable[[LocalCloud], None] | None = None) -> LocalCloud:
        """Starts everything; `seed(cloud)` then loads data (localcloud.demo.seed for the demo)."""
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per moto call otherwise
        if self.state:
            self.state.lock()
            self._running.callback(self.state.unlock)
        if self._dynamodb_local:
            db_path = self.state.dynamodb_dir if self.state else None
            tables = self._running.enter_context(dynamodb_local.running(db_path=db_path))
            # The guard checks DynamoDB Local's requests as it checks moto's: the same IAM either way.
            checked = dynamodb_local.checked_by(tables, self.guard.wrap)
            self._endpoints["dynamodb"] = self._running.enter_context(checked)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        # Handlers' boto3 and pynamodb read these (each execution environment starts from this environment),
        # and so do tests that call the shared package directly; MOTO_PORT is where Step Functions' tasks call back.
        self._set_env(
            AWS_ENDPOINT_URL=self.endpoint_url,
            MOTO_PORT=str(port),
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_SESSION_TOKEN="testing",
            AWS_DEFAULT_REGION=REGION,
            AWS_REGION=REGION,
            AWS_PROFILE=None,
            AWS_ENDPOINT_URL_DYNAMODB=self._endpoints.get("dynamodb"),  # botocore and pynamodb read it
        )
        _forget_clients()
        default_user_config["stepfunctions"]["execute_state_machine"] = True
        moto_patches.install()
        self.guard.install()
        self.lambdas.install(dict(os.environ))
        create_resources(self.stack, self.client)
        if self.state:
            self.state.restore(self.stack)  # before any request, schedule or seed
        self.gateway.start()
        self.webhook_sink.start()
        self.seeded = bool(seed and self.is_empty())
        if seed and self.seeded:
            seed(self)
        if self.state:
            self.state.keep(self.stack)
        if self._fire_schedules:
            self.scheduler.start()
        return self

    def stop(self) -> None:
        self.scheduler.stop()
        self.webhook_sink.stop()
        self.gateway.stop()
        self.lambdas.uninstall()
        self.guard.uninstall()
        if self.state:
            self.state.stop_keeping(self.stack)  # the last changes, before moto forgets them
        self._moto.stop()
        self._running.close()  # DynamoDB Local, then the state folder's lock
        for key, value in self._saved_env.items():
            _put_env(key, value)
        _forget_clients()
        self._saved_env = {}

    @property
    def api_url(self) -> str:
        return self.gateway.url

    def physical_name(self, logical_id: str) -> str:
        return self.stack.names[logical_id]

    def function_env(self, logical_id: str) -> dict[str, str]:
        """The function's Environment.Variables as resolved from the template (Globals included)."""
        return dict(self.stack.functions[logical_id].environment)

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Runs the function's handler like a synchronous invoke; raises lambdas.FunctionError if it fails."""
        return self.lambdas.invoke(self.stack.functions[logical_id], event)

    def run_schedule(self, logical_id: str, event_name: str | None = None) -> Any:
        """Runs the function now, synchronously, with the event its schedule sends (its Input, if it has
        one); returns the result or raises FunctionError. event_name picks one of several schedules."""
        return self.scheduler.run(logical_id, event_name)

    def sent_emails(self) -> list[dict[str, Any]]:
        """The mail sent through SES (v1 or v2) so far, by every stack in this process; see mail.py."""
        return mail.sent_emails()

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Waits for asynchronous invocations (S3, SQS and EventBridge triggers, schedules, Event invokes) to end:
        returns as soon as none runs, raises TimeoutError if some still run after `timeout` seconds."""
        self.lambdas.wait_idle(timeout)

    def wait_execution(self, execution_arn: str, timeout: float = 30.0) -> dict[str, Any]:
        """describe_execution once the execution has left RUNNING."""
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while (execution := sfn.describe_execution(executionArn=execution_arn))["status"] == "RUNNING":
            if time.monotonic() > deadline:
                raise TimeoutError(f"{execution_arn} still RUNNING after {timeout}s")
            time.sleep(0.05)
        return execution

    def service_url(self, service: str) -> str:
        """Where this system serves an AWS service: moto, or DynamoDB Local (behind the guard) for the tables."""
        return self._endpoints.get(service, self.endpoint_url)

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.service_url(service), region_name=REGION)

    def is_empty(self) -> bool:
        """No item in any table: a new system (the demo data goes only into one)."""
        dynamodb = self.client("dynamodb")
        return not any(dynamodb.scan(TableName=table.name, Limit=1)["Items"] for table in self.stack.tables.values())

    def __enter__(self) -> LocalCloud:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _set_env(self, **values: str | None) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            _put_env(key, value)


class _GuardedMotoServer(ThreadedMotoServer):
    """moto's threaded server with the IAM guard in front of its WSGI app (moto's own start, otherwise)."""

    def __init__(self, guard: Guard, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._guard = guard

    def _server_entry(self) -> None:
        app = self._guard.wrap(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


def _forget_clients() -> None:
    """The shared package's clients made in this process (the demo seed, tests calling it directly) point at the
    endpoints they were made for, and its directory cache holds another system's units: forgotten when a system
    starts or stops, so the next ones read this system's."""
    from crm import aws
    from crm.org import directory

    aws.forget_clients()
    directory.forget_cached()


def _put_env(key: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(key, None)
    else:
        os.environ[key] = value
