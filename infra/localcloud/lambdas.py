"""Runs the project's Lambda handlers in this process, standing in for Lambda's containers.

moto would start a Docker container per invocation. `LocalLambdas.install()` patches moto instead,
so that every invocation it makes (boto3 lambda.invoke, Step Functions tasks, S3 and SQS triggers)
runs the real handler here. EventBridge rules too: moto matches an event against a rule's pattern
but has no Lambda target, so here a matching event invokes the function asynchronously, with the
envelope (or the target's Input) that eventbridge.py builds. A handler is imported at its first
invocation, as Lambda does it: its code directory and layers on sys.path and its function's
environment in os.environ.

os.environ is process-wide, so invocations run one at a time under one lock: a handler always sees
its own function's environment, never another's. The price: invocations that AWS runs side by side
take turns here, and a handler that synchronously invokes another function waits for itself until
its boto3 call times out (a warning says so meanwhile).
"""

from __future__ import annotations

import copy
import importlib
import json
import logging
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from types import ModuleType
from typing import Any

from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.events.models import Rule
from moto.s3 import notifications as s3_notifications

from .eventbridge import target_input
from .template import Function

log = logging.getLogger("localcloud.lambda")

_env_lock = threading.Lock()
_active: list[LocalLambdas] = []  # runners whose functions moto's invocations are routed to
_originals: dict[tuple[Any, str], Any] = {}


