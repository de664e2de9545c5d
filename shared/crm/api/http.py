"""HTTP conventions shared by every API function: one resolver factory, problem+json, ETags, paging.

A handler module builds its resolver with `make_resolver()`, declares routes, and never
formats an error itself: domain errors raised anywhere below become problem+json here.
"""

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from functools import partial
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.shared.json_encoder import Encoder
from pydantic import BaseModel

from crm import snapstart, tenancy
from crm.api.docs import PROBLEM_JSON, FieldError, Problem, documented, success  # noqa: F401 (routes use them)
from crm.auth import Principal, principal_from_claims
from crm.config import get_settings
from crm.errors import DomainError, PreconditionFailed, PreconditionRequired, RetryableError, Stale
from crm.org import directory

logger = Logger(child=True)

Limit = Annotated[int, Query(ge=1, le=200, description="Page size (default 50, max 200)")]
Cursor = Annotated[str | None, Query(max_length=2048, description="Opaque cursor from next_cursor")]
IfMatch = Annotated[str | None, Header(alias="If-Match", description="The ETag from your last read of the record")]
NOT_STORED = "no-store"  # the Cache-Control of every API answer (see _not_stored)
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", max_length=128, description="Replays the first reply on retry")
]


class Unauthorized(DomainError):
    status = 401
    title = "Unauthorized"


def _problem_json(status: int, title: str, detail: str, **extra: Any) -> str:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return json.dumps(body, ensure_ascii=False)


def problem(status: int, title: str, detail: str, **extra: Any) -> Response[Any]:
    return Response(status_code=status, content_type=PROBLEM_JSON, body=_problem_json(status, title, detail, **extra))


def _field_path(loc: tuple[Any, ...]) -> str:
    # Body errors come as ("body", "profile", "kind"); the client only knows its own JSON.
    parts = [str(p) for p in loc]
    if len(parts) > 1 and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation_problem(exc: RequestValidationError) -> Response[Any]:
    if any(e.get("type") == "json_invalid" for e in exc.errors()):
        return problem(
            400,
            "Malformed JSON",
            "The request body is not valid JSON.",
            errors=[{"field": "body", "message": "not valid JSON"}],
        )
    errors = [{"field": _field_path(tuple(e.get("loc", ()))), "message": e.get("msg", "invalid")} for e in exc.errors()]
    return problem(422, "Validation failed", "The request has invalid fields.", errors=errors)


class _JsonBodies(OpenAPIRequestValidationMiddleware):
    """Request validation that reads a body as JSON only, as the document says. Powertools would also read forms
    and multipart into the model, and raises a bare ValueError (a 500) on a multipart type without a boundary.
    Only routes that take a body get here, so a body-less route ignores the Content-Type, as Powertools does."""

    def _get_body(self, app: Any) -> dict[str, Any]:
        if not _is_json(app.current_event.headers.get("content-type")):
            raise RequestUnsupportedContentType("Unsupported content type", errors=[])
        return super()._get_body(app)


def _is_json(content_type: str | None) -> bool:
    """What Powertools parses as JSON: no Content-Type, or application/json (with parameters)."""
    media = (content_type or "").split(";")[0].strip().lower()
    return media in ("", "application/json")


