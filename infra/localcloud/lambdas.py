"""Runs the project's Lambda handlers as Lambda does: in execution environments of their own.

moto would start a Docker container per invocation. `LocalLambdas.install()` patches moto instead,
so that every invocation it makes (boto3 lambda.invoke, Step Functions tasks, S3 and SQS triggers)
runs the real handler here. EventBridge rules too: moto matches an event against a rule's pattern
but has no Lambda target, so here a matching event invokes the function asynchronously, with the
envelope (or the target's Input) that eventbridge.py builds.

An execution environment is a Python process of its own (runtime.py) for one function: the
function's environment over this process's environment as it was when the runtime was installed
(so AWS_ENDPOINT_URL points at moto's server and boto3 and pynamodb inside reach it unchanged), its
code directory and then its layers on sys.path, its handler imported at start (the cold start). It
is kept warm for the function's next invocation; an invocation that finds every warm one busy
starts another, up to `concurrency` per function (beyond that it waits for one to be free). So
invocations run side by side as in AWS: a request is not held up by an import running in the
background, a handler may synchronously invoke another function (or itself), and races between
requests are real races. Each process has its own os.environ and its own modules, shared with no
other function and not with this process, which may set its own environment and import the shared
package freely. An environment idle for IDLE_SECONDS is stopped, except each function's latest.

An invocation reaches its process as a line of JSON and comes back as one. The function's Timeout is
enforced as Lambda enforces it (the process is killed: Sandbox.Timedout); a failed init, or a
process that exits during an invocation, fails it (Runtime.ImportModuleError, Runtime.ExitError)
and the environment is replaced. What a handler prints or logs, on stdout or stderr, is its log
stream: it is written to this process's stdout, line by line.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import select
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.events.models import Rule
from moto.s3 import notifications as s3_notifications

from .dead_letters import DeadLetters
from .eventbridge import target_input
from .template import Function

log = logging.getLogger("localcloud.lambda")

RUNTIME = Path(__file__).with_name("runtime.py")
DEFAULT_CONCURRENCY = 10  # environments per function at most (Lambda's own limit is the account's, 1000)
IDLE_SECONDS = 60.0
INIT_SECONDS = 10  # Lambda's init limit; a cold start here may take it on top of the function's Timeout
_active: list[LocalLambdas] = []  # runners whose functions moto's invocations are routed to
_originals: dict[tuple[Any, str], Any] = {}


class FunctionError(Exception):
    """An invocation failed; `payload` is the error document Lambda would return."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(f"{payload['errorType']}: {payload['errorMessage']}")
        self.payload = payload


class _Ended(Exception):
    """The process ended (or was stopped) without answering."""


class _Environment:
    """One execution environment: a runtime.py process for one function, and its pipes."""

    def __init__(self, fn: Function, environment: dict[str, str]) -> None:
        self.fn = fn
        self.idle_since = 0.0
        config = {
            "name": fn.name,
            "arn": fn.arn,
            "memory": fn.memory_size,
            "handler": fn.handler,
            "paths": [str(fn.code_dir), *map(str, fn.layer_dirs)],  # Lambda's order: /var/task, then /opt
        }
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-P", str(RUNTIME), json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**environment, **_lambda_variables(fn), **fn.environment},
            start_new_session=True,  # Ctrl-C in a terminal stops the host, which stops its environments
        )
        assert self.process.stdin and self.process.stdout and self.process.stderr
        self._requests, self._replies = self.process.stdin.fileno(), self.process.stdout.fileno()
        self._readable = select.poll()
        self._readable.register(self._replies, select.POLLIN)
        self._buffer = bytearray()
        name = f"localcloud-log-{fn.logical_id}-{self.process.pid}"
        threading.Thread(target=_relay_log, args=(self.process.stderr,), name=name, daemon=True).start()

    def init(self, deadline: float) -> dict[str, Any] | None:
        """Waits for the handler's import: None once it is ready, else the error document of the failed init."""
        reply = self._read(deadline)
        return None if reply == b"+" else json.loads(reply[1:])

    def call(self, message: bytes, deadline: float) -> bytes:
        """Sends one invocation and returns the reply line (R + result or E + error document)."""
        view = memoryview(message + b"\n")
        while view:
            view = view[os.write(self._requests, view) :]
        return self._read(deadline)

    def stop(self) -> None:
        """Kills the process (an idle environment has nothing to finish) and closes the pipes."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe:
                pipe.close()

    def exit_status(self) -> str:
        try:
            code = self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return "no exit status"
        return f"signal {-code}" if code < 0 else f"exit status {code}"

    def _read(self, deadline: float) -> bytes:
        """One reply line; TimeoutError once the deadline has passed, _Ended if the process has gone."""
        while (end := self._buffer.find(b"\n")) < 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if self._readable.poll(remaining * 1000):
                if not (chunk := os.read(self._replies, 1 << 20)):
                    raise _Ended(self.exit_status())
                self._buffer += chunk
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 1]
        return line


def _lambda_variables(fn: Function) -> dict[str, str]:
    """The reserved variables Lambda sets in every execution environment, but LAMBDA_TASK_ROOT: with it the
    X-Ray SDK and Powertools' Tracer take themselves to be in Lambda, with a trace id and a daemon to send to."""
    return {
        "AWS_LAMBDA_FUNCTION_NAME": fn.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.name}",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.runtime}",
        "_HANDLER": fn.handler,
    }


