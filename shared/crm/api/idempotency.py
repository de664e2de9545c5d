"""Idempotency-Key on creates, kept by Powertools idempotency in the same table, per tenant.

The first reply (status, headers, body) is stored under the key; the same key with the same
body replays it, the same key with another body is refused with 422.
"""

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from crm import aws
from crm.auth import Principal
from crm.config import get_settings
from crm.errors import Conflict, InvalidInput


@lru_cache(maxsize=64)
def _store(table_name: str, tenant_id: str) -> DynamoDBPersistenceLayer:
    # Records live in the tenant's own partition, like every other key in the table, written as the tenant.
    return DynamoDBPersistenceLayer(
        table_name=table_name,
        key_attr="pk",
        sort_key_attr="sk",
        static_pk_value=f"T#{tenant_id}#IDEMPOTENCY",
        boto3_client=aws.client("dynamodb"),
    )


def _config(context: LambdaContext | None) -> IdempotencyConfig:
    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="payload",
        expires_after_seconds=get_settings().idempotency_ttl_seconds,
    )
    if context is not None:
        config.register_lambda_context(context)
    return config


def replayable(
    who: Principal,
    operation: str,
    key: str,
    payload: Any,
    run: Callable[[], Response[Any]],
    context: LambdaContext | None,
) -> Response[Any]:
    """Runs `run` once per (tenant, user, operation, key)."""
    store = _store(get_settings().table_name, who.tenant_id)

    @idempotent_function(
        data_keyword_argument="request", persistence_store=store, config=_config(context), key_prefix=operation
    )
    def once(request: dict[str, Any]) -> dict[str, Any]:
        return _to_record(run())

    try:
        record = once(request={"key": f"{who.user_id}:{key}", "payload": payload})
    except IdempotencyValidationError as exc:
        raise InvalidInput(
            "This Idempotency-Key was already used with a different body.",
            [{"field": "Idempotency-Key", "message": "reused with another body"}],
        ) from exc
    except IdempotencyAlreadyInProgressError as exc:
        raise Conflict("A request with this Idempotency-Key is still being processed; retry shortly.") from exc
    return Response(
        status_code=record["status"],
        headers=record["headers"],
        body=record["body"],
        content_type=record["headers"].get("Content-Type"),
    )


def _to_record(response: Response[Any]) -> dict[str, Any]:
    # The body is kept as JSON data, so the replay goes through the same response model as the original.
    body = response.body
    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json")
    elif isinstance(body, str):
        body = json.loads(body)
    headers = {k: v for k, v in response.headers.items() if isinstance(v, str)}
    return {"status": response.status_code, "headers": headers, "body": body}
