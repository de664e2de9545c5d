"""IAM for tenant data, enforced locally: every DynamoDB and S3 call a function makes, and its STS AssumeRole of the
tenant role, is checked against the template's policies before moto sees it, as AWS would check it.

Each function signs with an access key of its own (lambdas.py sets it), standing for its execution role: its
`Policies` statements and managed policies as template.yaml writes them (SAM's policy templates name no tenant data
and are not read here). A tenant session is what crm.tenancy gets from STS AssumeRole on the tenant role with the
session tag tenant=<id> (allowed by the function's policy and the role's trust policy); it is checked against that
role's policies with ${aws:PrincipalTag/tenant} filled in. A call refused is answered as AWS answers it (DynamoDB:
AccessDeniedException; S3 and STS: 403 AccessDenied) and never reaches the data. Calls signed by anyone else (the
test harness, the demo seed, `make tenant`) act as an administrator, as a deploy's own credentials would.

A browser's upload form names its credential inside the form: s3_uploads.py checks it with `upload_refusal`. When
DynamoDB Local keeps the tables (`make dev` with kept state), its requests pass through `wrap` too
(dynamodb_local.checked_by).
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote
from xml.etree import ElementTree

from . import iam
from .template import ACCOUNT_ID, REGION, Stack

log = logging.getLogger("localcloud.iam")
_active: list[Guard] = []  # guards of the running stacks; moto's STS is one per process

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/[^/]+/([^/]+)/")
_HASH_EQUALS = re.compile(r"(#?[\w]+)\s*=\s*(:[\w]+)")
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class Principal:
    arn: str
    statements: list[Mapping[str, Any]]
    tags: dict[str, str] = field(default_factory=dict)

    def allows(self, request: iam.Request) -> bool:
        context = {**{f"aws:PrincipalTag/{k}": v for k, v in self.tags.items()}, **request.context}
        return iam.allowed(self.statements, iam.Request(request.action, request.resource, context))


class Guard:
    """Who signs with which key, and the check of each DynamoDB and S3 request."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self._principals: dict[str, Principal] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ principals

    def function_key(self, logical_id: str) -> str:
        """The access key a function's execution environments sign with (its role's)."""
        key = f"LOCAL{logical_id.upper()}"
        with self._lock:
            if key not in self._principals:
                fn = self.stack.functions[logical_id]
                role = f"arn:aws:iam::{ACCOUNT_ID}:role/{fn.name}-role"
                self._principals[key] = Principal(role, self.stack.function_statements(logical_id))
        return key

    def session_started(self, access_key: str, role_arn: str, session_name: str, tags: dict[str, str]) -> None:
        """An STS AssumeRole answered: the session's key now stands for that role with those tags."""
        statements = self.stack.role_statements(role_arn)
        if statements is None:
            return  # not one of the template's roles: nothing here to check it against
        arn = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role_arn.rsplit('/', 1)[-1]}/{session_name}"
        with self._lock:
            self._principals[access_key] = Principal(arn, statements, dict(tags))

    def install(self) -> None:
        """Hears every STS AssumeRole moto answers (for the session tags), until uninstall()."""
        _patch_sts()
        _active.append(self)

    def uninstall(self) -> None:
        if self in _active:
            _active.remove(self)

    def tenants_with_sessions(self) -> set[str]:
        """The tenants some function has assumed the tenant role for."""
        with self._lock:
            return {p.tags["tenant"] for p in self._principals.values() if "tenant" in p.tags}

    def principal(self, access_key: str | None) -> Principal | None:
        with self._lock:
            return self._principals.get(access_key or "")

    # ------------------------------------------------------------------ WSGI

    def wrap(self, app: WsgiApp) -> WsgiApp:
        def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            refusal = self._check(environ)
            if refusal is None:
                return app(environ, start_response)
            status, headers, body = refusal
            start_response(status, headers)
            return [body]

        return guarded

    def _check(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes] | None:
        access_key, service = _signer(environ)
        who = self.principal(access_key)
        if who is None or service not in _REQUESTS:
            return None
        requests = _REQUESTS[service](environ, self.stack)
        denied = next((r for r in requests if not who.allows(r) or not self._trusted(who, r)), None)
        if denied is None:
            return None
        message = (
            f"User: {who.arn} is not authorized to perform: {denied.action} on resource: {denied.resource} "
            "because no identity-based policy allows the action"
        )
        log.warning("refused: %s", message)
        if service == "sts":
            xml = f"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>{message}</Message>"
            return "403 Forbidden", [("Content-Type", "text/xml")], (xml + "</Error></ErrorResponse>").encode()
        if service == "dynamodb":
            body = json.dumps({"__type": "com.amazon.coral.service#AccessDeniedException", "message": message})
            return "400 Bad Request", [("Content-Type", "application/x-amz-json-1.0")], body.encode()
        xml = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code><Message>{message}</Message>"
        xml += "</Error>"
        return "403 Forbidden", [("Content-Type", "application/xml")], xml.encode()

    def _trusted(self, who: Principal, request: iam.Request) -> bool:
        """An AssumeRole of a template role must also be allowed by that role's trust policy."""
        role = self.stack.roles.get(request.resource) if request.action == "sts:AssumeRole" else None
        if role is None:
            return True
        trust = iam.statements_of(role.get("AssumeRolePolicyDocument", {}))
        return iam.allowed(
            trust, iam.Request(request.action, request.resource, {**request.context, "aws:PrincipalArn": who.arn})
        )


