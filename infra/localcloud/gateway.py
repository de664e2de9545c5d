"""API Gateway stand-in: the template's `Api` events served as a REST API with Lambda proxy integration.

Routes are served at the root (no stage in the URL); the event still names the stage, as API
Gateway's does. Errors API Gateway itself produces (unknown route, bad token, body too large,
a crashed or malformed handler) are rendered from the Api's GatewayResponses.
Requests are served concurrently, a thread each, and each invokes its function as API Gateway
does (lambdas.py runs invocations side by side), so no request waits for another to finish.
Also served: the web console at /console/ (console.py, as CloudFront serves it in AWS), and, local only,
/docs (Swagger UI), /_local/tokens, the sign-in (oauth.py, Cognito's hosted UI stand-in, and its SMS outbox
/_local/sms), /.well-known/jwks.json.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import jwt
from werkzeug.datastructures import Headers
from werkzeug.security import safe_join
from werkzeug.utils import send_file
from werkzeug.wrappers import Request, Response

from . import tokens
from .console import Console, dist_dir
from .lambdas import FunctionError, LocalLambdas
from .oauth import LocalOAuth
from .serving import BackgroundServer
from .template import ACCOUNT_ID, USER_POOL_ID, Api, ApiRoute, Stack

log = logging.getLogger("localcloud.gateway")

MAX_BODY_BYTES = 10 * 1024 * 1024
# response type -> (default status, message, x-amzn-ErrorType header)
_GATEWAY_ERRORS = {
    "MISSING_AUTHENTICATION_TOKEN": (403, "Missing Authentication Token", "MissingAuthenticationTokenException"),
    "UNAUTHORIZED": (401, "Unauthorized", "UnauthorizedException"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long", None),
    "DEFAULT_5XX": (502, "Internal server error", None),  # a handler crash or malformed result
}
_CONTEXT_VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_.]*[A-Za-z0-9_])")
_KNOWN_VARIABLES = {
    "error.message", "error.messageString", "error.responseType", "requestId", "extendedRequestId",
    "httpMethod", "path", "resourcePath", "stage", "apiId", "accountId", "domainName", "identity.sourceIp",
}  # fmt: skip
_RESULT_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
_TOKEN_HINT = "Paste an ID token: GET /_local/tokens, or `python -m localcloud token <username>`."
_SWAGGER_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>API (local)</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/docs/openapi.json", dom_id: "#swagger-ui", persistAuthorization: true});</script>
</body></html>"""


class _GatewayError(Exception):
    def __init__(self, response_type: str, message: str | None = None) -> None:
        super().__init__(response_type)
        self.response_type = response_type
        self.message = message or _GATEWAY_ERRORS[response_type][1]


@dataclass
class _Resource:
    """One API resource path and its methods; rank orders resources by API Gateway's precedence."""

    path: str
    pattern: re.Pattern[str]
    rank: tuple[int, ...]  # per segment: 0 literal, 1 {param}, 2 {proxy+}; lower is more specific
    params: list[str]
    methods: dict[str, ApiRoute] = field(default_factory=dict)


def _resource(path: str) -> _Resource:
    parts, rank, params = [], [], []
    for segment in path.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            greedy = segment.endswith("+}")
            params.append(segment[1:-2] if greedy else segment[1:-1])
            parts.append("(.+)" if greedy else "([^/]+)")
            rank.append(2 if greedy else 1)
        else:
            parts.append(re.escape(segment))
            rank.append(0)
    return _Resource(path, re.compile("/" + "/".join(parts)), tuple(rank), params)


