"""What the OpenAPI document says a route answers: its success reply with the headers it carries (ETag, Location)
and a link to what it made, and every problem it can send, each with an example.

Routes call `documented(...)` (re-exported by crm.api.http). What holds for every route is added by the
generator (localcloud.openapi): 415 where a route reads a body, If-Match required where a missing one is 428.
"""

import re
from typing import TYPE_CHECKING, Any, Literal, cast
from urllib.parse import quote

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.models import Example

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    field: str
    message: str


class DuplicateCandidate(BaseModel):
    """A customer a new name or alias collided with (crm.customers.model.DuplicateCandidate, as sent)."""

    customer_id: str
    matched: str = Field(description="The name or alias that collided")
    kind: Literal["name", "alias"]


class Problem(BaseModel):
    """RFC 9457 problem details, as every error of this API is sent (application/problem+json). Some problems
    carry more members (the field concerned, the current status of a record, a distance): clients may read them."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = Field(default=None, description="Validation errors, one per field")
    candidates: list[DuplicateCandidate] | None = Field(default=None, description="Duplicates found (409)")


# status -> (description, title and detail of its example)
PROBLEMS: dict[int, tuple[str, str, str]] = {
    400: (
        "Malformed request: bad JSON (not UTF-8, nested too deep, a number too long), a bad cursor",
        "Malformed JSON",
        "The request body is not valid JSON.",
    ),
    401: ("No valid token", "Unauthorized", "Unauthorized"),
    403: ("Your role may not do this", "Forbidden", "Your role may not do this."),
    404: ("No such record in your scope", "Not found", "No such record in your scope."),
    409: ("Conflicts with the current state", "Conflict", "The order is submitted; it cannot be changed now."),
    412: (
        "If-Match is stale: someone changed the record since you read it",
        "Precondition failed",
        "The record has changed since you read it; read it again.",
    ),
    413: ("Body too large", "Payload too large", "The body is 2000000 bytes; the limit is 1048576."),
    415: (
        "The body is not JSON (send Content-Type: application/json)",
        "Unsupported media type",
        "Send the body as application/json.",
    ),
    422: ("Invalid fields", "Validation failed", "The request has invalid fields."),
    428: (
        "If-Match is missing",
        "Precondition required",
        "Send If-Match with the ETag from your last read of this record.",
    ),
    429: ("Too many requests (API Gateway throttling)", "Too many requests", "Too Many Requests"),
    503: ("Busy: retry in a moment", "Busy", "Please retry in a moment."),
}
ALWAYS = (400, 401, 403, 413, 422, 429, 503)

ETAG = {
    "description": "The record's version: send it back as If-Match to change the record",
    "required": True,
    "schema": {"type": "string", "pattern": '^"[0-9]+"$', "examples": ['"3"']},
}
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def problem_response(status: int) -> dict[str, Any]:
    description, title, detail = PROBLEMS[status]
    example: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if status == 422:
        example["errors"] = [{"field": "name", "message": "String should have at least 1 character"}]
    return {"description": description, "content": {PROBLEM_JSON: {"model": Problem, "example": example}}}


def success(
    status: int,
    model: type[BaseModel] | None,
    *,
    etag: bool = False,
    location: str | None = None,
    description: str = "Success",
) -> dict[int, Any]:
    """A success reply. `etag`: it carries the record's ETag. `location`: the path template of what it made, as
    its Location header says (`/customers/{customer_id}`); each placeholder is the body's field of that name, else
    its `id`. The reply then links to the GET at that path."""
    reply: dict[str, Any] = {"description": description}
    if model is not None:
        reply["content"] = {"application/json": {"model": model}}
    headers: dict[str, Any] = {}
    if etag:
        headers["ETag"] = ETAG
    if location:
        headers["Location"] = _location_header(location)
        reply["links"] = {"read": _read_link(location, model)}
    if headers:
        reply["headers"] = headers
    return {status: reply}


def documented(
    status: int, model: type[BaseModel] | None, *problems: int, etag: bool = False, location: str | None = None
) -> dict[int, Any]:
    """The `responses` of a route for the OpenAPI document: its success reply and every problem it can send."""
    docs = success(status, model, etag=etag, location=location)
    for code in sorted(set(ALWAYS + problems)):
        docs[code] = problem_response(code)
    return docs


def _location_header(template: str) -> dict[str, Any]:
    parts = _PLACEHOLDER.split(template)  # literal, name, literal, name, ...
    regex = "".join(re.escape(p) if i % 2 == 0 else "[^/?#&]+" for i, p in enumerate(parts))
    example = _PLACEHOLDER.sub("01JBX5G4Y2Q8ZK7M3N6P9R0STV", template)
    return {
        "description": "Where what was made can be read",
        "required": True,
        "schema": {"type": "string", "pattern": f"^{regex}$", "examples": [example]},
    }


def _read_link(template: str, model: type[BaseModel] | None) -> dict[str, Any]:
    path = template.split("?", 1)[0]
    fields = model.model_fields if model is not None else {}
    parameters = {
        name: f"$response.body#/{name if name in fields else 'id'}" for name in _PLACEHOLDER.findall(template)
    }
    pointer = path.replace("~", "~0").replace("/", "~1")
    return {
        "operationRef": f"#/paths/{quote(pointer, safe='~')}/get",
        "parameters": parameters,
        "description": "Read what was made",
    }


def example(summary: str, value: Any) -> "Example":
    """A request body example for the OpenAPI document. A plain mapping, which the document's model reads as an
    Example: importing Example's module at init would cost an API function about 70 ms of cold start."""
    return cast("Example", {"summary": summary, "value": value})