class FunctionError(Exception):
    """An invocation failed; `payload` is the error document Lambda would return."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(f"{payload['errorType']}: {payload['errorMessage']}")
        self.payload = payload


@dataclass
class LambdaContext:
    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_s: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    identity: Any = None
    client_context: Any = None
    _started: float = field(default_factory=time.monotonic)

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"{time.strftime('%Y/%m/%d')}/[$LATEST]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._started + self.timeout_s - time.monotonic()) * 1000))


class LocalLambdas:
    """The functions of one stack, invocable in-process, directly or through moto."""

    def __init__(self, functions: Iterable[Function]) -> None:
        self._functions: dict[str, Function] = {}
        for fn in functions:
            self._functions.update(dict.fromkeys((fn.logical_id, fn.name, fn.arn), fn))
        self._handlers: dict[str, Callable[[Any, LambdaContext], Any]] = {}
        self._modules: dict[str, dict[str, ModuleType]] = {}  # each function's own modules, between calls
        self._pending = 0
        self._idle = threading.Condition()

    def find(self, name_or_arn: str) -> Function | None:
        """By logical id, function name or ARN (a :version or :alias qualifier is ignored)."""
        if name_or_arn.startswith("arn:") and name_or_arn.count(":") > 6:
            name_or_arn = name_or_arn.rsplit(":", 1)[0]
        return self._functions.get(name_or_arn)

    def invoke(self, fn: Function, event: Any) -> Any:
        """Runs the handler and returns its result as the caller would receive it (JSON round trip)."""
        return json.loads(self.invoke_json(fn, event))

    def invoke_async(self, fn: Function, event: Any) -> None:
        """Like an `Event` invocation: returns at once, the handler runs on a background thread."""
        self.run_in_background(self.invoke, fn, event)

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Waits until no background invocation is running (they may start further ones)."""
        with self._idle:
            if not self._idle.wait_for(lambda: self._pending == 0, timeout):
                raise TimeoutError(f"{self._pending} background invocation(s) still running after {timeout}s")

    def install(self) -> None:
        """Routes moto's Lambda invocations to the handlers of every installed runner."""
        if not _active:
            for owner, name, replacement in _PATCHES:
                _originals[owner, name] = getattr(owner, name)
                setattr(owner, name, replacement)
        _active.append(self)

    def uninstall(self) -> None:
        _active.remove(self)
        if not _active:
            for (owner, name), original in _originals.items():
                setattr(owner, name, original)

    @staticmethod
    @contextmanager
    def paused() -> Iterator[None]:
        """No invocation runs meanwhile: the host process may change os.environ (and read it) without an
        invocation that started before putting back what it saw then, when it ends."""
        with _env_lock:
            yield

    def invoke_json(self, fn: Function, event: Any) -> str:
        """Runs the handler; its result as JSON text (Lambda's response payload), or FunctionError."""
        while not _env_lock.acquire(timeout=fn.timeout):
            log.warning(
                "%s has waited %ds for the running invocation; local invocations take turns", fn.logical_id, fn.timeout
            )
        context = LambdaContext(fn.name, fn.arn, fn.memory_size, fn.timeout)
        try:
            with self._scope(fn):
                handler = self._handler(fn, context)
                try:
                    result = handler(event, context)
                except Exception as exc:
                    log.exception("%s failed (request %s)", fn.logical_id, context.aws_request_id)
                    raise FunctionError(_error_payload(type(exc).__name__, str(exc), context, exc)) from exc
            try:
                return json.dumps(result, default=_json_default)
            except (TypeError, ValueError) as exc:
                message = f"Unable to marshal response: {exc}"
                raise self._failed(fn, context, "Runtime.MarshalError", message) from exc
        finally:
            _env_lock.release()

    def _handler(self, fn: Function, context: LambdaContext) -> Callable[[Any, LambdaContext], Any]:
        if fn.logical_id not in self._handlers:
            module_name, function_name = fn.handler.rsplit(".", 1)
            try:
                module = importlib.import_module(module_name.replace("/", "."))
            except Exception as exc:
                log.exception("%s: cannot import %s from %s", fn.logical_id, module_name, fn.code_dir)
                message = f"Unable to import module '{module_name}': {exc}"
                raise FunctionError(_error_payload("Runtime.ImportModuleError", message, context, exc)) from exc
            if not callable(handler := getattr(module, function_name, None)):
                message = f"Handler '{function_name}' missing on module '{module_name}'"
                raise self._failed(fn, context, "Runtime.HandlerNotFound", message)
            self._handlers[fn.logical_id] = handler
        return self._handlers[fn.logical_id]

    @contextmanager
    def _scope(self, fn: Function) -> Iterator[None]:
        """Puts fn's environment, code and modules in place for one call (lock held).

        In AWS every function has a process of its own. Here the modules loaded from a function's
        code directory and layers (its app.py, the shared package) are kept per function and are in
        sys.modules only during its calls, so functions never share module state: not an app.py,
        not a cached connection, not a settings object; nor with the process hosting them.
        """
        env = {
            "AWS_LAMBDA_FUNCTION_NAME": fn.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.name}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.runtime}",
            "_HANDLER": fn.handler,
            **fn.environment,
        }
        saved_env = {key: os.environ.get(key) for key in env}
        os.environ.update(env)
        code_paths = [str(fn.code_dir), *map(str, fn.layer_dirs)]  # Lambda's order: /var/task, then /opt
        roots = tuple(path + os.sep for path in code_paths)
        sys.path[:0] = code_paths
        displaced = _take_modules(roots)  # the host's own copies, e.g. a test's import of the shared package
        sys.modules.update(self._modules.get(fn.logical_id, {}))
        try:
            yield
        finally:
            self._modules[fn.logical_id] = _take_modules(roots)
            sys.modules.update(displaced)
            for path in code_paths:
                sys.path.remove(path)
            for key, value in saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def _failed(self, fn: Function, context: LambdaContext, error_type: str, message: str) -> FunctionError:
        log.error("%s: %s: %s", fn.logical_id, error_type, message)
        return FunctionError(_error_payload(error_type, message, context))

    def run_in_background(self, target: Callable[..., Any], *args: Any) -> None:
        """Calls target(*args) on a thread of its own; wait_idle() waits for it."""
        with self._idle:
            self._pending += 1

        def run() -> None:
            try:
                target(*args)
            except FunctionError:
                pass  # already logged with its traceback
            except Exception:
                log.exception("background invocation failed")
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

        threading.Thread(target=run, daemon=True).start()