class Gateway:
    def __init__(self, stack: Stack, lambdas: LocalLambdas, repo_root: Path, host: str, port: int) -> None:
        self.stack, self.lambdas, self.repo_root = stack, lambdas, repo_root
        self._resources: dict[str, _Resource] = {}
        for route in stack.routes:
            self._resources.setdefault(route.path, _resource(route.path)).methods[route.method] = route
        self._default_api = next(iter(stack.apis.values()), None)
        self.console = Console(dist_dir(repo_root))
        self.oauth = LocalOAuth()
        self._server = BackgroundServer(self, host, port, "localcloud-gateway")
        self._warn_unknown_variables()

    @property
    def url(self) -> str:
        return self._server.url

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        request_id = str(uuid.uuid4())
        started = time.monotonic()
        response = self._local_extra(request) or self._serve_api(request, request_id)
        response.headers["x-amzn-RequestId"] = request_id
        elapsed_ms = (time.monotonic() - started) * 1000
        log.info(
            "%s %s -> %d (%.0f ms)", request.method, request.full_path.rstrip("?"), response.status_code, elapsed_ms
        )
        return response(environ, start_response)

    def _serve_api(self, request: Request, request_id: str) -> Response:
        api = self._default_api
        try:
            body = request.get_data(cache=False)
            if len(body) > MAX_BODY_BYTES:
                raise _GatewayError("REQUEST_TOO_LARGE")
            path = _raw_path(request)
            route, params = self._match(request.method, path)
            api = self.stack.apis[route.api]
            claims = self._authorize(request, route, api)
            fn = self.stack.functions[route.function]
            event = _proxy_event(request, path, body, route, params, api, claims, request_id)
            try:
                result = self.lambdas.invoke(fn, event)
            except FunctionError:
                raise _GatewayError("DEFAULT_5XX") from None
            if (response := _to_response(result)) is None:
                log.error("%s returned a malformed proxy response: %.300r", fn.logical_id, result)
                raise _GatewayError("DEFAULT_5XX")
            return response
        except _GatewayError as err:
            return self._gateway_response(err, api, request, request_id)

    def _match(self, method: str, path: str) -> tuple[ApiRoute, dict[str, str]]:
        matches = [(r.rank, r, m) for r in self._resources.values() if (m := r.pattern.fullmatch(path))]
        if matches:
            _, resource, match = min(matches, key=lambda item: item[0])
            route = resource.methods.get(method) or resource.methods.get("ANY")
            if route:
                return route, {
                    name: unquote(value) for name, value in zip(resource.params, match.groups(), strict=True)
                }
        raise _GatewayError("MISSING_AUTHENTICATION_TOKEN")

    def _authorize(self, request: Request, route: ApiRoute, api: Api) -> dict[str, str] | None:
        """The Cognito authorizer: claims as strings, or 401 UNAUTHORIZED."""
        if route.authorizer is None:
            return None
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not token:
            raise _GatewayError("UNAUTHORIZED")
        issuers = [tokens.issuer(pool_id) for pool_id in api.authorizers[route.authorizer]]
        try:
            claims = tokens.verify(token, issuers)
        except jwt.ExpiredSignatureError:
            raise _GatewayError("UNAUTHORIZED", "The incoming token has expired") from None
        except jwt.InvalidTokenError:
            raise _GatewayError("UNAUTHORIZED") from None
        return {name: _claim_string(name, value) for name, value in claims.items()}

    def _gateway_response(self, err: _GatewayError, api: Api | None, request: Request, request_id: str) -> Response:
        status, _, error_type = _GATEWAY_ERRORS[err.response_type]
        responses = api.gateway_responses if api else {}
        family = "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX"
        spec = responses.get(err.response_type) or responses.get(family) or {}
        templates = spec.get("ResponseTemplates") or {"application/json": '{"message":$context.error.messageString}'}
        content_type = "application/json" if "application/json" in templates else next(iter(templates))
        variables = {
            "error.message": err.message,
            "error.messageString": json.dumps(err.message),
            "error.responseType": err.response_type,
            "requestId": request_id,
            "extendedRequestId": request_id,
            "httpMethod": request.method,
            "path": f"/{api.stage}{_raw_path(request)}" if api else _raw_path(request),
            "stage": api.stage if api else "",
            "apiId": api.id if api else "",
            "accountId": ACCOUNT_ID,
            "domainName": request.host,
            "identity.sourceIp": request.remote_addr or "",
        }
        body = _CONTEXT_VARIABLE.sub(lambda m: variables.get(m[1], m[0]), templates[content_type])
        headers = Headers({"Content-Type": content_type})
        if error_type:
            headers["x-amzn-ErrorType"] = error_type
        for name, value in spec.get("ResponseParameters", {}).get("Headers", {}).items():
            headers[name] = value.strip("'")  # static '...' values; request mappings are not emulated
        return Response(body, status=int(spec.get("StatusCode", status)), headers=headers)

    def _warn_unknown_variables(self) -> None:
        for api in self.stack.apis.values():
            for response_type, spec in api.gateway_responses.items():
                for template in spec.get("ResponseTemplates", {}).values():
                    for name in set(_CONTEXT_VARIABLE.findall(template)) - _KNOWN_VARIABLES:
                        log.warning("%s %s: $context.%s is not known here; it is left as written",
                                    api.logical_id, response_type, name)  # fmt: skip

    def _local_extra(self, request: Request) -> Response | None:
        if response := self.console.handle(request) or self.oauth.handle(request):
            return response
        path = request.path
        if path == "/.well-known/jwks.json":
            return _json_response(tokens.jwks())
        if path == "/_local/tokens":
            return _local_tokens(request.args.get("username"))
        if path == "/_local/tenants" and request.method == "POST":
            return self._local_tenant(request)
        if path == "/docs" or path.startswith("/docs/"):
            return self._docs(request, path.removeprefix("/docs").lstrip("/"))
        return None

    def _local_tenant(self, request: Request) -> Response:
        """`make tenant`: the tenant set-up (crm.org.tenants) run against this stack's table and local user pool."""
        from crm.db.base import bind_table
        from crm.errors import DomainError
        from crm.org.identity import UserPool
        from crm.org.tenants import create_tenant
        from pydantic import ValidationError

        try:
            body = json.loads(request.get_data(as_text=True) or "{}")
            fields = ("tenant_id", "hq_name", "admin_username", "admin_name", "admin_email", "admin_mobile")
            args = {f: str(body[f]) for f in fields}
        except (ValueError, KeyError, TypeError):
            detail = "Send JSON with tenant_id, hq_name, admin_username, admin_name, admin_email and admin_mobile."
            return _json_response({"title": "Bad request", "status": 400, "detail": detail}, 400)
        bind_table(self.stack.names["Table"])
        try:
            admin = create_tenant(UserPool(USER_POOL_ID), **args)
        except DomainError as err:
            problem = {"title": err.title, "status": err.status, "detail": err.detail, **err.extra}
            return _json_response(problem, err.status)
        except ValidationError as err:
            errors = [{"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in err.errors()]
            return _json_response({"title": "Validation failed", "status": 422, "errors": errors}, 422)
        return _json_response({"tenant_id": args["tenant_id"], "admin": admin.model_dump(mode="json")}, 201)

    def _docs(self, request: Request, name: str) -> Response:
        dist = self.repo_root / "node_modules" / "swagger-ui-dist"
        spec_file = self.repo_root / "schemas" / "openapi.json"
        if not spec_file.exists() and name in ("", "openapi.json"):
            return _page(404, "schemas/openapi.json does not exist yet (it is generated from the code).")
        if name == "openapi.json":
            return _json_response(self._openapi(spec_file))
        if not dist.is_dir():
            return _page(
                404,
                "Swagger UI is not installed (npm install). Raw spec: <a href='/docs/openapi.json'>openapi.json</a>",
            )
        if name == "":
            return Response(_SWAGGER_PAGE, content_type="text/html; charset=utf-8")
        file = safe_join(str(dist), name)
        if file is None or not os.path.isfile(file):
            return _page(404, "Not found.")
        return send_file(file, request.environ)

    def _openapi(self, spec_file: Path) -> dict[str, Any]:
        """The checked-in spec, pointed at this server, with a bearer scheme so Swagger UI asks for a token."""
        spec = json.loads(spec_file.read_text())
        components = spec.setdefault("components", {})
        if not components.get("securitySchemes"):
            components["securitySchemes"] = {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": _TOKEN_HINT}
            }
            spec.setdefault("security", [{"bearerAuth": []}])
        spec["servers"] = [{"url": self.url, "description": "local runtime"}]
        return spec


def _proxy_event(
    request: Request,
    path: str,
    body: bytes,
    route: ApiRoute,
    params: dict[str, str],
    api: Api,
    claims: dict[str, str] | None,
    request_id: str,
) -> dict[str, Any]:
    """The REST API (v1) proxy event API Gateway would send for this request.

    As in REST APIs, `path` stays percent-encoded while pathParameters and the query are decoded.
    """
    now = time.time()
    headers = {
        **dict(request.headers),
        "X-Forwarded-For": request.remote_addr or "",
        "X-Forwarded-Port": str(request.server[1] if request.server else ""),
        "X-Forwarded-Proto": request.scheme,
    }
    identity_keys = ("cognitoIdentityPoolId", "accountId", "cognitoIdentityId", "caller", "accessKey",
                     "cognitoAuthenticationType", "cognitoAuthenticationProvider", "userArn", "user")  # fmt: skip
    request_context: dict[str, Any] = {
        "resourcePath": route.path,
        "httpMethod": request.method,
        "extendedRequestId": request_id,
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "path": f"/{api.stage}{path}",
        "accountId": ACCOUNT_ID,
        "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
        "stage": api.stage,
        "domainPrefix": request.host.split(".")[0],
        "requestTimeEpoch": int(now * 1000),
        "requestId": request_id,
        "identity": {
            **dict.fromkeys(identity_keys),
            "sourceIp": request.remote_addr,
            "userAgent": request.headers.get("User-Agent"),
        },
        "domainName": request.host,
        "apiId": api.id,
    }
    if claims is not None:
        request_context["authorizer"] = {"claims": claims}
    text, is_base64 = _body_text(body)
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": {k: values[-1] for k, values in request.args.lists()} or None,
        "multiValueQueryStringParameters": dict(request.args.lists()) or None,
        "pathParameters": params or None,
        "stageVariables": api.variables or None,
        "requestContext": request_context,
        "body": text,
        "isBase64Encoded": is_base64,
    }


def _raw_path(request: Request) -> str:
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    return urlsplit(raw).path if raw else quote(request.path)


def _body_text(body: bytes) -> tuple[str | None, bool]:
    if not body:
        return None, False
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode(), True


def _claim_string(name: str, value: Any) -> str:
    # API Gateway hands Cognito claims over as strings, timestamps in Java's Date format.
    if name in ("exp", "iat", "auth_time") and isinstance(value, int):
        return time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(value))
    return value if isinstance(value, str) else json.dumps(value)