class Resolver(APIGatewayRestResolver):
    """Powertools' REST resolver, refusing oversize bodies, bodies that are not text and JSON too deep or with
    numbers too long to parse safely, before anything parses them (answered before any route, so as raw proxy
    results); bodies of routes that take one must be JSON (415)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._request_validation_middleware = _JsonBodies()

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        return _not_stored(self._answer(event, context))

    def _answer(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        body = event.get("body") or ""
        size, limit = len(body), get_settings().max_body_bytes
        if size > limit:
            return _raw_problem(413, "Payload too large", f"The body is {size} bytes; the limit is {limit}.")
        if event.get("isBase64Encoded"):
            body = _utf8(body)
            if body is None:
                return _raw_problem(400, "Bad request", "The body is not UTF-8 text; send JSON.")
        if body and _is_json(_header(event, "content-type")) and (unsafe := _unsafe_json(body)):
            return _raw_problem(400, "Malformed JSON", unsafe)
        with tenancy.no_tenant():  # principal() makes the caller's tenant current; it ends with the request
            return super().resolve(event, context)


def _not_stored(result: dict[str, Any]) -> dict[str, Any]:
    """Every answer is one tenant's data for one user: no browser (a pharmacy's shared PC) or proxy keeps a copy."""
    multi = result.get("multiValueHeaders")
    headers = multi if multi is not None else result.setdefault("headers", {})
    if not any(name.lower() == "cache-control" for name in headers):
        headers["Cache-Control"] = [NOT_STORED] if multi is not None else NOT_STORED
    return result


def _utf8(base64_body: str) -> str | None:
    try:
        return base64.b64decode(base64_body, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def _header(event: Mapping[str, Any], name: str) -> str | None:
    return next((v for k, v in (event.get("headers") or {}).items() if k.lower() == name), None)


# No body of this API nests deeper than a few levels or needs a number of more than a few digits (amounts are
# strings); past these, Python's parser raises RecursionError (~1,000 deep) or ValueError (ints of 4,300 digits).
MAX_JSON_DEPTH = 32
MAX_NUMBER_DIGITS = 64
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"?', re.DOTALL)  # an unclosed string runs to the end: one pass, linear
_BRACKET = re.compile(r"[\[\]{}]")
_LONG_NUMBER = re.compile(rf"\d{{{MAX_NUMBER_DIGITS + 1}}}")


def _unsafe_json(text: str) -> str | None:
    """Why a JSON text is refused before it is parsed (digits and brackets inside strings do not count)."""
    bare = _STRING.sub('""', text)
    if _LONG_NUMBER.search(bare):
        return f"A number in the body has more than {MAX_NUMBER_DIGITS} digits."
    if bare.count("[") + bare.count("{") > MAX_JSON_DEPTH:
        depth = 0
        for bracket in _BRACKET.findall(bare):
            depth += 1 if bracket in "[{" else -1
            if depth > MAX_JSON_DEPTH:
                return f"The body nests deeper than {MAX_JSON_DEPTH} levels."
    return None


def _raw_problem(status: int, title: str, detail: str) -> dict[str, Any]:
    body = _problem_json(status, title, detail)
    return {"statusCode": status, "headers": {"Content-Type": PROBLEM_JSON}, "body": body, "isBase64Encoded": False}


def make_resolver() -> Resolver:
    snapstart.install()  # every API function builds its resolver at init: the one place to register the hooks
    # UTF-8 in replies: names are Chinese, and \uXXXX escapes only make logs and curl unreadable.
    app = Resolver(
        enable_validation=True, serializer=partial(json.dumps, separators=(",", ":"), cls=Encoder, ensure_ascii=False)
    )

    @app.exception_handler(DomainError)
    def _domain(exc: DomainError) -> Response[Any]:
        if isinstance(exc, Stale) and app.current_event.headers.get("if-match"):
            # The version the client named was current when read, then a concurrent write won: its precondition
            # no longer holds, as if it had come a moment later (RFC 9110, 13.1.1). Without If-Match: 409.
            exc = PreconditionFailed("The record changed after the version your If-Match names; read it again.")
        return problem(exc.status, exc.title, exc.detail, **exc.extra)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response[Any]:
        return _validation_problem(exc)

    @app.exception_handler(RequestUnsupportedContentType)
    def _content_type(exc: RequestUnsupportedContentType) -> Response[Any]:
        return problem(415, "Unsupported media type", "Send the body as application/json.")

    @app.exception_handler(NotFoundError)
    def _no_route(exc: NotFoundError) -> Response[Any]:
        return problem(404, "Not found", "No such resource.")

    @app.exception_handler(RetryableError)
    def _busy(exc: RetryableError) -> Response[Any]:
        return problem(503, "Busy", "Please retry in a moment.")

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response[Any]:
        logger.exception("unhandled error")  # the trace goes to the log, never to the client
        return problem(500, "Internal error", "Something went wrong on our side; it has been logged.")

    return app


def principal(app: APIGatewayRestResolver) -> Principal:
    claims = (app.current_event.request_context.authorizer.claims or {}) if app.current_event.request_context else {}
    if not claims:
        raise Unauthorized("No identity came with the request.")
    if claims.get("aud") not in _app_clients(app.current_event.stage_variables):
        raise Unauthorized("The token was issued to another app; sign in through this one.")
    caller = principal_from_claims(claims)
    tenancy.enter(caller.tenant_id)  # from here on, AWS itself holds this request to the caller's tenant
    standing = directory.standing(caller.tenant_id, caller.user_id)
    if standing == "disabled":
        raise Unauthorized("Your user is disabled.")
    if standing == "unknown":
        raise Unauthorized("Your user is not in this company's directory.")
    return caller


def _app_clients(stage_variables: dict[str, str] | None) -> set[str]:
    """The app clients whose ID tokens the API takes (their `aud`): API Gateway's Cognito authorizer takes an ID token
    of any client of the pool. The stage names them (template.yaml, Globals: Api); none named, no token is taken."""
    return {c for c in (stage_variables or {}).get("USER_POOL_CLIENT_IDS", "").split(",") if c}


# --------------------------------------------------------------------------- conditional requests


def etag(version: int) -> str:
    return f'"{version}"'


def required_version(if_match: str | None) -> int:
    """The version an If-Match names. Missing → 428; anything but one of our ETags → 412."""
    if not if_match:
        raise PreconditionRequired("Send If-Match with the ETag from your last read of this record.")
    tag = if_match.strip().removeprefix("W/")
    if len(tag) >= 3 and tag[0] == tag[-1] == '"' and tag[1:-1].isascii() and tag[1:-1].isdecimal():
        return int(tag[1:-1])
    raise PreconditionFailed("If-Match does not name a version of this record.")


def optional_version(if_match: str | None) -> int | None:
    return required_version(if_match) if if_match else None


# --------------------------------------------------------------------------- replies


def reply(
    model: BaseModel, status: int = HTTPStatus.OK, version: int | None = None, headers: dict[str, str] | None = None
) -> Response[Any]:
    all_headers = dict(headers or {})
    if version is not None:
        all_headers["ETag"] = etag(version)
    return Response(status_code=status, content_type="application/json", body=model, headers=all_headers)


def flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes"}


def replayable(
    who: Principal, operation: str, key: str | None, payload: Any, run: Callable[[], Response[Any]], context: Any
) -> Response[Any]:
    """Runs `run` once per Idempotency-Key (see crm.api.idempotency); without a key it simply runs.

    Imported on first use: Powertools idempotency and boto3 cost ~0.15 s of cold start, and only
    creates that carry a key need them.
    """
    if not key:
        return run()
    from crm.api import idempotency

    return idempotency.replayable(who, operation, key, payload, run, context)
