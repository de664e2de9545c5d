"""A check schemathesis runs beside its own (loaded by `st run` through SCHEMATHESIS_HOOKS): every header a reply
carries that a client acts on (ETag, Location, Content-Disposition) is declared in the document for that status.
Schemathesis checks the other direction itself (response_headers_conformance: what is declared is sent)."""

from typing import Any

import schemathesis

WATCHED = ("etag", "location", "content-disposition")


@schemathesis.check
def headers_are_documented(ctx: Any, response: Any, case: Any) -> None:
    status = str(response.status_code)
    documented = case.operation.definition.raw.get("responses", {}).get(status, {}).get("headers", {})
    declared = {name.lower() for name in documented}
    sent = {name.lower() for name in response.headers}
    undeclared = [name for name in WATCHED if name in sent and name not in declared]
    if undeclared:
        raise AssertionError(
            f"{case.operation.label} answered {status} with {', '.join(undeclared)}, "
            "which the document does not declare for that status"
        )