def _to_response(result: Any) -> Response | None:
    """The HTTP response for a proxy result, or None where API Gateway would find it malformed."""
    if not isinstance(result, dict) or not set(result) <= _RESULT_KEYS:
        return None
    status, body = result.get("statusCode"), result.get("body")
    headers, multi = result.get("headers") or {}, result.get("multiValueHeaders") or {}
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not (_well_formed(status, body, headers, multi) and isinstance(status, int)):
        return None
    try:
        payload = (
            base64.b64decode(body or "", validate=True) if result.get("isBase64Encoded") else (body or "").encode()
        )
    except binascii.Error:
        return None
    return Response(payload, status=status, headers=_merged(headers, multi))


def _well_formed(status: Any, body: Any, headers: Any, multi: Any) -> bool:
    return (
        isinstance(status, int)
        and 100 <= status <= 599
        and isinstance(body, str | None)
        and isinstance(headers, dict)
        and isinstance(multi, dict)
        and all(isinstance(values, list) for values in multi.values())
    )


def _merged(headers: dict[str, Any], multi: dict[str, list[Any]]) -> Headers:
    """Both kinds of headers; where both name one, API Gateway keeps the multiValueHeaders values."""
    merged = Headers()
    overridden = {name.lower() for name in multi}
    for name, value in headers.items():
        if name.lower() not in overridden:
            merged.add(name, str(value))
    for name, values in multi.items():
        for value in values:
            merged.add(name, str(value))
    merged.setdefault("Content-Type", "application/json")
    return merged