def _relay_log(stream: IO[bytes]) -> None:
    """Copies an environment's log stream to this process's stdout, a line at a time, until it closes."""
    with stream:
        for line in stream:
            try:
                sys.stdout.write(line.decode("utf-8", "replace"))
                sys.stdout.flush()
            except (AttributeError, OSError, ValueError):  # no stdout, or it was closed meanwhile
                pass


class _InitFailed(Exception):
    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload["errorMessage"])
        self.payload = payload


class _Pool:
    """The execution environments of one function: all of them, the idle ones (latest last), those starting."""

    def __init__(self, fn: Function, environment: dict[str, str], limit: int) -> None:
        self.fn, self.environment, self.limit = fn, environment, limit
        self._all: set[_Environment] = set()
        self._idle: list[_Environment] = []
        self._starting = 0
        self._closed = False
        self._changed = threading.Condition()

    def acquire(self) -> _Environment:
        """A warm environment, else a new one once its init is done; waits while `limit` are busy."""
        with self._changed:
            while not self._closed and not self._idle and len(self._all) + self._starting >= self.limit:
                if not self._changed.wait(timeout=self.fn.timeout):
                    log.warning("%s: all %d environments busy for %ds; an invocation waits for one",
                                self.fn.logical_id, self.limit, self.fn.timeout)  # fmt: skip
            if self._closed:
                raise _Ended("the local runtime has stopped")
            if self._idle:
                return self._idle.pop()
            self._starting += 1
        env: _Environment | None = None
        failure: dict[str, Any] | None = None
        try:
            env = _Environment(self.fn, self.environment)
            failure = env.init(time.monotonic() + INIT_SECONDS + self.fn.timeout)
        except TimeoutError:
            failure = {"errorType": "Sandbox.Timedout", "errorMessage": "The handler's init did not finish in time"}
        except _Ended as ended:
            failure = {"errorType": "Runtime.ExitError", "errorMessage": f"Runtime exited during init: {ended}"}
        finally:
            with self._changed:
                self._starting -= 1
                admitted = env is not None and failure is None and not self._closed
                if admitted:
                    self._all.add(env)  # type: ignore[arg-type]
                self._changed.notify()
            if env is not None and not admitted:
                env.stop()
        if failure is not None:
            raise _InitFailed(failure)
        if not admitted:
            raise _Ended("the local runtime has stopped")
        assert env is not None
        return env

    def release(self, env: _Environment) -> None:
        """Back among the idle ones, after an invocation that left it usable."""
        with self._changed:
            if env in self._all:
                env.idle_since = time.monotonic()
                self._idle.append(env)
                self._changed.notify()
                return
        env.stop()  # the pool was closed meanwhile

    def discard(self, env: _Environment) -> None:
        """Stops an environment that timed out or ended."""
        with self._changed:
            self._all.discard(env)
            self._changed.notify()
        env.stop()

    def retire_idle(self, now: float) -> None:
        """Stops the environments idle for IDLE_SECONDS, but for the latest one."""
        with self._changed:
            stale = [env for env in self._idle[:-1] if now - env.idle_since > IDLE_SECONDS]
            for env in stale:
                self._idle.remove(env)
                self._all.discard(env)
        for env in stale:
            env.stop()

    def close(self) -> None:
        """Stops every environment: the idle ones at once, a busy one is killed and its caller sees it end."""
        with self._changed:
            self._closed = True
            idle, busy = self._idle, self._all.difference(self._idle)
            self._all, self._idle = set(), []
            self._changed.notify_all()
        for env in idle:
            env.stop()
        for env in busy:
            env.process.kill()

    def size(self) -> int:
        with self._changed:
            return len(self._all)


