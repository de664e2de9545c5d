"""The Lambda runtime inside one local execution environment: a Python process of its own.

lambdas.py starts this file as a script (`python -u -P runtime.py <config>`), one process per warm
instance of a function, with that function's environment already in os.environ, and keeps it for
the next invocation, as Lambda keeps an execution environment. It imports nothing but the standard
library before the handler, so the handler's modules are loaded as Lambda loads them: its code
directory, then its layers, on sys.path; the working directory is the code directory.

Init: the handler's module is imported at once. The process then answers on its original stdout,
one line each, `+` (ready) or `!` and the error document (then it exits, as a failed init discards
the environment). Then, one at a time, it reads an invocation from stdin, a line of JSON
{"request_id", "deadline_ms" (epoch), "event"}, and answers `R` and the result as JSON text, or
`E` and the error document Lambda would return. A handler that exits the process (sys.exit, a
crash) answers nothing: the host sees the pipe close. Whatever the handler prints or logs, on
stdout or stderr, goes to the process's stderr, the one log stream the host relays.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, BinaryIO


@dataclass
class LambdaContext:
    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    deadline_ms: int  # epoch milliseconds, as Lambda-Runtime-Deadline-Ms
    log_stream_name: str
    function_version: str = "$LATEST"
    identity: Any = None
    client_context: Any = None
    log_group_name: str = field(init=False)

    def __post_init__(self) -> None:
        self.log_group_name = f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.deadline_ms - int(time.time() * 1000))


def error_payload(error_type: str, message: str, request_id: str | None, exc: BaseException | None = None) -> dict:
    payload: dict[str, Any] = {"errorMessage": message, "errorType": error_type}
    if request_id:
        payload["requestId"] = request_id
    if exc is not None:
        payload["stackTrace"] = traceback.format_list(traceback.extract_tb(exc.__traceback__))
    return payload


def _json_default(value: Any) -> Any:
    # Lambda's Python runtime serialises Decimal (what boto3 returns for DynamoDB numbers).
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _load(handler_name: str) -> Any:
    """The handler, or the error document of a failed init."""
    module_name, function_name = handler_name.rsplit(".", 1)
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except Exception as exc:
        return error_payload("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}", None, exc)
    handler = getattr(module, function_name, None)
    if not callable(handler):
        message = f"Handler '{function_name}' missing on module '{module_name}'"
        return error_payload("Runtime.HandlerNotFound", message, None)
    return handler


def _invoke(handler: Any, request: dict[str, Any], config: dict[str, Any], stream: str) -> bytes:
    request_id = request["request_id"]
    context = LambdaContext(config["name"], config["arn"], config["memory"], request_id, request["deadline_ms"], stream)
    try:
        result = handler(request["event"], context)
    except Exception as exc:
        return b"E" + json.dumps(error_payload(type(exc).__name__, str(exc), request_id, exc)).encode()
    try:
        return b"R" + json.dumps(result, default=_json_default).encode()
    except (TypeError, ValueError) as exc:
        payload = error_payload("Runtime.MarshalError", f"Unable to marshal response: {exc}", request_id)
        return b"E" + json.dumps(payload).encode()


def _send(out: BinaryIO, message: bytes) -> None:
    out.write(message + b"\n")
    out.flush()


def main() -> None:
    config = json.loads(sys.argv[1])  # name, arn, memory, handler, paths (the code directory, then its layers)
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(2, 1)  # the handler's stdout joins its stderr: one log stream, as in CloudWatch
    sys.path[:0] = config["paths"]
    os.chdir(config["paths"][0])
    stream = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"
    handler = _load(config["handler"])
    if isinstance(handler, dict):
        _send(replies, b"!" + json.dumps(handler).encode())
        return
    _send(replies, b"+")
    for line in requests:
        _send(replies, _invoke(handler, json.loads(line), config, stream))


if __name__ == "__main__":
    main()