def upload_refusal(access_key: str, bucket: str, key: str) -> str | None:
    """Why the principal of `access_key` may not put `key` (a browser's upload form), or None if it may."""
    for guard in list(_active):
        who = guard.principal(access_key)
        request = iam.Request("s3:PutObject", f"arn:aws:s3:::{bucket}/{key}")
        if who is not None and not who.allows(request):
            return f"User: {who.arn} is not authorized to perform: s3:PutObject on resource: {request.resource}"
    return None


_sts_patched = False


def _patch_sts() -> None:
    """moto answers AssumeRole without keeping the session tags; the guard keeps them per access key."""
    global _sts_patched
    if _sts_patched:
        return
    from moto.sts.responses import TokenResponse

    original = TokenResponse.assume_role

    def assume_role(self: TokenResponse) -> Any:
        answer = original(self)
        credentials = answer.result["Credentials"]  # type: ignore[index]
        tags = _session_tags(self.querystring)
        for guard in list(_active):
            guard.session_started(credentials.access_key_id, credentials.role_arn, credentials.session_name, tags)
        return answer

    TokenResponse.assume_role = assume_role  # type: ignore[method-assign]
    _sts_patched = True


def _session_tags(querystring: Mapping[str, list[str]]) -> dict[str, str]:
    """Tags.member.N.Key / Tags.member.N.Value of an AssumeRole request, as a dict."""
    keys = {
        k.split(".")[2]: v[0] for k, v in querystring.items() if k.startswith("Tags.member.") and k.endswith(".Key")
    }
    return {key: querystring.get(f"Tags.member.{n}.Value", [""])[0] for n, key in keys.items()}