def _local_tokens(username: str | None) -> Response:
    """Tokens of the local pool's users: every enabled user, or one (?username=; 404 unknown, 403 disabled)."""
    if username is not None:
        try:
            return _json_response({"username": username, "token": tokens.token_for(username)})
        except tokens.NoToken as err:
            status = 403 if "disabled" in str(err) else 404
            return _json_response({"title": "No token", "status": status, "detail": str(err)}, status)
    users = [u for u in tokens.pool_users() if u.enabled]
    return _json_response([{**_pool_user_view(u), "token": tokens.token_for(u.username)} for u in users])


def _pool_user_view(user: Any) -> dict[str, Any]:
    claims = tokens.pool_claims(user)
    return {
        "username": user.username,
        "id": user.id,
        "name": claims.get("name", ""),
        "tenant_id": claims.get("custom:tenant_id", ""),
        "org_unit_id": claims.get("custom:org_unit_id", ""),
        "roles": [r for r in claims.get("custom:roles", "").split(",") if r],
    }


def _json_response(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status=status, content_type="application/json")


def _page(status: int, message: str) -> Response:
    html = f"<!doctype html><meta charset='utf-8'><title>API docs (local)</title><p>{message}</p>"
    return Response(html, status=status, content_type="text/html; charset=utf-8")