class LocalLambdas:
    """The functions of one stack, invocable directly or through moto, each in environments of its own."""

    def __init__(self, functions: Iterable[Function], concurrency: int = DEFAULT_CONCURRENCY) -> None:
        self._functions: dict[str, Function] = {}
        for fn in functions:
            self._functions.update(dict.fromkeys((fn.logical_id, fn.name, fn.arn), fn))
        self._concurrency = concurrency
        self._pools: dict[str, _Pool] = {}
        self._pools_lock = threading.Lock()
        self._environment: dict[str, str] | None = None
        self._dead_letters: DeadLetters | None = None  # set by install()
        self._swept = 0.0
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
        """Like an `Event` invocation: returns at once, the handler runs meanwhile. A failure is tried again
        (the function's MaximumRetryAttempts; at once here, where Lambda waits a minute or two), then its event goes
        to the function's dead-letter queue or on-failure destination (dead_letters.py)."""
        self.run_in_background(self._invoke_retrying, fn, event)

    def _invoke_retrying(self, fn: Function, event: Any) -> None:
        attempts = fn.async_retries + 1
        for attempt in range(1, attempts + 1):
            try:
                self.invoke(fn, event)
                return
            except FunctionError as failed:
                if attempt == attempts:
                    if self._dead_letters is not None:
                        self._dead_letters.keep(fn, event, failed.payload, attempts)
                    raise

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Waits until no background invocation is running (they may start further ones)."""
        with self._idle:
            if not self._idle.wait_for(lambda: self._pending == 0, timeout):
                raise TimeoutError(f"{self._pending} background invocation(s) still running after {timeout}s")

    def environments(self, fn: Function) -> int:
        """How many execution environments the function has now, busy or idle."""
        with self._pools_lock:
            pool = self._pools.get(fn.logical_id)
        return pool.size() if pool else 0

    def install(self, environment: dict[str, str]) -> None:
        """Routes moto's Lambda invocations to this stack's functions; `environment` is what every
        execution environment starts from (AWS_ENDPOINT_URL and the like), each function's over it."""
        self._environment = dict(environment)
        self._dead_letters = (
            DeadLetters(environment["AWS_ENDPOINT_URL"]) if environment.get("AWS_ENDPOINT_URL") else None
        )
        if not _active:
            for owner, name, replacement in _PATCHES:
                _originals[owner, name] = getattr(owner, name)
                setattr(owner, name, replacement)
        _active.append(self)

    def uninstall(self) -> None:
        """Stops routing to this stack and stops its execution environments."""
        _active.remove(self)
        if not _active:
            for (owner, name), original in _originals.items():
                setattr(owner, name, original)
        with self._pools_lock:
            pools, self._pools = list(self._pools.values()), {}
            self._environment = None
        for pool in pools:
            pool.close()

    def invoke_json(self, fn: Function, event: Any) -> str:
        """Runs the handler; its result as JSON text (Lambda's response payload), or FunctionError."""
        request_id = str(uuid.uuid4())
        event_json = json.dumps(event)
        pool = self._pool(fn)
        for _ in range(3):  # a warm environment that died while idle is replaced
            try:
                env = pool.acquire()
            except _InitFailed as failed:
                raise self._failed(fn, {**failed.payload, "requestId": request_id}) from None
            except _Ended as ended:
                raise self._failed(fn, _error("Runtime.ExitError", f"{ended}", request_id)) from None
            deadline_ms = int(time.time() * 1000) + fn.timeout * 1000
            message = f'{{"request_id": "{request_id}", "deadline_ms": {deadline_ms}, "event": {event_json}}}'
            try:
                reply = env.call(message.encode(), time.monotonic() + fn.timeout)
            except BrokenPipeError:
                pool.discard(env)
                continue
            except TimeoutError:
                pool.discard(env)
                message = f"RequestId: {request_id} Error: Task timed out after {fn.timeout:.2f} seconds"
                raise self._failed(fn, _error("Sandbox.Timedout", message, request_id)) from None
            except _Ended as ended:
                pool.discard(env)
                message = f"RequestId: {request_id} Error: Runtime exited with error: {ended}"
                raise self._failed(fn, _error("Runtime.ExitError", message, request_id)) from None
            pool.release(env)
            self._retire_idle()
            if reply[:1] == b"R":
                return reply[1:].decode()
            raise self._failed(fn, json.loads(reply[1:]))
        raise self._failed(fn, _error("Runtime.ExitError", "every environment started ended at once", request_id))

    def run_in_background(self, target: Callable[..., Any], *args: Any) -> None:
        """Calls target(*args) on a thread of its own; wait_idle() waits for it."""
        with self._idle:
            self._pending += 1

        def run() -> None:
            try:
                target(*args)
            except FunctionError:
                pass  # already logged
            except Exception:
                log.exception("background invocation failed")
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

        threading.Thread(target=run, daemon=True).start()

    def _pool(self, fn: Function) -> _Pool:
        with self._pools_lock:
            if self._environment is None:
                raise RuntimeError("install() first: the local runtime is not running")
            if fn.logical_id not in self._pools:
                self._pools[fn.logical_id] = _Pool(fn, self._environment, self._concurrency)
            return self._pools[fn.logical_id]

    def _retire_idle(self) -> None:
        now = time.monotonic()
        with self._pools_lock:
            if now - self._swept < 1:
                return
            self._swept, pools = now, list(self._pools.values())
        for pool in pools:
            pool.retire_idle(now)

    def _failed(self, fn: Function, payload: dict[str, Any]) -> FunctionError:
        trace = "".join(payload.get("stackTrace", []))
        log.error("%s failed (request %s): %s: %s%s", fn.logical_id, payload.get("requestId"),
                  payload["errorType"], payload["errorMessage"], f"\n{trace}" if trace else "")  # fmt: skip
        return FunctionError(payload)


def _error(error_type: str, message: str, request_id: str) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id}


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
