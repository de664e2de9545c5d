"""Settings read once per cold start; logic receives values, never reads os.environ itself."""

import os
from functools import lru_cache

from pydantic import BaseModel, Field


class Settings(BaseModel):
    table_name: str = Field(min_length=3)
    handover_state_machine_arn: str | None = None
    org_move_state_machine_arn: str | None = None
    approval_state_machine_arn: str | None = None
    accrual_state_machine_arn: str | None = None  # a month's rebate accrual (crm.rebates.runs)
    uploads_bucket: str | None = None
    analytics_bucket: str | None = None
    event_bus_name: str | None = None
    flow_import_function: str | None = None
    export_worker_function: str | None = None  # runs list exports (crm.exports), invoked asynchronously
    customer_import_function: str | None = None  # writes a customer import applied after its dry run
    customer_import_rows_per_invocation: int = 0  # 0: as many as its time allows
    max_body_bytes: int = 256 * 1024
    idempotency_ttl_seconds: int = 24 * 3600
    notify_key_id: str | None = None  # KMS key (alias) that encrypts robot webhook URLs and secrets
    notify_default_sender: str | None = None  # e-mail sender when the tenant names none
    notifier_dlq_url: str | None = None  # the notifier's dead-letter queue, read by its redrive action
    user_pool_id: str | None = None  # the stack's Cognito user pool (crm.org.identity)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    env = os.environ
    return Settings(
        table_name=env.get("TABLE_NAME", ""),
        handover_state_machine_arn=env.get("HANDOVER_STATE_MACHINE_ARN") or None,
        org_move_state_machine_arn=env.get("ORG_MOVE_STATE_MACHINE_ARN") or None,
        approval_state_machine_arn=env.get("APPROVAL_STATE_MACHINE_ARN") or None,
        accrual_state_machine_arn=env.get("ACCRUAL_STATE_MACHINE_ARN") or None,
        uploads_bucket=env.get("UPLOADS_BUCKET") or None,
        analytics_bucket=env.get("ANALYTICS_BUCKET") or None,
        event_bus_name=env.get("EVENT_BUS_NAME") or None,
        flow_import_function=env.get("FLOW_IMPORT_FUNCTION") or None,
        export_worker_function=env.get("EXPORT_WORKER_FUNCTION") or None,
        customer_import_function=env.get("CUSTOMER_IMPORT_FUNCTION") or None,
        customer_import_rows_per_invocation=int(env.get("CUSTOMER_IMPORT_ROWS_PER_INVOCATION") or 0),
        max_body_bytes=int(env.get("MAX_BODY_BYTES", 256 * 1024)),
        notify_key_id=env.get("NOTIFY_KEY_ID") or None,
        notify_default_sender=env.get("NOTIFY_DEFAULT_SENDER") or None,
        notifier_dlq_url=env.get("NOTIFIER_DLQ_URL") or None,
        user_pool_id=env.get("USER_POOL_ID") or None,
    )