def _signer(environ: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The access key and service of a SigV4-signed request (header or presigned query string)."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    found = _CREDENTIAL.search(auth)
    if found:
        return found.group(1), found.group(2)
    query = parse_qs(environ.get("QUERY_STRING", ""))
    credential = (query.get("X-Amz-Credential") or [""])[0].split("/")
    return (credential[0], credential[3]) if len(credential) == 5 else (None, None)


def _body(environ: dict[str, Any]) -> bytes:
    """Reads the request body and puts it back for moto."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    data = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(data)
    return data


# ---------------------------------------------------------------------- STS


def _sts_requests(environ: dict[str, Any], stack: Stack) -> list[iam.Request]:
    """An AssumeRole with session tags is authorized as sts:AssumeRole and sts:TagSession on the role."""
    form = {k: v[0] for k, v in parse_qs(_body(environ).decode()).items()}
    if form.get("Action") != "AssumeRole":
        return []
    tags = _session_tags({k: [v] for k, v in form.items()})
    context = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    actions = ["sts:AssumeRole", "sts:TagSession"] if tags else ["sts:AssumeRole"]
    return [iam.Request(action, form.get("RoleArn", ""), context) for action in actions]


# ---------------------------------------------------------------------- DynamoDB


def _table_arn(table: str, index: str | None = None) -> str:
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{table}"
    return f"{arn}/index/{index}" if index else arn


def _leading(key_or_item: Mapping[str, Any], hash_key: str) -> list[str]:
    value = (key_or_item or {}).get(hash_key) or {}
    return [next(iter(value.values()))] if value else []


def _dynamodb_requests(environ: dict[str, Any], stack: Stack) -> list[iam.Request]:
    """The authorization requests one DynamoDB call makes: one per table (and per item of a transaction)."""
    operation = environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2]
    body = json.loads(_body(environ) or b"{}")
    table_name = body.get("TableName", "")

    def hash_key(index: str | None, table: str | None = None) -> str:
        return stack.hash_key(table or table_name, index) or "pk"

    def request(action: str, table: str, leading: list[str] | None, index: str | None = None) -> iam.Request:
        context = {} if leading is None else {"dynamodb:LeadingKeys": leading}
        return iam.Request(f"dynamodb:{action}", _table_arn(table, index), context)

    match operation:
        case "GetItem" | "DeleteItem" | "UpdateItem":
            return [request(operation, body["TableName"], _leading(body.get("Key"), hash_key(None)))]
        case "PutItem":
            return [request(operation, body["TableName"], _leading(body.get("Item"), hash_key(None)))]
        case "Query":
            index = body.get("IndexName")
            return [request(operation, body["TableName"], _query_leading(body, hash_key(index)), index)]
        case "BatchGetItem":
            return [
                request(
                    operation, table, [k for key in ask.get("Keys", []) for k in _leading(key, hash_key(None, table))]
                )
                for table, ask in body.get("RequestItems", {}).items()
            ]
        case "BatchWriteItem":
            return [
                request(operation, table, [k for w in writes for k in _leading(_written(w), hash_key(None, table))])
                for table, writes in body.get("RequestItems", {}).items()
            ]
        case "TransactWriteItems" | "TransactGetItems":
            return [_transact_request(item, hash_key) for item in body.get("TransactItems", [])]
        case _:  # Scan, DescribeTable, ...: no item keys to scope by
            return [request(operation, body.get("TableName", "*"), None)]


def _written(write: Mapping[str, Any]) -> Mapping[str, Any]:
    return (write.get("PutRequest") or {}).get("Item") or (write.get("DeleteRequest") or {}).get("Key") or {}


_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def _transact_request(item: Mapping[str, Any], hash_key: Callable[..., str]) -> iam.Request:
    kind, part = next(iter(item.items()))
    leading = _leading(part.get("Key") or part.get("Item"), hash_key(None, part["TableName"]))
    return iam.Request(
        f"dynamodb:{_TRANSACT_ACTIONS[kind]}", _table_arn(part["TableName"]), {"dynamodb:LeadingKeys": leading}
    )


def _query_leading(body: Mapping[str, Any], hash_key: str) -> list[str]:
    names = body.get("ExpressionAttributeNames") or {}
    values = body.get("ExpressionAttributeValues") or {}
    for name, placeholder in _HASH_EQUALS.findall(body.get("KeyConditionExpression", "")):
        if names.get(name, name) == hash_key and placeholder in values:
            return [next(iter(values[placeholder].values()))]
    return []


# ---------------------------------------------------------------------- S3


def _s3_requests(environ: dict[str, Any], stack: Stack) -> list[iam.Request]:
    """The authorization requests of one S3 call (path-style: the local endpoint is an IP address)."""
    method = environ["REQUEST_METHOD"]
    bucket, _, key = unquote(environ.get("PATH_INFO", "")).lstrip("/").partition("/")
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if not key:
        return _bucket_requests(environ, method, bucket, query)
    arn = f"arn:aws:s3:::{bucket}/{key}"
    versioned = "versionId" in query
    if "retention" in query:  # an object's lock (crm.flow.evidence)
        return [iam.Request("s3:GetObjectRetention" if method == "GET" else "s3:PutObjectRetention", arn)]
    if method in ("GET", "HEAD"):
        return [iam.Request("s3:GetObjectVersion" if versioned else "s3:GetObject", arn)]
    if method == "DELETE":
        action = (
            "s3:AbortMultipartUpload"
            if "uploadId" in query
            else "s3:DeleteObjectVersion"
            if versioned
            else "s3:DeleteObject"
        )
        return [iam.Request(action, arn)]
    requests = [iam.Request("s3:PutObject", arn)]  # PUT, and POST of a multipart upload's start and end
    if source := environ.get("HTTP_X_AMZ_COPY_SOURCE"):
        source_path = unquote(source).lstrip("/").split("?")[0]
        requests.append(iam.Request("s3:GetObject", f"arn:aws:s3:::{source_path}"))
    return requests


def _bucket_requests(
    environ: dict[str, Any], method: str, bucket: str, query: dict[str, list[str]]
) -> list[iam.Request]:
    arn = f"arn:aws:s3:::{bucket}"
    if method == "POST" and "delete" in query:
        keys = [e.text or "" for e in ElementTree.fromstring(_body(environ)).iter() if e.tag.endswith("Key")]
        return [iam.Request("s3:DeleteObject", f"{arn}/{key}") for key in keys]
    if method == "POST":
        return []  # a browser's upload form: its credential is in the form; s3_uploads.py has it checked
    if method == "GET" and ("list-type" in query or "prefix" in query or "versions" in query or not query):
        action = "s3:ListBucketVersions" if "versions" in query else "s3:ListBucket"
        return [iam.Request(action, arn, {"s3:prefix": (query.get("prefix") or [""])[0]})]
    return [iam.Request(f"s3:{method.title()}Bucket", arn)]


_REQUESTS: dict[str, Callable[[dict[str, Any], Stack], list[iam.Request]]] = {
    "dynamodb": _dynamodb_requests,
    "s3": _s3_requests,
    "sts": _sts_requests,
}