def _take_modules(roots: tuple[str, ...]) -> dict[str, ModuleType]:
    """Removes from sys.modules, and returns, the modules loaded from files under these directories."""
    taken = {
        name: module
        for name, module in list(sys.modules.items())
        if (getattr(module, "__file__", None) or "").startswith(roots)
    }
    for name in taken:
        del sys.modules[name]
    return taken


def _error_payload(
    error_type: str, message: str, context: LambdaContext, exc: BaseException | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {"errorMessage": message, "errorType": error_type}
    payload["requestId"] = context.aws_request_id
    if exc is not None:
        payload["stackTrace"] = traceback.format_list(traceback.extract_tb(exc.__traceback__))
    return payload


def _json_default(value: Any) -> Any:
    # Lambda's Python runtime serialises Decimal (what boto3 returns for DynamoDB numbers).
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _find(name_or_arn: str) -> tuple[LocalLambdas, Function] | None:
    for runner in reversed(_active):
        if fn := runner.find(name_or_arn):
            return runner, fn
    return None


def _moto_invoke(model: LambdaFunction, body: str, request_headers: Any, response_headers: Any) -> bytes:
    """Replaces LambdaFunction.invoke (the Docker path) for the functions we know."""
    found = _find(model.function_name)
    if found is None:
        return _originals[LambdaFunction, "invoke"](model, body, request_headers, response_headers)
    runner, fn = found
    event = json.loads(body) if body else {}
    if (request_headers or {}).get("X-Amz-Invocation-Type") == "Event":
        runner.invoke_async(fn, event)
        return b""
    try:
        return runner.invoke_json(fn, event).encode()
    except FunctionError as err:
        # moto itself would say "Handled"; Lambda says "Unhandled" for a raised exception.
        response_headers["x-amz-function-error"] = "Unhandled"
        return json.dumps(err.payload).encode()


def _moto_s3_notification(account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None:
    """S3 invokes asynchronously; moto would call synchronously and swallow every error."""
    if found := _find(fn_arn):
        runner, fn = found
        runner.invoke_async(fn, event_body)
    else:
        log.warning("S3 notification for %s, which is not a local function", fn_arn)


def _moto_sqs_batch(backend: LambdaBackend, function_arn: str, messages: Any, queue_arn: str) -> bool:
    """moto delivers inside the sender's SendMessage call; Lambda polls asynchronously.

    The batch counts as delivered at once: a failing batch is logged, not redelivered.
    """
    found = _find(function_arn)
    original = _originals[LambdaBackend, "send_sqs_batch"]
    if found is None:
        return original(backend, function_arn, messages, queue_arn)
    found[0].run_in_background(original, backend, function_arn, messages, queue_arn)
    return True


def _moto_rule_send(rule: Rule, event: Any, transform_input: bool = True) -> None:
    """EventBridge invokes a Lambda target asynchronously; moto raises NotImplementedError for one.

    A disabled rule and a schedule rule match no event (moto sends to both; a schedule rule's empty
    pattern would match every event on its bus). Other targets are left to moto.
    """
    if rule.scheduled_expression or rule.state != "ENABLED" or not rule.event_pattern.matches_event(event):
        return
    functions = [target for target in rule.targets if target["Arn"].startswith("arn:aws:lambda:")]
    if len(functions) < len(rule.targets):
        others = copy.copy(rule)
        others.targets = [target for target in rule.targets if target not in functions]
        _originals[Rule, "send_to_targets"](others, event, transform_input)
    for target in functions:
        if found := _find(target["Arn"]):
            runner, fn = found
            try:
                runner.invoke_async(fn, target_input(target, event))
            except Exception:  # a bad Input or InputTransformer: the sender's PutEvents still succeeds
                log.exception("rule %s: cannot build the input for %s", rule.name, fn.logical_id)
        else:
            log.warning("rule %s targets %s, which is not a local function", rule.name, target["Arn"])


_PATCHES = [
    (LambdaFunction, "invoke", _moto_invoke),
    (s3_notifications, "_invoke_awslambda", _moto_s3_notification),
    (LambdaBackend, "send_sqs_batch", _moto_sqs_batch),
    (Rule, "send_to_targets", _moto_rule_send),
]
